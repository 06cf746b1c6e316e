//! Bookings' changes of status as the bookings projector commits them: one PostgreSQL
//! `LISTEN` per API process on [`booking::CHANNEL`], fanned out to every
//! `bookingStatusChanged` subscription. A change announced while the listener reconnects is
//! still in `booking` and `myBookings`; only the live push is missed.

use sqlx::PgPool;
use tokio::sync::broadcast;
use uuid::Uuid;
use wayfarer_projections::booking;

use crate::notification_feed::listen;

/// Changes buffered for a slow subscriber (older ones are dropped for it).
const BUFFER: usize = 256;

/// One booking's new status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChanged {
    pub owner: Uuid,
    pub booking_id: Uuid,
    pub status: String,
}

#[derive(Clone)]
pub struct BookingFeed {
    sender: broadcast::Sender<StatusChanged>,
}

impl BookingFeed {
    /// Listens on a dedicated connection of `pool` for the changes of `schema`.
    pub fn start(pool: PgPool, schema: String) -> Self {
        let (sender, _) = broadcast::channel(BUFFER);
        tokio::spawn(listen(
            pool,
            schema,
            booking::CHANNEL,
            parse,
            sender.downgrade(),
        ));
        Self { sender }
    }

    /// Every change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<StatusChanged> {
        self.sender.subscribe()
    }
}

/// `<schema>:<owner>:<booking id>:<status>`, for this schema only.
fn parse(payload: &str, prefix: &str) -> Option<StatusChanged> {
    let mut parts = payload.strip_prefix(prefix)?.split(':');
    let (Some(owner), Some(booking_id), Some(status), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some(StatusChanged {
        owner: owner.parse().ok()?,
        booking_id: booking_id.parse().ok()?,
        status: status.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_of_other_schemas_or_garbled_ones_are_ignored() {
        let owner = Uuid::from_u128(1);
        let id = Uuid::from_u128(2);
        assert_eq!(
            parse(&format!("t1:{owner}:{id}:CONFIRMED"), "t1:"),
            Some(StatusChanged {
                owner,
                booking_id: id,
                status: "CONFIRMED".into()
            })
        );
        assert_eq!(parse(&format!("t10:{owner}:{id}:CONFIRMED"), "t1:"), None);
        assert_eq!(parse(&format!("t1:{owner}:{id}"), "t1:"), None);
    }
}
