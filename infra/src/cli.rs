//! The `wayfarer` command line: every role of the system in one binary. Kept in the library
//! so test harnesses can run the very same entry point as a child process they can kill.

use std::path::PathBuf;

use crate::{
    broker_health, db, demo, dlq, http, lost_log, rebuild, relay, roles, telemetry, Platform,
    Settings,
};
use anyhow::bail;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;
use wayfarer_projections::{checkpoint, store};
use wayfarer_read_api::people::commands as people;

#[derive(Parser)]
#[command(
    name = "wayfarer",
    version,
    about = "Wayfarer: event-sourced social travel planning"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the database/schema if needed and apply migrations.
    Migrate,
    /// Run every role in one process (API, relay, all projectors) with demo data.
    Dev {
        /// Number of demo itineraries to seed on first start.
        #[arg(long, default_value_t = 40)]
        demo_itineraries: usize,
    },
    /// Serve GraphQL, health and metrics.
    Api,
    /// Publish the event store to Kafka.
    Relay,
    /// Run projectors (all, or one).
    Project {
        #[arg(long)]
        only: Option<String>,
    },
    /// Inspect and rebuild projections.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
    /// Events that projections gave up on (the dead-letter topic `wayfarer.dlq`).
    Dlq {
        #[command(subcommand)]
        command: DlqCommand,
    },
    /// Read the event store.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// JSON Schemas of the published events (`schemas/json`).
    Schemas {
        #[command(subcommand)]
        command: ArtifactCommand,
    },
    /// The GraphQL SDL (`read-api/schema.graphql`).
    GraphqlSchema {
        #[command(subcommand)]
        command: ArtifactCommand,
    },
    /// Manage people's accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Seed the demo account and itineraries (idempotent).
    Seed {
        #[arg(long, default_value_t = 40)]
        itineraries: usize,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Make the registered account with this email an admin (bootstraps the first admin).
    CreateAdmin { email: String },
}

#[derive(Subcommand)]
enum ProjectionsCommand {
    /// List the projection names.
    List,
    /// Position and lag of the relay and each projection.
    Status,
    /// Rebuild one projection from the store into a shadow copy and swap it in.
    Rebuild { name: String },
}

