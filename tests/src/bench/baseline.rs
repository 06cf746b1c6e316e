//! Phase 2: the raw append ceiling at the same concurrency, as the yardstick for phase 1.
//! One-row autocommit INSERTs into a table shaped like our `events` table, each client on its
//! own connection, in a fresh schema.

use std::time::{Duration, Instant};

use chrono::Utc;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;
use wayfarer_infra::{db, Settings};
use wayfarer_schemas::{
    Category, EventMetadata, ItemDetails, ItineraryEvent, Location, MoneyAmount,
};

use crate::stats::{ErrorSamples, Summary, Tally};
use crate::support::drop_schema;

/// Rows appended to one aggregate before moving on to a new one (like the commands phase).
const ROWS_PER_AGGREGATE: i64 = 10;
/// Size of the JSON payload of each row, in bytes.
pub const PAYLOAD_BYTES: usize = 450;

#[derive(Debug, Clone)]
pub struct BaselineRun {
    pub clients: usize,
    pub ok: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latency: Summary,
    pub error_samples: ErrorSamples,
}

impl BaselineRun {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs the baseline at each client count in one fresh schema, dropped afterwards.
pub async fn run_all(
    client_counts: &[usize],
    warmup: Duration,
    measure: Duration,
) -> anyhow::Result<Vec<BaselineRun>> {
    let settings = wayfarer_tests::system::isolated_settings("benchraw");
    db::migrate(&settings.postgres).await?; // creates the schema (and our tables, unused here)
    let mut setup = db::connect_single(&settings.postgres).await?;
    sqlx::query(
        "CREATE TABLE raw_events (
            aggregate_id    text   NOT NULL,
            sequence        bigint NOT NULL,
            payload         json   NOT NULL,
            metadata        json   NOT NULL,
            global_position bigserial NOT NULL,
            tx_id           xid8   NOT NULL DEFAULT pg_current_xact_id(),
            PRIMARY KEY (aggregate_id, sequence)
        )",
    )
    .execute(&mut setup)
    .await?;
    setup.close().await?;
    let payload = payload();
    let metadata = serde_json::to_string(
        &EventMetadata::for_new_command(Some(Uuid::now_v7()), Uuid::now_v7()).to_map(),
    )?;
    let mut runs = Vec::new();
    let mut result = Ok(());
    for &clients in client_counts {
        eprintln!("baseline: raw INSERTs with {clients} client(s)…");
        match run_once(&settings, clients, warmup, measure, &payload, &metadata).await {
            Ok(run) => runs.push(run),
            Err(error) => {
                result = Err(error);
                break;
            }
        }
    }
    drop_schema(&settings, &settings.postgres.schema).await?;
    result.map(|()| runs)
}

async fn run_once(
    settings: &Settings,
    clients: usize,
    warmup: Duration,
    measure: Duration,
    payload: &str,
    metadata: &str,
) -> anyhow::Result<BaselineRun> {
    // Connect everyone before the clock starts.
    let mut connections = Vec::with_capacity(clients);
    for _ in 0..clients {
        connections.push(db::connect_single(&settings.postgres).await?);
    }
    let start = Instant::now();
    let warm_end = start + warmup;
    let end = warm_end + measure;
    let tasks: Vec<_> = connections
        .into_iter()
        .enumerate()
        .map(|(index, connection)| {
            let payload = payload.to_owned();
            let metadata = metadata.to_owned();
            tokio::spawn(async move {
                insert_loop(connection, index, &payload, &metadata, warm_end, end).await
            })
        })
        .collect();
    let Tally {
        latencies,
        ok,
        errors,
        error_samples,
        last_done,
    } = Tally::join(warm_end, tasks).await?;
    Ok(BaselineRun {
        clients,
        ok,
        errors,
        elapsed: last_done.saturating_duration_since(warm_end).max(measure),
        latency: Summary::of_micros(latencies),
        error_samples,
    })
}

async fn insert_loop(
    mut connection: PgConnection,
    index: usize,
    payload: &str,
    metadata: &str,
    warm_end: Instant,
    end: Instant,
) -> Tally {
    let mut result = Tally::new(warm_end);
    let mut aggregate = String::new();
    let mut sequence = ROWS_PER_AGGREGATE;
    while Instant::now() < end {
        if sequence == ROWS_PER_AGGREGATE {
            aggregate = format!("{index}-{}", Uuid::now_v7());
            sequence = 0;
        }
        sequence += 1;
        let started = Instant::now();
        let outcome = sqlx::query(
            "INSERT INTO raw_events (aggregate_id, sequence, payload, metadata) \
             VALUES ($1, $2, $3::json, $4::json)",
        )
        .bind(&aggregate)
        .bind(sequence)
        .bind(payload)
        .bind(metadata)
        .execute(&mut connection)
        .await;
        if result.record(warm_end, started, &outcome) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let _ = connection.close().await;
    result
}

/// A realistic item-added event padded to exactly [`PAYLOAD_BYTES`].
fn payload() -> String {
    let event = |description: String| ItineraryEvent::ItineraryItemAdded {
        item_id: Uuid::now_v7(),
        details: ItemDetails {
            title: "Belém Tower".into(),
            description: Some(description),
            start_time: Utc::now(),
            end_time: Utc::now(),
            location: Some(Location {
                name: "Belém Tower".into(),
                lat: 38.6916,
                lon: -9.216,
            }),
            category: Category::Sightseeing,
            estimated_cost: Some(MoneyAmount {
                amount_minor: 1500,
                currency: "EUR".into(),
            }),
        },
        added_at: Utc::now(),
    };
    let base = serde_json::to_string(&event(String::new())).expect("events serialise");
    let padding = PAYLOAD_BYTES.saturating_sub(base.len());
    let padded = serde_json::to_string(&event("x".repeat(padding))).expect("events serialise");
    debug_assert_eq!(padded.len(), PAYLOAD_BYTES.max(base.len()));
    padded
}
