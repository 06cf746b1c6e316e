//! Why a booking failed, in words for the person who booked it. Each supplier or wallet
//! refusal has one sentence; the code stays in the logs.

/// What stopped a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCause {
    SoldOut,
    OfferExpired,
    OfferUnknown,
    InsufficientFunds,
    HoldExpired,
    SupplierUnavailable,
    /// The supplier's circuit breaker is open: it failed repeatedly just now.
    SupplierOutage,
    SupplierRefused,
    PaymentFailed,
    CurrencyNotConvertible,
}

impl FailureCause {
    /// The supplier's error code as a cause.
    pub fn from_supplier_code(code: &str) -> Self {
        match code {
            "SOLD_OUT" => FailureCause::SoldOut,
            "OFFER_EXPIRED" => FailureCause::OfferExpired,
            "UNKNOWN_OFFER" => FailureCause::OfferUnknown,
            "HOLD_EXPIRED" => FailureCause::HoldExpired,
            _ => FailureCause::SupplierRefused,
        }
    }

    /// One sentence a person can read.
    pub fn reason(self) -> &'static str {
        match self {
            FailureCause::SoldOut => "The supplier has nothing left to sell for this offer.",
            FailureCause::OfferExpired => "The offer has expired; search again for a fresh price.",
            FailureCause::OfferUnknown => "The supplier does not know this offer.",
            FailureCause::InsufficientFunds => {
                "Your wallet does not hold enough money for this booking; top it up and book again."
            }
            FailureCause::HoldExpired => {
                "The supplier's hold expired before the booking could be confirmed."
            }
            FailureCause::SupplierUnavailable => "The supplier did not answer in time.",
            FailureCause::SupplierOutage => {
                "The supplier is not answering at the moment; try again later or book with \
                 another supplier."
            }
            FailureCause::SupplierRefused => "The supplier refused the booking.",
            FailureCause::PaymentFailed => "The payment could not be taken from your wallet.",
            FailureCause::CurrencyNotConvertible => {
                "The price cannot be converted into your wallet's currency."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supplier_codes_become_causes_and_unknown_ones_a_refusal() {
        assert_eq!(
            FailureCause::from_supplier_code("SOLD_OUT"),
            FailureCause::SoldOut
        );
        assert_eq!(
            FailureCause::from_supplier_code("HOLD_EXPIRED"),
            FailureCause::HoldExpired
        );
        assert_eq!(
            FailureCause::from_supplier_code("SOMETHING_NEW"),
            FailureCause::SupplierRefused
        );
        assert!(FailureCause::InsufficientFunds
            .reason()
            .contains("top it up"));
    }
}
