//! One Redis pub/sub connection per API process, fanned out to every subscriber.
//!
//! Subscriptions ask the hub for a channel; the hub subscribes once per channel and forwards
//! each message to a broadcast channel that every local subscriber of it reads. A channel
//! nobody listens to any more is unsubscribed at the next message or sweep. If the
//! connection drops, the hub reconnects and subscribes again to every live channel.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{broadcast, mpsc, oneshot};

/// Messages buffered per channel for a slow subscriber (older ones are dropped for it).
const CHANNEL_BUFFER: usize = 64;
/// The longest a subscription waits for the hub to subscribe its channel.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often channels without listeners are unsubscribed.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

struct Subscribe {
    channel: String,
    reply: oneshot::Sender<broadcast::Receiver<String>>,
}

/// A handle on the process's pub/sub hub.
#[derive(Clone)]
pub struct Notifications {
    requests: mpsc::Sender<Subscribe>,
}

#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    #[error("the notification hub stopped")]
    Stopped,
    #[error("change notifications are unavailable (Redis is not answering)")]
    Unavailable,
}

impl Notifications {
    /// Starts the hub on the current runtime; it connects lazily and reconnects on failure.
    pub fn start(client: redis::Client) -> Self {
        let (requests, receiver) = mpsc::channel(256);
        tokio::spawn(run(client, receiver));
        Self { requests }
    }

    /// The messages published on `channel` from now on.
    pub async fn subscribe(
        &self,
        channel: String,
    ) -> Result<broadcast::Receiver<String>, NotificationError> {
        let (reply, answer) = oneshot::channel();
        let asked = async {
            self.requests
                .send(Subscribe { channel, reply })
                .await
                .map_err(|_| NotificationError::Stopped)?;
            answer.await.map_err(|_| NotificationError::Stopped)
        };
        // While Redis is away the hub is reconnecting and answers nobody: say so in time.
        tokio::time::timeout(SUBSCRIBE_TIMEOUT, asked)
            .await
            .map_err(|_| NotificationError::Unavailable)?
    }
}

async fn run(client: redis::Client, mut requests: mpsc::Receiver<Subscribe>) {
    let mut channels: HashMap<String, broadcast::Sender<String>> = HashMap::new();
    loop {
        let pubsub = match client.get_async_pubsub().await {
            Ok(pubsub) => pubsub,
            Err(error) => {
                tracing::warn!(%error, "redis pub/sub unavailable; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let (mut sink, mut messages) = pubsub.split();
        let mut healthy = true;
        for channel in channels.keys() {
            if sink.subscribe(channel).await.is_err() {
                healthy = false;
            }
        }
        let mut sweep = tokio::time::interval(SWEEP_EVERY);
        while healthy {
            tokio::select! {
                request = requests.recv() => {
                    let Some(Subscribe { channel, reply }) = request else { return };
                    let sender = match channels.get(&channel) {
                        Some(sender) => sender.clone(),
                        None => {
                            if let Err(error) = sink.subscribe(&channel).await {
                                tracing::warn!(%error, "redis subscribe failed; reconnecting");
                                healthy = false;
                            }
                            let (sender, _) = broadcast::channel(CHANNEL_BUFFER);
                            channels.insert(channel, sender.clone());
                            sender
                        }
                    };
                    let _ = reply.send(sender.subscribe());
                }
                message = messages.next() => {
                    let Some(message) = message else {
                        tracing::warn!("redis pub/sub connection closed; reconnecting");
                        healthy = false;
                        continue;
                    };
                    let channel = message.get_channel_name().to_owned();
                    let Ok(payload) = message.get_payload::<String>() else { continue };
                    if let Some(sender) = channels.get(&channel) {
                        if sender.send(payload).is_err() {
                            channels.remove(&channel);
                            let _ = sink.unsubscribe(&channel).await;
                        }
                    }
                }
                _ = sweep.tick() => {
                    let idle: Vec<String> = channels
                        .iter()
                        .filter(|(_, sender)| sender.receiver_count() == 0)
                        .map(|(channel, _)| channel.clone())
                        .collect();
                    for channel in idle {
                        channels.remove(&channel);
                        let _ = sink.unsubscribe(&channel).await;
                    }
                }
            }
        }
    }
}
