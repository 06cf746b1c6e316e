//! Read-your-writes: a mutation returns the store position it wrote; a query that passes it
//! waits (bounded) until the projection it reads has applied that event.

use std::time::Duration;

use sqlx::PgPool;
use tokio::time::Instant;
use uuid::Uuid;
use wayfarer_projections::{itinerary, store};

use crate::error::{ApiError, ApiResult};

const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// Waits until the PostgreSQL itinerary view has applied the event at `position`. Positions
/// of other aggregate types, or unknown ones, need no wait.
pub async fn wait_for_itinerary_view(
    pool: &PgPool,
    position: i64,
    timeout: Duration,
) -> ApiResult<()> {
    let Some((aggregate_type, aggregate_id, sequence)) = store::locate(pool, position).await?
    else {
        return Err(ApiError::Validation(format!(
            "no event at position {position}"
        )));
    };
    if aggregate_type != wayfarer_schemas::itinerary::AGGREGATE_TYPE {
        return Ok(());
    }
    let Ok(id) = Uuid::parse_str(&aggregate_id) else {
        return Ok(());
    };
    wait_for_version(pool, id, sequence as u64, timeout)
        .await
        .map_err(|_| ApiError::NotYetConsistent(position))
}

/// Waits until the view of `id` has at least `version`. `Err(())` on timeout.
pub async fn wait_for_version(
    pool: &PgPool,
    id: Uuid,
    version: u64,
    timeout: Duration,
) -> Result<(), ()> {
    let deadline = Instant::now() + timeout;
    loop {
        let current = itinerary::pg::version_of(pool, id).await.map_err(|_| ())?;
        if current >= version {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(());
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Waits until the OpenSearch document of the event's itinerary carries at least its sequence
/// as version (external versioning makes `_version` the aggregate sequence).
pub async fn wait_for_search_index(
    pool: &PgPool,
    client: &opensearch::OpenSearch,
    alias: &str,
    position: i64,
    timeout: Duration,
) -> ApiResult<()> {
    let Some((aggregate_type, aggregate_id, sequence)) = store::locate(pool, position).await?
    else {
        return Err(ApiError::Validation(format!(
            "no event at position {position}"
        )));
    };
    if aggregate_type != wayfarer_schemas::itinerary::AGGREGATE_TYPE {
        return Ok(());
    }
    let deadline = Instant::now() + timeout;
    loop {
        let response = client
            .get(opensearch::GetParts::IndexId(alias, &aggregate_id))
            .send()
            .await
            .map_err(ApiError::internal)?;
        if response.status_code().is_success() {
            let body: serde_json::Value = response.json().await.map_err(ApiError::internal)?;
            if body["_version"].as_i64().unwrap_or(0) >= sequence {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            return Err(ApiError::NotYetConsistent(position));
        }
        tokio::time::sleep(POLL_INTERVAL * 4).await;
    }
}
