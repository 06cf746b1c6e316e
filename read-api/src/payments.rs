//! Taking money through the payment gateway for a wallet top-up, paying a top-up back to its
//! card, and reading tokenised cards. The gateway is idempotent by key: the operation id is
//! the key, so a retried request (same `idempotencyKey`) finds the same payment or refund and
//! no card is charged or refunded twice.

use std::collections::BTreeMap;

use uuid::Uuid;
use wayfarer_schemas::PaymentMethodRef;
use wayfarer_suppliers::api::{
    CreatePaymentIntent, CreateRefund, CurrencyCode, PaymentIntentStatus,
};
use wayfarer_suppliers::client::{ClientError, GatewayClient};

use crate::error::ApiError;

/// What the gateway made of a top-up's payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenPayment {
    pub payment_intent_id: String,
}

/// One top-up to charge.
pub struct Charge<'a> {
    pub operation_id: Uuid,
    pub wallet_id: Uuid,
    pub owner: Uuid,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub payment_method: &'a str,
}

/// Whether `id` is shaped like the gateway's ids of one kind (`prefix` and letters, digits or
/// `_`, at most 100 bytes): anything else is refused before it reaches a URL or a request.
fn is_gateway_id(id: &str, prefix: &str) -> bool {
    id.starts_with(prefix)
        && id.len() <= 100
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A card token as the gateway issues them (`pm_…`).
fn check_token(token: &str) -> Result<(), ApiError> {
    if !is_gateway_id(token, "pm_") {
        return Err(ApiError::Validation(
            "paymentMethod must be a token the gateway issued (pm_…)".into(),
        ));
    }
    Ok(())
}

/// Charges the card and returns the succeeded payment, or why it was not taken.
pub async fn charge(gateway: &GatewayClient, charge: Charge<'_>) -> Result<TakenPayment, ApiError> {
    check_token(charge.payment_method)?;
    let currency = CurrencyCode::parse(charge.currency)
        .map_err(|_| ApiError::Validation("currency must be an ISO 4217 code".into()))?;
    let metadata = BTreeMap::from([
        ("walletId".to_owned(), charge.wallet_id.to_string()),
        ("operationId".to_owned(), charge.operation_id.to_string()),
        ("ownerId".to_owned(), charge.owner.to_string()),
    ]);
    let intent = gateway
        .create_payment_intent(
            &format!("top-up-{}", charge.operation_id),
            &CreatePaymentIntent {
                amount_minor: charge.amount_minor,
                currency,
                payment_method: charge.payment_method.to_owned(),
                description: Some("Wayfarer wallet top-up".into()),
                metadata,
            },
        )
        .await
        .map_err(gateway_error)?;
    let intent = match intent.status {
        PaymentIntentStatus::RequiresConfirmation => gateway
            .confirm_payment_intent(&intent.id)
            .await
            .map_err(gateway_error)?,
        _ => intent,
    };
    match intent.status {
        PaymentIntentStatus::Succeeded => Ok(TakenPayment {
            payment_intent_id: intent.id,
        }),
        PaymentIntentStatus::Failed => Err(ApiError::PaymentDeclined {
            decline_code: intent
                .failure_code
                .and_then(|code| serde_json::to_value(code).ok())
                .and_then(|code| code.as_str().map(str::to_owned))
                .unwrap_or_else(|| "declined".into()),
        }),
        PaymentIntentStatus::Processing | PaymentIntentStatus::RequiresConfirmation => {
            Err(ApiError::Unavailable(
                "the payment is still being processed; retry with the same idempotencyKey".into(),
            ))
        }
    }
}

/// A payment reference as the gateway issues them (`pi_…`).
pub fn check_payment_reference(reference: &str) -> Result<(), ApiError> {
    if !is_gateway_id(reference, "pi_") {
        return Err(ApiError::Validation(
            "paymentReference must be a top-up's payment reference (pi_…)".into(),
        ));
    }
    Ok(())
}

/// Pays `amount_minor` of the payment `payment_intent_id` back to its card, keyed by the
/// withdrawal's operation id; returns the gateway's refund id.
pub async fn refund(
    gateway: &GatewayClient,
    operation_id: Uuid,
    payment_intent_id: &str,
    amount_minor: i64,
) -> Result<String, ApiError> {
    check_payment_reference(payment_intent_id)?;
    let refund = gateway
        .create_refund(
            &format!("withdrawal-{operation_id}"),
            &CreateRefund {
                payment_intent: payment_intent_id.to_owned(),
                amount_minor,
            },
        )
        .await
        .map_err(gateway_error)?;
    Ok(refund.id)
}

/// The card behind a token the gateway issued (never its number).
pub async fn payment_method(
    gateway: &GatewayClient,
    token: &str,
) -> Result<PaymentMethodRef, ApiError> {
    check_token(token)?;
    let method = gateway
        .payment_method(token)
        .await
        .map_err(|error| match error.code() {
            Some("UNKNOWN_PAYMENT_METHOD") => {
                ApiError::Validation("the gateway issued no such payment method".into())
            }
            _ => gateway_error(error),
        })?;
    Ok(PaymentMethodRef {
        token: method.payment_method,
        brand: serde_json::to_value(method.brand)
            .ok()
            .and_then(|brand| brand.as_str().map(str::to_owned))
            .unwrap_or_else(|| "UNKNOWN".into()),
        last4: method.last4,
        exp_month: u32::from(method.exp_month),
        exp_year: i32::from(method.exp_year),
    })
}

/// The API's reading of a gateway failure: what the caller can do about it.
fn gateway_error(error: ClientError) -> ApiError {
    match &error {
        ClientError::Timeout { .. } | ClientError::Unavailable { .. } => {
            tracing::warn!(%error, "the payment gateway did not answer");
            ApiError::Unavailable(
                "the payment gateway did not answer; retry with the same idempotencyKey".into(),
            )
        }
        ClientError::Rejected { code, message, .. } => match code.as_str() {
            "IDEMPOTENCY_KEY_REUSED" => {
                ApiError::Conflict("this idempotencyKey was used for a different top-up".into())
            }
            "UNKNOWN_PAYMENT_METHOD" => {
                ApiError::Validation("the gateway issued no such payment method".into())
            }
            _ => ApiError::Validation(format!("the payment gateway refused: {message}")),
        },
        ClientError::Decode { .. } => ApiError::internal(error),
    }
}
