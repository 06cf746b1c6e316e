//! PostgreSQL pools (pinned to the configured schema) and migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

use crate::config::PostgresSettings;

/// The project's migrations (`infra/migrations`), embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

fn options(settings: &PostgresSettings) -> Result<PgConnectOptions, sqlx::Error> {
    Ok(PgConnectOptions::from_str(&settings.url)?
        .options([("search_path", settings.schema.as_str())])
        .log_statements(tracing::log::LevelFilter::Trace))
}

/// A pool whose every connection resolves unqualified names in the configured schema.
///
/// Connections are not pinged before each use (sqlx's default): that is a second round trip
/// for every statement. A connection that died is found by the statement that uses it,
/// whose error the caller already handles (commands answer "unavailable", workers retry), and
/// the pool then replaces it.
pub async fn connect(settings: &PostgresSettings) -> Result<PgPool, sqlx::Error> {
    connect_with_limit(settings, settings.max_connections).await
}

/// As [`connect`], holding at most `max_connections` (never more than the settings allow).
pub async fn connect_with_limit(
    settings: &PostgresSettings,
    max_connections: u32,
) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections.min(settings.max_connections))
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options(settings)?)
        .await
}

/// A pool of at most `max_connections` that connects on first use (for roles that must start,
/// and report, while PostgreSQL is away) and lets its connections go after a few idle
/// seconds: its users write now and then (a broker's reachability changing, a checkpoint a
/// minute), and one idle connection per role and process would add up to dozens.
pub fn connect_lazy(
    settings: &PostgresSettings,
    max_connections: u32,
) -> Result<PgPool, sqlx::Error> {
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .idle_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with(options(settings)?))
}

/// A single connection outside the pool (the relay's lease holder).
pub async fn connect_single(settings: &PostgresSettings) -> Result<PgConnection, sqlx::Error> {
    PgConnection::connect_with(&options(settings)?).await
}

/// Creates the database (if missing), the schema (if missing) and applies every migration.
pub async fn migrate(settings: &PostgresSettings) -> Result<(), sqlx::migrate::MigrateError> {
    ensure_database(settings).await?;
    let mut connection = connect_single(settings).await?;
    sqlx::query(&format!(
        "CREATE SCHEMA IF NOT EXISTS \"{}\"",
        settings.schema.replace('"', "")
    ))
    .execute(&mut connection)
    .await?;
    MIGRATOR.run(&mut connection).await?;
    Ok(())
}

/// Runs a projection's table DDL (`IF NOT EXISTS`) under a transaction-scoped advisory lock:
/// two processes creating the same table at once would otherwise collide in the catalog.
pub async fn create_projection_tables(pool: &PgPool, ddl: &'static str) -> Result<(), sqlx::Error> {
    use sqlx::Executor;
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('wayfarer.projection_tables'))")
        .execute(&mut *tx)
        .await?;
    // A text without arguments goes by the simple protocol, which runs several statements.
    tx.execute(ddl).await?;
    tx.commit().await
}

async fn ensure_database(settings: &PostgresSettings) -> Result<(), sqlx::Error> {
    let target = PgConnectOptions::from_str(&settings.url)?;
    let Some(database) = target.get_database().map(str::to_owned) else {
        return Ok(());
    };
    if PgConnection::connect_with(&target).await.is_ok() {
        return Ok(());
    }
    let mut admin = PgConnection::connect_with(&target.clone().database("postgres")).await?;
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&database)
        .fetch_optional(&mut admin)
        .await?;
    if exists.is_none() {
        sqlx::query(&format!(
            "CREATE DATABASE \"{}\"",
            database.replace('"', "")
        ))
        .execute(&mut admin)
        .await?;
    }
    Ok(())
}
