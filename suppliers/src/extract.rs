//! Request extractors that refuse bad input with the simulators' JSON error body.
//!
//! axum's own `Json` and `Query` answer malformed input with plain text; callers of these
//! simulators branch on the `error` code, so every refusal must be an [`ApiError`].

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::Json;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The header every retried write carries.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";
const MAX_KEY_LENGTH: usize = 255;

/// A JSON body; malformed → 400 `INVALID_REQUEST`.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::InvalidRequest(rejection.body_text())),
        }
    }
}

/// A query string; malformed (a bad date, a missing field) → 400 `INVALID_REQUEST`.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::InvalidRequest(rejection.body_text())),
        }
    }
}

/// The `Idempotency-Key` header: required, 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(pub String);

impl<S> FromRequestParts<S> for IdempotencyKey
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let key = parts
            .headers
            .get(IDEMPOTENCY_KEY_HEADER)
            .and_then(|value| value.to_str().ok())
            .filter(|key| {
                (1..=MAX_KEY_LENGTH).contains(&key.len())
                    && key.bytes().all(|b| b.is_ascii_graphic())
            })
            .ok_or(ApiError::MissingIdempotencyKey)?;
        Ok(Self(key.to_owned()))
    }
}
