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

/// Waits until searches see the event's itinerary at least at its sequence (external
/// versioning makes `_version` the aggregate sequence).
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
        // Ask the search side, not a realtime GET: a document is readable by id before a
        // refresh makes it searchable.
        let response = client
            .search(opensearch::SearchParts::Index(&[alias]))
            .body(serde_json::json!({
                "query": { "bool": { "filter": [{ "term": { "id": aggregate_id } }] } },
                "version": true,
                "_source": false
            }))
            .send()
            .await
            .map_err(ApiError::internal)?;
        if response.status_code().is_success() {
            let body: serde_json::Value = response.json().await.map_err(ApiError::internal)?;
            let version = body["hits"]["hits"][0]["_version"].as_i64().unwrap_or(0);
            if version >= sequence {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            return Err(ApiError::NotYetConsistent(position));
        }
        tokio::time::sleep(POLL_INTERVAL * 4).await;
    }
}
