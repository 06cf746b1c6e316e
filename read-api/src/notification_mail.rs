//! Sends the emails the notifications projector asked for (`notification_emails`).
//!
//! Each round claims a few due rows with a lease longer than it takes to send them all (one
//! statement: no transaction is held across an SMTP conversation), sends each with the
//! mailer's timeout and marks it sent. Each claim carries a fresh token and a sender marks
//! only rows still under its own claim. A failed send is retried with growing pauses and
//! abandoned after [`MAX_ATTEMPTS`]. Any number of API nodes may run a sender; the lease
//! keeps them off each other's rows. Delivery is at least once: a sender killed between the
//! SMTP server's answer and the mark sends that email again when its lease runs out.

use std::future::Future;
use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;
use wayfarer_projections::notification::text::Wording;
use wayfarer_schemas::NotificationKind;

use crate::auth::mail::{Mailer, SEND_TIMEOUT};
use crate::notification_feed::NotificationFeed;

/// Emails claimed per round.
const BATCH: i64 = 5;
/// How long a claimed email is left to its sender before another may take it: every send of
/// the round may run to its timeout and the lease still holds.
const LEASE: Duration = Duration::from_secs(SEND_TIMEOUT.as_secs() * BATCH as u64 + 30);
/// How often the sender looks for due emails when no notification wakes it.
const POLL_EVERY: Duration = Duration::from_secs(2);
/// Sends tried before an email is given up.
pub const MAX_ATTEMPTS: i32 = 8;

#[derive(Debug, sqlx::FromRow)]
struct Due {
    event_id: Uuid,
    recipient_id: Uuid,
    kind: String,
    actor_id: Option<Uuid>,
    itinerary_id: Option<Uuid>,
    booking_id: Option<Uuid>,
    target_type: Option<String>,
    target_id: Option<Uuid>,
    subject: Option<String>,
    detail: Option<String>,
    attempts: i32,
    /// `None` once the recipient's account is closed.
    email: Option<String>,
    actor_name: Option<String>,
}

/// Sends due emails until `shutdown` resolves, woken by each delivered notification and at
/// least every [`POLL_EVERY`].
pub async fn run(
    pool: PgPool,
    mailer: Mailer,
    feed: NotificationFeed,
    shutdown: impl Future<Output = ()>,
) {
    let mut woken = feed.subscribe();
    tokio::pin!(shutdown);
    loop {
        loop {
            match send_due(&pool, &mailer).await {
                Ok(claimed) if claimed as i64 == BATCH => continue,
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(%error, "notification emails could not be claimed; retrying");
                    break;
                }
            }
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = woken.recv() => {}
            _ = tokio::time::sleep(POLL_EVERY) => {}
        }
    }
}

/// One round: claims, sends and marks; returns how many were claimed.
pub async fn send_due(pool: &PgPool, mailer: &Mailer) -> Result<usize, sqlx::Error> {
    let claim = Uuid::new_v4();
    let due: Vec<Due> = sqlx::query_as(
        "WITH due AS ( \
           SELECT event_id, recipient_id FROM notification_emails \
           WHERE sent_at IS NULL AND abandoned_at IS NULL AND next_attempt_at <= now() \
           ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
         UPDATE notification_emails o \
         SET next_attempt_at = now() + make_interval(secs => $2), attempts = o.attempts + 1, \
           claim = $3 \
         FROM due WHERE o.event_id = due.event_id AND o.recipient_id = due.recipient_id \
         RETURNING o.event_id, o.recipient_id, o.kind, o.actor_id, o.itinerary_id, o.booking_id, \
           o.target_type, o.target_id, \
           COALESCE(o.subject, (SELECT p.excerpt FROM notification_posts p \
             WHERE o.target_type = 'POST' AND p.post_id = o.target_id)) AS subject, \
           o.detail, o.attempts, \
           (SELECT a.email FROM accounts a WHERE a.user_id = o.recipient_id) AS email, \
           (SELECT u.user_name FROM users u WHERE u.user_id = o.actor_id AND NOT u.deleted) \
             AS actor_name",
    )
    .bind(BATCH)
    .bind(LEASE.as_secs_f64())
    .bind(claim)
    .fetch_all(pool)
    .await?;
    let claimed = due.len();
    for email in due {
        let outcome = send(mailer, &email).await;
        record(pool, &email, claim, outcome).await?;
    }
    Ok(claimed)
}

