//! One claimed booking, taken as far as it goes: the next step from the booking's recorded
//! state, then the next, until the booking is settled, a step must wait (retried later, with
//! backoff, up to the step's deadline) or is refused (the booking is compensated, then
//! recorded failed). What the task row says (the step's attempts and deadline, the reason for
//! failing) survives the worker, so another one picks up exactly there.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;
use wayfarer_domain::Booking;

use super::plan::{self, Next};
use super::steps::{StepResult, Steps};
use super::wording::FailureCause;
use crate::runtime::backoff::pause_after;
use crate::runtime::tasks::{self, Task, TaskError};

/// The step name that marks a task compensating.
const COMPENSATE: &str = "compensate";
/// The most steps one claim takes a booking through before letting others have a turn.
const STEPS_PER_CLAIM: usize = 12;

/// How long steps may take.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// How long reserving may keep failing for want of an answer before the booking fails.
    pub reserve_within: Duration,
    /// How long a claim holds a task (a killed worker's tasks wait this long).
    pub lease: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            reserve_within: Duration::from_secs(60),
            lease: Duration::from_secs(15),
        }
    }
}

pub struct BookingProcess {
    pub pool: PgPool,
    pub steps: Steps,
    pub deadlines: Deadlines,
}

fn step_name(next: Next) -> &'static str {
    match next {
        Next::Reserve => "reserve",
        Next::HoldFunds => "hold-funds",
        Next::ConfirmWithSupplier => "confirm",
        Next::Capture => "capture",
        Next::AddToItinerary { .. } => "add-to-itinerary",
        Next::RemoveFromItinerary { .. } => "remove-from-itinerary",
        Next::CancelAndRefund => "cancel-and-refund",
        Next::Done => "done",
    }
}

fn later(from: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    from + TimeDelta::from_std(by).unwrap_or(TimeDelta::MAX)
}

impl BookingProcess {
    /// Until when `next` may keep being retried, and why the booking fails past it. Steps
    /// after the supplier confirmed are retried until they succeed (a year stands for that).
    fn deadline(&self, next: Next, booking: &Booking) -> (DateTime<Utc>, FailureCause) {
        let now = Utc::now();
        match next {
            Next::Reserve => (
                later(now, self.deadlines.reserve_within),
                FailureCause::SupplierUnavailable,
            ),
            Next::HoldFunds | Next::ConfirmWithSupplier => (
                booking.hold_expires_at().unwrap_or(now),
                FailureCause::HoldExpired,
            ),
            _ => (
                later(now, Duration::from_secs(365 * 24 * 3600)),
                FailureCause::SupplierUnavailable,
            ),
        }
    }

    async fn retry_later(
        &self,
        task: &Task,
        until: DateTime<Utc>,
        error: &str,
    ) -> Result<(), TaskError> {
        let pause = pause_after(u32::try_from(task.attempts).unwrap_or(0).saturating_add(1));
        let at = later(Utc::now(), pause).min(until);
        tracing::debug!(booking_id = %task.booking_id, step = ?task.step, error, %at, "step will be retried");
        tasks::retry_at(&self.pool, task, at, error).await
    }

    /// Works on a claimed task until it waits or is settled.
    pub async fn work(&self, mut task: Task) -> Result<(), TaskError> {
        let booking_id = task.booking_id;
        for _ in 0..STEPS_PER_CLAIM {
            let booking = match self.steps.booking(booking_id).await {
                Ok(booking) => booking,
                Err(error) => {
                    let until = later(Utc::now(), Duration::from_secs(3600));
                    return self.retry_later(&task, until, &error).await;
                }
            };
            if task.step.as_deref() == Some(COMPENSATE) {
                return self.compensate(task, &booking).await;
            }
            let next = plan::next(&booking);
            if next == Next::Done {
                tasks::finish(&self.pool, &task).await?;
                return Ok(());
            }
            let (deadline, cause) = self.deadline(next, &booking);
            task = tasks::begin_step(&self.pool, &task, step_name(next), deadline).await?;
            let deadline = task.step_deadline.unwrap_or(deadline);
            match self.steps.forward(booking_id, &booking, next).await {
                StepResult::Advanced => {
                    tasks::renew(&self.pool, &task, self.deadlines.lease).await?;
                }
                StepResult::Settled => {
                    tasks::finish(&self.pool, &task).await?;
                    return Ok(());
                }
                StepResult::Retry(error) if Utc::now() < deadline => {
                    return self.retry_later(&task, deadline, &error).await;
                }
                StepResult::Retry(error) => {
                    tracing::warn!(%booking_id, step = step_name(next), error, "step deadline passed");
                    task = self.give_up(&task, &booking, cause).await?;
                }
                StepResult::Refused(cause) => {
                    tracing::info!(%booking_id, step = step_name(next), ?cause, "booking refused");
                    task = self.give_up(&task, &booking, cause).await?;
                }
            }
        }
        tasks::moved_on(&self.pool, &task).await
    }

    /// From now on the task compensates (a booking no longer in progress has nothing to undo;
    /// the next look finds it settled).
    async fn give_up(
        &self,
        task: &Task,
        booking: &Booking,
        cause: FailureCause,
    ) -> Result<Task, TaskError> {
        if !booking.status().in_progress() {
            return Ok(task.clone());
        }
        tasks::give_up(&self.pool, task, cause.reason()).await
    }

    /// Runs every compensation (each until it succeeds), then records the booking failed.
    async fn compensate(&self, task: Task, booking: &Booking) -> Result<(), TaskError> {
        let booking_id = task.booking_id;
        if !booking.status().in_progress() {
            tasks::finish(&self.pool, &task).await?;
            return Ok(());
        }
        let forever = later(Utc::now(), Duration::from_secs(365 * 24 * 3600));
        let undo = plan::compensations(booking_id, booking);
        let mut undone = Vec::new();
        for compensation in &undo {
            match self.steps.undo(booking_id, booking, *compensation).await {
                Ok(true) => undone.push(*compensation),
                Ok(false) => {}
                Err(error) => return self.retry_later(&task, forever, &error).await,
            }
        }
        let reason = task
            .failure_reason
            .clone()
            .unwrap_or_else(|| FailureCause::SupplierRefused.reason().to_owned());
        match self.steps.fail(booking_id, &reason, &undone).await {
            StepResult::Retry(error) => self.retry_later(&task, forever, &error).await,
            _ => {
                tasks::finish(&self.pool, &task).await?;
                Ok(())
            }
        }
    }
}
