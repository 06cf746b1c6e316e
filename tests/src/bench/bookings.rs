//! The bookings phase (issue 10's figures): bookings end to end through a `wayfarer sagas`
//! process with the simulators at their default latency (aerolux 40 ms, skyhop 120 ms,
//! farefox 350 ms with 2% errors, the gateway 60 ms): completion time at a steady rate,
//! bookings per second for a burst, and how long bookings in flight take to resume after the
//! worker is SIGKILLed and restarted at once.
//!
//! Times come from the store: each booking's `BookingRequested`, `BookingConfirmed` (or
//! `BookingFailed`) and `BookingAddedToItinerary` record times, so polling costs nothing.

use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::process::{Child, Command};
use uuid::Uuid;
use wayfarer_suppliers::api::ActivitySearch;
use wayfarer_suppliers::client::{AdminClient, GatewayClient, SupplierClient};
use wayfarer_suppliers::{SimulatorConfig, CARD_SUCCEEDS};
use wayfarer_tests::cards::tokenise;
use wayfarer_tests::{GraphqlClient, Roles, TestSystem};

use crate::stats::Summary;

/// Set in a child process started by the phase: the benchmark binary runs `wayfarer`'s CLI
/// (here `sagas`) instead of benchmarking.
pub const AS_NODE_VAR: &str = "WAYFARER_BENCH_AS_NODE";

const PEOPLE: usize = 8;
const STEADY_RATE: u64 = 5;
const STEADY_SECONDS: u64 = 12;
const BURST: usize = 120;
const KILL_BATCH: usize = 40;
/// Paris, where every supplier sells activities.
const CITY: u32 = 2_988_507;
const BOOK: &str = "mutation($input: BookingInput!, $k: UUID) { bookActivity(input: $input, idempotencyKey: $k) { bookingId } }";

#[derive(Debug, Clone)]
pub struct BookingsRun {
    /// Requested → confirmed, at a steady rate.
    pub steady_confirmed: Summary,
    /// Requested → added to its itinerary, at a steady rate.
    pub steady_added: Summary,
    /// Bookings per second from the burst's first request to its last booking settled.
    pub burst_per_second: f64,
    pub burst_confirmed: Summary,
    /// Killed → the next step recorded, for each booking the killed worker had in hand.
    pub resume: Summary,
    pub in_flight_at_kill: usize,
    pub lease: Duration,
    pub bookings: usize,
    pub failed: usize,
    pub errors: usize,
}

#[derive(sqlx::FromRow)]
struct Timeline {
    requested: DateTime<Utc>,
    settled: Option<DateTime<Utc>>,
    confirmed: bool,
    added: Option<DateTime<Utc>>,
}

/// When each booking was requested, settled (confirmed or failed) and added to its itinerary.
async fn timelines(system: &TestSystem, ids: &[Uuid]) -> anyhow::Result<Vec<Timeline>> {
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    Ok(sqlx::query_as(
        "SELECT min(recorded_at) FILTER (WHERE event_type = 'BookingRequested') AS requested, \
         min(recorded_at) FILTER (WHERE event_type IN ('BookingConfirmed', 'BookingFailed')) \
           AS settled, \
         bool_or(event_type = 'BookingConfirmed') AS confirmed, \
         min(recorded_at) FILTER (WHERE event_type = 'BookingAddedToItinerary') AS added \
         FROM events WHERE aggregate_type = 'booking' AND aggregate_id = ANY($1) \
         GROUP BY aggregate_id",
    )
    .bind(&ids)
    .fetch_all(&system.pool)
    .await?)
}

/// Waits until every booking has settled and every confirmed one is in its itinerary.
async fn all_done(system: &TestSystem, ids: &[Uuid]) -> anyhow::Result<Vec<Timeline>> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let seen = timelines(system, ids).await?;
        let done = seen.len() == ids.len()
            && seen
                .iter()
                .all(|t| t.settled.is_some() && (!t.confirmed || t.added.is_some()));
        if done {
            return Ok(seen);
        }
        anyhow::ensure!(Instant::now() < deadline, "bookings did not settle");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn micros_between(from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
    (to - from).num_microseconds().unwrap_or(0).max(0) as u64
}

/// A `wayfarer sagas` process: this binary, running the CLI.
fn spawn_worker(system: &TestSystem) -> anyhow::Result<Child> {
    Ok(Command::new(std::env::current_exe()?)
        .arg("sagas")
        .envs(system.child_env())
        .env(AS_NODE_VAR, "1")
        .kill_on_drop(true)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?)
}

