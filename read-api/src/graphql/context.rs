//! Per-request data: who is calling and which flow the request belongs to.

use async_graphql::Context;
use uuid::Uuid;

pub use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::ApiState;

/// Correlation id of the request (from `x-correlation-id`, or fresh).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorrelationId(pub Uuid);

pub fn state<'a>(ctx: &Context<'a>) -> &'a ApiState {
    ctx.data_unchecked::<ApiState>()
}

/// The signed-in caller, while their access token is valid. A WebSocket connection keeps the
/// caller it was opened with, so the expiry is checked on every operation, not only once.
pub fn caller(ctx: &Context<'_>) -> Option<Uuid> {
    if ctx
        .data_opt::<crate::auth::AccessRevoked>()
        .is_some_and(|revoked| revoked.is_set())
    {
        return None;
    }
    ctx.data_opt::<Caller>()
        .filter(|caller| caller.expires_at >= chrono::Utc::now().timestamp())
        .map(|caller| caller.user_id)
}

pub fn require_caller(ctx: &Context<'_>) -> ApiResult<Uuid> {
    caller(ctx).ok_or(ApiError::Unauthenticated)
}

pub fn correlation_id(ctx: &Context<'_>) -> Uuid {
    ctx.data_opt::<CorrelationId>()
        .map(|c| c.0)
        .unwrap_or_else(Uuid::now_v7)
}
