//! How much of a booking's payment goes back to the wallet when the supplier refunds part
//! of its price. The wallet paid `paid` (its currency) for `price` (the supplier's); the
//! supplier gives back `refunded` of `price`. The wallet gets the same share of what it
//! paid, rounded down to the minor unit (never more than was paid, and exactly what was
//! paid when the supplier refunds everything), so the rate recorded when the funds were
//! held applies, not the rate on the day of the refund.

/// The wallet's share of a supplier refund.
pub fn wallet_refund(paid_minor: i64, price_minor: i64, refunded_minor: i64) -> i64 {
    if price_minor <= 0 || refunded_minor <= 0 || paid_minor <= 0 {
        return 0;
    }
    if refunded_minor >= price_minor {
        return paid_minor;
    }
    let share = i128::from(paid_minor) * i128::from(refunded_minor) / i128::from(price_minor);
    // Below `paid_minor`, which is an i64.
    share as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_refund_gives_back_exactly_what_was_paid() {
        assert_eq!(wallet_refund(27600, 30000, 30000), 27600);
        assert_eq!(wallet_refund(27600, 30000, 40000), 27600);
    }

    #[test]
    fn a_partial_refund_gives_back_the_same_share_rounded_down() {
        assert_eq!(wallet_refund(27600, 30000, 15000), 13800);
        // 1/3 of 100 minor units: 33.33… → 33.
        assert_eq!(wallet_refund(100, 3, 1), 33);
        assert_eq!(wallet_refund(27600, 30000, 0), 0);
    }

    #[test]
    fn nothing_paid_or_nothing_priced_gives_back_nothing() {
        assert_eq!(wallet_refund(0, 30000, 30000), 0);
        assert_eq!(wallet_refund(100, 0, 100), 0);
        assert_eq!(wallet_refund(100, 100, -5), 0);
    }

    #[test]
    fn large_amounts_do_not_overflow() {
        let big = 1_000_000_000_000_000;
        assert_eq!(wallet_refund(big, big, big / 2), big / 2);
    }
}
