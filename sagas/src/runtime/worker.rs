//! The poller: claims due bookings (as many as it has free slots for), works each on its own
//! task, and sleeps until a wake is announced (`pg_notify` from the booking topic's consumer)
//! or the poll interval passes, which also fires deadlines and retries that fall due. Any
//! number of workers share the table; a killed worker's claims lapse after their lease.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::tasks;
use crate::booking::process::BookingProcess;

/// The channel wakes are announced on.
pub const WAKE_CHANNEL: &str = "saga_tasks";

#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// Bookings worked at once.
    pub concurrency: usize,
    /// The longest the poller sleeps without an announcement.
    pub poll: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: 32,
            poll: Duration::from_millis(250),
        }
    }
}

/// Works due bookings until `shutdown`, then waits (bounded) for those in hand.
pub async fn run(
    process: Arc<BookingProcess>,
    settings: WorkerSettings,
    shutdown: CancellationToken,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(&process.pool).await?;
    listener.listen(WAKE_CHANNEL).await?;
    let slots = Arc::new(Semaphore::new(settings.concurrency));
    tracing::info!(
        concurrency = settings.concurrency,
        "booking process running"
    );
    while !shutdown.is_cancelled() {
        let free = slots.available_permits();
        let mut claimed_all_asked = false;
        if free > 0 {
            match tasks::claim(&process.pool, free as i64, process.deadlines.lease).await {
                Ok(claimed) => {
                    claimed_all_asked = claimed.len() == free;
                    for task in claimed {
                        let Ok(slot) = slots.clone().acquire_owned().await else {
                            break;
                        };
                        let process = process.clone();
                        tokio::spawn(async move {
                            let booking_id = task.booking_id;
                            if let Err(error) = process.work(task).await {
                                tracing::warn!(%booking_id, %error, "booking task stopped");
                            }
                            drop(slot);
                        });
                    }
                }
                Err(error) => tracing::warn!(%error, "claiming booking tasks failed"),
            }
        }
        if claimed_all_asked {
            // More may be due; a finished task frees its slot soon.
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(settings.poll) => {}
            notified = listener.recv() => {
                if notified.is_err() {
                    tokio::time::sleep(settings.poll).await;
                }
            }
        }
    }
    // Let the bookings in hand reach their next record (their claims lapse otherwise).
    let all = u32::try_from(settings.concurrency).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(10), slots.acquire_many(all)).await;
    Ok(())
}
