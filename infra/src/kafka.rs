//! Kafka clients through rdkafka, configured to work on Apache Kafka, nisshi and noida-db
//! alike (idempotent producer; consumers commit manually).

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::StreamConsumer;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::FutureProducer;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;

use crate::config::KafkaSettings;

/// An idempotent producer: retries never duplicate or reorder within a partition.
pub fn producer(settings: &KafkaSettings) -> Result<FutureProducer, KafkaError> {
    producer_config(settings).create()
}

/// The idempotent producer's configuration (for variants such as a transactional one).
pub fn producer_config(settings: &KafkaSettings) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &settings.brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "2")
        .set("message.timeout.ms", "30000")
        .set("queue.buffering.max.messages", "200000")
        .set("socket.timeout.ms", "10000");
    config
}

/// A consumer in `group` that never commits on its own. `fetch_wait` is how long the broker
/// may hold a fetch when there is nothing new: Apache Kafka answers as soon as data arrives,
/// but tansu always holds a fetch this long and spends CPU on every one, so there it is both
/// the consumer's latency floor and its idle cost (about 0.2 core per consumer at 20 ms on
/// two cores, measured).
pub fn consumer(
    settings: &KafkaSettings,
    group: &str,
    fetch_wait: Duration,
) -> Result<StreamConsumer, KafkaError> {
    ClientConfig::new()
        .set("bootstrap.servers", &settings.brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        // A member killed without leaving holds its partitions until the group gives up on
        // it; brokers wait up to the rebalance timeout (max.poll.interval.ms) for it, so keep
        // both short. Batches are small, so polls are never far apart.
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "1000")
        .set("max.poll.interval.ms", "10000")
        .set("fetch.wait.max.ms", fetch_wait.as_millis().to_string())
        .set("socket.timeout.ms", "10000")
        .create()
}

/// Creates the topics that do not exist yet (an existing topic is fine).
pub async fn ensure_topics(settings: &KafkaSettings, topics: &[String]) -> Result<(), KafkaError> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &settings.brokers)
        .create()?;
    let new_topics: Vec<NewTopic> = topics
        .iter()
        .map(|name| {
            NewTopic::new(
                name,
                settings.partitions,
                TopicReplication::Fixed(settings.replication_factor),
            )
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    for result in admin.create_topics(&new_topics, &options).await? {
        match result {
            Ok(_) => {}
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(KafkaError::AdminOp(code)).inspect_err(|_| {
                    tracing::error!(%topic, ?code, "topic creation failed");
                })
            }
        }
    }
    Ok(())
}

/// Deletes every topic whose name starts with `prefix` (a test's or a benchmark's isolation
/// prefix; never empty). Returns how many were deleted. Safe on nisshi, noida-db and Apache
/// Kafka; tansu 0.6, used before, deleted every topic's data instead.
pub async fn delete_topics_with_prefix(
    settings: &KafkaSettings,
    prefix: &str,
) -> Result<usize, KafkaError> {
    assert!(
        !prefix.is_empty(),
        "an empty prefix would delete every topic"
    );
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &settings.brokers)
        .create()?;
    let metadata = admin
        .inner()
        .fetch_metadata(None, Duration::from_secs(10))?;
    let doomed: Vec<String> = metadata
        .topics()
        .iter()
        .map(|topic| topic.name().to_owned())
        .filter(|name| name.starts_with(prefix))
        .collect();
    if doomed.is_empty() {
        return Ok(0);
    }
    let names: Vec<&str> = doomed.iter().map(String::as_str).collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let mut deleted = 0;
    for result in admin.delete_topics(&names, &options).await? {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::UnknownTopicOrPartition)) => deleted += 1,
            Err((topic, code)) => tracing::warn!(%topic, ?code, "topic not deleted"),
        }
    }
    Ok(deleted)
}

/// CloudEvents Kafka protocol binding (binary mode): the four required attributes and
/// `ce_time` as headers, plus the W3C `traceparent` of the request that caused the event. The
/// rest (subject, store position) is in the envelope, because each header is a stored row for
/// the local broker to write and read back on every fetch.
pub fn cloud_event_headers(
    id: &str,
    kind: &str,
    source: &str,
    time: &str,
    traceparent: &str,
) -> OwnedHeaders {
    OwnedHeaders::new_with_capacity(6)
        .insert(Header {
            key: "ce_specversion",
            value: Some("1.0"),
        })
        .insert(Header {
            key: "ce_id",
            value: Some(id),
        })
        .insert(Header {
            key: "ce_type",
            value: Some(kind),
        })
        .insert(Header {
            key: "ce_source",
            value: Some(source),
        })
        .insert(Header {
            key: "ce_time",
            value: Some(time),
        })
        .insert(Header {
            key: "traceparent",
            value: Some(traceparent),
        })
}
