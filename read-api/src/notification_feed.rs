//! The notifications this deployment's projector delivers, as they commit: one PostgreSQL
//! `LISTEN` per API process on [`notification::CHANNEL`], fanned out to every
//! `notificationReceived` subscription and to the mail sender.
//!
//! A notification announced while the listener reconnects is not lost to its reader: it is in
//! `notifications` (and in the unread count); only the live push is missed.

use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::broadcast;
use uuid::Uuid;
use wayfarer_projections::notification;

/// Announcements buffered for a slow subscriber (older ones are dropped for it).
const BUFFER: usize = 256;

/// One delivered notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub recipient: Uuid,
    pub notification_id: Uuid,
}

#[derive(Clone)]
pub struct NotificationFeed {
    sender: broadcast::Sender<Delivered>,
}

impl NotificationFeed {
    /// Listens on a dedicated connection of `pool` for the announcements of `schema`, for as
    /// long as the feed exists.
    pub fn start(pool: PgPool, schema: String) -> Self {
        let (sender, _) = broadcast::channel(BUFFER);
        tokio::spawn(listen(
            pool,
            schema,
            notification::CHANNEL,
            parse,
            sender.downgrade(),
        ));
        Self { sender }
    }

    /// Every delivery from now on (each subscriber keeps its recipient's).
    pub fn subscribe(&self) -> broadcast::Receiver<Delivered> {
        self.sender.subscribe()
    }
}

/// Relays the announcements of `schema` on `channel`, as `parse` reads them, to `sender`, for
/// as long as it has a strong handle (reconnecting whenever the connection drops).
pub(crate) async fn listen<T: Clone>(
    pool: PgPool,
    schema: String,
    channel: &'static str,
    parse: fn(&str, &str) -> Option<T>,
    sender: broadcast::WeakSender<T>,
) {
    let prefix = format!("{schema}:");
    while sender.strong_count() > 0 {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "notification listener cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(channel).await {
            tracing::warn!(%error, "notification listener cannot listen; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        loop {
            // Wake now and then to notice that the feed is gone.
            let received = tokio::time::timeout(Duration::from_secs(30), listener.recv()).await;
            let Some(sender) = sender.upgrade() else {
                return;
            };
            match received {
                Err(_) => continue,
                Ok(Ok(message)) => {
                    if let Some(delivered) = parse(message.payload(), &prefix) {
                        // No subscriber now is not an error.
                        let _ = sender.send(delivered);
                    }
                }
                Ok(Err(error)) => {
                    tracing::warn!(%error, "notification listener lost its connection");
                    break;
                }
            }
        }
    }
}

/// `<schema>:<recipient>:<notification id>`, for this schema only.
fn parse(payload: &str, prefix: &str) -> Option<Delivered> {
    let (recipient, id) = payload.strip_prefix(prefix)?.split_once(':')?;
    Some(Delivered {
        recipient: recipient.parse().ok()?,
        notification_id: id.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_of_other_schemas_are_ignored() {
        let recipient = Uuid::from_u128(1);
        let id = Uuid::from_u128(2);
        assert_eq!(
            parse(&format!("t1:{recipient}:{id}"), "t1:"),
            Some(Delivered {
                recipient,
                notification_id: id
            })
        );
        assert_eq!(parse(&format!("t10:{recipient}:{id}"), "t1:"), None);
        assert_eq!(parse("t1:garbage", "t1:"), None);
    }
}
