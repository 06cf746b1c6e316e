//! The projection runner: one Kafka consumer group per registered projection, batches of
//! events handed to it, progress recorded in PostgreSQL (in the projection's own transaction
//! where it is a PostgreSQL model), Kafka offsets committed afterwards as a hint.
//!
//! Messages below the PostgreSQL checkpoint are skipped; anything redelivered above it is
//! skipped by the projections' own guards. Either way a replay changes nothing.
//!
//! Poison events never vanish and never stall a projection: a record that does not decode, or
//! an event whose handler still fails after bounded retries (found by applying the batch's
//! events one by one), is published to `wayfarer.dlq` and recorded as a dead letter in the
//! transaction that moves the checkpoint past it; the projection goes on. Failures of a
//! service (the database, the index, the cache away) are never dead-lettered: they are retried
//! until the service is back.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::producer::FutureProducer;
use rdkafka::{Offset, TopicPartitionList};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use wayfarer_projections::checkpoint::{self, BatchProgress};
use wayfarer_projections::dead_letters::DeadLetter;
use wayfarer_projections::{Envelope, ProjectionError, Registered};
use wayfarer_schemas::Registry;

use wayfarer_read_api::trace::{command_span, join_trace};

use crate::apply::{apply, Finish};
use crate::config::Settings;
use crate::{db, dlq, kafka, metrics, rebuild};

