//! Idempotency keys: a client that lost a response can send the same request again with the
//! same key and get the original outcome, with nothing stored twice.
//!
//! A key is scoped to its caller and recorded by the very statement that appends the
//! command's events (see [`crate::store`]), so a key exists exactly when its effect does.
//! Two requests racing with one key: one commits, the other's statement hits the key's
//! primary key and answers with the winner's outcome. The same key with a different request
//! (another fingerprint) is refused. Keys are kept at least [`KEY_RETENTION`].

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use crate::error::StoreError;

/// How long a key is honoured at least; older keys are purged by [`purge_expired`].
pub const KEY_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// A client's idempotency key for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// Whose key it is (the acting user): keys of different callers never meet.
    pub scope: String,
    pub key: Uuid,
    /// A digest of the request (operation and arguments), to tell a retry from a new request.
    pub fingerprint: String,
}

/// What the first request with a key wrote.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredOutcome {
    pub fingerprint: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub position: i64,
    pub version: i64,
}

pub(crate) async fn find(
    pool: &PgPool,
    claim: &IdempotencyClaim,
) -> Result<Option<StoredOutcome>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT fingerprint, aggregate_type, aggregate_id, position, version \
         FROM command_idempotency WHERE scope = $1 AND idempotency_key = $2",
    )
    .bind(&claim.scope)
    .bind(claim.key)
    .fetch_optional(pool)
    .await?)
}

/// Deletes keys older than [`KEY_RETENTION`]; returns how many.
pub async fn purge_expired(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let result = sqlx::query(
        "DELETE FROM command_idempotency WHERE created_at < now() - make_interval(secs => $1)",
    )
    .bind(KEY_RETENTION.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(result.rows_affected())
}
