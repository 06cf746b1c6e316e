//! Precise "caught up" checks for tests: the relay's checkpoint against the store, and a
//! projection's stored offsets against the topic's high watermarks.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use sqlx::PgPool;

/// Committed events the relay has not published yet (`None` if the store can't be read).
pub async fn unpublished(pool: &PgPool) -> Option<i64> {
    let row: Result<(i64,), _> = sqlx::query_as(
        "SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM relay_checkpoints c \
         WHERE (e.tx_id, e.global_position) <= (c.tx_id, c.global_position))",
    )
    .fetch_one(pool)
    .await;
    row.ok().map(|r| r.0)
}

/// A topic's partitions and high watermarks, read through one client kept for the whole wait.
#[derive(Clone)]
pub struct Watermarks {
    consumer: Arc<BaseConsumer>,
    topic: String,
}

impl Watermarks {
    pub fn new(brokers: &str, topic: &str) -> Option<Self> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("group.id", "wayfarer-test-watermarks")
            .create()
            .ok()?;
        Some(Self {
            consumer: Arc::new(consumer),
            topic: topic.to_owned(),
        })
    }

    /// `(partition, high watermark)` of every partition (`None` if the broker can't say).
    async fn read(&self) -> Option<Vec<(i32, i64)>> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.read_blocking())
            .await
            .ok()
            .flatten()
    }

    fn read_blocking(&self) -> Option<Vec<(i32, i64)>> {
        let metadata = self
            .consumer
            .fetch_metadata(Some(&self.topic), Duration::from_secs(5))
            .ok()?;
        let partitions: Vec<i32> = metadata
            .topics()
            .first()?
            .partitions()
            .iter()
            .map(|p| p.id())
            .collect();
        partitions
            .into_iter()
            .map(|p| {
                self.consumer
                    .fetch_watermarks(&self.topic, p, Duration::from_secs(5))
                    .ok()
                    .map(|(_, high)| (p, high))
            })
            .collect()
    }
}

/// True when `projection` recorded offsets at or past every partition's high watermark.
pub async fn consumed_everything(pool: &PgPool, watermarks: &Watermarks, projection: &str) -> bool {
    let Ok(offsets) = wayfarer_projections::checkpoint::load_offsets(pool, projection).await else {
        return false;
    };
    let Some(highs) = watermarks.read().await else {
        return false;
    };
    highs.iter().all(|(partition, high)| {
        *high == 0
            || offsets
                .get(&(watermarks.topic.clone(), *partition))
                .is_some_and(|next| next >= high)
    })
}
