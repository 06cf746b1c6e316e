//! Phase 4: the broker's own floor under the lag phase, with no Wayfarer code in the path.
//! The relay's producer settings and the projectors' consumer settings, records of the relay's
//! size with its CloudEvents headers, at the lag phase's rate; one consumer group per
//! projection with that projection's fetch wait. Measured: send → broker acknowledgement, and
//! send → received by the group with the detail view's wait.
//!
//! With `Producer::Transactional` each burst is one Kafka transaction (what a transactional
//! relay would do with each batch it reads), acknowledged when the commit returns; consumers
//! read committed records only (librdkafka's default isolation level).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use wayfarer_infra::kafka;

use crate::stats::{micros, Summary};

/// Bytes per record, about the relay's envelope for an item-added event.
const RECORD_BYTES: usize = 900;
/// Longest wait for the consumers to join and for the last records to arrive.
const SETTLE: Duration = Duration::from_secs(30);
/// Records go out in bursts this often, as the relay sends whatever each read of the store
/// returned (its cycle is 10–30 ms at the lag rate), rather than one produce request each.
const BURST_EVERY: Duration = Duration::from_millis(10);

/// How the probe's producer writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProducerMode {
    /// The relay's producer: idempotent, acks=all.
    Idempotent,
    /// The same, with one transaction per burst.
    Transactional,
}

#[derive(Debug, Clone)]
pub struct BrokerRun {
    pub mode: ProducerMode,
    pub rate: u32,
    pub sent: u64,
    pub received: u64,
    pub elapsed: Duration,
    pub acknowledged: Summary,
    pub delivered: Summary,
}

/// What the measuring group has received: send → receive times of measured records, and a
/// count of every record (warm-up included).
#[derive(Default)]
struct Received {
    latencies: Vec<u64>,
    records: u64,
}

type SharedReceived = Arc<Mutex<Received>>;

