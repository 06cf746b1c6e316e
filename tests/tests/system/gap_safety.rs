//! The relay never skips a late-committing transaction and keeps per-aggregate order.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use uuid::Uuid;
use wayfarer_schemas::EventContract;
use wayfarer_schemas::{ItineraryDetails, ItineraryEvent, Visibility};
use wayfarer_tests::kafka_reader::read_topic;
use wayfarer_tests::{schema_check, Roles, TestSystem};

const WRITERS: usize = 16;
const EVENTS_PER_WRITER: usize = 640;
const AGGREGATES_PER_WRITER: usize = 8;

fn details(title: String) -> ItineraryDetails {
    ItineraryDetails {
        title,
        start_date: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        end_date: NaiveDate::from_ymd_opt(2027, 1, 9).unwrap(),
        visibility: Visibility::Public,
        base_currency: "EUR".into(),
    }
}

fn event_for(id: Uuid, sequence: i64) -> ItineraryEvent {
    if sequence == 1 {
        ItineraryEvent::ItineraryCreated {
            itinerary_id: id,
            owner_id: Uuid::nil(),
            details: details("gap test".into()),
            status: wayfarer_schemas::itinerary::ItineraryStatus::Draft,
            created_at: Utc::now(),
        }
    } else {
        ItineraryEvent::ItineraryUpdated {
            details: details(format!("revision {sequence}")),
            updated_at: Utc::now(),
        }
    }
}

/// One writer: transactions of 1–4 events over its own aggregates; every fourth writer holds
/// each transaction open for a while, so later transactions (with higher positions) commit
/// first.
/// Commit order across writers, to prove late commits happened.
static COMMITS: AtomicU64 = AtomicU64::new(0);

/// `(commit order, lowest position, highest position)` of one transaction.
type CommitRecord = (u64, i64, i64);

async fn writer(pool: sqlx::PgPool, index: usize) -> (Vec<(Uuid, i64)>, Vec<CommitRecord>) {
    let aggregates: Vec<Uuid> = (0..AGGREGATES_PER_WRITER).map(|_| Uuid::now_v7()).collect();
    let mut next: HashMap<Uuid, i64> = aggregates.iter().map(|id| (*id, 1)).collect();
    let mut written = Vec::new();
    let slow = index.is_multiple_of(4);
    let mut round = 0usize;
    let mut commits = Vec::new();
    while written.len() < EVENTS_PER_WRITER {
        let mut tx = pool.begin().await.unwrap();
        let mut positions = Vec::new();
        let in_tx = 1 + (round + index) % 4;
        for _ in 0..in_tx.min(EVENTS_PER_WRITER - written.len()) {
            let id = aggregates[(round + written.len()) % AGGREGATES_PER_WRITER];
            let sequence = next[&id];
            let event = event_for(id, sequence);
            let metadata = wayfarer_schemas::EventMetadata::for_new_command(None, Uuid::now_v7());
            let (position,): (i64,) = sqlx::query_as(
                "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
                 VALUES ('itinerary', $1, $2, $3, '2.0', $4, $5) RETURNING global_position",
            )
            .bind(id.to_string())
            .bind(sequence)
            .bind(event.event_type())
            .bind(serde_json::to_value(&event).unwrap())
            .bind(serde_json::to_value(metadata.to_map()).unwrap())
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            positions.push(position);
            next.insert(id, sequence + 1);
            written.push((id, sequence));
        }
        if slow {
            tokio::time::sleep(Duration::from_millis(5 + (round % 8) as u64 * 5)).await;
        }
        tx.commit().await.unwrap();
        let order = COMMITS.fetch_add(1, Ordering::SeqCst);
        commits.push((
            order,
            *positions.iter().min().unwrap(),
            *positions.iter().max().unwrap(),
        ));
        round += 1;
    }
    (written, commits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_writers_with_late_commits_lose_and_reorder_nothing() {
    let system = TestSystem::start(
        "gap",
        Roles {
            relay: true,
            ..Roles::none()
        },
    )
    .await
    .unwrap();
    let writers: Vec<_> = (0..WRITERS)
        .map(|index| tokio::spawn(writer(system.pool.clone(), index)))
        .collect();
    let mut expected: Vec<(Uuid, i64)> = Vec::new();
    let mut commits: Vec<CommitRecord> = Vec::new();
    for handle in writers {
        let (written, committed) = handle.await.unwrap();
        expected.extend(written);
        commits.extend(committed);
    }
    let total = expected.len();
    assert!(total >= 10_000);

    // Late commits really happened: a transaction committed after another one whose positions
    // were higher than some of its own (a naive "max position seen" reader would skip it).
    commits.sort();
    let mut highest_committed = i64::MIN;
    let mut late_commits = 0;
    for (_, lowest, highest) in &commits {
        if *lowest < highest_committed {
            late_commits += 1;
        }
        highest_committed = highest_committed.max(*highest);
    }
    assert!(late_commits > 0, "the test must produce late commits");

    let topic = system.settings.names().topic("itinerary");
    let brokers = system.settings.kafka.brokers.clone();
    let records = tokio::task::spawn_blocking(move || {
        read_topic(&brokers, &topic, total, Duration::from_secs(180))
    })
    .await
    .unwrap();
    assert_eq!(records.len(), total, "every event published exactly once");

    let mut seen: HashMap<String, Vec<i64>> = HashMap::new();
    let mut partition_of: HashMap<String, i32> = HashMap::new();
    for record in &records {
        let id = record.value["aggregateId"].as_str().unwrap().to_owned();
        assert_eq!(record.key, id, "keyed by aggregate id");
        assert_eq!(
            *partition_of.entry(id.clone()).or_insert(record.partition),
            record.partition
        );
        for header in ["ce_id", "ce_type", "ce_source", "ce_specversion"] {
            assert!(
                record.headers.iter().any(|(k, _)| k == header),
                "missing {header}"
            );
        }
        seen.entry(id)
            .or_default()
            .push(record.value["sequence"].as_i64().unwrap());
    }
    let mut expected_per_aggregate: HashMap<String, i64> = HashMap::new();
    for (id, sequence) in &expected {
        let max = expected_per_aggregate.entry(id.to_string()).or_default();
        *max = (*max).max(*sequence);
    }
    assert_eq!(seen.len(), expected_per_aggregate.len());
    for (id, sequences) in &seen {
        let expected: Vec<i64> = (1..=expected_per_aggregate[id]).collect();
        assert_eq!(
            sequences, &expected,
            "aggregate {id} arrives complete and in order"
        );
    }
    schema_check::assert_envelopes_valid(records.iter().map(|r| &r.value));
    system.stop().await;
}
