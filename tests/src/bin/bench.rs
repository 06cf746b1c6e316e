//! The Wayfarer benchmark: command throughput through GraphQL against a raw-INSERT baseline,
//! projection lag at a fixed command rate against the broker's own floor at that rate, and
//! rebuild speed. Runs the real system in-process against the local services (PostgreSQL,
//! the Kafka-protocol broker, Redis, OpenSearch), isolated under fresh schemas, topics, indexes and key
//! prefixes; prints a table and a JSON object.
//!
//! `cargo build --release -p wayfarer-tests --bin bench && target/release/bench`
#![allow(clippy::print_stdout)]

#[path = "../bench/baseline.rs"]
mod baseline;
#[path = "../bench/bookings.rs"]
mod bookings;
#[path = "../bench/broker.rs"]
mod broker;
#[path = "../bench/commands.rs"]
mod commands;
#[path = "../bench/lag.rs"]
mod lag;
#[path = "../bench/people.rs"]
mod people;
#[path = "../bench/plan.rs"]
mod plan;
#[path = "../bench/rebuild.rs"]
mod rebuild;
#[path = "../bench/report.rs"]
mod report;
#[path = "../bench/social.rs"]
mod social;
#[path = "../bench/stats.rs"]
mod stats;
#[path = "../bench/support.rs"]
mod support;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use wayfarer_tests::{Roles, TestSystem};

use crate::report::Results;

/// Measures Wayfarer's command throughput, projection lag and rebuild speed.
#[derive(Debug, Parser)]
#[command(name = "bench")]
struct Args {
    /// Concurrent clients for the command and baseline phases.
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 4, 16, 64])]
    clients: Vec<usize>,
    /// Measured seconds per client count (after a warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Warm-up before each measurement, not counted (milliseconds).
    #[arg(long, default_value_t = 1000)]
    warmup_ms: u64,
    /// Commands per second (total) in the lag phase.
    #[arg(long, default_value_t = 1000)]
    lag_rate: u32,
    /// Duration of the lag phase.
    #[arg(long, default_value_t = 10)]
    lag_seconds: u64,
    /// Concurrent tasks issuing commands in the lag phase.
    #[arg(long, default_value_t = 32)]
    lag_tasks: usize,
    /// Events inserted before timing the rebuild.
    #[arg(long, default_value_t = 100_000)]
    rebuild_events: u64,
    /// Leave the rebuild phase's store (and models) in place, to try the CLI on it.
    #[arg(long)]
    keep_store: bool,
    /// Diagnostic: run the command phase with the API role only (no relay, no projectors),
    /// to see what the background work costs. Not allowed with the lag phase.
    #[arg(long)]
    api_only: bool,
    /// Also write the JSON results to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Phases to run.
    #[arg(long, value_delimiter = ',', default_values_t = [Phase::Baseline, Phase::Commands, Phase::Lag, Phase::Broker, Phase::Rebuild, Phase::People, Phase::Plan, Phase::Bookings, Phase::Social])]
    phases: Vec<Phase>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Phase {
    Baseline,
    Commands,
    Lag,
    /// The broker alone at the lag rate, as the yardstick for the lag phase.
    Broker,
    /// The same with one Kafka transaction per burst (what a transactional relay would cost).
    BrokerTx,
    Rebuild,
    /// Login latency and `user(userId)` reads per second.
    People,
    /// Planning together: `expensesSummary`, `itineraryAsOf`, change delivery to a collaborator.
    Plan,
    /// Bookings end to end through a `wayfarer sagas` process: completion time, bookings/s,
    /// resuming after the process is SIGKILLed.
    Bookings,
    /// Share and review: a post's fan-out to 10,000 followers, `feed` reads at 32 clients,
    /// `reviewsForPlace` on a place with 10,000 reviews.
    Social,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Phase::Baseline => "baseline",
            Phase::Commands => "commands",
            Phase::Lag => "lag",
            Phase::Broker => "broker",
            Phase::BrokerTx => "broker-tx",
            Phase::Rebuild => "rebuild",
            Phase::People => "people",
            Phase::Plan => "plan",
            Phase::Bookings => "bookings",
            Phase::Social => "social",
        };
        f.write_str(name)
    }
}

fn main() -> anyhow::Result<()> {
    // The bookings phase starts this binary again as a `wayfarer sagas` process (to SIGKILL
    // it): it runs the CLI then, with its own runtime.
    if std::env::var_os(bookings::AS_NODE_VAR).is_some() {
        return wayfarer_infra::runtime::run_cli();
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench())
}

