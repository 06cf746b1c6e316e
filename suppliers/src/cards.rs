//! Card checks and the test cards whose number decides what the gateway does with them.
//!
//! Like real gateways' sandboxes, a few well-known numbers trigger each outcome, so a caller
//! can exercise declines and slow answers without a fault switch. The number itself is never
//! stored: tokenising keeps the brand, the last four digits and the behaviour it selects.

use chrono::{Datelike, NaiveDate};

use crate::api::{CardBrand, CreatePaymentMethod};
use crate::error::ApiError;

/// Succeeds (as does any other valid number).
pub const CARD_SUCCEEDS: &str = "4242424242424242";
/// Confirming fails with `card_declined`.
pub const CARD_DECLINED: &str = "4000000000000002";
/// Confirming fails with `insufficient_funds`.
pub const CARD_INSUFFICIENT_FUNDS: &str = "4000000000009995";
/// Confirming succeeds after the configured slow delay.
pub const CARD_SLOW: &str = "4000000000000077";

/// What confirming a payment with a card will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardBehaviour {
    Succeeds,
    Declined,
    InsufficientFunds,
    Slow,
}

/// A card that passed every check, reduced to what the gateway keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCard {
    pub brand: CardBrand,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub behaviour: CardBehaviour,
}

/// Checks the number (digits, length, Luhn), the expiry (valid through the end of its month)
/// and the CVC. Spaces in the number are ignored.
pub fn validate_card(card: &CreatePaymentMethod, today: NaiveDate) -> Result<ValidCard, ApiError> {
    let number: String = card.card_number.chars().filter(|c| *c != ' ').collect();
    if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::InvalidCard(
            "cardNumber must be 12 to 19 digits".into(),
        ));
    }
    if !luhn_valid(&number) {
        return Err(ApiError::InvalidCard(
            "cardNumber fails the Luhn check".into(),
        ));
    }
    if !(1..=12).contains(&card.exp_month) {
        return Err(ApiError::InvalidCard("expMonth must be 1 to 12".into()));
    }
    if !(3..=4).contains(&card.cvc.len()) || !card.cvc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::InvalidCard("cvc must be 3 or 4 digits".into()));
    }
    let expiry = (i32::from(card.exp_year), u32::from(card.exp_month));
    if expiry < (today.year(), today.month()) {
        return Err(ApiError::CardExpired);
    }
    Ok(ValidCard {
        brand: brand_of(&number),
        last4: number[number.len() - 4..].to_owned(),
        exp_month: card.exp_month,
        exp_year: card.exp_year,
        behaviour: behaviour_of(&number),
    })
}

/// The Luhn (mod 10) check digit test of card numbers.
pub fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(position, byte)| {
            let digit = u32::from(byte - b'0');
            if position % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                digit
            }
        })
        .sum();
    !digits.is_empty() && sum.is_multiple_of(10)
}

fn brand_of(number: &str) -> CardBrand {
    let prefix = |len: usize| number[..len].parse::<u32>().unwrap_or(0);
    match (prefix(1), prefix(2), prefix(4)) {
        (4, _, _) => CardBrand::Visa,
        (_, 34 | 37, _) => CardBrand::Amex,
        (_, 51..=55, _) | (_, _, 2221..=2720) => CardBrand::Mastercard,
        _ => CardBrand::Unknown,
    }
}

fn behaviour_of(number: &str) -> CardBehaviour {
    match number {
        CARD_DECLINED => CardBehaviour::Declined,
        CARD_INSUFFICIENT_FUNDS => CardBehaviour::InsufficientFunds,
        CARD_SLOW => CardBehaviour::Slow,
        _ => CardBehaviour::Succeeds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(number: &str, exp_month: u8, exp_year: u16) -> CreatePaymentMethod {
        CreatePaymentMethod {
            card_number: number.into(),
            exp_month,
            exp_year,
            cvc: "123".into(),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    #[test]
    fn every_test_card_passes_the_luhn_check_and_selects_its_behaviour() {
        let cases = [
            (CARD_SUCCEEDS, CardBehaviour::Succeeds),
            (CARD_DECLINED, CardBehaviour::Declined),
            (CARD_INSUFFICIENT_FUNDS, CardBehaviour::InsufficientFunds),
            (CARD_SLOW, CardBehaviour::Slow),
        ];
        for (number, behaviour) in cases {
            let valid = validate_card(&card(number, 12, 2030), today()).expect(number);
            assert_eq!(valid.behaviour, behaviour);
            assert_eq!(valid.brand, CardBrand::Visa);
            assert_eq!(valid.last4, number[12..]);
        }
    }

    #[test]
    fn a_mistyped_number_fails_the_luhn_check() {
        assert!(!luhn_valid("4242424242424241"));
        let refused = validate_card(&card("4242424242424241", 12, 2030), today());
        assert!(matches!(refused, Err(ApiError::InvalidCard(_))));
    }

    #[test]
    fn a_card_is_valid_through_the_end_of_its_expiry_month() {
        assert!(validate_card(&card(CARD_SUCCEEDS, 11, 2026), today()).is_ok());
        assert_eq!(
            validate_card(&card(CARD_SUCCEEDS, 10, 2026), today()),
            Err(ApiError::CardExpired)
        );
    }

    #[test]
    fn brands_are_recognised_by_their_prefixes() {
        assert_eq!(brand_of("5555555555554444"), CardBrand::Mastercard);
        assert_eq!(brand_of("2223003122003222"), CardBrand::Mastercard);
        assert_eq!(brand_of("378282246310005"), CardBrand::Amex);
        assert_eq!(brand_of("6011111111111117"), CardBrand::Unknown);
    }
}
