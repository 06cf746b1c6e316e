//! Applying events to a registered projection, with its checkpoint, whatever its kind: one
//! place for the runner, the dead-letter isolation, `dlq replay` and rebuild catch-ups.

use sqlx::PgPool;
use wayfarer_projections::checkpoint::{self, BatchProgress};
use wayfarer_projections::dead_letters::{self, DeadLetter};
use wayfarer_projections::{Envelope, ProjectionError, Registered, Tables};

/// What to record with a batch, besides its events.
#[derive(Default)]
pub struct Finish<'a> {
    pub progress: BatchProgress,
    /// Events the batch steps over, recorded in the same transaction as the checkpoint.
    pub dead_letters: &'a [DeadLetter],
    /// A dead letter this batch replays: marked in the same transaction.
    pub replays: Option<i64>,
}

/// Applies `events` and records `finish`. Transactional and multi-stream projections do it
/// all in one transaction; document projections write first (idempotent by version), then
/// record. Returns `false` when `finish.replays` was already replayed (nothing recorded; a
/// document projection may have written again, which its version guard makes harmless).
#[tracing::instrument(skip_all, fields(projection = projection.name(), events = events.len()))]
pub async fn apply(
    pool: &PgPool,
    projection: &Registered,
    events: &[Envelope],
    finish: Finish<'_>,
) -> Result<bool, ProjectionError> {
    let name = projection.name();
    if let Registered::Document(p) = projection {
        // Written before the transaction opens: a transaction held open across a slow write
        // elsewhere would hold back the relay's horizon (it waits for every older writer).
        if !events.is_empty() {
            p.apply(events).await?;
        }
    }
    let mut tx = pool.begin().await?;
    // Lock order: the projection's state row first (a rebuild's swap takes it too), then rows.
    checkpoint::lock_state(&mut tx, name).await?;
    if let Some(id) = finish.replays {
        if !dead_letters::mark_replayed(&mut tx, id).await? {
            return Ok(false);
        }
    }
    match projection {
        Registered::Transactional(p) => {
            if !events.is_empty() {
                p.apply(&mut tx, &Tables::live(p.tables()), events).await?;
            }
        }
        Registered::MultiStream(p) => {
            let ids: Vec<uuid::Uuid> = events.iter().map(|e| e.event_id).collect();
            let fresh = checkpoint::claim_unprocessed(&mut tx, name, &ids).await?;
            let fresh: Vec<Envelope> = events
                .iter()
                .filter(|e| fresh.contains(&e.event_id))
                .cloned()
                .collect();
            if !fresh.is_empty() {
                p.apply(&mut tx, &Tables::live(p.tables()), &fresh).await?;
            }
        }
        Registered::Document(_) => {}
    }
    checkpoint::record(&mut tx, name, &finish.progress).await?;
    dead_letters::record(&mut tx, finish.dead_letters).await?;
    tx.commit().await?;
    Ok(true)
}
