//! Reads a whole topic from the beginning (every partition), to verify what the relay
//! published.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::Value;

/// One consumed record.
#[derive(Debug, Clone)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: String,
    pub value: Value,
    pub headers: Vec<(String, String)>,
}

/// How long the topic must stay quiet, once `expected` records arrived, before reading stops:
/// anything published twice shows up instead of being cut off.
const QUIET: Duration = Duration::from_secs(2);

/// Consumes `topic` from the start until at least `expected` records were read and nothing
/// more arrived for a moment, or `timeout` passed.
pub fn read_topic(brokers: &str, topic: &str, expected: usize, timeout: Duration) -> Vec<Record> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("verify-{}", uuid::Uuid::new_v4()))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let partitions: Vec<i32> = metadata.topics()[0]
        .partitions()
        .iter()
        .map(|p| p.id())
        .collect();
    let mut list = TopicPartitionList::new();
    for partition in &partitions {
        list.add_partition_offset(topic, *partition, Offset::Beginning)
            .expect("partition added");
    }
    consumer.assign(&list).expect("assigned");
    let deadline = std::time::Instant::now() + timeout;
    let mut records = Vec::new();
    let mut last_arrival = std::time::Instant::now();
    while std::time::Instant::now() < deadline {
        if records.len() >= expected && last_arrival.elapsed() >= QUIET {
            break;
        }
        let Some(result) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        last_arrival = std::time::Instant::now();
        let message = result.expect("message");
        let headers = message
            .headers()
            .map(|headers| {
                headers
                    .iter()
                    .map(|h| {
                        (
                            h.key.to_owned(),
                            String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        records.push(Record {
            partition: message.partition(),
            offset: message.offset(),
            key: String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned(),
            value: serde_json::from_slice(message.payload().unwrap_or_default())
                .expect("json value"),
            headers,
        });
    }
    records
}
