//! Phase 4: on one store of N events, the rebuild speed of each store's model (PostgreSQL,
//! OpenSearch, Redis), the pause readers see while a rebuild swaps its copy in, and the speed
//! of signing a checkpoint and of `events verify`.

use std::time::{Duration, Instant};
use wayfarer_schemas::EventContract;

use chrono::{NaiveDate, TimeZone, Utc};
use uuid::Uuid;
use wayfarer_infra::rebuild;
use wayfarer_schemas::itinerary::{AGGREGATE_TYPE, EVENT_VERSION};
use wayfarer_schemas::{
    Category, EventMetadata, ItemDetails, ItineraryDetails, ItineraryEvent, Location, MoneyAmount,
    Visibility,
};
use wayfarer_tests::{Roles, TestSystem};

/// Events per aggregate: one ItineraryCreated, then ItineraryItemAdded.
const EVENTS_PER_AGGREGATE: u64 = 10;
/// Rows per multi-row INSERT (a multiple of `EVENTS_PER_AGGREGATE`).
const INSERT_BATCH: u64 = 5000;

#[derive(Debug, Clone)]
pub struct RebuildRun {
    pub events: u64,
    pub aggregates: u64,
    pub insert_elapsed: Duration,
    pub rebuild_elapsed: Duration,
    pub rows: i64,
    pub item_rows: i64,
    pub search_elapsed: Duration,
    pub cache_elapsed: Duration,
    /// Reads of `itinerary_view` by id, issued back to back during a second PostgreSQL
    /// rebuild (its swap included).
    pub reads_during_rebuild: crate::stats::Summary,
    pub checkpoint_elapsed: Duration,
    pub verify_elapsed: Duration,
}

/// Events per second over `elapsed`.
pub fn rate(events: u64, elapsed: Duration) -> f64 {
    events as f64 / elapsed.as_secs_f64().max(1e-9)
}

impl RebuildRun {
    pub fn events_per_second(&self) -> f64 {
        self.events as f64 / self.rebuild_elapsed.as_secs_f64().max(1e-9)
    }

    pub fn insert_per_second(&self) -> f64 {
        self.events as f64 / self.insert_elapsed.as_secs_f64().max(1e-9)
    }
}

/// With `keep_store`, the store and models are left in place (and their isolation printed),
/// to run the CLI against a store of this size.
pub async fn run(events: u64, keep_store: bool) -> anyhow::Result<RebuildRun> {
    anyhow::ensure!(events > 0, "--rebuild-events must be positive");
    let system = TestSystem::start("benchrb", Roles::none()).await?;
    let result = measure(&system, events).await;
    if keep_store {
        eprintln!(
            "store kept: WAYFARER_POSTGRES_SCHEMA={} WAYFARER_KAFKA_PREFIX={} \
             WAYFARER_OPENSEARCH_PREFIX={} WAYFARER_REDIS_PREFIX={}",
            system.settings.postgres.schema,
            system.settings.kafka.prefix,
            system.settings.opensearch.prefix,
            system.settings.redis.prefix
        );
    } else {
        system.stop().await;
    }
    result
}

