//! The `wayfarer` command line: every role of the system in one binary. Kept in the library
//! so test harnesses can run the very same entry point as a child process they can kill.

use std::path::PathBuf;

use crate::{
    broker_health, catalogue, db, demo, dlq, http, lost_log, rebuild, relay, roles, telemetry,
    Platform, Settings,
};
use anyhow::bail;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;
use wayfarer_projections::{status, store};
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
    /// Serve the simulated travel suppliers and payment gateway over HTTP
    /// (`WAYFARER_SUPPLIERS_ADDR`, default 127.0.0.1:8090).
    Suppliers,
    /// Run the booking process: wake bookings from the booking topic and take each through
    /// its steps (more processes share the work).
    Sagas,
    /// Run projectors (all but the booking process's consumer, or one).
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
    /// The place catalogue.
    Places {
        #[command(subcommand)]
        command: PlacesCommand,
    },
    /// Seed the demo account and itineraries (idempotent).
    Seed {
        #[arg(long, default_value_t = 40)]
        itineraries: usize,
    },
}

#[derive(Subcommand)]
enum PlacesCommand {
    /// Add the cities and airports of the shipped extracts (idempotent; `dev` does it on
    /// every start).
    Import,
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
    /// Rebuild a projection (or every replayable one) from the store into a new copy and swap
    /// it in; readers keep the live one until then.
    Rebuild {
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        name: Option<String>,
        /// Every registered projection that can be replayed, one after another.
        #[arg(long)]
        all: bool,
    },
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
    /// Print the newest events (oldest of them first), optionally following new ones as they
    /// commit.
    Tail {
        /// Only this event type (`ItineraryCreated`).
        #[arg(long = "type")]
        event_type: Option<String>,
        /// Only this aggregate type (`itinerary`) or aggregate id.
        #[arg(long)]
        aggregate: Option<String>,
        /// Only events this person caused.
        #[arg(long)]
        actor: Option<uuid::Uuid>,
        /// How many of the newest events to print first.
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// Keep printing events as they commit, until interrupted.
        #[arg(long)]
        follow: bool,
    },
    /// Print an aggregate's state as it stood at TIME (RFC 3339), folded from the log.
    AsOf {
        aggregate_id: String,
        time: chrono::DateTime<chrono::Utc>,
    },
    /// Prove the store intact: recompute every stream's hash chain and check it against the
    /// signed checkpoints; names each event that changed. Exits 1 when anything did.
    Verify {
        /// Only this aggregate's stream(s), and their heads in every checkpoint.
        #[arg(long)]
        aggregate: Option<String>,
        /// The signing key's public half (32 bytes, base64); by default, derived from
        /// WAYFARER_SIGNING_KEY.
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Sign a checkpoint of everything committed since the last one now (the relay signs one
    /// every WAYFARER_CHECKPOINT_INTERVAL_SECONDS).
    Checkpoint,
    /// Print the public key checkpoints are verified with (base64), to hand to auditors.
    PublicKey,
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
            if settings.audit.uses_development_key() {
                bail!(
                    "refusing to sign checkpoints with the development key: set \
                     WAYFARER_SIGNING_KEY to 32 random bytes in base64 (`openssl rand -base64 \
                     32`); only `wayfarer dev` runs with the built-in one"
                );
            }
            let shutdown = CancellationToken::new();
            let task = roles::spawn_relay(&settings, shutdown.clone());
            roles::shutdown_signal().await;
            shutdown.cancel();
            task.await??;
        }
        Command::Suppliers => {
            let shutdown = CancellationToken::new();
            let suppliers = roles::spawn_suppliers(
                &settings.simulator.addr,
                roles::simulator_config(&settings),
                shutdown.clone(),
            )
            .await?;
            eprintln!("Supplier simulators at http://{}", suppliers.addr);
            roles::shutdown_signal().await;
            shutdown.cancel();
            suppliers.handle.await??;
        }
        Command::Project { only } => {
            refuse_development_master_key(&settings)?;
            let platform = platform(&settings).await?;
            let chosen = match only {
                Some(name) => vec![platform.projection(&name)?.clone()],
                None => platform
                    .projections
                    .all()
                    .iter()
                    .filter(|p| p.name() != wayfarer_sagas::wakes::NAME)
                    .cloned()
                    .collect(),
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
        Command::Sagas => {
            let platform = platform(&settings).await?;
            platform
                .create_tables(&db::connect(&settings.postgres).await?)
                .await?;
            let shutdown = CancellationToken::new();
            let tasks = roles::spawn_sagas(&settings, &platform, shutdown.clone())?;
            roles::shutdown_signal().await;
            shutdown.cancel();
            for task in tasks {
                task.await??;
            }
        }
        Command::Projections { command } => projections(settings, command).await?,
        Command::Dlq { command } => dead_letters(settings, command).await?,
        Command::Events { command } => events(settings, command).await?,
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
        Command::Places {
            command: PlacesCommand::Import,
        } => {
            db::migrate(&settings.postgres).await?;
            let report = catalogue::import_places(&db::connect(&settings.postgres).await?).await?;
            eprintln!(
                "{} places added, {} already in the catalogue",
                report.added, report.present
            );
        }
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
async fn events(settings: Settings, command: EventsCommand) -> anyhow::Result<()> {
    let pool = db::connect(&settings.postgres).await?;
    let printed = match command {
        EventsCommand::Show {
            aggregate_id,
            as_of,
        } => {
            let events = store::read_stream_as_of(&pool, &aggregate_id, as_of).await?;
            if events.is_empty() {
                bail!("no events stored for aggregate {aggregate_id:?}")
            }
            events
        }
        EventsCommand::ByCorrelation { correlation_id } => {
            let events = store::read_correlated(&pool, correlation_id).await?;
            if events.is_empty() {
                bail!("no events carry correlation id {correlation_id}")
            }
            events
        }
        EventsCommand::Tail {
            event_type,
            aggregate,
            actor,
            limit,
            follow,
        } => {
            let filter = store::AuditFilter {
                aggregate,
                event_type,
                actor,
                ..Default::default()
            };
            return tail(&pool, filter, limit, follow).await;
        }
        EventsCommand::AsOf { aggregate_id, time } => {
            let platform = Platform::standard(&settings, &pool)?;
            let vault = settings.auth.vault()?;
            let state = platform
                .aggregates
                .as_of(&pool, Some(&vault), &aggregate_id, time)
                .await?;
            println!("{}", serde_json::to_string_pretty(&state)?);
            return Ok(());
        }
        EventsCommand::Verify {
            aggregate,
            public_key,
        } => return verify(&settings, &pool, aggregate, public_key).await,
        EventsCommand::Checkpoint => {
            // A checkpoint signed with a key anyone can read would sit in the chain of
            // checkpoints for good.
            if settings.audit.uses_development_key() {
                bail!(
                    "refusing to sign a checkpoint with the development key: set \
                     WAYFARER_SIGNING_KEY (the relay's key)"
                );
            }
            match wayfarer_audit::checkpoint::take(&pool, &settings.audit.key()?).await? {
                Some(c) => println!(
                    "signed checkpoint {} over {} events up to position {}",
                    c.checkpoint, c.events, c.global_position
                ),
                None => println!("nothing committed since the last checkpoint"),
            }
            return Ok(());
        }
        EventsCommand::PublicKey => {
            use base64::Engine;
            let key = settings.audit.key()?.verifying_key();
            println!(
                "{}",
                base64::engine::general_purpose::STANDARD.encode(key.as_bytes())
            );
            return Ok(());
        }
    };
    let registry = wayfarer_schemas::Registry::standard();
    for event in printed {
        println_json(&serde_json::to_value(event.envelope(&registry)?)?);
    }
    Ok(())
}

/// `events tail`: the newest events passing `filter`, then (with `follow`) each new one as
/// it commits, in commit order, until interrupted.
async fn tail(
    pool: &sqlx::PgPool,
    filter: store::AuditFilter,
    limit: i64,
    follow: bool,
) -> anyhow::Result<()> {
    let registry = wayfarer_schemas::Registry::standard();
    // Where following starts is taken first: anything committing from then on is followed,
    // and what the newest read shows as well is not printed twice.
    let mut connection = pool.acquire().await?;
    let mut after = store::committed_position(&mut connection).await?;
    let mut newest = store::read_audit_log(pool, &filter, None, limit.max(0)).await?;
    newest.reverse();
    for event in &newest {
        println_json(&serde_json::to_value(event.envelope(&registry)?)?);
    }
    if !follow {
        return Ok(());
    }
    // Follow from the committed horizon; an event printed above that commits past it (its
    // transaction began before one still running) is not printed twice.
    let printed: std::collections::HashSet<uuid::Uuid> =
        newest.iter().map(|e| e.event_id).collect();
    let interrupted = roles::shutdown_signal();
    tokio::pin!(interrupted);
    loop {
        let batch = tokio::select! {
            _ = &mut interrupted => return Ok(()),
            batch = store::read_committed_of(&mut connection, after, None, 1000) => batch?,
        };
        for event in &batch {
            after = event.commit_position();
            if filter.admits(event) && !printed.contains(&event.event_id) {
                println_json(&serde_json::to_value(event.envelope(&registry)?)?);
            }
        }
        if batch.is_empty() {
            tokio::select! {
                _ = &mut interrupted => return Ok(()),
                _ = tokio::time::sleep(std::time::Duration::from_millis(200)) => {}
            }
        }
    }
}

#[allow(clippy::print_stdout)]
async fn verify(
    settings: &Settings,
    pool: &sqlx::PgPool,
    aggregate: Option<String>,
    public_key: Option<String>,
) -> anyhow::Result<()> {
    let key = match public_key {
        Some(text) => wayfarer_audit::signing::verifying_key_from_base64(&text)?,
        // The development key's private half is in the source: whoever rewrote the store
        // could have re-signed it with that key, so it proves nothing unless asked for.
        None if settings.audit.uses_development_key() => bail!(
            "no key to verify with: pass --public-key (the relay's public key, from \
             `wayfarer events public-key` where its WAYFARER_SIGNING_KEY is set) or set \
             WAYFARER_SIGNING_KEY; the development key is used only when passed explicitly"
        ),
        None => settings.audit.key()?.verifying_key(),
    };
    {
        use base64::Engine;
        println!(
            "verifying with public key {}",
            base64::engine::general_purpose::STANDARD.encode(key.as_bytes())
        );
    }
    let started = std::time::Instant::now();
    let report = match &aggregate {
        Some(id) => wayfarer_audit::verify::verify_stream(pool, &key, id).await?,
        None => wayfarer_audit::verify::verify_store(pool, &key).await?,
    };
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "verified {} events in {} streams against {} signed checkpoints in {:.2}s ({:.0} events/s)",
        report.events,
        report.streams,
        report.checkpoints,
        seconds,
        report.events as f64 / seconds.max(1e-9)
    );
    match &report.latest {
        Some((number, position, signature)) => println!(
            "latest checkpoint {number} (position {position}), signature {signature}; {} newer \
             events are proved by their chains only",
            report.unsigned_events
        ),
        None => println!("no signed checkpoint yet: the chains alone prove the streams"),
    }
    if report.intact() {
        println!("intact");
        return Ok(());
    }
    for finding in &report.findings {
        println!("TAMPERED: {finding}");
    }
    bail!(
        "the event store was changed: {} findings",
        report.findings.len()
    )
}

#[allow(clippy::print_stdout)]
fn println_json(value: &serde_json::Value) {
    println!("{value}");
}

/// The `state` column of `projections status`.
fn state_column(state: &status::ProjectionState) -> String {
    match state {
        status::ProjectionState::Live => "live".into(),
        status::ProjectionState::Rebuilding {
            events_done,
            events_total,
        } => format!(
            "rebuilding {events_done}/{events_total} ({:.0}%)",
            100.0 * *events_done as f64 / (*events_total).max(1) as f64
        ),
        status::ProjectionState::Failed { reason, .. } => format!("FAILED: {reason}"),
    }
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
            let (head, reports) =
                status::report_all(&pool, &platform.projections, progress.position).await?;
            let health = broker_health::all(&pool).await?;
            let broker = |component: &str| broker_column(&health, component);
            println!(
                "{:<18} {:>10} {:>8} {:>9} {:>12} {:>6}  {:<28} broker",
                "name", "position", "lag", "lag (s)", "events", "dead", "state"
            );
            println!("{:<18} {:>10} {:>8}", "store head", head, 0);
            println!(
                "{:<18} {:>10} {:>8} {:>9} {:>12} {:>6}  {:<28} {}",
                "relay",
                relayed,
                head - relayed,
                "",
                published,
                "",
                "",
                broker("relay")
            );
            for report in reports {
                println!(
                    "{:<18} {:>10} {:>8} {:>9.1} {:>12} {:>6}  {:<28} {}",
                    report.name,
                    report.position,
                    report.lag_events,
                    report.lag_seconds,
                    report.events_applied,
                    report.dead_letters,
                    state_column(&report.state),
                    broker(report.name)
                );
            }
        }
        ProjectionsCommand::Rebuild { name, all } => {
            let chosen: Vec<_> = match name {
                Some(name) => {
                    let projection = platform.projection(&name)?;
                    if !projection.info().replayable() {
                        bail!("projection {name} has outside effects and cannot be replayed");
                    }
                    vec![projection.clone()]
                }
                None => platform
                    .projections
                    .all()
                    .iter()
                    .filter(|p| p.info().replayable())
                    .cloned()
                    .collect(),
            };
            debug_assert!(all || chosen.len() == 1);
            for projection in chosen {
                let started = std::time::Instant::now();
                let report =
                    rebuild::rebuild(&settings, &projection, &platform.events, true).await?;
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
async fn dev(mut settings: Settings, demo_itineraries: usize) -> anyhow::Result<()> {
    // The simulated gateway tells this API of the payments it takes.
    settings
        .simulator
        .webhook_url
        .get_or_insert_with(|| format!("http://{}/webhooks/gateway", settings.http_addr));
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
    let suppliers = roles::spawn_suppliers(
        &settings.simulator.addr,
        roles::simulator_config(&settings),
        shutdown.clone(),
    )
    .await?;
    let api = roles::spawn_api(&settings, &platform, shutdown.clone()).await?;
    // The wakes consumer runs with the projectors above.
    let saga_worker = roles::spawn_saga_worker(&settings, shutdown.clone());
    let created = demo::seed(&api.state, demo_itineraries).await?;
    let places = catalogue::import_places(&api.state.pool).await?;
    tracing::info!(added = places.added, "place catalogue imported");
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
    suppliers.handle.await??;
    saga_worker.await??;
    relay.await??;
    for projector in projectors {
        projector.await??;
    }
    Ok(())
}
