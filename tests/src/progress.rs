//! Precise "caught up" checks for tests: the relay's checkpoint against the store, and a
//! projection's stored offsets against the topic's high watermarks.

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

/// True when `projection` recorded offsets at or past every partition's high watermark.
pub async fn consumed_everything(
    pool: &PgPool,
    brokers: &str,
    topic: &str,
    projection: &str,
) -> bool {
    let Ok(offsets) = wayfarer_projections::checkpoint::load_offsets(pool, projection).await else {
        return false;
    };
    let brokers = brokers.to_owned();
    let topic = topic.to_owned();
    let topic_for_lookup = topic.clone();
    let watermarks =
        tokio::task::spawn_blocking(move || high_watermarks(&brokers, &topic_for_lookup))
            .await
            .ok()
            .flatten();
    let Some(watermarks) = watermarks else {
        return false;
    };
    watermarks.iter().all(|(partition, high)| {
        *high == 0
            || offsets
                .get(&(topic.clone(), *partition))
                .is_some_and(|next| next >= high)
    })
}

fn high_watermarks(brokers: &str, topic: &str) -> Option<Vec<(i32, i64)>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "wayfarer-test-watermarks")
        .create()
        .ok()?;
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(5))
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
            consumer
                .fetch_watermarks(topic, p, Duration::from_secs(5))
                .ok()
                .map(|(_, high)| (p, high))
        })
        .collect()
}