async fn measure(system: &TestSystem, events: u64) -> anyhow::Result<RebuildRun> {
    let owner = Uuid::now_v7();
    let started = Instant::now();
    let mut aggregates = 0u64;
    let mut written = 0u64;
    while written < events {
        let batch = INSERT_BATCH.min(events - written);
        let mut ids = Vec::with_capacity(batch as usize);
        let mut sequences = Vec::with_capacity(batch as usize);
        let mut types = Vec::with_capacity(batch as usize);
        let mut payloads = Vec::with_capacity(batch as usize);
        let mut metadata = Vec::with_capacity(batch as usize);
        let mut id = Uuid::nil();
        for n in written..written + batch {
            let sequence = n % EVENTS_PER_AGGREGATE + 1;
            if sequence == 1 {
                id = Uuid::now_v7();
                aggregates += 1;
            }
            let event = event_for(id, owner, sequence, aggregates);
            ids.push(id.to_string());
            sequences.push(sequence as i64);
            types.push(event.event_type().to_owned());
            payloads.push(serde_json::to_string(&event)?);
            metadata.push(serde_json::to_string(
                &EventMetadata::for_new_command(Some(owner), Uuid::now_v7()).to_map(),
            )?);
        }
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
             SELECT $1, u.aggregate_id, u.sequence, u.event_type, $2, u.payload::json, u.metadata::json \
             FROM UNNEST($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[]) \
                  AS u(aggregate_id, sequence, event_type, payload, metadata)",
        )
        .bind(AGGREGATE_TYPE)
        .bind(EVENT_VERSION)
        .bind(&ids)
        .bind(&sequences)
        .bind(&types)
        .bind(&payloads)
        .bind(&metadata)
        .execute(&system.pool)
        .await?;
        written += batch;
    }
    let insert_elapsed = started.elapsed();
    // Fresh statistics, as a real store would have.
    sqlx::query("ANALYZE events").execute(&system.pool).await?;

    let started = Instant::now();
    let report = rebuild::rebuild(
        &system.settings,
        system.projection(wayfarer_projections::itinerary::pg::NAME),
        &system.platform.events,
        false,
    )
    .await?;
    let rebuild_elapsed = started.elapsed();

    let (rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM itinerary_view")
        .fetch_one(&system.pool)
        .await?;
    let (item_rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM itinerary_item_view")
        .fetch_one(&system.pool)
        .await?;
    anyhow::ensure!(
        report.events == events,
        "rebuild read {} events, {events} were inserted",
        report.events
    );
    anyhow::ensure!(
        rows == aggregates as i64,
        "rebuild produced {rows} rows in itinerary_view, {aggregates} aggregates were inserted"
    );
    let items = (events - aggregates) as i64;
    anyhow::ensure!(
        item_rows == items,
        "itinerary_item_view has {item_rows} rows, {items} items were inserted"
    );

    // The other stores, from the same store.
    let mut timed = Vec::new();
    for name in [
        wayfarer_projections::itinerary::search::NAME,
        wayfarer_projections::itinerary::cache::NAME,
    ] {
        let started = Instant::now();
        let report = rebuild::rebuild(
            &system.settings,
            system.projection(name),
            &system.platform.events,
            false,
        )
        .await?;
        anyhow::ensure!(
            report.events == events,
            "{name} read {} events",
            report.events
        );
        timed.push(started.elapsed());
    }

    // What readers see while a rebuild runs and swaps its copy in.
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT itinerary_id FROM itinerary_view ORDER BY random() LIMIT 1000")
            .fetch_all(&system.pool)
            .await?;
    let stop = tokio_util::sync::CancellationToken::new();
    let reader = {
        let pool = system.pool.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut n = 0usize;
            while !stop.is_cancelled() {
                let started = Instant::now();
                let found =
                    wayfarer_projections::itinerary::pg::find(&pool, ids[n % ids.len()]).await?;
                anyhow::ensure!(
                    found.is_some(),
                    "a reader found no itinerary during the rebuild"
                );
                samples.push(crate::stats::micros(started.elapsed()));
                n += 1;
            }
            anyhow::Ok(samples)
        })
    };
    rebuild::rebuild(
        &system.settings,
        system.projection(wayfarer_projections::itinerary::pg::NAME),
        &system.platform.events,
        false,
    )
    .await?;
    stop.cancel();
    let reads_during_rebuild = crate::stats::Summary::of_micros(reader.await??);

    // Tamper evidence: the first checkpoint signs every stream; verify reads them all.
    let key = system.settings.audit.key()?;
    let started = Instant::now();
    wayfarer_audit::checkpoint::take(&system.pool, &key).await?;
    let checkpoint_elapsed = started.elapsed();
    let started = Instant::now();
    let verified = wayfarer_audit::verify::verify_store(&system.pool, &key.verifying_key()).await?;
    let verify_elapsed = started.elapsed();
    anyhow::ensure!(
        verified.intact() && verified.events == events,
        "verify read {} events with {} findings",
        verified.events,
        verified.findings.len()
    );
    Ok(RebuildRun {
        events,
        aggregates,
        insert_elapsed,
        rebuild_elapsed,
        rows,
        item_rows,
        search_elapsed: timed[0],
        cache_elapsed: timed[1],
        reads_during_rebuild,
        checkpoint_elapsed,
        verify_elapsed,
    })
}

fn event_for(id: Uuid, owner: Uuid, sequence: u64, n: u64) -> ItineraryEvent {
    let start = NaiveDate::from_ymd_opt(2027, 6, 1).expect("valid date");
    if sequence == 1 {
        ItineraryEvent::ItineraryCreated {
            itinerary_id: id,
            owner_id: owner,
            details: ItineraryDetails {
                title: format!("Rebuild trip {n}"),
                start_date: start,
                end_date: start + chrono::Duration::days(9),
                visibility: Visibility::Public,
                base_currency: "EUR".into(),
            },
            status: wayfarer_schemas::itinerary::ItineraryStatus::Draft,
            created_at: Utc::now(),
        }
    } else {
        let day = sequence - 2;
        let begins = Utc.from_utc_datetime(
            &(start + chrono::Duration::days(day as i64))
                .and_hms_opt(10, 0, 0)
                .expect("valid time"),
        );
        ItineraryEvent::ItineraryItemAdded {
            item_id: Uuid::now_v7(),
            details: ItemDetails {
                title: format!("Stop {day}"),
                description: None,
                start_time: begins,
                end_time: begins + chrono::Duration::hours(2),
                location: Some(Location {
                    name: format!("Place {day}"),
                    lat: 38.7 + day as f64 / 100.0,
                    lon: -9.14,
                }),
                category: Category::Sightseeing,
                estimated_cost: Some(MoneyAmount {
                    amount_minor: 1500,
                    currency: "EUR".into(),
                }),
            },
            added_at: Utc::now(),
        }
    }
}
