//! Recovery from a broker that lost its log (noida-db keeps topics in memory only; a local
//! broker's data directory may be reset): the store is the source of truth, so the relay
//! republishes it from the start and the projections forget their Kafka offsets; their own
//! guards (stream versions, processed markers) skip every event they applied before.
//!
//! A log is lost when the topics hold fewer records than the relay has had acknowledged:
//! offsets only grow on an intact log (retention removes records, never offsets), and every
//! acknowledged record took one.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use sqlx::PgPool;

use crate::config::Settings;
use crate::relay;

#[derive(Debug, thiserror::Error)]
pub enum LostLogError {
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("a blocking Kafka call failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// How long one metadata or watermark request may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The records the broker holds on the topics of every stored aggregate type (the sum of the
/// partitions' high watermarks; a missing topic holds none).
async fn records_on_broker(settings: &Settings, pool: &PgPool) -> Result<i64, LostLogError> {
    let aggregate_types: Vec<String> =
        sqlx::query_scalar("SELECT aggregate_type FROM events GROUP BY aggregate_type")
            .fetch_all(pool)
            .await?;
    let names = settings.names();
    let topics: Vec<String> = aggregate_types.iter().map(|t| names.topic(t)).collect();
    let brokers = settings.kafka.brokers.clone();
    let total = tokio::task::spawn_blocking(move || -> Result<i64, LostLogError> {
        let client: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &brokers)
            .create()?;
        let mut total = 0;
        for topic in &topics {
            let metadata = client.fetch_metadata(Some(topic), TIMEOUT)?;
            let Some(found) = metadata.topics().first().filter(|t| t.error().is_none()) else {
                continue;
            };
            for partition in found.partitions() {
                let (_, high) = client.fetch_watermarks(topic, partition.id(), TIMEOUT)?;
                total += high;
            }
        }
        Ok(total)
    })
    .await??;
    Ok(total)
}

/// Checks the broker against the relay's checkpoint; if it lost records, resets the relay
/// to republish the store and clears every projection's Kafka offsets, in one transaction.
/// Run it before the relay and projectors start (as `dev` does). Returns whether it reset.
pub async fn recover(settings: &Settings, pool: &PgPool) -> Result<bool, LostLogError> {
    let published = relay::checkpoint(pool).await?.published;
    if published == 0 {
        return Ok(false);
    }
    let held = records_on_broker(settings, pool).await?;
    if held >= published {
        return Ok(false);
    }
    tracing::warn!(
        published,
        held,
        "the broker holds fewer records than were published: it lost its log; republishing the store"
    );
    let mut tx = pool.begin().await?;
    relay::reset_checkpoint(&mut tx).await?;
    sqlx::query("DELETE FROM projection_offsets")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}