/// What became of one send.
enum Outcome {
    Sent,
    /// Nobody to send to (the account is closed) or nothing to say: never tried again.
    Undeliverable(String),
    Failed(String),
}

async fn send(mailer: &Mailer, email: &Due) -> Outcome {
    let Some(to) = email.email.as_deref() else {
        return Outcome::Undeliverable("the recipient's account is closed".into());
    };
    let Some(kind) = NotificationKind::parse(&email.kind) else {
        return Outcome::Undeliverable(format!("unknown kind {}", email.kind));
    };
    let wording = Wording {
        kind,
        actor_name: email.actor_name.as_deref(),
        actor_id: email.actor_id,
        itinerary_id: email.itinerary_id,
        booking_id: email.booking_id,
        target_type: email.target_type.as_deref(),
        target_id: email.target_id,
        subject: email.subject.as_deref(),
        detail: email.detail.as_deref(),
        changes: 1,
    };
    let message = wording.message();
    let subject = format!(
        "Wayfarer: {}",
        message.split(". ").next().unwrap_or(&message)
    );
    match mailer
        .send_notification(to, kind.as_str(), &subject, &message, &wording.path())
        .await
    {
        Ok(()) => Outcome::Sent,
        Err(error) => Outcome::Failed(error.to_string()),
    }
}

/// Marks what became of a send, unless another sender has claimed the row since (then the
/// row is theirs).
async fn record(
    pool: &PgPool,
    email: &Due,
    claim: Uuid,
    outcome: Outcome,
) -> Result<(), sqlx::Error> {
    let give_up = |error: String| {
        sqlx::query(
            "UPDATE notification_emails SET abandoned_at = now(), last_error = $3 \
             WHERE event_id = $1 AND recipient_id = $2 AND claim = $4",
        )
        .bind(email.event_id)
        .bind(email.recipient_id)
        .bind(error)
        .bind(claim)
    };
    let update = match outcome {
        Outcome::Sent => sqlx::query(
            "UPDATE notification_emails SET sent_at = now(), last_error = NULL \
             WHERE event_id = $1 AND recipient_id = $2 AND claim = $3",
        )
        .bind(email.event_id)
        .bind(email.recipient_id)
        .bind(claim),
        Outcome::Undeliverable(error) => give_up(error),
        Outcome::Failed(error) if email.attempts >= MAX_ATTEMPTS => {
            tracing::warn!(event_id = %email.event_id, %error, "notification email abandoned");
            give_up(error)
        }
        Outcome::Failed(error) => {
            tracing::info!(event_id = %email.event_id, %error, "notification email will be retried");
            sqlx::query(
                "UPDATE notification_emails SET last_error = $3, \
                 next_attempt_at = now() + make_interval(secs => $4) \
                 WHERE event_id = $1 AND recipient_id = $2 AND claim = $5",
            )
            .bind(email.event_id)
            .bind(email.recipient_id)
            .bind(error)
            .bind(retry_pause(email.attempts).as_secs_f64())
            .bind(claim)
        }
    };
    update.execute(pool).await?;
    Ok(())
}

/// The pause after the `attempts`th failed send: 30 s, doubling, at most an hour.
fn retry_pause(attempts: i32) -> Duration {
    let doublings = attempts.clamp(1, 8) as u32 - 1;
    Duration::from_secs(30u64.saturating_mul(1 << doublings)).min(Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_pause(1), Duration::from_secs(30));
        assert_eq!(retry_pause(2), Duration::from_secs(60));
        assert_eq!(retry_pause(7), Duration::from_secs(1920));
        assert_eq!(retry_pause(8), Duration::from_secs(3600));
    }
}
