//! Events of the Wallet aggregate (topic `wayfarer.wallet`): one wallet per person and
//! currency, holding money in integer minor units. Money comes in through the payment
//! gateway (a top-up), is held for a booking, then captured (paid) or released, and comes
//! back by refund. Each movement names the operation that caused it, so it is applied once.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Aggregate type name, used in the store and in the topic name.
pub const AGGREGATE_TYPE: &str = "wallet";

/// Current schema version of every wallet event.
///
/// - `1.0`: the first published version.
pub const EVENT_VERSION: &str = "1.0";

/// Names wallet ids (version 5): a person's wallet in a currency has one id everywhere.
const WALLET_NAMESPACE: Uuid = Uuid::from_u128(0x3c1d_8a52_77e4_4f0b_9b6a_1e2f_4d5c_6b7a);

/// The id of `owner`'s wallet in `currency` (an ISO 4217 code).
pub fn wallet_id(owner: Uuid, currency: &str) -> Uuid {
    Uuid::new_v5(&WALLET_NAMESPACE, format!("{owner}/{currency}").as_bytes())
}

/// A card as the payment gateway tokenised it: never the card number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodRef {
    /// The gateway's token (`pm_…`).
    pub token: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
}

/// Everything that can happen to a wallet. Past tense; internally tagged by `type`.
/// Amounts are positive integer minor units of the wallet's currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum WalletEvent {
    /// The wallet's first event.
    WalletOpened {
        owner_id: Uuid,
        currency: String,
        opened_at: DateTime<Utc>,
    },
    /// Money paid in through the gateway (`payment_intent_id` is the gateway's proof).
    FundsDeposited {
        operation_id: Uuid,
        amount_minor: i64,
        payment_intent_id: String,
        deposited_at: DateTime<Utc>,
    },
    /// Money set aside for a booking: no longer available, not yet paid. The operation id
    /// is the hold's id.
    FundsHeld {
        operation_id: Uuid,
        amount_minor: i64,
        booking_id: Option<Uuid>,
        held_at: DateTime<Utc>,
    },
    /// A hold paid out in full.
    HoldCaptured {
        operation_id: Uuid,
        hold_id: Uuid,
        amount_minor: i64,
        booking_id: Option<Uuid>,
        captured_at: DateTime<Utc>,
    },
    /// A hold given back (the booking did not go ahead).
    HoldReleased {
        operation_id: Uuid,
        hold_id: Uuid,
        amount_minor: i64,
        released_at: DateTime<Utc>,
    },
    /// Money paid for a booking that came back (a cancellation, by its policy).
    FundsRefunded {
        operation_id: Uuid,
        amount_minor: i64,
        booking_id: Option<Uuid>,
        refunded_at: DateTime<Utc>,
    },
    /// `refundPayment`: part or all of a top-up paid back to the card it came from (the
    /// gateway's refund of `payment_intent_id`, made with this operation id as its key).
    FundsWithdrawn {
        operation_id: Uuid,
        amount_minor: i64,
        payment_intent_id: String,
        withdrawn_at: DateTime<Utc>,
    },
    /// The card top-ups are charged to.
    PaymentMethodUpdated {
        payment_method: PaymentMethodRef,
        updated_at: DateTime<Utc>,
    },
}

impl crate::EventContract for WalletEvent {
    const AGGREGATE_TYPE: &'static str = AGGREGATE_TYPE;
    const VERSION: &'static str = EVENT_VERSION;
    const EVENT_TYPES: &'static [&'static str] = &[
        "WalletOpened",
        "FundsDeposited",
        "FundsHeld",
        "HoldCaptured",
        "HoldReleased",
        "FundsRefunded",
        "FundsWithdrawn",
        "PaymentMethodUpdated",
    ];

    fn event_type(&self) -> &'static str {
        match self {
            WalletEvent::WalletOpened { .. } => "WalletOpened",
            WalletEvent::FundsDeposited { .. } => "FundsDeposited",
            WalletEvent::FundsHeld { .. } => "FundsHeld",
            WalletEvent::HoldCaptured { .. } => "HoldCaptured",
            WalletEvent::HoldReleased { .. } => "HoldReleased",
            WalletEvent::FundsRefunded { .. } => "FundsRefunded",
            WalletEvent::FundsWithdrawn { .. } => "FundsWithdrawn",
            WalletEvent::PaymentMethodUpdated { .. } => "PaymentMethodUpdated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_has_one_wallet_per_currency() {
        let ada = Uuid::from_u128(1);
        assert_eq!(wallet_id(ada, "EUR"), wallet_id(ada, "EUR"));
        assert_ne!(wallet_id(ada, "EUR"), wallet_id(ada, "USD"));
        assert_ne!(wallet_id(ada, "EUR"), wallet_id(Uuid::from_u128(2), "EUR"));
    }
}
