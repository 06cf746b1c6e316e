//! Idempotency keys for the account mutations, which do not go through the event store: the
//! first answer to a key is stored and a repeat with the same input gets it again; the same
//! key with another input is `CONFLICT`. A retried `refreshToken` thus gets its new pair
//! instead of tripping reuse detection, and a retried `register` its tokens instead of "email
//! taken".
//!
//! Answers that hold tokens or secrets are sealed with the person's data key (so they are
//! erased with the person); the request's fingerprint is keyed (HMAC), since the inputs hold
//! passwords.

use std::future::Future;

use async_graphql::Context;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::Sha256;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::graphql::context::caller;
use crate::graphql::resolve::fingerprint;
use crate::state::ApiState;

/// One keyed request: whose, which key, and what was asked.
pub struct RequestKey {
    scope: String,
    key: Uuid,
    fingerprint: String,
}

impl RequestKey {
    /// The request's key, scoped to the signed-in caller (or to anonymous callers).
    pub fn of(ctx: &Context<'_>, api: &ApiState, key: Option<Uuid>) -> Option<Self> {
        let key = key?;
        let scope = match caller(ctx) {
            Some(user_id) => user_id.to_string(),
            None => "anonymous".to_owned(),
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&api.fingerprint_secret)
            .expect("HMAC takes a key of any length");
        mac.update(fingerprint(ctx).as_bytes());
        Some(Self {
            scope,
            key,
            fingerprint: format!("{:x}", mac.finalize().into_bytes()),
        })
    }
}

#[derive(sqlx::FromRow)]
struct Stored {
    fingerprint: String,
    outcome: String,
}

async fn recorded<T: DeserializeOwned>(
    api: &ApiState,
    request: &RequestKey,
) -> ApiResult<Option<T>> {
    let stored: Option<Stored> = sqlx::query_as(
        "SELECT fingerprint, outcome FROM account_requests WHERE scope = $1 AND idempotency_key = $2",
    )
    .bind(&request.scope)
    .bind(request.key)
    .fetch_optional(&api.pool)
    .await?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    if stored.fingerprint != request.fingerprint {
        return Err(ApiError::Conflict(
            "this idempotency key was already used for a different request".to_owned(),
        ));
    }
    let mut connection = api.pool.acquire().await?;
    let opened = api
        .vault
        .open(&mut connection, &stored.outcome)
        .await
        .map_err(ApiError::internal)?;
    let value: Value = serde_json::from_str(&opened).map_err(ApiError::internal)?;
    if value["personal"] == json!({}) {
        // The person was forgotten since: the answer went with them.
        return Err(ApiError::NotFound(
            "the account no longer exists".to_owned(),
        ));
    }
    serde_json::from_value(value["personal"].clone())
        .map(Some)
        .map_err(ApiError::internal)
}

async fn remember<T: Serialize>(
    api: &ApiState,
    request: &RequestKey,
    subject: Option<Uuid>,
    outcome: &T,
) -> ApiResult<()> {
    let value = json!({ "personal": outcome });
    let text = match subject {
        Some(subject) => {
            let mut connection = api.pool.acquire().await?;
            api.vault
                .seal(&mut connection, subject, value)
                .await
                .map_err(ApiError::internal)?
        }
        None => value.to_string(),
    };
    sqlx::query(
        "INSERT INTO account_requests (scope, idempotency_key, fingerprint, outcome) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(&request.scope)
    .bind(request.key)
    .bind(&request.fingerprint)
    .bind(text)
    .execute(&api.pool)
    .await?;
    Ok(())
}

/// Runs `operation` once per key: a repeat gets the first answer. `subject` names the person
/// whose key seals the answer (`None`: nothing secret in it). A run that fails because a
/// concurrent twin of it succeeded answers with the twin's result.
pub async fn once<T, F>(
    api: &ApiState,
    request: Option<RequestKey>,
    subject: impl FnOnce(&T) -> Option<Uuid>,
    operation: F,
) -> ApiResult<T>
where
    T: Serialize + DeserializeOwned,
    F: Future<Output = ApiResult<T>>,
{
    let Some(request) = request else {
        return operation.await;
    };
    if let Some(answer) = recorded(api, &request).await? {
        return Ok(answer);
    }
    match operation.await {
        Ok(answer) => {
            remember(api, &request, subject(&answer), &answer).await?;
            Ok(answer)
        }
        Err(error) => match recorded(api, &request).await? {
            Some(answer) => Ok(answer),
            None => Err(error),
        },
    }
}

/// Drops keys older than a day.
pub async fn purge_expired(pool: &sqlx::PgPool) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM account_requests WHERE created_at < now() - interval '24 hours'")
            .execute(pool)
            .await?
            .rows_affected(),
    )
}
