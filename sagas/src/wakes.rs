//! The booking topic's consumer for the booking process: every booking event makes its
//! booking due (`saga_tasks`), in the projector's transaction with its processed marker, so a
//! redelivered event wakes nothing twice and a crash between the two loses nothing. It runs
//! in the `booking-saga` consumer group: more `wayfarer sagas` processes split the topic's
//! partitions, and all of them claim due bookings from the one table.
//!
//! It is not replayable: replaying the log would only wake every finished booking again.

use async_trait::async_trait;
use sqlx::PgConnection;
use wayfarer_projections::projection::{Envelope, MultiStreamProjection, Projection, Tables};
use wayfarer_projections::ProjectionError;
use wayfarer_schemas::booking::AGGREGATE_TYPE;

use crate::runtime::tasks;

pub const NAME: &str = "booking-saga";

pub struct BookingWakes;

impl Projection for BookingWakes {
    fn name(&self) -> &'static str {
        NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &[AGGREGATE_TYPE]
    }
    fn replayable(&self) -> bool {
        false
    }
    fn fetch_wait(&self) -> std::time::Duration {
        std::time::Duration::from_millis(10)
    }
}

#[async_trait]
impl MultiStreamProjection for BookingWakes {
    fn tables(&self) -> &'static [&'static str] {
        // `saga_tasks` is the process's own state (migrations create it), not a model.
        &[]
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        _tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let mut woken = std::collections::BTreeSet::new();
        for envelope in events {
            let booking =
                envelope
                    .aggregate_uuid()
                    .ok_or_else(|| ProjectionError::Undecodable {
                        position: envelope.global_position,
                        reason: format!("booking id {:?} is not a UUID", envelope.aggregate_id),
                    })?;
            woken.insert(booking);
        }
        for booking in woken {
            tasks::wake(tx, booking).await?;
        }
        if !events.is_empty() {
            sqlx::query("SELECT pg_notify('saga_tasks', '')")
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }
}
