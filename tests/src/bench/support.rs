//! Helpers shared by the benchmark phases.

use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection, PgPool};
use wayfarer_infra::Settings;
use wayfarer_projections::{checkpoint, store};

/// Waits until every projection has recorded the store head as its position; returns how long
/// that took. Fails after `timeout`.
pub async fn wait_projections(
    pool: &PgPool,
    projections: &[&str],
    timeout: Duration,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    loop {
        let head = store::head_position(pool).await?;
        let mut caught_up = true;
        for name in projections {
            let status = checkpoint::status(pool, name).await?;
            if head > 0 && status.is_none_or(|s| s.last_position < head) {
                caught_up = false;
                break;
            }
        }
        if caught_up {
            return Ok(started.elapsed());
        }
        if started.elapsed() > timeout {
            anyhow::bail!(
                "projections {:?} did not catch up with the store head {head} within {timeout:?}",
                projections
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Drops one of the benchmark's isolated schemas (and everything in it).
pub async fn drop_schema(settings: &Settings, schema: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        schema.starts_with("t_"),
        "refusing to drop a schema not made by the harness: {schema}"
    );
    let mut connection = PgConnection::connect(&settings.postgres.url).await?;
    sqlx::query(&format!(
        "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
        schema.replace('"', "")
    ))
    .execute(&mut connection)
    .await?;
    connection.close().await?;
    Ok(())
}

/// Number of PostgreSQL connections currently open (all databases).
pub async fn open_connections(pool: &PgPool) -> i64 {
    sqlx::query_as::<_, (i64,)>(
        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'",
    )
    .fetch_one(pool)
    .await
    .map(|r| r.0)
    .unwrap_or(-1)
}
