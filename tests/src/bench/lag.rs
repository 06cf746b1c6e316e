//! Phase 3: projection lag at a fixed command rate. Commands go through the command handler
//! (no HTTP); for every command, the time from `execute` returning (committed) until the
//! PostgreSQL read model shows its version.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgListener;
use tokio::sync::{mpsc, Semaphore};
use uuid::Uuid;
use wayfarer_infra::db;
use wayfarer_projections::checkpoint;
use wayfarer_projections::itinerary::pg;
use wayfarer_tests::fixtures::{ItineraryHandler, RunCommand};
use wayfarer_tests::ALL_PROJECTIONS;
use wayfarer_tests::{fixtures, TestSystem};

use crate::stats::{micros, ErrorSamples, Summary, Tally};
use crate::support::wait_projections;

const ITEMS_PER_ITINERARY: usize = 9;
/// A command not visible in the read model after this long counts as a timeout.
const VISIBILITY_TIMEOUT: Duration = Duration::from_secs(10);
/// The read model is looked at least this often, announcements or not.
const FALLBACK_POLL: Duration = Duration::from_millis(20);

#[derive(Debug, Clone)]
pub struct LagRun {
    pub target_rate: u32,
    pub tasks: usize,
    pub issued: u64,
    pub ok: u64,
    pub errors: u64,
    /// Commands the ticker could not hand out because every task was busy for too long.
    pub skipped: u64,
    pub elapsed: Duration,
    /// `execute` latency (append + outcome lookup).
    pub command_latency: Summary,
    /// Commit → visible in `itinerary_view`.
    pub lag: Summary,
    /// Commit → the relay's checkpoint (broker acknowledged) passed its position; approximate,
    /// since the relay orders by transaction id and position.
    pub relay_lag: Summary,
    pub timeouts: u64,
    pub polls: u64,
    pub error_samples: ErrorSamples,
    /// The worst lag of the commands committed in each second of the run, in milliseconds
    /// (a stall shows as a run of high seconds, a slow tail as scattered ones).
    pub worst_by_second_ms: Vec<u64>,
}

