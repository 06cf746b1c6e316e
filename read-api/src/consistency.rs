//! Read-your-writes for every projection: a mutation returns the store position it wrote; a
//! query that passes it waits (bounded) until the projection it reads has applied that event.
//!
//! Waiters are woken by the projections' own progress announcements (PostgreSQL
//! `LISTEN/NOTIFY` on [`checkpoint::PROGRESS_CHANNEL`], sent in the transaction that records a
//! batch), not by polling; a slow fallback tick covers a notification lost while the listener
//! reconnects.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::watch;
use tokio::time::Instant;
use wayfarer_projections::checkpoint;
use wayfarer_projections::{store, ProjectionRegistry, Registered, Write};

use crate::error::{ApiError, ApiResult};

/// Longest a waiter sleeps without a notification before it looks again.
const FALLBACK_TICK: Duration = Duration::from_millis(100);

/// Counts the progress announcements of this deployment's projections, per projection, so a
/// waiter wakes only for the projection it waits for.
#[derive(Clone)]
pub struct ProgressWatch {
    projections: Announcements,
}

type Announcements = Arc<Mutex<HashMap<String, watch::Sender<u64>>>>;

impl ProgressWatch {
    /// Listens on a dedicated connection of `pool` for the announcements of `schema`.
    pub fn start(pool: PgPool, schema: String) -> Self {
        let projections: Announcements = Arc::default();
        tokio::spawn(listen(pool, schema, Arc::downgrade(&projections)));
        Self { projections }
    }

    /// Announcements of one projection from now on.
    fn of(&self, projection: &str) -> watch::Receiver<u64> {
        let mut projections = self.projections.lock().expect("announcements lock");
        projections
            .entry(projection.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }
}

/// Runs as long as the watch it feeds exists.
async fn listen(
    pool: PgPool,
    schema: String,
    projections: Weak<Mutex<HashMap<String, watch::Sender<u64>>>>,
) {
    let prefix = format!("{schema}:");
    while projections.strong_count() > 0 {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "progress listener cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(checkpoint::PROGRESS_CHANNEL).await {
            tracing::warn!(%error, "progress listener cannot listen; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        loop {
            match listener.recv().await {
                Ok(notification) => {
                    let Some(projection) = notification.payload().strip_prefix(&prefix) else {
                        continue;
                    };
                    let Some(projections) = projections.upgrade() else {
                        return;
                    };
                    let projections = projections.lock().expect("announcements lock");
                    if let Some(sender) = projections.get(projection) {
                        sender.send_modify(|count| *count += 1);
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "progress listener lost its connection");
                    break;
                }
            }
        }
    }
}

/// Waits until each of `projections` has applied the event at `position` (those that do not
/// consume its aggregate type have nothing to wait for). A position the store does not hold
/// is `VALIDATION`; a store failure is `INTERNAL`; the timeout is `NOT_YET_CONSISTENT`.
pub async fn wait_for(
    pool: &PgPool,
    registry: &ProjectionRegistry,
    progress: &ProgressWatch,
    projections: &[&str],
    position: i64,
    timeout: Duration,
) -> ApiResult<()> {
    if position == 0 {
        // A command that changed nothing wrote nothing to wait for.
        return Ok(());
    }
    let write = store::locate(pool, position)
        .await?
        .ok_or_else(|| ApiError::Validation(format!("no event at position {position}")))?;
    let deadline = Instant::now() + timeout;
    for name in projections {
        let projection = registry
            .get(name)
            .ok_or_else(|| ApiError::internal(format!("projection {name} is not registered")))?;
        if !projection
            .info()
            .aggregate_types()
            .contains(&write.aggregate_type.as_str())
        {
            continue;
        }
        let mut announcements = progress.of(name);
        loop {
            announcements.mark_unchanged();
            if has_applied(pool, projection, &write).await? {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ApiError::NotYetConsistent(position));
            }
            let wait = (deadline - now).min(FALLBACK_TICK);
            let _ = tokio::time::timeout(wait, announcements.changed()).await;
        }
    }
    Ok(())
}

async fn has_applied(pool: &PgPool, projection: &Registered, write: &Write) -> ApiResult<bool> {
    Ok(match projection {
        Registered::Transactional(p) => {
            let mut connection = pool.acquire().await?;
            p.has_applied(&mut connection, write).await?
        }
        Registered::Document(p) => p.has_applied(write).await?,
        Registered::MultiStream(p) => {
            let (processed,): (bool,) = sqlx::query_as(
                "SELECT EXISTS (SELECT 1 FROM projection_processed \
                 WHERE projection = $1 AND event_id = $2)",
            )
            .bind(p.name())
            .bind(write.event_id)
            .fetch_one(pool)
            .await?;
            processed
        }
    })
}
