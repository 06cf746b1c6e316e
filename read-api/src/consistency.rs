//! Read-your-writes: a mutation returns the store position it wrote; a query that passes it
//! waits (bounded) until the projection it reads has applied that event.

use std::time::Duration;

use sqlx::PgPool;
use tokio::time::Instant;
use uuid::Uuid;
use wayfarer_projections::{itinerary, store};

use crate::error::{ApiError, ApiResult};

const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// The itinerary write a read-your-writes position refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItineraryWrite {
    pub position: i64,
    pub itinerary_id: Uuid,
    pub sequence: u64,
}

/// Looks the position up once; `None` for events of other aggregate types (nothing to wait for).
pub async fn locate_itinerary_write(
    pool: &PgPool,
    position: i64,
) -> ApiResult<Option<ItineraryWrite>> {
    let Some((aggregate_type, aggregate_id, sequence)) = store::locate(pool, position).await?
    else {
        return Err(ApiError::Validation(format!(
            "no event at position {position}"
        )));
    };
    if aggregate_type != wayfarer_schemas::itinerary::AGGREGATE_TYPE {
        return Ok(None);
    }
    Ok(Uuid::parse_str(&aggregate_id)
        .ok()
        .map(|itinerary_id| ItineraryWrite {
            position,
            itinerary_id,
            sequence: sequence as u64,
        }))
}

/// Waits until the PostgreSQL itinerary view has applied the event at `position`, returning
/// the write for further waits (`None`: not an itinerary event, nothing to wait for).
pub async fn wait_for_position_in_view(
    pool: &PgPool,
    position: i64,
    timeout: Duration,
) -> ApiResult<Option<ItineraryWrite>> {
    let write = locate_itinerary_write(pool, position).await?;
    if let Some(write) = &write {
        wait_for_itinerary_view(pool, write, timeout).await?;
    }
    Ok(write)
}

/// Waits until the PostgreSQL itinerary view has applied `write`.
pub async fn wait_for_itinerary_view(
    pool: &PgPool,
    write: &ItineraryWrite,
    timeout: Duration,
) -> ApiResult<()> {
    let deadline = Instant::now() + timeout;
    loop {
        // A database error is a failure (INTERNAL), not a read model that is merely behind.
        let current = itinerary::pg::version_of(pool, write.itinerary_id).await?;
        if current >= write.sequence {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(ApiError::NotYetConsistent(write.position));
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Waits until searches see the event's itinerary at least at its sequence (external
/// versioning makes `_version` the aggregate sequence).
pub async fn wait_for_search_index(
    client: &opensearch::OpenSearch,
    alias: &str,
    write: &ItineraryWrite,
    timeout: Duration,
) -> ApiResult<()> {
    let aggregate_id = write.itinerary_id.to_string();
    let sequence = write.sequence as i64;
    let position = write.position;
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
