//! Reading one person's notifications from the live tables.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;
use wayfarer_schemas::{NotificationChannels, NotificationKind};

/// One notification as its recipient sees it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NotificationRow {
    pub notification_id: Uuid,
    pub kind: String,
    pub actor_id: Option<Uuid>,
    /// The actor's user name, unless they closed their account.
    pub actor_name: Option<String>,
    pub itinerary_id: Option<Uuid>,
    pub item_id: Option<Uuid>,
    pub booking_id: Option<Uuid>,
    pub target_type: Option<String>,
    pub target_id: Option<Uuid>,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub changes: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub read: bool,
}

/// Read: marked read (or everything marked read) at or after its latest change.
const SELECT: &str = "SELECT n.notification_id, n.kind, n.actor_id, \
    CASE WHEN u.deleted THEN NULL ELSE u.user_name END AS actor_name, n.itinerary_id, \
    n.item_id, n.booking_id, n.target_type, n.target_id, \
    COALESCE(n.subject, (SELECT p.excerpt FROM notification_posts p \
      WHERE n.target_type = 'POST' AND p.post_id = n.target_id)) AS subject, \
    n.detail, n.changes, n.created_at, n.updated_at, \
    (n.updated_at <= GREATEST(n.read_at, i.read_all_before)) IS TRUE AS read \
    FROM notifications n \
    LEFT JOIN notification_inboxes i ON i.user_id = n.recipient_id \
    LEFT JOIN users u ON u.user_id = n.actor_id";

/// A page of `recipient`'s notifications, newest first, after a `(created_at, id)` cursor.
pub async fn page(
    pool: &PgPool,
    recipient: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<NotificationRow>, sqlx::Error> {
    let (at, id) = after.unzip();
    sqlx::query_as(&format!(
        "{SELECT} WHERE n.recipient_id = $1 \
         AND ($2::timestamptz IS NULL OR (n.created_at, n.notification_id) < ($2, $3)) \
         ORDER BY n.created_at DESC, n.notification_id DESC LIMIT $4"
    ))
    .bind(recipient)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// One of `recipient`'s notifications (`None` for anyone else's: hidden looks missing).
pub async fn find(
    pool: &PgPool,
    recipient: Uuid,
    notification_id: Uuid,
) -> Result<Option<NotificationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE n.recipient_id = $1 AND n.notification_id = $2"
    ))
    .bind(recipient)
    .bind(notification_id)
    .fetch_optional(pool)
    .await
}

/// How many of `recipient`'s notifications are unread.
pub async fn unread_count(pool: &PgPool, recipient: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM notifications n \
         LEFT JOIN notification_inboxes i ON i.user_id = n.recipient_id \
         WHERE n.recipient_id = $1 \
           AND NOT ((n.updated_at <= GREATEST(n.read_at, i.read_all_before)) IS TRUE)",
    )
    .bind(recipient)
    .fetch_one(pool)
    .await
}

/// The latest change among `recipient`'s notifications (what "mark all read" covers).
pub async fn latest_change(
    pool: &PgPool,
    recipient: Uuid,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT max(updated_at) FROM notifications WHERE recipient_id = $1")
        .bind(recipient)
        .fetch_one(pool)
        .await
}

/// The channels of every kind for `user` (defaults where they chose nothing).
pub async fn preferences(
    pool: &PgPool,
    user: Uuid,
) -> Result<BTreeMap<NotificationKind, NotificationChannels>, sqlx::Error> {
    let chosen: Option<Json<BTreeMap<String, NotificationChannels>>> =
        sqlx::query_scalar("SELECT preferences FROM notification_inboxes WHERE user_id = $1")
            .bind(user)
            .fetch_optional(pool)
            .await?;
    let chosen = chosen.map(|c| c.0).unwrap_or_default();
    Ok(NotificationKind::ALL
        .into_iter()
        .map(|kind| {
            let channels = chosen
                .get(kind.as_str())
                .copied()
                .unwrap_or_else(|| kind.default_channels());
            (kind, channels)
        })
        .collect())
}
