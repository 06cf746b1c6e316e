//! Taking a signed checkpoint of everything committed since the last one.
//!
//! The range ends below every transaction still running (the relay's horizon), so no event
//! can later commit into a signed range. Checkpoints are numbered 1, 2, … and each signs its
//! predecessor's signature; an advisory lock makes concurrent takers (several relays) queue.

use std::collections::HashMap;

use sqlx::{PgConnection, PgPool};

use crate::signing::{heads_digest, Head, SignedCheckpoint};
use crate::{AuditError, CheckpointKey};

/// Events read per round trip while collecting a range's heads.
/// Reads order by `events.tx_id` (the column, not the `tx_id` number selected under the same
/// name), so PostgreSQL walks the `(tx_id, global_position)` index instead of sorting the store.
const READ_BATCH: i64 = 50_000;

/// A checkpoint as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredCheckpoint {
    pub checkpoint: i64,
    pub tx_id: i64,
    pub global_position: i64,
    pub events: i64,
    pub heads_digest: Vec<u8>,
    pub previous_signature: Option<Vec<u8>>,
    pub public_key: Vec<u8>,
    pub signature: Vec<u8>,
    pub signed_at: chrono::DateTime<chrono::Utc>,
}

impl StoredCheckpoint {
    /// What its signature is supposed to cover.
    pub fn signed(&self) -> SignedCheckpoint<'_> {
        SignedCheckpoint {
            checkpoint: self.checkpoint,
            previous_signature: self.previous_signature.as_deref(),
            tx_id: self.tx_id,
            global_position: self.global_position,
            events: self.events,
            heads_digest: &self.heads_digest,
            signed_at_micros: self.signed_at.timestamp_micros(),
        }
    }
}

const CHECKPOINT_COLUMNS: &str = "checkpoint, tx_id::text::bigint AS tx_id, global_position, \
     events, heads_digest, previous_signature, public_key, signature, signed_at";

/// Every checkpoint, oldest first.
pub async fn all(pool: &PgPool) -> Result<Vec<StoredCheckpoint>, AuditError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CHECKPOINT_COLUMNS} FROM event_checkpoints ORDER BY checkpoint"
    ))
    .fetch_all(pool)
    .await?)
}

/// The heads a checkpoint signed.
pub async fn heads(pool: &PgPool, checkpoint: i64) -> Result<Vec<Head>, AuditError> {
    Ok(sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, sequence, hash FROM event_checkpoint_heads \
         WHERE checkpoint = $1",
    )
    .bind(checkpoint)
    .fetch_all(pool)
    .await?)
}

#[derive(sqlx::FromRow)]
struct RangeEvent {
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    hash: Vec<u8>,
    tx_id: i64,
    global_position: i64,
}

/// Signs everything committed since the last checkpoint; `None` when nothing was.
pub async fn take(
    pool: &PgPool,
    key: &CheckpointKey,
) -> Result<Option<StoredCheckpoint>, AuditError> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtext('wayfarer.checkpoint.' || current_schema()))",
    )
    .execute(&mut *tx)
    .await?;
    let last: Option<StoredCheckpoint> = sqlx::query_as(&format!(
        "SELECT {CHECKPOINT_COLUMNS} FROM event_checkpoints ORDER BY checkpoint DESC LIMIT 1"
    ))
    .fetch_optional(&mut *tx)
    .await?;
    let (horizon,): (i64,) =
        sqlx::query_as("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            .fetch_one(&mut *tx)
            .await?;
    let mut after = last
        .as_ref()
        .map(|c| (c.tx_id, c.global_position))
        .unwrap_or((0, 0));
    let mut heads: HashMap<(String, String), (i64, Vec<u8>)> = HashMap::new();
    let mut events = 0i64;
    loop {
        let batch = read_range(&mut tx, after, horizon).await?;
        let Some(end) = batch.last() else { break };
        after = (end.tx_id, end.global_position);
        events += batch.len() as i64;
        for event in batch {
            heads.insert(
                (event.aggregate_type, event.aggregate_id),
                (event.sequence, event.hash),
            );
        }
    }
    if events == 0 {
        return Ok(None);
    }
    let heads: Vec<Head> = heads
        .into_iter()
        .map(|((aggregate_type, aggregate_id), (sequence, hash))| Head {
            aggregate_type,
            aggregate_id,
            sequence,
            hash,
        })
        .collect();
    let digest = heads_digest(&heads);
    let (signed_at,): (chrono::DateTime<chrono::Utc>,) =
        sqlx::query_as("SELECT date_trunc('milliseconds', clock_timestamp())")
            .fetch_one(&mut *tx)
            .await?;
    let mut checkpoint = StoredCheckpoint {
        checkpoint: last.as_ref().map_or(1, |c| c.checkpoint + 1),
        tx_id: after.0,
        global_position: after.1,
        events,
        heads_digest: digest.to_vec(),
        previous_signature: last.map(|c| c.signature),
        public_key: key.verifying_key().as_bytes().to_vec(),
        signature: Vec::new(),
        signed_at,
    };
    checkpoint.signature = key.sign(&checkpoint.signed());
    sqlx::query(
        "INSERT INTO event_checkpoints (checkpoint, tx_id, global_position, events, heads_digest, \
             previous_signature, public_key, signature, signed_at) \
         VALUES ($1, $2::text::xid8, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(checkpoint.checkpoint)
    .bind(checkpoint.tx_id.to_string())
    .bind(checkpoint.global_position)
    .bind(checkpoint.events)
    .bind(&checkpoint.heads_digest)
    .bind(&checkpoint.previous_signature)
    .bind(&checkpoint.public_key)
    .bind(&checkpoint.signature)
    .bind(checkpoint.signed_at)
    .execute(&mut *tx)
    .await?;
    for chunk in heads.chunks(10_000) {
        let column = |f: fn(&Head) -> &str| chunk.iter().map(f).collect::<Vec<_>>();
        sqlx::query(
            "INSERT INTO event_checkpoint_heads (checkpoint, aggregate_type, aggregate_id, \
                 sequence, hash) \
             SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::bigint[], $5::bytea[])",
        )
        .bind(checkpoint.checkpoint)
        .bind(column(|h| &h.aggregate_type))
        .bind(column(|h| &h.aggregate_id))
        .bind(chunk.iter().map(|h| h.sequence).collect::<Vec<_>>())
        .bind(chunk.iter().map(|h| h.hash.clone()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    tracing::info!(
        checkpoint = checkpoint.checkpoint,
        events,
        streams = heads.len(),
        position = checkpoint.global_position,
        "event store checkpoint signed"
    );
    Ok(Some(checkpoint))
}

/// The next events in commit order after `after`, written by transactions older than
/// `horizon` (every one of them committed or rolled back).
async fn read_range(
    connection: &mut PgConnection,
    after: (i64, i64),
    horizon: i64,
) -> Result<Vec<RangeEvent>, AuditError> {
    Ok(sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, sequence, hash, tx_id::text::bigint AS tx_id, \
                global_position \
         FROM events \
         WHERE (tx_id, global_position) > ($1::text::xid8, $2) AND tx_id < $3::text::xid8 \
         ORDER BY events.tx_id, events.global_position LIMIT $4",
    )
    .bind(after.0.to_string())
    .bind(after.1)
    .bind(horizon.to_string())
    .bind(READ_BATCH)
    .fetch_all(connection)
    .await?)
}