/// Bookers, each with money in a EUR wallet and a trip to book into.
async fn bookers(system: &TestSystem) -> anyhow::Result<Vec<(GraphqlClient, String)>> {
    let gateway = GatewayClient::new(
        system.suppliers_url.clone().expect("simulators running"),
        Duration::from_secs(10),
    );
    let anonymous = system.graphql();
    let mut bookers = Vec::new();
    for n in 0..PEOPLE {
        let (client, _) = anonymous.register_user(&format!("booker{n}")).await;
        let card = tokenise(&gateway, CARD_SUCCEEDS).await;
        client
            .data(
                "mutation($pm: String, $k: UUID) { topUpWallet(currency: \"EUR\", amountMinor: 90000000, paymentMethod: $pm, idempotencyKey: $k) { position } }",
                json!({ "pm": card, "k": Uuid::new_v4() }),
            )
            .await;
        // The trip spans the offers' days (30 to 60 days ahead).
        let day = |ahead: i64| (Utc::now() + chrono::Duration::days(ahead)).date_naive();
        let trip = client
            .data(
                "mutation($from: NaiveDate!, $to: NaiveDate!) { createItinerary(input: {title: \"Booked trip\", startDate: $from, endDate: $to, visibility: PRIVATE, baseCurrency: \"EUR\"}) { itineraryId } }",
                json!({ "from": day(1), "to": day(90) }),
            )
            .await["createItinerary"]["itineraryId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        bookers.push((client, trip));
    }
    Ok(bookers)
}

/// Activity offers of every supplier over many days, so no slot sells out.
async fn offers(system: &TestSystem) -> anyhow::Result<Vec<String>> {
    let client = SupplierClient::new(
        system.suppliers_url.clone().expect("simulators running"),
        Duration::from_secs(30),
    );
    let mut offers = Vec::new();
    for days in 30..60 {
        let date = (Utc::now() + chrono::Duration::days(days)).date_naive();
        for supplier in ["aerolux", "skyhop", "farefox"] {
            // A search the supplier fails (its default error rate) is one fewer day of offers.
            let Ok(found) = client
                .search_activities(
                    supplier,
                    &ActivitySearch {
                        city: CITY,
                        date,
                        participants: 1,
                    },
                )
                .await
            else {
                continue;
            };
            offers.extend(
                found
                    .into_iter()
                    .filter(|o| o.capacity_left >= 4)
                    .map(|o| o.offer_id),
            );
        }
    }
    anyhow::ensure!(offers.len() >= 100, "too few offers: {}", offers.len());
    Ok(offers)
}

/// Books offer number `n` for booker `n % PEOPLE`; the booking's id.
async fn book(
    bookers: &[(GraphqlClient, String)],
    offers: &[String],
    n: usize,
) -> Result<Uuid, String> {
    let (client, trip) = &bookers[n % bookers.len()];
    let response = client
        .execute(
            BOOK,
            json!({ "input": { "offerId": offers[n % offers.len()], "travellers": ["Bench Traveller"], "itineraryId": trip, "walletCurrency": "EUR" }, "k": Uuid::new_v4() }),
        )
        .await;
    response["data"]["bookActivity"]["bookingId"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| response.to_string())
}

/// Books `count` offers from `first` on, `concurrency` at a time.
async fn book_many(
    bookers: &[(GraphqlClient, String)],
    offers: &[String],
    first: usize,
    count: usize,
    errors: &mut usize,
) -> Vec<Uuid> {
    let results: Vec<Result<Uuid, String>> = futures::stream::iter(first..first + count)
        .map(|n| book(bookers, offers, n))
        .buffer_unordered(16)
        .collect()
        .await;
    *errors += results.iter().filter(|r| r.is_err()).count();
    results.into_iter().filter_map(Result::ok).collect()
}

pub async fn run() -> anyhow::Result<BookingsRun> {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec![],
    };
    let system = TestSystem::start("benchbookings", roles).await?;
    let simulator = AdminClient::new(
        system.suppliers_url.clone().expect("simulators running"),
        Duration::from_secs(10),
    );
    let defaults = SimulatorConfig::default();
    for supplier in &defaults.suppliers {
        simulator
            .set_faults(&supplier.name, &supplier.default_faults)
            .await?;
    }
    simulator
        .set_faults("gateway", &defaults.gateway_faults)
        .await?;
    eprintln!("bookings: {PEOPLE} bookers top up; gathering offers…");
    let bookers = bookers(&system).await?;
    let offers = offers(&system).await?;
    let mut errors = 0;
    let mut worker = spawn_worker(&system)?;
    let mut next = 0;

    // Warm-up: the worker's consumer joins its group, the breakers and pools fill.
    let warm = book_many(&bookers, &offers, next, 4, &mut errors).await;
    next += 4;
    all_done(&system, &warm).await?;

    eprintln!("bookings: {STEADY_RATE}/s for {STEADY_SECONDS} s…");
    let mut steady = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(1000 / STEADY_RATE));
    for _ in 0..STEADY_RATE * STEADY_SECONDS {
        ticker.tick().await;
        match book(&bookers, &offers, next).await {
            Ok(id) => steady.push(id),
            Err(_) => errors += 1,
        }
        next += 1;
    }
    let steady_seen = all_done(&system, &steady).await?;

    eprintln!("bookings: a burst of {BURST}…");
    let burst = book_many(&bookers, &offers, next, BURST, &mut errors).await;
    next += BURST;
    let burst_seen = all_done(&system, &burst).await?;
    let first = burst_seen.iter().map(|t| t.requested).min();
    let last = burst_seen.iter().filter_map(|t| t.settled).max();
    let burst_per_second = match (first, last) {
        (Some(first), Some(last)) => {
            burst.len() as f64 / ((last - first).num_milliseconds().max(1) as f64 / 1000.0)
        }
        _ => 0.0,
    };

    eprintln!("bookings: {KILL_BATCH} more, the worker SIGKILLed among them and restarted…");
    let in_flight = book_many(&bookers, &offers, next, KILL_BATCH, &mut errors).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    worker.start_kill()?;
    worker.wait().await?;
    let killed_at = Utc::now();
    let held: Vec<Uuid> = timelines(&system, &in_flight)
        .await?
        .into_iter()
        .zip(in_flight.iter())
        .filter(|(t, _)| t.settled.is_none() || (t.confirmed && t.added.is_none()))
        .map(|(_, id)| *id)
        .collect();
    let mut worker = spawn_worker(&system)?;
    let kill_seen = all_done(&system, &in_flight).await?;
    let resumed: Vec<u64> = next_steps_after(&system, &held, killed_at).await?;
    worker.start_kill()?;
    worker.wait().await?;

    let all: Vec<&Timeline> = steady_seen
        .iter()
        .chain(&burst_seen)
        .chain(&kill_seen)
        .collect();
    let failed = all.iter().filter(|t| !t.confirmed).count();
    let confirmed_latency = |seen: &[Timeline]| {
        Summary::of_micros(
            seen.iter()
                .filter(|t| t.confirmed)
                .filter_map(|t| t.settled.map(|s| micros_between(t.requested, s)))
                .collect(),
        )
    };
    let run = BookingsRun {
        steady_confirmed: confirmed_latency(&steady_seen),
        steady_added: Summary::of_micros(
            steady_seen
                .iter()
                .filter_map(|t| t.added.map(|a| micros_between(t.requested, a)))
                .collect(),
        ),
        burst_per_second,
        burst_confirmed: confirmed_latency(&burst_seen),
        resume: Summary::of_micros(resumed),
        in_flight_at_kill: held.len(),
        lease: system.settings.sagas.lease,
        bookings: all.len(),
        failed,
        errors,
    };
    system.stop().await;
    Ok(run)
}

