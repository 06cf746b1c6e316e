//! Signs a checkpoint of the event store periodically (part of the relay role). Several
//! relays may run it: checkpoints are taken under a lock and only when new events committed.

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{db, Settings};

pub fn spawn(settings: &Settings, shutdown: CancellationToken) -> anyhow::Result<JoinHandle<()>> {
    let key = settings.audit.key()?;
    let interval = settings.audit.checkpoint_interval;
    let pool = db::connect_lazy(&settings.postgres, 1)?;
    Ok(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is immediate: sign what is there at start, then every interval.
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticks.tick() => {}
            }
            if let Err(error) = wayfarer_audit::checkpoint::take(&pool, &key).await {
                tracing::warn!(%error, "could not sign an event store checkpoint; retrying at the next interval");
            }
        }
    }))
}
