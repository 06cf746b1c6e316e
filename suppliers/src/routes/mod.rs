//! The HTTP surface: which path goes to which handler, and which routes faults apply to.

mod admin;
mod gateway;
mod suppliers;

use axum::http::StatusCode;
use axum::routing::get;
use axum::{middleware, Router};

use crate::error::ApiError;
use crate::faults;
use crate::simulator::Simulator;

/// Every endpoint of the simulators. Supplier and gateway routes pass through fault
/// injection; admin, health and the supplier list do not.
pub fn router(simulator: Simulator) -> Router {
    let faulted =
        suppliers::routes()
            .merge(gateway::routes())
            .route_layer(middleware::from_fn_with_state(
                simulator.clone(),
                faults::inject,
            ));
    Router::new()
        .route("/health", get(health))
        .route("/suppliers", get(suppliers::list))
        .merge(faulted)
        .merge(admin::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(simulator)
}

async fn health() -> StatusCode {
    StatusCode::OK
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
