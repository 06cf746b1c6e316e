//! `POST /webhooks/gateway`: the payment gateway's signed events. A top-up's succeeded
//! payment is deposited into the wallet its metadata names, under the top-up's own operation
//! id: when the API recorded it already (the usual case) nothing changes; when the API was
//! cut off between the charge and the record and the caller never retried, the money still
//! reaches the wallet, once.
//!
//! The signature is checked on the raw bytes before anything is parsed; a bad one is 400 and
//! nothing is done. Events that concern nothing here are acknowledged and ignored. A store
//! that cannot take the deposit answers 503, so the gateway delivers again.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use uuid::Uuid;
use wayfarer_commands::{CommandError, CommandRequest};
use wayfarer_domain::{CurrencyCode, WalletActor, WalletCommand, WalletContext};
use wayfarer_schemas::{wallet_id, EventMetadata};
use wayfarer_suppliers::api::{PaymentIntent, WebhookEvent, WebhookEventType};
use wayfarer_suppliers::{verify_webhook_signature, SIGNATURE_HEADER};

use crate::state::ApiState;

/// How far a signature's timestamp may be from now (a replay older than this is refused).
const TOLERANCE: Duration = Duration::from_secs(300);

/// What a top-up's payment says about the deposit it pays for (the API sets its metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopUp {
    pub operation_id: Uuid,
    pub wallet_id: Uuid,
    pub owner: Uuid,
    pub currency: CurrencyCode,
    pub amount_minor: i64,
    pub payment_intent_id: String,
}

impl TopUp {
    /// The top-up a succeeded payment pays for, if it is one: its metadata names the
    /// operation, the owner and the wallet, and the wallet is the owner's in the payment's
    /// currency.
    pub fn of(intent: &PaymentIntent) -> Option<Self> {
        let uuid = |key: &str| {
            intent
                .metadata
                .get(key)
                .and_then(|v| Uuid::parse_str(v).ok())
        };
        let (operation_id, wallet, owner) =
            (uuid("operationId")?, uuid("walletId")?, uuid("ownerId")?);
        let currency = CurrencyCode::parse(intent.currency.as_str()).ok()?;
        if wallet != wallet_id(owner, currency.as_str()) {
            return None;
        }
        Some(Self {
            operation_id,
            wallet_id: wallet,
            owner,
            currency,
            amount_minor: intent.amount_minor,
            payment_intent_id: intent.id.clone(),
        })
    }
}

/// Handles one delivery; the status answers the gateway.
pub async fn receive(api: &ApiState, headers: &HeaderMap, body: &Bytes) -> StatusCode {
    let Some(signature) = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
    else {
        return StatusCode::BAD_REQUEST;
    };
    let secret = &api.settings.payments.webhook_secret;
    if let Err(error) = verify_webhook_signature(secret, signature, body, Utc::now(), TOLERANCE) {
        tracing::warn!(%error, "gateway webhook refused");
        return StatusCode::BAD_REQUEST;
    }
    let Ok(event) = serde_json::from_slice::<WebhookEvent>(body) else {
        return StatusCode::BAD_REQUEST;
    };
    let top_up = match (&event.event_type, &event.data.payment_intent) {
        (WebhookEventType::PaymentIntentSucceeded, Some(intent)) => TopUp::of(intent),
        _ => None,
    };
    let Some(top_up) = top_up else {
        return StatusCode::OK;
    };
    deposit(api, &event.id, top_up).await
}

async fn deposit(api: &ApiState, event_id: &str, top_up: TopUp) -> StatusCode {
    let command_id = Uuid::new_v5(&top_up.operation_id, b"gateway-webhook");
    let outcome = api
        .wallets
        .execute(CommandRequest {
            aggregate_id: top_up.wallet_id.to_string(),
            command: WalletCommand::Deposit {
                context: WalletContext {
                    actor: WalletActor::Payments,
                    owner: top_up.owner,
                    currency: top_up.currency,
                    now: Utc::now(),
                },
                operation_id: top_up.operation_id,
                amount_minor: top_up.amount_minor,
                payment_intent_id: top_up.payment_intent_id,
            },
            metadata: EventMetadata {
                actor: None,
                command_id,
                correlation_id: top_up.operation_id,
                causation_id: command_id,
            },
            idempotency: None,
        })
        .await;
    match outcome {
        Ok(_) => StatusCode::OK,
        // The wallet refuses it for good (the operation id was used for another movement, or
        // the balance is at its limit): delivering again would not change that.
        Err(CommandError::Rejected(refusal)) => {
            tracing::error!(event_id, %refusal, "a top-up's payment cannot be deposited");
            StatusCode::OK
        }
        Err(error) => {
            tracing::warn!(event_id, %error, "a top-up's payment is not deposited yet");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use wayfarer_suppliers::api::PaymentIntentStatus;

    use super::*;

    fn intent(metadata: BTreeMap<String, String>) -> PaymentIntent {
        PaymentIntent {
            id: "pi_1".into(),
            amount_minor: 50_00,
            currency: wayfarer_suppliers::api::CurrencyCode::EUR,
            payment_method: "pm_1".into(),
            description: None,
            metadata,
            status: PaymentIntentStatus::Succeeded,
            failure_code: None,
            amount_refunded: 0,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn a_payment_is_a_top_up_only_when_its_metadata_names_the_owners_wallet() {
        let owner = Uuid::from_u128(1);
        let operation = Uuid::from_u128(2);
        let named = |wallet: Uuid| {
            BTreeMap::from([
                ("operationId".to_owned(), operation.to_string()),
                ("walletId".to_owned(), wallet.to_string()),
                ("ownerId".to_owned(), owner.to_string()),
            ])
        };
        let top_up = TopUp::of(&intent(named(wallet_id(owner, "EUR")))).unwrap();
        assert_eq!(top_up.operation_id, operation);
        assert_eq!(top_up.amount_minor, 50_00);
        assert_eq!(TopUp::of(&intent(named(wallet_id(owner, "USD")))), None);
        assert_eq!(TopUp::of(&intent(BTreeMap::new())), None);
    }
}
