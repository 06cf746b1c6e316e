//! The dead-letter topic `wayfarer.dlq` and `wayfarer dlq list|replay`.
//!
//! Each dead letter is published as JSON (projection, original topic, partition, offset,
//! error, the record's value) keyed by projection, for operators' and analysts' tools; the
//! PostgreSQL table holds the same letters with their replay state. Replay re-applies a
//! letter through the projection and marks it in one transaction (transactional and
//! multi-stream projections), or applies it version-guarded and then marks it (documents):
//! either way it takes effect once.

use std::time::Duration;

use rdkafka::producer::{FutureProducer, FutureRecord};
use sqlx::PgPool;
use wayfarer_projections::checkpoint::BatchProgress;
use wayfarer_projections::dead_letters::{self, DeadLetter, StoredDeadLetter};
use wayfarer_projections::{Envelope, ProjectionError, ProjectionRegistry};

use crate::apply::{apply, Finish};

/// Publishes dead letters and waits for the broker's acknowledgement of each.
pub async fn publish(
    producer: &FutureProducer,
    topic: &str,
    letters: &[DeadLetter],
) -> Result<(), rdkafka::error::KafkaError> {
    for letter in letters {
        let value = serde_json::to_vec(letter).expect("a dead letter always serialises");
        let record = FutureRecord::to(topic)
            .key(&letter.projection)
            .payload(&value);
        producer
            .send(record, Duration::from_secs(30))
            .await
            .map_err(|(error, _)| error)?;
    }
    Ok(())
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    pub replayed: usize,
    /// Letters that still fail (left pending), with the error.
    pub failed: Vec<(i64, String)>,
    /// Letters of projections this process does not know.
    pub unknown: usize,
}

/// Re-applies every pending dead letter (of one projection, or all).
pub async fn replay(
    pool: &PgPool,
    projections: &ProjectionRegistry,
    only: Option<&str>,
) -> Result<ReplayReport, ProjectionError> {
    let mut report = ReplayReport::default();
    for letter in dead_letters::list(pool, only, true).await? {
        let Some(projection) = projections.get(&letter.projection) else {
            report.unknown += 1;
            continue;
        };
        match replay_one(pool, projection, &letter).await {
            Ok(true) => report.replayed += 1,
            Ok(false) => {}
            Err(error) => report.failed.push((letter.id, error.to_string())),
        }
    }
    Ok(report)
}

async fn replay_one(
    pool: &PgPool,
    projection: &wayfarer_projections::Registered,
    letter: &StoredDeadLetter,
) -> Result<bool, ProjectionError> {
    let envelope: Envelope =
        serde_json::from_str(&letter.payload).map_err(|error| ProjectionError::Undecodable {
            position: -1,
            reason: error.to_string(),
        })?;
    let progress = BatchProgress {
        offsets: Vec::new(),
        max_position: envelope.global_position,
        events: 1,
    };
    apply(
        pool,
        projection,
        std::slice::from_ref(&envelope),
        Finish {
            progress,
            dead_letters: &[],
            replays: Some(letter.id),
        },
    )
    .await
}
