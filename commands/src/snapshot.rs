//! Snapshots: an aggregate's state saved every [`SNAPSHOT_EVERY`] events, so loading a long
//! stream reads the latest snapshot and only the events after it.
//!
//! A snapshot is a shortcut, never the truth: a load that finds none, or one of another
//! format ([`Aggregate::SNAPSHOT_FORMAT`]), folds the stream from its first event, and a
//! snapshot that fails to save costs only the next load's time.

use sqlx::types::Json;
use sqlx::PgPool;
use wayfarer_domain::Aggregate;

/// Events between two snapshots of one aggregate.
pub const SNAPSHOT_EVERY: u64 = 100;

#[derive(sqlx::FromRow)]
struct SnapshotRow {
    sequence: i64,
    state: Json<serde_json::Value>,
}

/// The latest usable snapshot of an aggregate, with the sequence it was taken at.
pub async fn latest<A: Aggregate>(
    pool: &PgPool,
    aggregate_id: &str,
) -> Result<Option<(A, u64)>, sqlx::Error> {
    let Some(format) = A::SNAPSHOT_FORMAT else {
        return Ok(None);
    };
    let row: Option<SnapshotRow> = sqlx::query_as(
        "SELECT sequence, state FROM aggregate_snapshots \
         WHERE aggregate_type = $1 AND aggregate_id = $2 AND format = $3",
    )
    .bind(A::TYPE)
    .bind(aggregate_id)
    .bind(format)
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|row| {
        let state = A::from_snapshot(row.state.0);
        if state.is_none() {
            tracing::warn!(
                aggregate_type = A::TYPE,
                aggregate_id,
                "unreadable snapshot ignored"
            );
        }
        state.map(|state| (state, row.sequence as u64))
    }))
}

/// Whether an append that took the stream from `before` to `after` crossed a snapshot point.
pub fn due(before: u64, after: u64) -> bool {
    after / SNAPSHOT_EVERY > before / SNAPSHOT_EVERY
}

/// Saves `state` as of `sequence`, replacing an older snapshot (never a newer one). Best
/// effort: a failure is logged, not returned.
pub async fn save<A: Aggregate>(pool: &PgPool, aggregate_id: &str, state: &A, sequence: u64) {
    let (Some(format), Some(snapshot)) = (A::SNAPSHOT_FORMAT, state.to_snapshot()) else {
        return;
    };
    let saved = sqlx::query(
        "INSERT INTO aggregate_snapshots (aggregate_type, aggregate_id, sequence, format, state) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE \
         SET sequence = excluded.sequence, format = excluded.format, state = excluded.state, \
             taken_at = now() \
         WHERE aggregate_snapshots.sequence < excluded.sequence \
            OR aggregate_snapshots.format <> excluded.format",
    )
    .bind(A::TYPE)
    .bind(aggregate_id)
    .bind(sequence as i64)
    .bind(format)
    .bind(Json(snapshot))
    .execute(pool)
    .await;
    if let Err(error) = saved {
        tracing::warn!(aggregate_type = A::TYPE, aggregate_id, %error, "snapshot not saved");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_is_due_when_an_append_crosses_a_multiple() {
        assert!(!due(0, 99));
        assert!(due(99, 100));
        assert!(due(98, 101), "a multi-event append crossing the point");
        assert!(!due(100, 199));
        assert!(due(150, 250));
    }
}
