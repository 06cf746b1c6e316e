//! Dead letters: events a projection could not decode or apply after bounded retries. The
//! projection steps over them (it never stalls), and they wait here, listed and counted,
//! until `wayfarer dlq replay` re-applies them after a fix.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

/// One event a projection gave up on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub projection: String,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub error: String,
    /// The record's value as received.
    pub payload: String,
}

/// A stored dead letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct StoredDeadLetter {
    pub id: i64,
    pub projection: String,
    pub topic: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    pub error: String,
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub replayed_at: Option<DateTime<Utc>>,
}

/// Records dead letters (a redelivered one is recorded once).
pub async fn record(
    connection: &mut PgConnection,
    letters: &[DeadLetter],
) -> Result<(), sqlx::Error> {
    if letters.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO dead_letters (projection, topic, kafka_partition, kafka_offset, error, payload) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::int4[], $4::int8[], $5::text[], $6::text[]) \
         ON CONFLICT (projection, topic, kafka_partition, kafka_offset) DO NOTHING",
    )
    .bind(letters.iter().map(|l| l.projection.as_str()).collect::<Vec<_>>())
    .bind(letters.iter().map(|l| l.topic.as_str()).collect::<Vec<_>>())
    .bind(letters.iter().map(|l| l.partition).collect::<Vec<_>>())
    .bind(letters.iter().map(|l| l.offset).collect::<Vec<_>>())
    .bind(letters.iter().map(|l| l.error.as_str()).collect::<Vec<_>>())
    .bind(letters.iter().map(|l| l.payload.as_str()).collect::<Vec<_>>())
    .execute(connection)
    .await?;
    Ok(())
}

/// Dead letters, oldest first, of one projection or all; `pending_only` leaves out replayed ones.
pub async fn list(
    pool: &PgPool,
    projection: Option<&str>,
    pending_only: bool,
) -> Result<Vec<StoredDeadLetter>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, projection, topic, kafka_partition, kafka_offset, error, payload, created_at, \
         replayed_at FROM dead_letters \
         WHERE ($1::text IS NULL OR projection = $1) AND (NOT $2 OR replayed_at IS NULL) \
         ORDER BY id",
    )
    .bind(projection)
    .bind(pending_only)
    .fetch_all(pool)
    .await
}

/// Marks a dead letter replayed, unless it already was; `false` when another replay got it.
pub async fn mark_replayed(connection: &mut PgConnection, id: i64) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE dead_letters SET replayed_at = now() WHERE id = $1 AND replayed_at IS NULL",
    )
    .bind(id)
    .execute(connection)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Dead letters not yet replayed, per projection.
pub async fn pending_count(pool: &PgPool, projection: &str) -> Result<i64, sqlx::Error> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM dead_letters WHERE projection = $1 AND replayed_at IS NULL",
    )
    .bind(projection)
    .fetch_one(pool)
    .await?;
    Ok(count)
}
