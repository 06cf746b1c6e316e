//! Starting each role as a task, so one process can run any combination (`dev` runs all).

use std::net::SocketAddr;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use wayfarer_read_api::ApiState;

use crate::config::Settings;
use crate::{broker_health, checkpointer, http, projector, relay, Platform};
use wayfarer_projections::Registered;

/// A running API server.
pub struct RunningApi {
    pub addr: SocketAddr,
    /// The state the server runs with, for in-process work such as seeding demo data.
    pub state: ApiState,
    pub handle: JoinHandle<anyhow::Result<()>>,
}

/// Binds `settings.http_addr` (port 0 picks a free port) and serves until `shutdown`.
pub async fn spawn_api(
    settings: &Settings,
    platform: &Platform,
    shutdown: CancellationToken,
) -> anyhow::Result<RunningApi> {
    let state = http::api_state(settings, platform).await?;
    platform.create_tables(&state.pool).await?;
    let listener = tokio::net::TcpListener::bind(&settings.http_addr).await?;
    let addr = listener.local_addr()?;
    let app = http::app(state.clone());
    // The emails the notifications projector asks for go out from the API nodes, which hold
    // the mail settings.
    tokio::spawn(wayfarer_read_api::notification_mail::run(
        state.pool.clone(),
        state.mailer.clone(),
        state.notification_feed.clone(),
        shutdown.clone().cancelled_owned(),
    ));
    let handle = tokio::spawn(async move {
        // With each connection's peer address (login throttling counts per address).
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await?;
        Ok(())
    });
    tracing::info!(%addr, "api listening");
    Ok(RunningApi {
        addr,
        state,
        handle,
    })
}

/// Running supplier and payment-gateway simulators.
pub struct RunningSuppliers {
    pub addr: SocketAddr,
    pub handle: JoinHandle<anyhow::Result<()>>,
}

/// The simulators as `settings` describe them (realistic latencies and failure rates).
pub fn simulator_config(settings: &Settings) -> wayfarer_suppliers::SimulatorConfig {
    wayfarer_suppliers::SimulatorConfig {
        seed: settings.simulator.seed,
        webhook_secret: settings.simulator.webhook_secret.clone(),
        webhook_url: settings.simulator.webhook_url.clone(),
        ..Default::default()
    }
}

/// Binds `addr` (port 0 picks a free port) and serves the simulators until `shutdown`.
pub async fn spawn_suppliers(
    addr: &str,
    config: wayfarer_suppliers::SimulatorConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<RunningSuppliers> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        wayfarer_suppliers::serve(listener, config, shutdown.cancelled_owned()).await?;
        Ok(())
    });
    tracing::info!(%addr, "supplier simulators listening");
    Ok(RunningSuppliers { addr, handle })
}

pub fn spawn_relay(
    settings: &Settings,
    shutdown: CancellationToken,
) -> JoinHandle<anyhow::Result<()>> {
    let settings = settings.clone();
    tokio::spawn(async move {
        let probe = broker_health::spawn_probe(&settings, "relay", shutdown.clone())?;
        let checkpoints = checkpointer::spawn(&settings, shutdown.clone())?;
        relay::run(settings, shutdown).await?;
        probe.await?;
        checkpoints.await?;
        Ok(())
    })
}

pub fn spawn_projector(
    settings: &Settings,
    platform: &Platform,
    projection: Registered,
    shutdown: CancellationToken,
) -> JoinHandle<anyhow::Result<()>> {
    let settings = settings.clone();
    let events = platform.events.clone();
    tokio::spawn(async move {
        let probe = broker_health::spawn_probe(&settings, projection.name(), shutdown.clone())?;
        projector::run(settings, projection, events, shutdown).await?;
        probe.await?;
        Ok(())
    })
}

/// The booking process's worker: claims due bookings and takes each through its steps.
pub fn spawn_saga_worker(
    settings: &Settings,
    shutdown: CancellationToken,
) -> JoinHandle<anyhow::Result<()>> {
    use wayfarer_sagas::booking::process::{BookingProcess, Deadlines};
    use wayfarer_sagas::booking::steps::Steps;
    use wayfarer_sagas::runtime::breaker::{BreakerSettings, Breakers};
    use wayfarer_sagas::runtime::stall::Stall;
    use wayfarer_sagas::runtime::worker::{self, WorkerSettings};

    let settings = settings.clone();
    tokio::spawn(async move {
        let pool = crate::db::connect(&settings.postgres).await?;
        let sagas = &settings.sagas;
        let breakers = Breakers::new(BreakerSettings {
            failures: sagas.breaker_failures.max(1),
            open_for: sagas.breaker_open_for,
            open_at_most: sagas
                .breaker_open_for
                .max(std::time::Duration::from_secs(120)),
        });
        let process = BookingProcess {
            pool: pool.clone(),
            steps: Steps {
                bookings: wayfarer_commands::CommandHandler::new(pool.clone()),
                wallets: wayfarer_commands::CommandHandler::new(pool.clone()),
                itineraries: wayfarer_commands::CommandHandler::new(pool.clone()),
                suppliers: wayfarer_suppliers::client::SupplierClient::new(
                    settings.api.suppliers.url.clone(),
                    sagas.supplier_timeout,
                ),
                breakers,
                rates: std::sync::Arc::new(wayfarer_domain::expenses::rates::shipped()),
                stall: Stall::from_env(),
            },
            deadlines: Deadlines {
                reserve_within: sagas.reserve_within,
                lease: sagas.lease,
            },
        };
        let worker_settings = WorkerSettings {
            concurrency: sagas.concurrency.max(1),
            poll: sagas.poll,
        };
        worker::run(std::sync::Arc::new(process), worker_settings, shutdown).await?;
        Ok(())
    })
}

/// The whole booking process: the booking topic's consumer that wakes bookings, and the
/// worker.
pub fn spawn_sagas(
    settings: &Settings,
    platform: &Platform,
    shutdown: CancellationToken,
) -> anyhow::Result<Vec<JoinHandle<anyhow::Result<()>>>> {
    let wakes = platform.projection(wayfarer_sagas::wakes::NAME)?.clone();
    Ok(vec![
        spawn_projector(settings, platform, wakes, shutdown.clone()),
        spawn_saga_worker(settings, shutdown),
    ])
}

/// Resolves when the process receives SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("signal handler installs");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