impl BrokerRun {
    pub fn achieved_rate(&self) -> f64 {
        self.sent as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A record's send time, as microseconds since the phase's clock started, and whether it is
/// measured (warm-up records are not).
fn record_value(clock: Instant, measured: bool) -> Vec<u8> {
    let mut value = format!(
        "{}{:020}",
        if measured { 'M' } else { 'W' },
        micros(clock.elapsed())
    )
    .into_bytes();
    value.resize(RECORD_BYTES, b'x');
    value
}

fn parse_value(value: &[u8]) -> Option<(bool, u64)> {
    let kind = *value.first()?;
    let sent = std::str::from_utf8(value.get(1..21)?).ok()?.parse().ok()?;
    Some((kind == b'M', sent))
}

/// The relay's headers for an item-added event.
fn headers() -> OwnedHeaders {
    kafka::cloud_event_headers(
        &uuid::Uuid::now_v7().to_string(),
        "wayfarer.itinerary.ItineraryItemAdded.v1.0",
        "/wayfarer/itinerary",
        &chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        &wayfarer_schemas::EventMetadata::for_new_command(None, uuid::Uuid::now_v7()).traceparent(),
    )
}

fn send(
    producer: &FutureProducer,
    topic: &str,
    key: &str,
    value: &[u8],
) -> anyhow::Result<rdkafka::producer::DeliveryFuture> {
    let record = FutureRecord::to(topic)
        .key(key)
        .payload(value)
        .headers(headers());
    producer
        .send_result(record)
        .map_err(|(error, _)| anyhow::anyhow!("send: {error}"))
}

/// The relay's producer, made transactional if asked.
fn producer(
    settings: &wayfarer_infra::config::KafkaSettings,
    mode: ProducerMode,
) -> anyhow::Result<FutureProducer> {
    match mode {
        ProducerMode::Idempotent => Ok(kafka::producer(settings)?),
        ProducerMode::Transactional => {
            let producer = kafka::producer_config(settings)
                .set(
                    "transactional.id",
                    format!("bench-{}", uuid::Uuid::new_v4()),
                )
                .create::<FutureProducer>()?;
            producer.init_transactions(Duration::from_secs(30))?;
            Ok(producer)
        }
    }
}

/// Commits the open transaction without blocking the runtime.
async fn commit(producer: &FutureProducer) -> anyhow::Result<()> {
    let producer = producer.clone();
    tokio::task::spawn_blocking(move || producer.commit_transaction(Duration::from_secs(30)))
        .await??;
    Ok(())
}

pub async fn run(rate: u32, seconds: u64, mode: ProducerMode) -> anyhow::Result<BrokerRun> {
    anyhow::ensure!(rate > 0, "rate must be positive");
    let settings = wayfarer_tests::system::isolated_settings("benchbroker");
    let names = settings.names();
    let topic = names.topic("brokerprobe");
    kafka::ensure_topics(&settings.kafka, std::slice::from_ref(&topic)).await?;
    let producer = producer(&settings.kafka, mode)?;
    let transactional = mode == ProducerMode::Transactional;
    let clock = Instant::now();
    let stop = CancellationToken::new();
    let delivered: SharedReceived = Arc::default();
    let mut readers = Vec::new();
    let pool = wayfarer_infra::db::connect(&settings.postgres).await?;
    let platform = wayfarer_infra::Platform::standard(&settings, &pool)?;
    for projection in platform.projections.all() {
        let name = projection.name();
        let consumer = kafka::consumer(
            &settings.kafka,
            &names.consumer_group(&format!("probe-{name}")),
            projection.info().fetch_wait(),
        )?;
        consumer.subscribe(&[topic.as_str()])?;
        let measuring = name == wayfarer_projections::itinerary::pg::NAME;
        readers.push(tokio::spawn(read(
            consumer,
            clock,
            measuring.then(|| delivered.clone()),
            stop.clone(),
        )));
    }

    // Warm-up: until the measuring group receives records, all consumers have joined.
    let joined_by = Instant::now() + SETTLE;
    let mut warmups = 0u64;
    while delivered.lock().await.records == 0 {
        anyhow::ensure!(
            Instant::now() < joined_by,
            "the probe's consumers never joined"
        );
        warmups += 1;
        if transactional {
            producer.begin_transaction()?;
        }
        send(
            &producer,
            &topic,
            &format!("w{warmups}"),
            &record_value(clock, false),
        )?;
        if transactional {
            commit(&producer).await?;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let start = Instant::now();
    let window = Duration::from_secs(seconds);
    let mut sent = 0u64;
    let mut acks = Vec::new();
    let mut ticker = tokio::time::interval(BURST_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while start.elapsed() < window {
        ticker.tick().await;
        let due = (start.elapsed().min(window).as_secs_f64() * f64::from(rate)) as u64;
        if sent == due {
            continue;
        }
        if transactional {
            producer.begin_transaction()?;
        }
        let mut burst = Vec::new();
        while sent < due {
            let sent_at = Instant::now();
            let delivery = send(
                &producer,
                &topic,
                &format!("k{}", sent % 1024),
                &record_value(clock, true),
            )?;
            burst.push((sent_at, delivery));
            sent += 1;
        }
        if transactional {
            // A transaction's records count as acknowledged when its commit returns.
            commit(&producer).await?;
            let committed = Instant::now();
            for (sent_at, delivery) in burst {
                let latency = micros(committed - sent_at);
                acks.push(tokio::spawn(async move {
                    delivery.await.ok().and_then(Result::ok).map(|_| latency)
                }));
            }
        } else {
            for (sent_at, delivery) in burst {
                acks.push(tokio::spawn(async move {
                    delivery
                        .await
                        .ok()
                        .and_then(Result::ok)
                        .map(|_| micros(sent_at.elapsed()))
                }));
            }
        }
    }
    let elapsed = start.elapsed();
    let mut acknowledged = Vec::with_capacity(acks.len());
    for ack in acks {
        if let Some(latency) = ack.await? {
            acknowledged.push(latency);
        }
    }
    let settled_by = Instant::now() + SETTLE;
    while delivered.lock().await.latencies.len() < sent as usize && Instant::now() < settled_by {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    for reader in readers {
        reader.await?;
    }
    let latencies = std::mem::take(&mut delivered.lock().await.latencies);
    Ok(BrokerRun {
        mode,
        rate,
        sent,
        received: latencies.len() as u64,
        elapsed,
        acknowledged: Summary::of_micros(acknowledged),
        delivered: Summary::of_micros(latencies),
    })
}

/// Reads until `stop`; the measuring group records each measured record's send → receive
/// time (and counts every record, so the warm-up can tell that it has joined).
async fn read(
    consumer: StreamConsumer,
    clock: Instant,
    delivered: Option<SharedReceived>,
    stop: CancellationToken,
) {
    loop {
        let message = tokio::select! {
            _ = stop.cancelled() => return,
            message = consumer.recv() => message,
        };
        let (Ok(message), Some(delivered)) = (message, &delivered) else {
            continue;
        };
        let Some((measured, sent)) = message.payload().and_then(parse_value) else {
            continue;
        };
        let now = micros(clock.elapsed());
        let mut delivered = delivered.lock().await;
        delivered.records += 1;
        if measured {
            delivered.latencies.push(now.saturating_sub(sent));
        }
    }
}
