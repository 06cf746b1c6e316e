//! Where each projection stands, for `projections status`, GraphQL and the admin page:
//! position, lag in events and in seconds, dead letters, and its state (live, rebuilding with
//! progress, failed with the reason). Rebuilds record their progress here as they go.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

use crate::store::{self, CommitPosition};
use crate::{checkpoint, dead_letters, ProjectionRegistry};

/// What a projection is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectionState {
    /// Serving and following the log.
    Live,
    /// A rebuild is filling a shadow copy; the live model keeps serving meanwhile.
    Rebuilding { events_done: i64, events_total: i64 },
    /// The last rebuild failed; the live model kept serving.
    Failed { reason: String, at: DateTime<Utc> },
}

/// One projection's standing.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusReport {
    pub name: &'static str,
    pub kind: &'static str,
    pub aggregate_types: Vec<&'static str>,
    pub replayable: bool,
    /// The highest store position applied.
    pub position: i64,
    /// Events of its types committed after `position`.
    pub lag_events: i64,
    /// How long the oldest of those has waited (0 when caught up).
    pub lag_seconds: f64,
    pub events_applied: i64,
    pub dead_letters: i64,
    pub state: ProjectionState,
    pub rebuilt_at: Option<DateTime<Utc>>,
}

/// The store's committed head (the relay's horizon) and every projection's standing.
pub async fn report_all(
    pool: &PgPool,
    projections: &ProjectionRegistry,
    relayed: CommitPosition,
) -> Result<(i64, Vec<StatusReport>), sqlx::Error> {
    let head = store::committed_head(pool, relayed)
        .await?
        .max(relayed.global_position);
    let mut reports = Vec::new();
    for projection in projections.all() {
        reports.push(report(pool, projection, head).await?);
    }
    Ok((head, reports))
}

/// One projection's standing against `head`.
pub async fn report(
    pool: &PgPool,
    projection: &crate::Registered,
    head: i64,
) -> Result<StatusReport, sqlx::Error> {
    let name = projection.name();
    let types = projection.info().aggregate_types();
    let status = checkpoint::status(pool, name).await?;
    let (position, applied, rebuilt_at) = status
        .map(|s| (s.last_position, s.events_applied, s.rebuilt_at))
        .unwrap_or((0, 0, None));
    let lag_events = store::events_between(pool, position, head, types).await?;
    let (oldest,): (Option<DateTime<Utc>>,) = sqlx::query_as(
        "SELECT min(recorded_at) FROM events WHERE global_position > $1 \
         AND global_position <= $2 AND aggregate_type = ANY($3)",
    )
    .bind(position)
    .bind(head)
    .bind(types)
    .fetch_one(pool)
    .await?;
    let lag_seconds = oldest.map_or(0.0, |t| {
        (Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0
    });
    Ok(StatusReport {
        name,
        kind: projection.kind(),
        aggregate_types: types.to_vec(),
        replayable: projection.info().replayable(),
        position,
        lag_events,
        lag_seconds,
        events_applied: applied,
        dead_letters: dead_letters::pending_count(pool, name).await?,
        state: rebuild_state(pool, name).await?,
        rebuilt_at,
    })
}

#[derive(sqlx::FromRow)]
struct RebuildRow {
    state: String,
    events_done: i64,
    events_total: i64,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    error: Option<String>,
}

/// How long a rebuild may be recorded as running before its lock is looked at: the API
/// records one a moment before the task that runs it takes the lock.
const LOCK_GRACE: chrono::Duration = chrono::Duration::seconds(10);

/// The advisory lock a running rebuild of `name` holds, in the schema the connection works
/// in (`current_schema()`): the rebuild takes it, [`rebuild_running`] looks for it.
pub const REBUILD_LOCK_KEY: &str = "'wayfarer.rebuild.' || current_schema() || '.' || $1";

/// Whether a rebuild of `name` holds its lock right now. Looks at `pg_locks` rather than
/// trying the lock, which a cancelled request could leave held on a pooled connection.
pub async fn rebuild_running(
    executor: impl PgExecutor<'_>,
    name: &str,
) -> Result<bool, sqlx::Error> {
    // A bigint advisory lock shows its high half as `classid` and its low half as `objid`.
    let (running,): (bool,) = sqlx::query_as(&format!(
        "WITH k AS (SELECT hashtext({REBUILD_LOCK_KEY})::bigint AS key) \
         SELECT EXISTS (SELECT 1 FROM pg_locks, k WHERE locktype = 'advisory' AND granted \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND classid = ((key >> 32) & 4294967295)::oid \
             AND objid = (key & 4294967295)::oid AND objsubid = 1)"
    ))
    .bind(name)
    .fetch_one(executor)
    .await?;
    Ok(running)
}

async fn rebuild_state(pool: &PgPool, name: &str) -> Result<ProjectionState, sqlx::Error> {
    let row: Option<RebuildRow> = sqlx::query_as(
        "SELECT state, events_done, events_total, started_at, finished_at, error \
         FROM projection_rebuilds WHERE projection = $1",
    )
    .bind(name)
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        // Recorded as running, but whatever ran it stopped (killed mid-rebuild): the live
        // model kept serving; the copy it was filling is dropped by the next rebuild.
        Some(row)
            if row.state == "rebuilding"
                && Utc::now() - row.started_at > LOCK_GRACE
                && !rebuild_running(pool, name).await? =>
        {
            ProjectionState::Failed {
                reason: "interrupted: the process running it stopped".into(),
                at: row.started_at,
            }
        }
        Some(row) if row.state == "rebuilding" => ProjectionState::Rebuilding {
            events_done: row.events_done,
            events_total: row.events_total,
        },
        Some(row) if row.state == "failed" => ProjectionState::Failed {
            reason: row.error.unwrap_or_default(),
            at: row.finished_at.unwrap_or_else(Utc::now),
        },
        _ => ProjectionState::Live,
    })
}

/// Records that a rebuild of `name` over `total` events began.
pub async fn rebuild_started(
    executor: impl PgExecutor<'_>,
    name: &str,
    total: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO projection_rebuilds (projection, state, events_done, events_total, started_at) \
         VALUES ($1, 'rebuilding', 0, $2, now()) \
         ON CONFLICT (projection) DO UPDATE SET state = 'rebuilding', events_done = 0, \
             events_total = $2, started_at = now(), finished_at = NULL, error = NULL",
    )
    .bind(name)
    .bind(total)
    .execute(executor)
    .await?;
    Ok(())
}

/// Records how far a running rebuild has come.
pub async fn rebuild_progress(
    executor: impl PgExecutor<'_>,
    name: &str,
    done: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE projection_rebuilds SET events_done = $2, \
             events_total = GREATEST(events_total, $2) \
         WHERE projection = $1 AND state = 'rebuilding'",
    )
    .bind(name)
    .bind(done)
    .execute(executor)
    .await?;
    Ok(())
}

/// Records how a rebuild ended: done, or failed for `failure`.
pub async fn rebuild_finished(
    executor: impl PgExecutor<'_>,
    name: &str,
    failure: Option<&str>,
) -> Result<(), sqlx::Error> {
    let state = if failure.is_some() { "failed" } else { "done" };
    let error = failure;
    sqlx::query(
        "UPDATE projection_rebuilds SET state = $2, error = $3, finished_at = now(), \
             events_done = CASE WHEN $2 = 'done' THEN events_total ELSE events_done END \
         WHERE projection = $1",
    )
    .bind(name)
    .bind(state)
    .bind(error)
    .execute(executor)
    .await?;
    Ok(())
}
