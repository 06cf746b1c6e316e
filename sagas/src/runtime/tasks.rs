//! `saga_tasks`: when the booking process looks at each booking next. Rows are woken by the
//! booking topic's consumer (in its transaction, with its processed marker), claimed by
//! workers with a lease and a token (`FOR UPDATE SKIP LOCKED`, so any number of workers
//! share the table), and changed only under the claim that holds them: a worker whose lease
//! ran out gets [`TaskError::ClaimLost`] and stops, and cannot undo the work of the one that
//! took over. A wake never shortens a lease (the worker's own events wake the row while it
//! works); it is counted, so a worker that found nothing to do keeps a row woken since.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error(transparent)]
    Store(#[from] sqlx::Error),
    /// The lease ran out and another worker claimed the row: stop working on it.
    #[error("the task was claimed by another worker")]
    ClaimLost,
}

/// A claimed row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Task {
    pub booking_id: Uuid,
    pub step: Option<String>,
    pub attempts: i32,
    pub step_deadline: Option<DateTime<Utc>>,
    pub failure_reason: Option<String>,
    pub claim: Uuid,
    /// The wakes counted when it was claimed.
    pub wakes: i64,
}

/// What [`finish`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// Nothing is left to do: the row is gone.
    Removed,
    /// Something woke the row since it was claimed: it is due again.
    WokenMeanwhile,
}

/// Makes `booking` due now (creating its row if it has none); a claimed row stays with its
/// worker until the lease ends or the worker lets it go.
pub async fn wake(connection: &mut PgConnection, booking: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO saga_tasks (booking_id) VALUES ($1) ON CONFLICT (booking_id) DO UPDATE \
         SET next_attempt_at = LEAST(saga_tasks.next_attempt_at, now()), \
           wakes = saga_tasks.wakes + 1, updated_at = now()",
    )
    .bind(booking)
    .execute(connection)
    .await?;
    Ok(())
}

/// Claims up to `limit` due rows that no lease holds, each for `lease`.
pub async fn claim(pool: &PgPool, limit: i64, lease: Duration) -> Result<Vec<Task>, TaskError> {
    Ok(sqlx::query_as(
        "WITH due AS ( \
           SELECT booking_id FROM saga_tasks WHERE next_attempt_at <= now() \
             AND (leased_until IS NULL OR leased_until < now()) \
           ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
         UPDATE saga_tasks t SET leased_until = now() + make_interval(secs => $2), \
           claim = gen_random_uuid(), updated_at = now() \
         FROM due WHERE t.booking_id = due.booking_id \
         RETURNING t.booking_id, t.step, t.attempts, t.step_deadline, t.failure_reason, \
           t.claim, t.wakes",
    )
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(pool)
    .await?)
}

fn held(result: sqlx::postgres::PgQueryResult) -> Result<(), TaskError> {
    if result.rows_affected() == 0 {
        return Err(TaskError::ClaimLost);
    }
    Ok(())
}

/// Starts counting attempts of `step` (a no-op when it is the step already counted),
/// giving it until `deadline`.
pub async fn begin_step(
    pool: &PgPool,
    task: &Task,
    step: &str,
    deadline: DateTime<Utc>,
) -> Result<Task, TaskError> {
    if task.step.as_deref() == Some(step) {
        return Ok(task.clone());
    }
    held(
        sqlx::query(
            "UPDATE saga_tasks SET step = $3, attempts = 0, step_deadline = $4, \
             last_error = NULL, updated_at = now() WHERE booking_id = $1 AND claim = $2",
        )
        .bind(task.booking_id)
        .bind(task.claim)
        .bind(step)
        .bind(deadline)
        .execute(pool)
        .await?,
    )?;
    Ok(Task {
        step: Some(step.to_owned()),
        attempts: 0,
        step_deadline: Some(deadline),
        ..task.clone()
    })
}

/// The step did its work: the row is let go and due at once.
pub async fn moved_on(pool: &PgPool, task: &Task) -> Result<(), TaskError> {
    held(
        sqlx::query(
            "UPDATE saga_tasks SET next_attempt_at = now(), leased_until = NULL, claim = NULL, \
             updated_at = now() WHERE booking_id = $1 AND claim = $2",
        )
        .bind(task.booking_id)
        .bind(task.claim)
        .execute(pool)
        .await?,
    )
}

/// The step failed in a way worth retrying: one more attempt counted, the row let go and due
/// at `at`.
pub async fn retry_at(
    pool: &PgPool,
    task: &Task,
    at: DateTime<Utc>,
    error: &str,
) -> Result<(), TaskError> {
    held(
        sqlx::query(
            "UPDATE saga_tasks SET attempts = attempts + 1, next_attempt_at = $3, \
             leased_until = NULL, claim = NULL, last_error = $4, updated_at = now() \
             WHERE booking_id = $1 AND claim = $2",
        )
        .bind(task.booking_id)
        .bind(task.claim)
        .bind(at)
        .bind(error)
        .execute(pool)
        .await?,
    )
}

/// The booking cannot go ahead: from now on the row compensates it, for `reason` (the first
/// reason given is kept).
pub async fn give_up(pool: &PgPool, task: &Task, reason: &str) -> Result<Task, TaskError> {
    held(
        sqlx::query(
            "UPDATE saga_tasks SET failure_reason = COALESCE(failure_reason, $3), \
             step = 'compensate', attempts = 0, step_deadline = NULL, updated_at = now() \
             WHERE booking_id = $1 AND claim = $2",
        )
        .bind(task.booking_id)
        .bind(task.claim)
        .bind(reason)
        .execute(pool)
        .await?,
    )?;
    Ok(Task {
        failure_reason: Some(task.failure_reason.clone().unwrap_or_else(|| reason.into())),
        step: Some("compensate".into()),
        attempts: 0,
        step_deadline: None,
        ..task.clone()
    })
}

/// Nothing is left to do for the booking as the worker saw it: the row goes, unless
/// something woke it since it was claimed (then it is let go, due again).
pub async fn finish(pool: &PgPool, task: &Task) -> Result<Finished, TaskError> {
    let removed =
        sqlx::query("DELETE FROM saga_tasks WHERE booking_id = $1 AND claim = $2 AND wakes = $3")
            .bind(task.booking_id)
            .bind(task.claim)
            .bind(task.wakes)
            .execute(pool)
            .await?;
    if removed.rows_affected() == 1 {
        return Ok(Finished::Removed);
    }
    moved_on(pool, task).await?;
    Ok(Finished::WokenMeanwhile)
}

/// Keeps the claim for another `lease` (a worker going on to the booking's next step).
pub async fn renew(pool: &PgPool, task: &Task, lease: Duration) -> Result<(), TaskError> {
    held(
        sqlx::query(
            "UPDATE saga_tasks SET leased_until = now() + make_interval(secs => $3), \
             updated_at = now() WHERE booking_id = $1 AND claim = $2",
        )
        .bind(task.booking_id)
        .bind(task.claim)
        .bind(lease.as_secs_f64())
        .execute(pool)
        .await?,
    )
}
