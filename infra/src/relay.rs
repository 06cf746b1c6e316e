//! The relay: tails the event store in commit-safe order and publishes every event to
//! `wayfarer.<aggregate>` (key = aggregate id), recording its checkpoint only after the broker
//! acknowledged the whole batch. A crash republishes at most one batch (consumers are
//! idempotent); nothing is ever skipped.
//!
//! One relay publishes at a time: it holds a PostgreSQL advisory lock on a dedicated
//! connection (a lease that ends when the process or its connection dies); others wait.

use std::collections::HashSet;
use std::time::Duration;

use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;
use wayfarer_projections::store::{self, CommitPosition, RawEvent};
use wayfarer_projections::Names;
use wayfarer_schemas::Registry;

use crate::config::Settings;
use crate::{db, kafka, metrics};

/// Name of the relay's checkpoint row and lease.
const RELAY_NAME: &str = "kafka";

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("kafka delivery was cancelled")]
    DeliveryCancelled,
    #[error("stored event is not valid JSON: {0}")]
    Undecodable(String),
}

/// Runs the relay until `shutdown`, reconnecting after failures. A producer that reports a
/// fatal error can never send again (librdkafka's rule), so it is replaced.
pub async fn run(settings: Settings, shutdown: CancellationToken) -> Result<(), RelayError> {
    let mut producer = kafka::producer(&settings.kafka)?;
    let names = settings.names();
    let registry = Registry::standard();
    let mut backoff = Duration::from_millis(100);
    while !shutdown.is_cancelled() {
        match lead(&settings, &producer, &names, &registry, &shutdown).await {
            Ok(()) => backoff = Duration::from_millis(100),
            Err(error) => {
                tracing::warn!(%error, "relay interrupted; retrying");
                if let Some((code, reason)) = producer.client().fatal_error() {
                    tracing::warn!(?code, %reason, "kafka producer failed fatally; creating a new one");
                    producer = kafka::producer(&settings.kafka)?;
                }
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
    Ok(())
}

/// Waits for the lease, then publishes until shutdown or an error.
async fn lead(
    settings: &Settings,
    producer: &FutureProducer,
    names: &Names,
    registry: &Registry,
    shutdown: &CancellationToken,
) -> Result<(), RelayError> {
    let mut lease = db::connect_single(&settings.postgres).await?;
    let lock_key = format!("wayfarer.relay.{RELAY_NAME}.{}", settings.postgres.schema);
    loop {
        let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock(hashtext($1))")
            .bind(&lock_key)
            .fetch_one(&mut lease)
            .await?;
        if locked {
            break;
        }
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
    tracing::info!("relay lease acquired");
    let mut position = load_checkpoint(&mut lease).await?;
    let mut ensured: HashSet<String> = HashSet::new();
    while !shutdown.is_cancelled() {
        let batch =
            store::read_committed_after(&mut lease, position, None, settings.relay_batch).await?;
        let Some(last) = batch.last().map(RawEvent::commit_position) else {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = tokio::time::sleep(settings.relay_idle) => {}
            }
            continue;
        };
        let topics: Vec<String> = batch
            .iter()
            .map(|e| names.topic(&e.aggregate_type))
            .filter(|t| !ensured.contains(t))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if !topics.is_empty() {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                created = kafka::ensure_topics(&settings.kafka, &topics) => created?,
            }
            ensured.extend(topics);
        }
        // While the broker is away a batch waits up to the producer's message timeout; a
        // shutdown does not wait for it (the batch is sent again after a restart).
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            published = publish(producer, names, registry, &batch) => published?,
        }
        save_checkpoint(&mut lease, last, batch.len() as i64).await?;
        position = last;
    }
    Ok(())
}

/// Sends a batch and waits for every acknowledgement. Sends are queued in order, and the
/// idempotent producer keeps that order per partition across retries.
async fn publish(
    producer: &FutureProducer,
    names: &Names,
    registry: &Registry,
    batch: &[RawEvent],
) -> Result<(), RelayError> {
    let mut deliveries = Vec::with_capacity(batch.len());
    for event in batch {
        let topic = names.topic(&event.aggregate_type);
        // A payload the store holds must be JSON; if not, this is a poison row that no consumer
        // could read either: stop rather than publish garbage or skip it silently.
        let envelope = event
            .envelope(registry)
            .map_err(|error| RelayError::Undecodable(error.to_string()))?;
        let payload = serde_json::to_vec(&envelope).expect("envelopes always serialise");
        // The type names the version the payload is in (older ones are published upcast).
        let headers = cloud_event_headers(event, &envelope.event_version);
        let mut record = FutureRecord::to(&topic)
            .key(&event.aggregate_id)
            .payload(&payload)
            .headers(headers);
        loop {
            match producer.send_result(record) {
                Ok(delivery) => {
                    deliveries.push((topic.clone(), delivery));
                    break;
                }
                Err((
                    rdkafka::error::KafkaError::MessageProduction(
                        rdkafka::types::RDKafkaErrorCode::QueueFull,
                    ),
                    returned,
                )) => {
                    record = returned;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((error, _)) => return Err(error.into()),
            }
        }
    }
    for (topic, delivery) in deliveries {
        match delivery.await {
            Ok(Ok(_)) => metrics::metrics()
                .relay_published
                .with_label_values(&[&topic])
                .inc(),
            Ok(Err((error, _))) => return Err(error.into()),
            Err(_) => return Err(RelayError::DeliveryCancelled),
        }
    }
    Ok(())
}

/// The CloudEvents headers of a stored event; the value (our JSON envelope) also carries the
/// subject (aggregate id, also the key), the time and the store position.
fn cloud_event_headers(event: &RawEvent, version: &str) -> OwnedHeaders {
    let kind = format!(
        "wayfarer.{}.{}.v{version}",
        event.aggregate_type, event.event_type
    );
    let source = format!("/wayfarer/{}", event.aggregate_type);
    let time = event
        .recorded_at
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    kafka::cloud_event_headers(
        &event.event_id.to_string(),
        &kind,
        &source,
        &time,
        &event.traceparent(),
    )
}

async fn load_checkpoint(connection: &mut PgConnection) -> Result<CommitPosition, sqlx::Error> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT tx_id::text::bigint, global_position FROM relay_checkpoints WHERE relay = $1",
    )
    .bind(RELAY_NAME)
    .fetch_optional(connection)
    .await?;
    Ok(row
        .map(|(tx_id, global_position)| CommitPosition {
            tx_id: tx_id as u64,
            global_position,
        })
        .unwrap_or_default())
}

