//! Admin endpoints: faults, hold time and the webhook URL, changed while the simulator runs.
//! Never faulted themselves, so a test can always switch a fault off again.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

use crate::api::{FaultSettings, HoldTtl, WebhookEndpoint};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::simulator::Simulator;

/// Longest hold that can be set (a week).
const MAX_HOLD_SECONDS: u64 = 7 * 24 * 3600;

pub fn routes() -> Router<Simulator> {
    Router::new()
        .route(
            "/admin/faults/{target}",
            get(faults).put(set_faults).delete(reset_faults),
        )
        .route("/admin/hold-ttl", get(hold_ttl).put(set_hold_ttl))
        .route("/admin/gateway/webhook", get(webhook).put(set_webhook))
}

async fn faults(
    State(simulator): State<Simulator>,
    Path(target): Path<String>,
) -> Result<Json<FaultSettings>, ApiError> {
    Ok(Json(simulator.faults().settings(&target)?))
}

async fn set_faults(
    State(simulator): State<Simulator>,
    Path(target): Path<String>,
    ApiJson(settings): ApiJson<FaultSettings>,
) -> Result<Json<FaultSettings>, ApiError> {
    Ok(Json(simulator.faults().set(&target, settings)?))
}

async fn reset_faults(
    State(simulator): State<Simulator>,
    Path(target): Path<String>,
) -> Result<Json<FaultSettings>, ApiError> {
    Ok(Json(simulator.faults().reset(&target)?))
}

async fn hold_ttl(State(simulator): State<Simulator>) -> Json<HoldTtl> {
    Json(HoldTtl {
        seconds: simulator.hold_ttl().as_secs(),
    })
}

/// Applies to holds made from now on; existing holds keep their expiry.
async fn set_hold_ttl(
    State(simulator): State<Simulator>,
    ApiJson(ttl): ApiJson<HoldTtl>,
) -> Result<Json<HoldTtl>, ApiError> {
    if !(1..=MAX_HOLD_SECONDS).contains(&ttl.seconds) {
        return Err(ApiError::InvalidRequest(format!(
            "seconds must be between 1 and {MAX_HOLD_SECONDS}"
        )));
    }
    simulator.set_hold_ttl(Duration::from_secs(ttl.seconds));
    tracing::info!(seconds = ttl.seconds, "hold time set");
    Ok(Json(ttl))
}

async fn webhook(State(simulator): State<Simulator>) -> Json<WebhookEndpoint> {
    Json(WebhookEndpoint {
        url: simulator.webhooks().url(),
    })
}

async fn set_webhook(
    State(simulator): State<Simulator>,
    ApiJson(endpoint): ApiJson<WebhookEndpoint>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    if let Some(url) = &endpoint.url {
        let parsed = reqwest::Url::parse(url)
            .map_err(|error| ApiError::InvalidRequest(format!("url: {error}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ApiError::InvalidRequest("url must be http or https".into()));
        }
    }
    simulator.webhooks().set_url(endpoint.url.clone());
    tracing::info!(url = ?endpoint.url, "webhook url set");
    Ok(Json(endpoint))
}
