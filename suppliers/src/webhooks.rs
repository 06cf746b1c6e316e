//! Delivering gateway events to the webhook URL, off the request path.
//!
//! Each event is posted from its own spawned task, so an API answer never waits for (or
//! fails because of) the receiver. A delivery is retried a few times with growing pauses
//! when the receiver is unreachable, slow or answers non-2xx, then dropped with a warning:
//! like a real gateway, delivery is at least once (a receiver that answered too slowly may
//! get an event twice) and in no particular order, so receivers deduplicate by event id.
//! Every attempt is signed afresh, so its timestamp is current.

use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;

use crate::api::WebhookEvent;
use crate::signature::{sign, SIGNATURE_HEADER};
use crate::simulator::lock;

/// Attempts per event, and the pause before each retry (doubling).
const ATTEMPTS: u32 = 4;
const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(250);
/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct Webhooks {
    http: reqwest::Client,
    secret: String,
    url: Mutex<Option<String>>,
}

impl Webhooks {
    pub fn new(secret: String, url: Option<String>) -> Self {
        Self {
            http: reqwest::Client::new(),
            secret,
            url: Mutex::new(url),
        }
    }

    pub fn url(&self) -> Option<String> {
        lock(&self.url).clone()
    }

    pub fn set_url(&self, url: Option<String>) {
        *lock(&self.url) = url;
    }

    /// Posts the event in the background if a URL is set. Returns at once.
    pub fn dispatch(&self, event: WebhookEvent) {
        let Some(url) = self.url() else {
            return;
        };
        let body = match serde_json::to_vec(&event) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(event_id = %event.id, %error, "webhook event not serialisable");
                return;
            }
        };
        let http = self.http.clone();
        let secret = self.secret.clone();
        tokio::spawn(async move {
            deliver(http, url, secret, event.id, body).await;
        });
    }
}

async fn deliver(
    http: reqwest::Client,
    url: String,
    secret: String,
    event_id: String,
    body: Vec<u8>,
) {
    let mut pause = FIRST_RETRY_PAUSE;
    for attempt in 1..=ATTEMPTS {
        let signature = sign(&secret, Utc::now().timestamp(), &body);
        let answer = http
            .post(&url)
            .timeout(ATTEMPT_TIMEOUT)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(body.clone())
            .send()
            .await;
        match answer {
            Ok(response) if response.status().is_success() => {
                tracing::debug!(%event_id, attempt, "webhook delivered");
                return;
            }
            Ok(response) => {
                tracing::warn!(%event_id, attempt, status = %response.status(), "webhook refused");
            }
            Err(error) => {
                tracing::warn!(%event_id, attempt, %error, "webhook delivery failed");
            }
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }
    tracing::warn!(%event_id, attempts = ATTEMPTS, "webhook dropped after retries");
}