async fn save_checkpoint(
    connection: &mut PgConnection,
    position: CommitPosition,
    published: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO relay_checkpoints (relay, tx_id, global_position, published) \
         VALUES ($1, $2::text::xid8, $3, $4) ON CONFLICT (relay) DO UPDATE SET \
         tx_id = excluded.tx_id, global_position = excluded.global_position, \
         published = relay_checkpoints.published + excluded.published, updated_at = now()",
    )
    .bind(RELAY_NAME)
    .bind(position.tx_id.to_string())
    .bind(position.global_position)
    .bind(published)
    .execute(connection)
    .await?;
    Ok(())
}

/// Makes the relay publish the whole store again (after the broker lost its log).
pub async fn reset_checkpoint(connection: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM relay_checkpoints WHERE relay = $1")
        .bind(RELAY_NAME)
        .execute(connection)
        .await?;
    Ok(())
}

/// The relay's checkpoint, for `projections status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayProgress {
    /// The last event published, in commit order.
    pub position: CommitPosition,
    /// Events published so far.
    pub published: i64,
}

#[derive(sqlx::FromRow)]
struct CheckpointRow {
    tx_id: i64,
    global_position: i64,
    published: i64,
}

pub async fn checkpoint(pool: &sqlx::PgPool) -> Result<RelayProgress, sqlx::Error> {
    let row: Option<CheckpointRow> = sqlx::query_as(
        "SELECT tx_id::text::bigint AS tx_id, global_position, published \
         FROM relay_checkpoints WHERE relay = $1",
    )
    .bind(RELAY_NAME)
    .fetch_optional(pool)
    .await?;
    Ok(row
        .map(|row| RelayProgress {
            position: CommitPosition {
                tx_id: row.tx_id as u64,
                global_position: row.global_position,
            },
            published: row.published,
        })
        .unwrap_or_default())
}