impl LagRun {
    pub fn achieved_rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A committed command waiting to show up in the read model.
struct Pending {
    id: Uuid,
    version: i64,
    position: i64,
    committed: Instant,
    relayed: bool,
}

pub async fn run(
    system: &TestSystem,
    rate: u32,
    seconds: u64,
    tasks: usize,
) -> anyhow::Result<LagRun> {
    anyhow::ensure!(rate > 0 && tasks > 0, "rate and tasks must be positive");
    let mut pg = system.settings.postgres.clone();
    pg.max_connections = tasks as u32 + 2;
    let command_pool = db::connect(&pg).await?;
    let handler = Arc::new(ItineraryHandler::new(command_pool.clone()));
    // Warm-up: one command seen by every projection, so that every consumer has joined its
    // group and been assigned its partitions (on a fresh system that takes seconds, which is
    // start-up, not lag).
    let owner = Uuid::now_v7();
    let warmup = Uuid::now_v7();
    handler
        .run(
            warmup,
            fixtures::create_trip(owner, warmup, "Lag warm-up".into(), 6),
            &fixtures::metadata(owner),
        )
        .await?;
    wait_projections(&system.pool, &ALL_PROJECTIONS, Duration::from_secs(300)).await?;
    let permits = Arc::new(Semaphore::new(0));
    let (sender, receiver) = mpsc::unbounded_channel::<Pending>();
    let start = Instant::now();
    let watcher = tokio::spawn(watch(
        system.pool.clone(),
        receiver,
        start,
        system.settings.postgres.schema.clone(),
    ));

    let window = Duration::from_secs(seconds);
    let workers: Vec<_> = (0..tasks)
        .map(|index| {
            let handler = handler.clone();
            let permits = permits.clone();
            let sender = sender.clone();
            tokio::spawn(worker(handler, permits, sender, index))
        })
        .collect();
    drop(sender);

    // The ticker: hands out permits so that `rate × elapsed` commands have been released at
    // every moment. A backlog beyond one second's worth is not queued (counted as skipped).
    let mut issued = 0u64;
    let mut skipped = 0u64;
    let mut ticker = tokio::time::interval(Duration::from_millis(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticker.tick().await;
        let elapsed = start.elapsed().min(window);
        let due = (elapsed.as_secs_f64() * f64::from(rate)) as u64;
        if due > issued {
            let add = (due - issued) as usize;
            if permits.available_permits() > rate as usize {
                skipped += add as u64;
            } else {
                permits.add_permits(add);
            }
            issued = due;
        }
        if elapsed >= window {
            break;
        }
    }
    // Let the tasks take the last permits (they may all be busy right now), then stop them.
    let grace = Instant::now() + Duration::from_secs(2);
    while permits.available_permits() > 0 && Instant::now() < grace {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    skipped += permits.available_permits() as u64;
    permits.close();

    let Tally {
        latencies,
        ok,
        errors,
        error_samples,
        last_done,
    } = Tally::join(start, workers).await?;
    let seen = watcher.await??;
    command_pool.close().await;
    Ok(LagRun {
        target_rate: rate,
        tasks,
        issued: issued - skipped,
        ok,
        errors,
        skipped,
        elapsed: last_done.saturating_duration_since(start).max(window),
        command_latency: Summary::of_micros(latencies),
        lag: Summary::of_micros(seen.lags),
        relay_lag: Summary::of_micros(seen.relay_lags),
        timeouts: seen.timeouts,
        polls: seen.polls,
        error_samples,
        worst_by_second_ms: seen.worst_by_second_ms,
    })
}

/// Takes one permit per command; each itinerary gets a create and nine items, then a new one
/// starts.
async fn worker(
    handler: Arc<ItineraryHandler>,
    permits: Arc<Semaphore>,
    sender: mpsc::UnboundedSender<Pending>,
    index: usize,
) -> Tally {
    let owner = Uuid::now_v7();
    let mut result = Tally::new(Instant::now());
    let mut current: Option<(Uuid, usize)> = None;
    let mut trip = 0usize;
    while let Ok(permit) = permits.acquire().await {
        permit.forget();
        let (id, command) = match current {
            Some((id, items)) if items < ITEMS_PER_ITINERARY => {
                let command = fixtures::add_stop(owner, items, (items % 5) as i64, Some(1500));
                (id, command)
            }
            _ => {
                trip += 1;
                let id = Uuid::now_v7();
                current = Some((id, 0));
                let command =
                    fixtures::create_trip(owner, id, format!("Lag trip {index}-{trip}"), 6);
                (id, command)
            }
        };
        let metadata = fixtures::metadata(owner);
        let started = Instant::now();
        let outcome = handler.run(id, command, &metadata).await;
        let committed = Instant::now();
        result.last_done = committed;
        match outcome {
            Ok(outcome) => {
                result.ok += 1;
                result.latencies.push(micros(committed - started));
                if let Some((_, items)) = &mut current {
                    if outcome.version > 1 {
                        *items += 1;
                    }
                }
                let _ = sender.send(Pending {
                    id,
                    version: outcome.version as i64,
                    position: outcome.position,
                    committed,
                    relayed: false,
                });
            }
            Err(error) => {
                result.errors += 1;
                result.error_samples.add(&error.to_string());
                // Start a fresh itinerary after any failure.
                current = None;
            }
        }
    }
    result
}

struct Seen {
    lags: Vec<u64>,
    relay_lags: Vec<u64>,
    timeouts: u64,
    polls: u64,
    worst_by_second_ms: Vec<u64>,
}

/// Looks at the read model whenever the detail view announces a recorded batch (PostgreSQL
/// `LISTEN/NOTIFY`, as read-your-writes does), and at least every `FALLBACK_POLL`, for every
/// command still pending (one query for all of them), until the workers are done and nothing
/// is pending. (Polling every millisecond instead cost a third of a core on this machine,
/// taken from the system being measured.)
async fn watch(
    pool: sqlx::PgPool,
    mut receiver: mpsc::UnboundedReceiver<Pending>,
    start: Instant,
    schema: String,
) -> anyhow::Result<Seen> {
    let mut seen = Seen {
        lags: Vec::new(),
        relay_lags: Vec::new(),
        timeouts: 0,
        polls: 0,
        worst_by_second_ms: Vec::new(),
    };
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(checkpoint::PROGRESS_CHANNEL).await?;
    let announcement = format!("{schema}:{}", pg::NAME);
    let mut pending: Vec<Pending> = Vec::new();
    let mut open = true;
    let mut fallback = tokio::time::interval(FALLBACK_POLL);
    fallback.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut connection = pool.acquire().await?;
    loop {
        if pending.is_empty() && !open {
            break;
        }
        tokio::select! {
            item = receiver.recv(), if open => {
                match item {
                    Some(item) => pending.push(item),
                    None => open = false,
                }
                continue;
            }
            notification = listener.recv() => {
                if notification?.payload() != announcement {
                    continue;
                }
            }
            _ = fallback.tick() => {}
        }
        loop {
            match receiver.try_recv() {
                Ok(item) => pending.push(item),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
            }
        }
        if pending.is_empty() {
            continue;
        }
        let mut ids: Vec<Uuid> = pending.iter().map(|p| p.id).collect();
        ids.sort_unstable();
        ids.dedup();
        let (relay_position, found_ids, found_versions): (i64, Vec<Uuid>, Vec<i64>) =
            sqlx::query_as(
                "SELECT coalesce((SELECT global_position FROM relay_checkpoints WHERE relay = 'kafka'), 0), \
                        coalesce(array_agg(itinerary_id), '{}'), coalesce(array_agg(version), '{}') \
                 FROM itinerary_view WHERE itinerary_id = ANY($1)",
            )
            .bind(&ids)
            .fetch_one(&mut *connection)
            .await?;
        seen.polls += 1;
        let now = Instant::now();
        let versions: HashMap<Uuid, i64> = found_ids.into_iter().zip(found_versions).collect();
        pending.retain_mut(|p| {
            if !p.relayed && relay_position >= p.position {
                p.relayed = true;
                seen.relay_lags.push(micros(now - p.committed));
            }
            if versions.get(&p.id).is_some_and(|v| *v >= p.version) {
                if !p.relayed {
                    // Projected implies published; the checkpoint write may just trail.
                    seen.relay_lags.push(micros(now - p.committed));
                }
                let lag = micros(now - p.committed);
                seen.lags.push(lag);
                let second = p.committed.saturating_duration_since(start).as_secs() as usize;
                if seen.worst_by_second_ms.len() <= second {
                    seen.worst_by_second_ms.resize(second + 1, 0);
                }
                let worst = &mut seen.worst_by_second_ms[second];
                *worst = (*worst).max(lag / 1000);
                false
            } else if now - p.committed > VISIBILITY_TIMEOUT {
                seen.timeouts += 1;
                false
            } else {
                true
            }
        });
    }
    Ok(seen)
}