/// Largest batch handed to a projection at once.
const MAX_BATCH: usize = 500;
/// How long a batch may keep collecting after its first message. A fetch's messages arrive
/// together, so this only needs to cover handing them over, not waiting for the next fetch.
const BATCH_WINDOW: Duration = Duration::from_millis(1);
/// How often the consumer group's offsets are committed to Kafka.
const OFFSET_HINT_EVERY: Duration = Duration::from_secs(1);
/// Tries of a batch (and then of each of its events) that failed on the event itself, before
/// the event is dead-lettered.
const POISON_ATTEMPTS: u32 = 3;

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
    projection: Registered,
    events: Registry,
    shutdown: CancellationToken,
) -> Result<(), ProjectorError> {
    let name = projection.name();
    let mut backoff = Duration::from_millis(100);
    while !shutdown.is_cancelled() {
        match consume(&settings, &projection, &events, &shutdown).await {
            Ok(()) => break,
            Err(_) if shutdown.is_cancelled() => break,
            Err(error) => {
                tracing::warn!(projection = name, %error, "projector interrupted; restarting");
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
    tracing::info!(projection = name, "projector stopped");
    Ok(())
}

/// Readies the projection's store: its tables, or a missing document model rebuilt from the
/// store (the source of truth) before following Kafka.
async fn prepare(
    settings: &Settings,
    pool: &PgPool,
    projection: &Registered,
    events: &Registry,
) -> Result<(), ProjectorError> {
    let create = match projection {
        Registered::Document(p) => {
            if p.needs_rebuild().await? {
                tracing::info!(
                    projection = projection.name(),
                    "model missing; rebuilding it"
                );
                rebuild::rebuild(settings, projection, events, false).await?;
            }
            None
        }
        _ => projection.create_tables(),
    };
    if let Some(ddl) = create {
        db::create_projection_tables(pool, ddl).await?;
    }
    Ok(())
}

/// Connections one projector holds at most: it applies one batch at a time (its transaction,
/// plus a read or two beside it), and every registered projection runs one, so a pool the
/// size of the API's would hold dozens of idle connections per process.
const PROJECTOR_CONNECTIONS: u32 = 4;

async fn consume(
    settings: &Settings,
    projection: &Registered,
    events: &Registry,
    shutdown: &CancellationToken,
) -> Result<(), ProjectorError> {
    let name = projection.name();
    let pool = db::connect_with_limit(&settings.postgres, PROJECTOR_CONNECTIONS).await?;
    prepare(settings, &pool, projection, events).await?;
    let names = settings.names();
    let topics: Vec<String> = projection
        .info()
        .aggregate_types()
        .iter()
        .map(|aggregate_type| names.topic(aggregate_type))
        .collect();
    let dead_letter_topic = names.dead_letter_topic();
    let mut wanted = topics.clone();
    wanted.push(dead_letter_topic.clone());
    tokio::select! {
        _ = shutdown.cancelled() => return Ok(()),
        created = kafka::ensure_topics(&settings.kafka, &wanted) => created?,
    }
    let consumer = kafka::consumer(
        &settings.kafka,
        &names.consumer_group(name),
        projection.info().fetch_wait(),
    )?;
    let topic_refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    consumer.subscribe(&topic_refs)?;
    let mut producer: Option<FutureProducer> = None;
    let mut applied = checkpoint::load_offsets(&pool, name).await?;
    let mut hints = OffsetHints::new();
    tracing::info!(projection = name, "projector started");

    while !shutdown.is_cancelled() {
        let first = tokio::select! {
            _ = shutdown.cancelled() => break,
            received = consumer.recv() => received?,
        };
        let mut batch = Batch::default();
        batch.take(&first, &applied, name);
        let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
        while batch.len() < MAX_BATCH {
            match tokio::time::timeout_at(deadline, consumer.recv()).await {
                Ok(received) => batch.take(&received?, &applied, name),
                Err(_) => break,
            }
        }
        if batch.offsets.is_empty() {
            continue;
        }
        let progress = batch.progress();
        let applied_events = batch.events.len() as u64;
        for (event, _) in &batch.events {
            // One span per event, in the trace of the request that caused it.
            let span = tracing::info_span!(
                "project_event",
                projection = name,
                correlation_id = %event.metadata.correlation_id,
                aggregate_type = %event.aggregate_type,
                aggregate_id = %event.aggregate_id,
                sequence = event.sequence,
                event_type = %event.event_type,
            );
            join_trace(
                &span,
                event.metadata.correlation_id,
                command_span(event.metadata.command_id),
            );
            span.in_scope(
                || tracing::debug!(traceparent = %event.metadata.traceparent(), "event received"),
            );
        }
        let poison = apply_or_isolate(
            &pool,
            projection,
            batch.events,
            batch.dead_letters,
            &progress,
            shutdown,
        )
        .await?;
        if let Some(letters) = poison {
            let producer = match &producer {
                Some(producer) => producer,
                None => producer.insert(kafka::producer(&settings.kafka)?),
            };
            dlq::publish(producer, &dead_letter_topic, &letters).await?;
            // The offsets move past the dead letters only together with their record.
            let offsets_only = BatchProgress {
                events: 0,
                ..progress.clone()
            };
            retry(shutdown, name, || {
                apply(
                    &pool,
                    projection,
                    &[],
                    Finish {
                        progress: offsets_only.clone(),
                        dead_letters: &letters,
                        replays: None,
                    },
                )
            })
            .await?;
            metrics::metrics()
                .projection_dead_letters
                .with_label_values(&[name])
                .inc_by(letters.len() as u64);
        }
        for (topic, partition, next) in &progress.offsets {
            applied.insert((topic.clone(), *partition), *next);
        }
        let m = metrics::metrics();
        m.projection_events
            .with_label_values(&[name])
            .inc_by(applied_events);
        m.projection_position
            .with_label_values(&[name])
            .set(progress.max_position);
        hints.record(&consumer, &progress);
    }
    hints.send(&consumer);
    Ok(())
}

/// Applies a batch with its checkpoint. Returns `None` when that is done. Otherwise the
/// batch holds poison (undecodable records, or events that fail on their own data): its good
/// events are applied one by one, and the dead letters come back for the caller to publish
/// and record with the batch's offsets. A service failure is retried with backoff until it
/// succeeds or `shutdown` (then nothing is recorded and the batch is redelivered).
async fn apply_or_isolate(
    pool: &PgPool,
    projection: &Registered,
    events: Vec<(Envelope, Source)>,
    mut dead_letters: Vec<DeadLetter>,
    progress: &BatchProgress,
    shutdown: &CancellationToken,
) -> Result<Option<Vec<DeadLetter>>, ProjectorError> {
    if dead_letters.is_empty() {
        let envelopes: Vec<Envelope> = events.iter().map(|(e, _)| e.clone()).collect();
        let whole = retry(shutdown, projection.name(), || {
            apply(
                pool,
                projection,
                &envelopes,
                Finish {
                    progress: progress.clone(),
                    ..Finish::default()
                },
            )
        })
        .await;
        match whole {
            Ok(_) => return Ok(None),
            Err(error) if !error.is_poison() => return Err(error.into()),
            Err(error) => {
                tracing::warn!(projection = projection.name(), %error, "batch holds a poison event; applying its events one by one");
            }
        }
    }
    for (event, source) in &events {
        let single = BatchProgress {
            offsets: Vec::new(),
            max_position: event.global_position,
            events: 1,
        };
        let result = retry(shutdown, projection.name(), || {
            apply(
                pool,
                projection,
                std::slice::from_ref(event),
                Finish {
                    progress: single.clone(),
                    ..Finish::default()
                },
            )
        })
        .await;
        match result {
            Ok(_) => {}
            Err(error) if error.is_poison() => {
                tracing::error!(projection = projection.name(), topic = %source.topic, partition = source.partition, offset = source.offset, %error, "event dead-lettered");
                dead_letters.push(source.dead_letter(projection.name(), &error.to_string()));
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(Some(dead_letters))
}

/// Retries `attempt` with backoff: a service failure until it succeeds (or shutdown), a
/// poison failure [`POISON_ATTEMPTS`] times.
async fn retry<F, Fut>(
    shutdown: &CancellationToken,
    projection: &str,
    mut attempt: F,
) -> Result<bool, ProjectionError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, ProjectionError>>,
{
    let mut backoff = Duration::from_millis(50);
    let mut poisoned = 0;
    loop {
        match attempt().await {
            Ok(done) => return Ok(done),
            Err(error) => {
                if error.is_poison() {
                    poisoned += 1;
                    if poisoned >= POISON_ATTEMPTS {
                        return Err(error);
                    }
                }
                tracing::warn!(projection, %error, "batch failed; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return Err(error),
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

/// Where a record came from, to name it in a dead letter.
#[derive(Debug, Clone)]
struct Source {
    topic: String,
    partition: i32,
    offset: i64,
    payload: String,
}

impl Source {
    fn dead_letter(&self, projection: &str, error: &str) -> DeadLetter {
        DeadLetter {
            projection: projection.to_owned(),
            topic: self.topic.clone(),
            partition: self.partition,
            offset: self.offset,
            error: error.to_owned(),
            payload: self.payload.clone(),
        }
    }
}

#[derive(Default)]
struct Batch {
    events: Vec<(Envelope, Source)>,
    dead_letters: Vec<DeadLetter>,
    offsets: HashMap<(String, i32), i64>,
}

impl Batch {
    fn len(&self) -> usize {
        self.events.len() + self.dead_letters.len()
    }

    /// Adds a message unless the checkpoint shows it was applied. A record that does not
    /// decode as an envelope becomes a dead letter at once (its offset still advances).
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
        let bytes = message.payload().unwrap_or_default();
        let source = Source {
            topic: message.topic().to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            // As text PostgreSQL can store: invalid UTF-8 and NUL become U+FFFD.
            payload: String::from_utf8_lossy(bytes).replace('\0', "\u{FFFD}"),
        };
        match serde_json::from_slice::<Envelope>(bytes) {
            Ok(envelope) => self.events.push((envelope, source)),
            Err(error) => {
                tracing::error!(
                    projection,
                    topic = message.topic(),
                    partition = message.partition(),
                    offset = message.offset(),
                    %error,
                    "undecodable record dead-lettered"
                );
                let error = format!("undecodable record: {error}");
                self.dead_letters
                    .push(source.dead_letter(projection, &error));
            }
        }
    }

    fn progress(&self) -> BatchProgress {
        BatchProgress {
            offsets: self
                .offsets
                .iter()
                .map(|((topic, partition), next)| (topic.clone(), *partition, *next))
                .collect(),
            max_position: self
                .events
                .iter()
                .map(|(e, _)| e.global_position)
                .max()
                .unwrap_or(0),
            events: self.events.len() as i64,
        }
    }
}
