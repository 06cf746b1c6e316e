//! Payment gateway endpoints. State changes are answered first; their webhook events are
//! sent in the background.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;

use crate::api::{
    CreatePaymentIntent, CreatePaymentMethod, CreateRefund, PaymentIntent, PaymentMethod, Refund,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, IdempotencyKey};
use crate::gateway::{ConfirmStart, Settled};
use crate::simulator::Simulator;

pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/gateway/payment-methods", post(create_payment_method))
        .route("/gateway/payment-methods/{token}", get(payment_method))
        .route("/gateway/payment-intents", post(create_payment_intent))
        .route("/gateway/payment-intents/{id}", get(payment_intent))
        .route(
            "/gateway/payment-intents/{id}/confirm",
            post(confirm_payment_intent),
        )
        .route("/gateway/refunds", post(create_refund))
        .route("/gateway/refunds/{id}", get(refund))
}

fn created_or_replayed(replayed: bool) -> StatusCode {
    if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    }
}

async fn create_payment_method(
    State(simulator): State<Simulator>,
    ApiJson(card): ApiJson<CreatePaymentMethod>,
) -> Result<(StatusCode, Json<PaymentMethod>), ApiError> {
    let method = simulator.gateway().tokenise(&card, Utc::now())?;
    Ok((StatusCode::CREATED, Json(method)))
}

async fn payment_method(
    State(simulator): State<Simulator>,
    Path(token): Path<String>,
) -> Result<Json<PaymentMethod>, ApiError> {
    Ok(Json(simulator.gateway().method(&token)?))
}

async fn create_payment_intent(
    State(simulator): State<Simulator>,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(request): ApiJson<CreatePaymentIntent>,
) -> Result<(StatusCode, Json<PaymentIntent>), ApiError> {
    let created = simulator
        .gateway()
        .create_intent(&key, &request, Utc::now())?;
    Ok((created_or_replayed(created.replayed), Json(created.intent)))
}

async fn payment_intent(
    State(simulator): State<Simulator>,
    Path(id): Path<String>,
) -> Result<Json<PaymentIntent>, ApiError> {
    Ok(Json(simulator.gateway().intent(&id)?))
}

/// Answers once the card has answered: at once, or after the slow card's delay.
#[tracing::instrument(skip_all, fields(payment_intent = %id))]
async fn confirm_payment_intent(
    State(simulator): State<Simulator>,
    Path(id): Path<String>,
) -> Result<Json<PaymentIntent>, ApiError> {
    let start = simulator.gateway().begin_confirm(&id, Utc::now())?;
    let settled = match start {
        ConfirmStart::Settled(settled) => *settled,
        ConfirmStart::Slow => {
            // The slow card completes in its own task, so the payment settles (and its
            // event is sent) even if this caller stops waiting.
            let delay = simulator.config().gateway_slow_delay;
            let background = simulator.clone();
            let completion = tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let mut settled = background.gateway().finish_slow_confirm(&id, Utc::now())?;
                if let Some(event) = settled.event.take() {
                    background.webhooks().dispatch(event);
                }
                Ok::<Settled, ApiError>(settled)
            });
            completion.await.map_err(|error| {
                tracing::error!(%error, "slow card completion task failed");
                ApiError::Internal
            })??
        }
    };
    if let Some(event) = settled.event {
        simulator.webhooks().dispatch(event);
    }
    Ok(Json(settled.intent))
}

async fn create_refund(
    State(simulator): State<Simulator>,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(request): ApiJson<CreateRefund>,
) -> Result<(StatusCode, Json<Refund>), ApiError> {
    let created = simulator.gateway().refund(&key, &request, Utc::now())?;
    if let Some(event) = created.event {
        simulator.webhooks().dispatch(event);
    }
    Ok((created_or_replayed(created.replayed), Json(created.refund)))
}

async fn refund(
    State(simulator): State<Simulator>,
    Path(id): Path<String>,
) -> Result<Json<Refund>, ApiError> {
    Ok(Json(simulator.gateway().refund_by_id(&id)?))
}
