//! Consumer checkpoints and per-projection state, stored in PostgreSQL.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// What one batch consumed: the next offset per partition and the highest store position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchProgress {
    /// `(topic, partition, next offset to read)`.
    pub offsets: Vec<(String, i32, i64)>,
    pub max_position: i64,
    pub events: i64,
}

/// Takes the projection's state row lock (creating the row on first use). Live batches and a
/// rebuild's swap both take it first, which serialises them without deadlocks.
pub async fn lock_state(
    connection: &mut PgConnection,
    projection: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO projection_state (projection) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(projection)
        .execute(&mut *connection)
        .await?;
    sqlx::query("SELECT 1 FROM projection_state WHERE projection = $1 FOR UPDATE")
        .bind(projection)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Records a batch's progress. Offsets only move forward, so a redelivered batch is harmless.
pub async fn record(
    connection: &mut PgConnection,
    projection: &str,
    progress: &BatchProgress,
) -> Result<(), sqlx::Error> {
    if !progress.offsets.is_empty() {
        sqlx::query(
            "INSERT INTO projection_offsets (projection, topic, partition, next_offset) \
             SELECT $1, * FROM UNNEST($2::text[], $3::int4[], $4::int8[]) \
             ON CONFLICT (projection, topic, partition) DO UPDATE SET \
             next_offset = GREATEST(projection_offsets.next_offset, excluded.next_offset), \
             updated_at = now()",
        )
        .bind(projection)
        .bind(
            progress
                .offsets
                .iter()
                .map(|o| o.0.clone())
                .collect::<Vec<_>>(),
        )
        .bind(progress.offsets.iter().map(|o| o.1).collect::<Vec<_>>())
        .bind(progress.offsets.iter().map(|o| o.2).collect::<Vec<_>>())
        .execute(&mut *connection)
        .await?;
    }
    sqlx::query(
        "INSERT INTO projection_state (projection, last_position, events_applied) \
         VALUES ($1, $2, $3) ON CONFLICT (projection) DO UPDATE SET \
         last_position = GREATEST(projection_state.last_position, excluded.last_position), \
         events_applied = projection_state.events_applied + excluded.events_applied, \
         updated_at = now()",
    )
    .bind(projection)
    .bind(progress.max_position)
    .bind(progress.events)
    .execute(&mut *connection)
    .await?;
    // Wakes read-your-writes waiters when (and only if) this transaction commits.
    sqlx::query("SELECT pg_notify($1, current_schema() || ':' || $2)")
        .bind(PROGRESS_CHANNEL)
        .bind(projection)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// The PostgreSQL notification channel on which every recorded batch is announced, as
/// `<schema>:<projection>`.
pub const PROGRESS_CHANNEL: &str = "wayfarer_progress";

/// Claims the processed-event markers of a multi-stream projection; returns the ids not
/// processed before (only those may be applied, in the same transaction).
pub async fn claim_unprocessed(
    connection: &mut PgConnection,
    projection: &str,
    event_ids: &[uuid::Uuid],
) -> Result<std::collections::HashSet<uuid::Uuid>, sqlx::Error> {
    let claimed: Vec<(uuid::Uuid,)> = sqlx::query_as(
        "INSERT INTO projection_processed (projection, event_id) SELECT $1, * FROM UNNEST($2::uuid[]) \
         ON CONFLICT DO NOTHING RETURNING event_id",
    )
    .bind(projection)
    .bind(event_ids)
    .fetch_all(connection)
    .await?;
    Ok(claimed.into_iter().map(|(id,)| id).collect())
}

/// Next offset to read per `(topic, partition)` for a projection.
pub async fn load_offsets(
    pool: &PgPool,
    projection: &str,
) -> Result<HashMap<(String, i32), i64>, sqlx::Error> {
    let rows: Vec<(String, i32, i64)> = sqlx::query_as(
        "SELECT topic, partition, next_offset FROM projection_offsets WHERE projection = $1",
    )
    .bind(projection)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(t, p, o)| ((t, p), o)).collect())
}

/// One projection's progress, for `wayfarer projections status`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProjectionStatus {
    pub projection: String,
    pub last_position: i64,
    pub events_applied: i64,
    pub rebuilt_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

pub async fn status(
    pool: &PgPool,
    projection: &str,
) -> Result<Option<ProjectionStatus>, sqlx::Error> {
    sqlx::query_as(
        "SELECT projection, last_position, events_applied, rebuilt_at, updated_at \
         FROM projection_state WHERE projection = $1",
    )
    .bind(projection)
    .fetch_optional(pool)
    .await
}

/// Marks a completed rebuild and moves the position forward to what it covered.
pub async fn mark_rebuilt(
    connection: &mut PgConnection,
    projection: &str,
    position: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE projection_state SET rebuilt_at = now(), updated_at = now(), \
         last_position = GREATEST(last_position, $2) WHERE projection = $1",
    )
    .bind(projection)
    .bind(position)
    .execute(connection)
    .await?;
    Ok(())
}