#[derive(Subcommand)]
enum DlqCommand {
    /// Print dead letters as JSON lines (pending ones unless --all).
    List {
        #[arg(long)]
        projection: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Re-apply pending dead letters (after a fix); each takes effect once.
    Replay {
        #[arg(long)]
        projection: Option<String>,
    },
}

#[derive(Subcommand)]
enum EventsCommand {
    /// Print every event of one aggregate as JSON lines.
    Show {
        aggregate_id: String,
        /// Only the events recorded up to this time (RFC 3339), as an auditor saw the stream then.
        #[arg(long)]
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Print everything one request caused (its correlation id), across aggregates.
    ByCorrelation { correlation_id: uuid::Uuid },
}

#[derive(Subcommand)]
enum ArtifactCommand {
    /// Write the generated files.
    Export {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Fail if the committed files differ from what the code generates.
    Check {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// Parses the process arguments and runs the chosen subcommand to completion.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = telemetry::init();
    let settings = Settings::from_env()?;
    match cli.command {
        Command::Migrate => {
            db::migrate(&settings.postgres).await?;
            tracing::info!(schema = %settings.postgres.schema, "migrations applied");
        }
        Command::Dev { demo_itineraries } => dev(settings, demo_itineraries).await?,
        Command::Api => {
            if settings.auth.uses_development_secret() {
                bail!(
                    "refusing to serve with the development JWT secret: set WAYFARER_JWT_SECRET \
                     (only `wayfarer dev` runs with the built-in one)"
                );
            }
            refuse_development_master_key(&settings)?;
            let platform = platform(&settings).await?;
            let shutdown = CancellationToken::new();
            let api = roles::spawn_api(&settings, &platform, shutdown.clone()).await?;
            roles::shutdown_signal().await;
            shutdown.cancel();
            api.handle.await??;
        }
        Command::Relay => {
            let shutdown = CancellationToken::new();
            let task = roles::spawn_relay(&settings, shutdown.clone());
            roles::shutdown_signal().await;
            shutdown.cancel();
            task.await??;
        }
        Command::Project { only } => {
            refuse_development_master_key(&settings)?;
            let platform = platform(&settings).await?;
            let chosen = match only {
                Some(name) => vec![platform.projection(&name)?.clone()],
                None => platform.projections.all().to_vec(),
            };
            let shutdown = CancellationToken::new();
            let tasks: Vec<_> = chosen
                .into_iter()
                .map(|projection| {
                    roles::spawn_projector(&settings, &platform, projection, shutdown.clone())
                })
                .collect();
            roles::shutdown_signal().await;
            shutdown.cancel();
            for task in tasks {
                task.await??;
            }
        }
        Command::Projections { command } => projections(settings, command).await?,
        Command::Dlq { command } => dead_letters(settings, command).await?,
        Command::Events { command } => {
            let pool = db::connect(&settings.postgres).await?;
            let events = match &command {
                EventsCommand::Show {
                    aggregate_id,
                    as_of,
                } => store::read_stream_as_of(&pool, aggregate_id, *as_of).await?,
                EventsCommand::ByCorrelation { correlation_id } => {
                    store::read_correlated(&pool, *correlation_id).await?
                }
            };
            if events.is_empty() {
                match command {
                    EventsCommand::Show { aggregate_id, .. } => {
                        bail!("no events stored for aggregate {aggregate_id:?}")
                    }
                    EventsCommand::ByCorrelation { correlation_id } => {
                        bail!("no events carry correlation id {correlation_id}")
                    }
                }
            }
            let registry = wayfarer_schemas::Registry::standard();
            for event in events {
                println_json(&serde_json::to_value(event.envelope(&registry)?)?);
            }
        }
        Command::Schemas { command } => artifacts(
            command,
            PathBuf::from("schemas/json"),
            wayfarer_schemas::export::all_schemas(),
        )?,
        Command::GraphqlSchema { command } => artifacts(
            command,
            PathBuf::from("read-api"),
            vec![(
                "schema.graphql".to_owned(),
                format!("{}\n", wayfarer_read_api::sdl().trim_end()),
            )],
        )?,
        Command::Users {
            command: UsersCommand::CreateAdmin { email },
        } => create_admin(settings, &email).await?,
        Command::Seed { itineraries } => {
            db::migrate(&settings.postgres).await?;
            let platform = platform(&settings).await?;
            let state = http::api_state(&settings, &platform).await?;
            let created = demo::seed(&state, itineraries).await?;
            tracing::info!(created, "demo data seeded");
        }
    }
    Ok(())
}

/// Personal data sealed under the development key is readable by anyone with this source.
fn refuse_development_master_key(settings: &Settings) -> anyhow::Result<()> {
    if settings.auth.uses_development_master_key() {
        bail!(
            "refusing to run with the development master key: set WAYFARER_MASTER_KEY to 32 \
             random bytes in base64 (`openssl rand -base64 32`); only `wayfarer dev` runs with \
             the built-in one"
        );
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
async fn create_admin(settings: Settings, email: &str) -> anyhow::Result<()> {
    db::migrate(&settings.postgres).await?;
    let platform = platform(&settings).await?;
    let state = http::api_state(&settings, &platform).await?;
    let (user_id, position) = people::promote_to_admin(&state, email).await?;
    if position == 0 {
        println!("{email} ({user_id}) is an admin already");
    } else {
        println!("{email} ({user_id}) is now an admin (event at position {position})");
    }
    Ok(())
}

/// The standard platform, connected to the configured services.
async fn platform(settings: &Settings) -> anyhow::Result<Platform> {
    let pool = db::connect(&settings.postgres).await?;
    Ok(Platform::standard(settings, &pool)?)
}

#[allow(clippy::print_stdout)]
async fn dead_letters(settings: Settings, command: DlqCommand) -> anyhow::Result<()> {
    let pool = db::connect(&settings.postgres).await?;
    match command {
        DlqCommand::List { projection, all } => {
            let letters =
                wayfarer_projections::dead_letters::list(&pool, projection.as_deref(), !all)
                    .await?;
            for letter in letters {
                println_json(&serde_json::to_value(letter)?);
            }
        }
        DlqCommand::Replay { projection } => {
            let platform = Platform::standard(&settings, &pool)?;
            if let Some(name) = &projection {
                platform.projection(name)?;
            }
            let report = dlq::replay(&pool, &platform.projections, projection.as_deref()).await?;
            println!(
                "replayed {} dead letters; {} still failing; {} of unknown projections",
                report.replayed,
                report.failed.len(),
                report.unknown
            );
            for (id, error) in &report.failed {
                println!("  dead letter {id}: {error}");
            }
            if !report.failed.is_empty() {
                bail!("{} dead letters could not be replayed", report.failed.len());
            }
        }
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
fn println_json(value: &serde_json::Value) {
    println!("{value}");
}

/// The `broker` column of `projections status`: what the role last recorded.
fn broker_column(health: &[broker_health::BrokerHealthRow], component: &str) -> String {
    match health.iter().find(|row| row.component == component) {
        None => "-".into(),
        Some(row) if row.reachable => "reachable".into(),
        Some(row) => format!(
            "UNREACHABLE since {} ({})",
            row.since.format("%H:%M:%S UTC"),
            row.detail.as_deref().unwrap_or("no detail")
        ),
    }
}

#[allow(clippy::print_stdout)]
async fn projections(settings: Settings, command: ProjectionsCommand) -> anyhow::Result<()> {
    let pool = db::connect(&settings.postgres).await?;
    let platform = Platform::standard(&settings, &pool)?;
    match command {
        ProjectionsCommand::List => {
            for projection in platform.projections.all() {
                println!(
                    "{:<18} {:<14} {}",
                    projection.name(),
                    projection.kind(),
                    projection.info().aggregate_types().join(",")
                );
            }
        }
        ProjectionsCommand::Status => {
            let progress = relay::checkpoint(&pool).await?;
            let (relayed, published) = (progress.position.global_position, progress.published);
            // Lag is measured against what is committed and safe to read (the relay's
            // horizon), not the highest position handed out, which may belong to a
            // transaction still running or rolled back.
            let head = store::committed_head(&pool, progress.position)
                .await?
                .max(relayed);
            let health = broker_health::all(&pool).await?;
            let broker = |component: &str| broker_column(&health, component);
            println!(
                "{:<18} {:>12} {:>12} {:>14} {:>13}  broker",
                "name", "position", "lag", "events", "dead letters"
            );
            println!("{:<18} {:>12} {:>12} {:>14}", "store head", head, 0, "");
            println!(
                "{:<18} {:>12} {:>12} {:>14} {:>13}  {}",
                "relay",
                relayed,
                head - relayed,
                published,
                "",
                broker("relay")
            );
            for projection in platform.projections.all() {
                let name = projection.name();
                let status = checkpoint::status(&pool, name).await?;
                let (position, applied) = status
                    .map(|s| (s.last_position, s.events_applied))
                    .unwrap_or((0, 0));
                let dead = wayfarer_projections::dead_letters::pending_count(&pool, name).await?;
                let lag = store::events_between(
                    &pool,
                    position,
                    head,
                    projection.info().aggregate_types(),
                )
                .await?;
                println!(
                    "{:<18} {:>12} {:>12} {:>14} {:>13}  {}",
                    name,
                    position,
                    lag,
                    applied,
                    dead,
                    broker(name)
                );
            }
        }
        ProjectionsCommand::Rebuild { name } => {
            let projection = platform.projection(&name)?;
            if !projection.info().replayable() {
                bail!("projection {name} has outside effects and cannot be replayed");
            }
            let started = std::time::Instant::now();
            let report = rebuild::rebuild(&settings, projection, &platform.events, true).await?;
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "rebuilt {} from {} events up to position {} in {:.2}s ({:.0} events/s)",
                report.projection,
                report.events,
                report.position,
                seconds,
                report.events as f64 / seconds.max(1e-9)
            );
        }
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
fn artifacts(
    command: ArtifactCommand,
    default_dir: PathBuf,
    files: Vec<(String, String)>,
) -> anyhow::Result<()> {
    match command {
        ArtifactCommand::Export { dir } => {
            let dir = dir.unwrap_or(default_dir);
            std::fs::create_dir_all(&dir)?;
            for (name, text) in files {
                std::fs::write(dir.join(&name), text)?;
                println!("wrote {}", dir.join(name).display());
            }
        }
        ArtifactCommand::Check { dir } => {
            let dir = dir.unwrap_or(default_dir);
            let mut stale = Vec::new();
            for (name, text) in files {
                let path = dir.join(&name);
                if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                    stale.push(path.display().to_string());
                }
            }
            if !stale.is_empty() {
                bail!(
                    "generated files are stale (run the export subcommand): {}",
                    stale.join(", ")
                );
            }
            println!("up to date");
        }
    }
    Ok(())
}

/// Everything in one process: migrate, seed, API, relay and all projectors.
async fn dev(settings: Settings, demo_itineraries: usize) -> anyhow::Result<()> {
    db::migrate(&settings.postgres).await?;
    let platform = platform(&settings).await?;
    if lost_log::recover(&settings, &db::connect(&settings.postgres).await?).await? {
        eprintln!("The broker had lost its log (a noida-db restart?): republishing the store.");
    }
    let shutdown = CancellationToken::new();
    let relay = roles::spawn_relay(&settings, shutdown.clone());
    let projectors: Vec<_> = platform
        .projections
        .all()
        .iter()
        .map(|projection| {
            roles::spawn_projector(&settings, &platform, projection.clone(), shutdown.clone())
        })
        .collect();
    let api = roles::spawn_api(&settings, &platform, shutdown.clone()).await?;
    let created = demo::seed(&api.state, demo_itineraries).await?;
    tracing::info!(
        created,
        graphql = %format!("http://{}/graphql", api.addr),
        demo_login = demo::DEMO_EMAIL,
        demo_password = demo::DEMO_PASSWORD,
        "wayfarer dev is up"
    );
    eprintln!(
        "\nWayfarer is running: GraphiQL at http://{}/graphql\nDemo login: {} / {}\nCtrl-C to stop.\n",
        api.addr,
        demo::DEMO_EMAIL,
        demo::DEMO_PASSWORD
    );
    roles::shutdown_signal().await;
    shutdown.cancel();
    api.handle.await??;
    relay.await??;
    for projector in projectors {
        projector.await??;
    }
    Ok(())
}
