//! An analyst's consumer of Wayfarer's event topics, as the README's "Consuming events"
//! describes it: joins a consumer group of its own, reads `wayfarer.itinerary` and
//! `wayfarer.user` from the beginning, skips records it has seen (publication is at least
//! once: deduplicate on `ce_id`), and prints one line per event:
//! `<globalPosition> <ce_type> <aggregateId>`. Ordering holds per aggregate (its id is the
//! record key), not across aggregates.
//!
//! `example-consumer --brokers 127.0.0.1:9092 [--prefix P] [--group G] [--stop-after N]
//! [--idle-seconds S]`: stops after N distinct events, or after S seconds without any.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use clap::Parser;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::ClientConfig;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:9092")]
    brokers: String,
    /// Topic prefix of the deployment (empty in production).
    #[arg(long, default_value = "")]
    prefix: String,
    #[arg(long, default_value = "analytics.example")]
    group: String,
    #[arg(long)]
    stop_after: Option<usize>,
    #[arg(long, default_value_t = 10)]
    idle_seconds: u64,
}

#[allow(clippy::print_stdout)]
fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &args.brokers)
        .set("group.id", &args.group)
        // A new group starts from the beginning of the retained log.
        .set("auto.offset.reset", "earliest")
        // Offsets are committed after the records are handled: at least once.
        .set("enable.auto.commit", "false")
        .create()?;
    let topics = [
        format!("{}wayfarer.itinerary", args.prefix),
        format!("{}wayfarer.user", args.prefix),
    ];
    consumer.subscribe(&topics.iter().map(String::as_str).collect::<Vec<_>>())?;
    let mut seen = HashSet::new();
    let mut last = Instant::now();
    while last.elapsed() < Duration::from_secs(args.idle_seconds) {
        if args.stop_after.is_some_and(|n| seen.len() >= n) {
            break;
        }
        let Some(message) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let message = message?;
        last = Instant::now();
        let header = |name: &str| {
            message.headers().and_then(|headers| {
                headers
                    .iter()
                    .find(|h| h.key == name)
                    .and_then(|h| h.value)
                    .map(|v| String::from_utf8_lossy(v).into_owned())
            })
        };
        let id = header("ce_id").unwrap_or_default();
        if seen.insert(id) {
            let envelope: serde_json::Value =
                serde_json::from_slice(message.payload().unwrap_or_default())?;
            println!(
                "{} {} {}",
                envelope["globalPosition"],
                header("ce_type").unwrap_or_default(),
                envelope["aggregateId"].as_str().unwrap_or_default()
            );
        }
        consumer.commit_message(&message, CommitMode::Async)?;
    }
    Ok(())
}
