//! `saga_tasks`: when the booking process looks at each booking next. Rows are woken by the
//! booking topic's consumer (in its transaction, with its processed marker), claimed by
//! workers with a lease and a token (`FOR UPDATE SKIP LOCKED`, so any number of workers
//! share the table), and released only under their own claim: a worker whose lease ran out
//! cannot undo the work of the one after it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A claimed row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Task {
    pub booking_id: Uuid,
    pub step: Option<String>,
    pub attempts: i32,
    pub step_deadline: Option<DateTime<Utc>>,
    pub failure_reason: Option<String>,
    pub claim: Uuid,
}

/// Makes `booking` due now (creating its row if it has none).
pub async fn wake(connection: &mut PgConnection, booking: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO saga_tasks (booking_id) VALUES ($1) ON CONFLICT (booking_id) DO UPDATE \
         SET next_attempt_at = LEAST(saga_tasks.next_attempt_at, now()), updated_at = now()",
    )
    .bind(booking)
    .execute(connection)
    .await?;
    Ok(())
}

/// Claims up to `limit` due rows for `lease`.
pub async fn claim(pool: &PgPool, limit: i64, lease: Duration) -> Result<Vec<Task>, sqlx::Error> {
    sqlx::query_as(
        "WITH due AS ( \
           SELECT booking_id FROM saga_tasks WHERE next_attempt_at <= now() \
           ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
         UPDATE saga_tasks t SET next_attempt_at = now() + make_interval(secs => $2), \
           claim = gen_random_uuid(), updated_at = now() \
         FROM due WHERE t.booking_id = due.booking_id \
         RETURNING t.booking_id, t.step, t.attempts, t.step_deadline, t.failure_reason, t.claim",
    )
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(pool)
    .await
}

/// Starts counting attempts of `step` (a no-op when it is the step already counted),
/// giving it until `deadline`.
pub async fn begin_step(
    pool: &PgPool,
    task: &Task,
    step: &str,
    deadline: DateTime<Utc>,
) -> Result<Task, sqlx::Error> {
    if task.step.as_deref() == Some(step) {
        return Ok(task.clone());
    }
    sqlx::query(
        "UPDATE saga_tasks SET step = $3, attempts = 0, step_deadline = $4, last_error = NULL, \
         updated_at = now() WHERE booking_id = $1 AND claim = $2",
    )
    .bind(task.booking_id)
    .bind(task.claim)
    .bind(step)
    .bind(deadline)
    .execute(pool)
    .await?;
    Ok(Task {
        step: Some(step.to_owned()),
        attempts: 0,
        step_deadline: Some(deadline),
        ..task.clone()
    })
}

/// The step did its work: look at the booking again at once (its next event will also
/// wake it).
pub async fn moved_on(pool: &PgPool, task: &Task) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE saga_tasks SET next_attempt_at = now(), updated_at = now() \
         WHERE booking_id = $1 AND claim = $2",
    )
    .bind(task.booking_id)
    .bind(task.claim)
    .execute(pool)
    .await?;
    Ok(())
}

/// The step failed in a way worth retrying: one more attempt counted, tried again at `at`.
pub async fn retry_at(
    pool: &PgPool,
    task: &Task,
    at: DateTime<Utc>,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE saga_tasks SET attempts = attempts + 1, next_attempt_at = $3, last_error = $4, \
         updated_at = now() WHERE booking_id = $1 AND claim = $2",
    )
    .bind(task.booking_id)
    .bind(task.claim)
    .bind(at)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// The booking cannot go ahead: from now on the row compensates it, for `reason`.
pub async fn give_up(pool: &PgPool, task: &Task, reason: &str) -> Result<Task, sqlx::Error> {
    sqlx::query(
        "UPDATE saga_tasks SET failure_reason = COALESCE(failure_reason, $3), \
         step = 'compensate', attempts = 0, step_deadline = NULL, next_attempt_at = now(), \
         updated_at = now() WHERE booking_id = $1 AND claim = $2",
    )
    .bind(task.booking_id)
    .bind(task.claim)
    .bind(reason)
    .execute(pool)
    .await?;
    Ok(Task {
        failure_reason: Some(task.failure_reason.clone().unwrap_or_else(|| reason.into())),
        step: Some("compensate".into()),
        attempts: 0,
        step_deadline: None,
        ..task.clone()
    })
}

/// Nothing is left to do for the booking.
pub async fn finish(pool: &PgPool, task: &Task) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM saga_tasks WHERE booking_id = $1 AND claim = $2")
        .bind(task.booking_id)
        .bind(task.claim)
        .execute(pool)
        .await?;
    Ok(())
}
