//! The projection runner: one Kafka consumer group per projection, batches of events handed
//! to the projection, progress recorded in PostgreSQL (in the projection's own transaction
//! where it is a PostgreSQL read model), Kafka offsets committed afterwards as a hint.
//!
//! Messages below the PostgreSQL checkpoint are skipped; anything redelivered above it is
//! skipped by the projections' version guards. Either way a replay changes nothing.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;
use wayfarer_projections::checkpoint::{self, BatchProgress};
use wayfarer_projections::event::ItineraryEnvelope;
use wayfarer_projections::ProjectionError;

use crate::config::Settings;
use crate::projections::{Projection, ProjectionKind};
use crate::{kafka, metrics};

/// Largest batch handed to a projection at once.
const MAX_BATCH: usize = 500;
/// How long a batch may keep collecting after its first message. A fetch's messages arrive
/// together, so this only needs to cover handing them over, not waiting for the next fetch.
const BATCH_WINDOW: Duration = Duration::from_millis(1);
/// How often the consumer group's offsets are committed to Kafka.
const OFFSET_HINT_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("projection: {0}")]
    Projection(#[from] ProjectionError),
}

/// Runs one projection until `shutdown`. Failures (a broker, store or index away) restart
/// the consumer after a backoff; progress is never recorded for a batch that failed.
pub async fn run(
    settings: Settings,
    kind: ProjectionKind,
    shutdown: CancellationToken,
) -> Result<(), ProjectorError> {
    let mut backoff = Duration::from_millis(100);
    while !shutdown.is_cancelled() {
        match consume(&settings, kind, &shutdown).await {
            Ok(()) => break,
            Err(_) if shutdown.is_cancelled() => break,
            Err(error) => {
                tracing::warn!(projection = kind.name(), %error, "projector interrupted; restarting");
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
    tracing::info!(projection = kind.name(), "projector stopped");
    Ok(())
}

async fn consume(
    settings: &Settings,
    kind: ProjectionKind,
    shutdown: &CancellationToken,
) -> Result<(), ProjectorError> {
    let projection = Projection::connect(settings, kind).await?;
    let names = settings.names();
    let topic = names.topic(wayfarer_schemas::itinerary::AGGREGATE_TYPE);
    kafka::ensure_topics(&settings.kafka, std::slice::from_ref(&topic)).await?;
    let consumer = kafka::consumer(
        &settings.kafka,
        &names.consumer_group(kind.name()),
        kind.fetch_wait(),
    )?;
    consumer.subscribe(&[topic.as_str()])?;
    let mut applied = checkpoint::load_offsets(projection.pool(), kind.name()).await?;
    let mut hints = OffsetHints::new();
    tracing::info!(projection = kind.name(), "projector started");

    while !shutdown.is_cancelled() {
        let first = tokio::select! {
            _ = shutdown.cancelled() => break,
            received = consumer.recv() => received?,
        };
        let mut batch = Batch::default();
        batch.take(&first, &applied, kind.name());
        let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
        while batch.len() < MAX_BATCH {
            match tokio::time::timeout_at(deadline, consumer.recv()).await {
                Ok(received) => batch.take(&received?, &applied, kind.name()),
                Err(_) => break,
            }
        }
        if batch.offsets.is_empty() {
            continue;
        }
        let progress = batch.progress();
        apply_with_retry(&projection, &batch.events, &progress, shutdown).await?;
        for (topic, partition, next) in &progress.offsets {
            applied.insert((topic.clone(), *partition), *next);
        }
        let m = metrics::metrics();
        m.projection_events
            .with_label_values(&[kind.name()])
            .inc_by(batch.events.len() as u64);
        m.projection_position
            .with_label_values(&[kind.name()])
            .set(progress.max_position);
        hints.record(&consumer, &progress);
    }
    hints.send(&consumer);
    Ok(())
}

/// Retries a failing batch with backoff (the store or index may be briefly away); stops only
/// on shutdown, without recording progress, so the batch is redelivered next time.
async fn apply_with_retry(
    projection: &Projection,
    events: &[ItineraryEnvelope],
    progress: &BatchProgress,
    shutdown: &CancellationToken,
) -> Result<(), ProjectorError> {
    let mut backoff = Duration::from_millis(50);
    loop {
        match projection.apply(events, progress).await {
            Ok(()) => return Ok(()),
            Err(error) => {
                tracing::warn!(projection = projection.kind().name(), %error, "batch failed; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return Err(error.into()),
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Kafka's committed offsets are only a starting hint (PostgreSQL holds the truth), so they
/// are sent at most every [`OFFSET_HINT_EVERY`]: each commit is a write for the broker, and a
/// restart merely skips a little more already-applied input.
struct OffsetHints {
    latest: HashMap<(String, i32), i64>,
    last_sent: tokio::time::Instant,
}

impl OffsetHints {
    fn new() -> Self {
        Self {
            latest: HashMap::new(),
            last_sent: tokio::time::Instant::now(),
        }
    }

    fn record(&mut self, consumer: &StreamConsumer, progress: &BatchProgress) {
        for (topic, partition, next) in &progress.offsets {
            self.latest.insert((topic.clone(), *partition), *next);
        }
        if self.last_sent.elapsed() >= OFFSET_HINT_EVERY {
            self.send(consumer);
        }
    }

    fn send(&mut self, consumer: &StreamConsumer) {
        if self.latest.is_empty() {
            return;
        }
        let mut list = TopicPartitionList::new();
        for ((topic, partition), next) in self.latest.drain() {
            let _ = list.add_partition_offset(&topic, partition, Offset::Offset(next));
        }
        self.last_sent = tokio::time::Instant::now();
        if let Err(error) = consumer.commit(&list, CommitMode::Async) {
            tracing::debug!(%error, "offset commit failed; the PostgreSQL checkpoint still holds");
        }
    }
}

#[derive(Default)]
struct Batch {
    events: Vec<ItineraryEnvelope>,
    offsets: HashMap<(String, i32), i64>,
    max_position: i64,
}

impl Batch {
    fn len(&self) -> usize {
        self.events.len()
    }

    /// Adds a message unless the checkpoint shows it was applied. Undecodable messages are
    /// logged and stepped over (their offset still advances) so one bad record cannot stall
    /// the projection.
    fn take<M: Message>(
        &mut self,
        message: &M,
        applied: &HashMap<(String, i32), i64>,
        projection: &str,
    ) {
        let key = (message.topic().to_owned(), message.partition());
        let next = message.offset() + 1;
        if applied
            .get(&key)
            .is_some_and(|done| message.offset() < *done)
        {
            return;
        }
        let entry = self.offsets.entry(key).or_insert(next);
        *entry = (*entry).max(next);
        let decoded = message.payload().map(wayfarer_projections::event::decode);
        match decoded {
            Some(Ok(envelope)) => {
                self.max_position = self.max_position.max(envelope.global_position);
                self.events.push(envelope);
            }
            Some(Err(error)) => tracing::error!(
                projection,
                topic = message.topic(),
                partition = message.partition(),
                offset = message.offset(),
                %error,
                "undecodable event skipped"
            ),
            None => tracing::error!(
                projection,
                offset = message.offset(),
                "empty message skipped"
            ),
        }
    }

    fn progress(&self) -> BatchProgress {
        BatchProgress {
            offsets: self
                .offsets
                .iter()
                .map(|((topic, partition), next)| (topic.clone(), *partition, *next))
                .collect(),
            max_position: self.max_position,
            events: self.events.len() as i64,
        }
    }
}
