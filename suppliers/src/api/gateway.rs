//! The payment gateway: card tokens, payment intents, refunds and the webhook events.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::CurrencyCode;

/// Body of `POST /gateway/payment-methods`. The card number and CVC never leave this request:
/// the gateway keeps a token and the last four digits, and `Debug` redacts both.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePaymentMethod {
    pub card_number: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub cvc: String,
}

impl fmt::Debug for CreatePaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatePaymentMethod")
            .field("card_number", &"[redacted]")
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .field("cvc", &"[redacted]")
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CardBrand {
    Visa,
    Mastercard,
    Amex,
    Unknown,
}

/// A tokenised card: `paymentMethod` (`pm_…`) is what payment intents name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethod {
    pub payment_method: String,
    pub brand: CardBrand,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
}

/// Body of `POST /gateway/payment-intents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatePaymentIntent {
    pub amount_minor: i64,
    pub currency: CurrencyCode,
    pub payment_method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// `REQUIRES_CONFIRMATION` → (`PROCESSING` while a slow card answers) → `SUCCEEDED` or
/// `FAILED`. Both outcomes are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentIntentStatus {
    RequiresConfirmation,
    Processing,
    Succeeded,
    Failed,
}

/// Why a card was refused. The customer must use another card; retrying won't help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCode {
    CardDeclined,
    InsufficientFunds,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentIntent {
    pub id: String,
    pub amount_minor: i64,
    pub currency: CurrencyCode,
    pub payment_method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub status: PaymentIntentStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<FailureCode>,
    /// Sum of the refunds made so far.
    pub amount_refunded: i64,
    pub created_at: DateTime<Utc>,
}

/// Body of `POST /gateway/refunds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRefund {
    pub payment_intent: String,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundStatus {
    Succeeded,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub id: String,
    pub payment_intent: String,
    pub amount_minor: i64,
    pub currency: CurrencyCode,
    pub status: RefundStatus,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WebhookEventType {
    #[serde(rename = "payment_intent.succeeded")]
    PaymentIntentSucceeded,
    #[serde(rename = "payment_intent.payment_failed")]
    PaymentIntentPaymentFailed,
    #[serde(rename = "refund.succeeded")]
    RefundSucceeded,
}

/// The object an event is about: `paymentIntent` for `payment_intent.*`, `refund` for
/// `refund.*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEventData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_intent: Option<PaymentIntent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<Refund>,
}

/// What the gateway posts to the webhook URL, signed in the `Wayfarer-Signature` header.
/// Delivery is at least once and unordered: receivers deduplicate by `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: WebhookEventType,
    pub data: WebhookEventData,
    pub created: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_of_a_card_never_shows_its_number_or_cvc() {
        let card = CreatePaymentMethod {
            card_number: "4242424242424242".into(),
            exp_month: 12,
            exp_year: 2040,
            cvc: "123".into(),
        };
        let shown = format!("{card:?}");
        assert!(!shown.contains("4242"));
        assert!(!shown.contains("123"));
    }

    #[test]
    fn event_types_and_failure_codes_use_the_gateway_spelling() {
        assert_eq!(
            serde_json::to_value(WebhookEventType::PaymentIntentPaymentFailed).unwrap(),
            "payment_intent.payment_failed"
        );
        assert_eq!(
            serde_json::to_value(FailureCode::InsufficientFunds).unwrap(),
            "insufficient_funds"
        );
    }
}