async fn bench() -> anyhow::Result<()> {
    let args = Args::parse();
    // Warnings only unless RUST_LOG asks for more (e.g. RUST_LOG=info shows rebuild phases).
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "warn");
    }
    let _telemetry = wayfarer_infra::telemetry::init();
    anyhow::ensure!(
        args.clients.iter().all(|&c| c > 0),
        "--clients must be positive"
    );
    anyhow::ensure!(args.seconds > 0, "--seconds must be positive");
    let warmup = Duration::from_millis(args.warmup_ms);
    let measure = Duration::from_secs(args.seconds);
    let mut results = Results::default();

    // The baseline runs first, alone: the system's idle polling would otherwise slow it down
    // and flatter the ratio.
    if args.phases.contains(&Phase::Baseline) {
        results.baseline = baseline::run_all(&args.clients, warmup, measure).await?;
    }

    if args.phases.contains(&Phase::Commands) || args.phases.contains(&Phase::Lag) {
        anyhow::ensure!(
            !(args.api_only && args.phases.contains(&Phase::Lag)),
            "--api-only runs no projectors: leave out the lag phase (--phases commands)"
        );
        eprintln!(
            "starting the system ({})…",
            if args.api_only {
                "API only"
            } else {
                "API, relay, every projector"
            }
        );
        let roles = if args.api_only {
            Roles::api_only()
        } else {
            Roles::all()
        };
        let system = TestSystem::start("bench", roles).await?;
        let outcome = system_phases(&args, &system, warmup, measure, &mut results).await;
        system.stop().await;
        outcome?;
    }

    if args.phases.contains(&Phase::Broker) {
        eprintln!(
            "broker: {} records/s for {} s, no Wayfarer code in the path…",
            args.lag_rate, args.lag_seconds
        );
        results.broker = Some(
            broker::run(
                args.lag_rate,
                args.lag_seconds,
                broker::ProducerMode::Idempotent,
            )
            .await?,
        );
    }

    if args.phases.contains(&Phase::BrokerTx) {
        eprintln!(
            "broker, one transaction per burst: {} records/s for {} s…",
            args.lag_rate, args.lag_seconds
        );
        results.broker_transactions = Some(
            broker::run(
                args.lag_rate,
                args.lag_seconds,
                broker::ProducerMode::Transactional,
            )
            .await?,
        );
    }

    if args.phases.contains(&Phase::Rebuild) {
        eprintln!(
            "rebuild: inserting {} events, then rebuilding itinerary_pg…",
            args.rebuild_events
        );
        results.rebuild = Some(rebuild::run(args.rebuild_events, args.keep_store).await?);
    }

    if args.phases.contains(&Phase::People) {
        results.people = Some(people::run(warmup, measure).await?);
    }

    if args.phases.contains(&Phase::Plan) {
        results.plan = Some(plan::run().await?);
    }

    if args.phases.contains(&Phase::Bookings) {
        results.bookings = Some(bookings::run().await?);
    }

    if args.phases.contains(&Phase::Social) {
        results.social = Some(social::run(warmup, measure).await?);
    }

    let config = serde_json::json!({
        "clients": args.clients,
        "seconds": args.seconds,
        "warmup_ms": args.warmup_ms,
        "lag_rate": args.lag_rate,
        "lag_seconds": args.lag_seconds,
        "lag_tasks": args.lag_tasks,
        "rebuild_events": args.rebuild_events,
        "api_only": args.api_only,
        "baseline_payload_bytes": baseline::PAYLOAD_BYTES,
        "broker": std::env::var("WAYFARER_BROKER").unwrap_or_else(|_| "unknown".into()),
    });
    if args.api_only {
        println!("diagnostic run: API only (no relay, no projectors)");
    }
    println!("{}", results.table());
    let json = serde_json::to_string_pretty(&results.to_json(config))?;
    println!("{json}");
    if let Some(path) = &args.json {
        std::fs::write(path, format!("{json}\n"))?;
        eprintln!("results written to {}", path.display());
    }
    Ok(())
}

async fn system_phases(
    args: &Args,
    system: &TestSystem,
    warmup: Duration,
    measure: Duration,
    results: &mut Results,
) -> anyhow::Result<()> {
    if args.phases.contains(&Phase::Commands) {
        let most = args.clients.iter().copied().max().unwrap_or(1);
        eprintln!("registering {most} users…");
        let users = commands::register_users(system, most).await;
        commands::prime(system, &users[0], !args.api_only).await?;
        for &clients in &args.clients {
            eprintln!("commands: GraphQL mutations with {clients} client(s)…");
            let run =
                commands::run(system, &users, clients, warmup, measure, !args.api_only).await?;
            eprintln!(
                "  {:.0} commands/s, p99 {:.1} ms, {} errors; projections drained in {:.2} s",
                run.per_second(),
                run.latency.p99_ms,
                run.errors,
                run.drain.as_secs_f64()
            );
            results.commands.push(run);
        }
        results.pg_connections_open = Some(support::open_connections(&system.pool).await);
    }
    if args.phases.contains(&Phase::Lag) {
        eprintln!(
            "lag: {} commands/s for {} s over {} tasks…",
            args.lag_rate, args.lag_seconds, args.lag_tasks
        );
        results.lag =
            Some(lag::run(system, args.lag_rate, args.lag_seconds, args.lag_tasks).await?);
    }
    Ok(())
}
