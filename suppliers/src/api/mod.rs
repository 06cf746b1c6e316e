//! The wire contract: every request and response body of the simulators, as serde structs.
//!
//! The server and [`crate::client`] both use these types, so the two cannot drift apart. JSON
//! field names are camelCase; enum values are SCREAMING_SNAKE_CASE except where the
//! payment gateway follows card-network habits (`card_declined`, `payment_intent.succeeded`).
//! Money is always an integer amount of minor units plus an ISO 4217 code, never a float.

mod admin;
mod gateway;
mod reservations;
mod search;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use admin::{FaultSettings, HoldTtl, WebhookEndpoint};
pub use gateway::{
    CardBrand, CreatePaymentIntent, CreatePaymentMethod, CreateRefund, FailureCode, PaymentIntent,
    PaymentIntentStatus, PaymentMethod, Refund, RefundStatus, WebhookEvent, WebhookEventData,
    WebhookEventType,
};
pub use reservations::{
    CancellationPolicy, OfferSummary, ProductKind, Reservation, ReservationStatus, ReserveRequest,
    Traveller,
};
pub use search::{
    ActivityCategory, ActivityOffer, ActivitySearch, AirportInfo, CityRef, FlightOffer,
    FlightSearch, HotelOffer, HotelSearch, Offers, RoomType,
};

/// The error body of every non-2xx answer: a stable machine-readable `error` code (what a
/// caller branches on) and a human-readable `message` (what it logs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
}

/// An amount of money: integer minor units (cents, pence) of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    pub amount_minor: i64,
    pub currency: CurrencyCode,
}

impl Money {
    pub fn new(amount_minor: i64, currency: CurrencyCode) -> Self {
        Self {
            amount_minor,
            currency,
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_minor, self.currency)
    }
}

/// An ISO 4217 alphabetic currency code: three ASCII capital letters. Only the shape is
/// checked (the simulators accept any well-formed code), so an invalid state cannot be built.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CurrencyCode([u8; 3]);

impl CurrencyCode {
    pub const EUR: CurrencyCode = CurrencyCode(*b"EUR");
    pub const USD: CurrencyCode = CurrencyCode(*b"USD");
    pub const GBP: CurrencyCode = CurrencyCode(*b"GBP");

    /// Accepts exactly three ASCII capital letters.
    pub fn parse(code: &str) -> Result<Self, InvalidCurrencyCode> {
        match code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|letter| letter.is_ascii_uppercase()) => {
                Ok(Self([*a, *b, *c]))
            }
            _ => Err(InvalidCurrencyCode(code.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII capitals are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CurrencyCode({})", self.as_str())
    }
}

impl TryFrom<String> for CurrencyCode {
    type Error = InvalidCurrencyCode;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        Self::parse(&code)
    }
}

impl From<CurrencyCode> for String {
    fn from(code: CurrencyCode) -> Self {
        code.as_str().to_owned()
    }
}

/// A currency code that is not three ASCII capital letters. Fix the input; retrying won't help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("currency code must be three capital letters (ISO 4217), got {0:?}")]
pub struct InvalidCurrencyCode(pub String);

/// One supplier as `GET /suppliers` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupplierSummary {
    pub name: String,
    pub currency: CurrencyCode,
}

/// The answer of `GET /suppliers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupplierList {
    pub suppliers: Vec<SupplierSummary>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_currency_code_is_three_capital_letters() {
        assert_eq!(CurrencyCode::parse("EUR"), Ok(CurrencyCode::EUR));
        assert!(CurrencyCode::parse("eur").is_err());
        assert!(CurrencyCode::parse("EU").is_err());
        assert!(CurrencyCode::parse("EURO").is_err());
        assert!(CurrencyCode::parse("€UR").is_err());
    }

    #[test]
    fn money_travels_as_camel_case_json_with_a_currency_string() {
        let json = serde_json::to_value(Money::new(1250, CurrencyCode::GBP)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"amountMinor": 1250, "currency": "GBP"})
        );
        let bad: Result<Money, _> =
            serde_json::from_value(serde_json::json!({"amountMinor": 1, "currency": "gbp"}));
        assert!(bad.is_err());
    }
}