/// For each booking, the time from `killed_at` to its first event recorded after it.
async fn next_steps_after(
    system: &TestSystem,
    ids: &[Uuid],
    killed_at: DateTime<Utc>,
) -> anyhow::Result<Vec<u64>> {
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let firsts: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT min(recorded_at) FROM events WHERE aggregate_type = 'booking' \
         AND aggregate_id = ANY($1) AND recorded_at > $2 GROUP BY aggregate_id",
    )
    .bind(&ids)
    .bind(killed_at)
    .fetch_all(&system.pool)
    .await?;
    Ok(firsts
        .into_iter()
        .map(|at| micros_between(killed_at, at))
        .collect())
}

/// The phase's lines for the report.
pub fn summary_json(run: &BookingsRun) -> Value {
    json!({
        "steady_rate_per_second": STEADY_RATE,
        "steady_confirmed_ms": run.steady_confirmed.to_json(),
        "steady_added_ms": run.steady_added.to_json(),
        "burst": BURST,
        "burst_per_second": run.burst_per_second,
        "burst_confirmed_ms": run.burst_confirmed.to_json(),
        "in_flight_at_kill": run.in_flight_at_kill,
        "resume_after_kill_ms": run.resume.to_json(),
        "lease_ms": run.lease.as_millis() as u64,
        "bookings": run.bookings,
        "failed": run.failed,
        "errors": run.errors,
    })
}
