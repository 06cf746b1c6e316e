//! Notifications (`notifications`, `unreadNotificationsCount`, `notificationReceived`): a
//! multi-stream projection of itinerary, user, inbox, booking, post, comment, reaction and
//! moderation events, written with the processed markers in the runner's transaction.
//!
//! The live projector also announces each notification (`pg_notify`, delivered only if the
//! transaction commits) and asks for its email in `notification_emails`, keyed by (event,
//! recipient). A rebuild does so only for events the live projector never processed, and the
//! key is taken for any that it did: rebuilding or replaying never mails anyone twice.

pub mod read;
pub mod rules;
mod social;
pub mod text;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;
use wayfarer_schemas::{
    BookingEvent, InboxEvent, ItineraryEvent, NotificationChannels, NotificationKind, UserEvent,
};

use crate::projection::{Envelope, MultiStreamProjection, Projection, Tables};
use crate::ProjectionError;
use rules::{BookingFacts, ItineraryFacts, Notice};

pub const NAME: &str = "notifications";
pub const TABLES: &[&str] = &[
    NOTIFICATIONS,
    ITINERARIES,
    ITEMS,
    COMMENTS,
    INBOXES,
    BOOKINGS,
    POSTS,
    POST_COMMENTS,
    CASES,
    CASE_FLAGGERS,
];
const NOTIFICATIONS: &str = "notifications";
const ITINERARIES: &str = "notification_itineraries";
const ITEMS: &str = "notification_items";
const COMMENTS: &str = "notification_comments";
const INBOXES: &str = "notification_inboxes";
const BOOKINGS: &str = "notification_bookings";
const POSTS: &str = "notification_posts";
const POST_COMMENTS: &str = "notification_post_comments";
const CASES: &str = "notification_cases";
const CASE_FLAGGERS: &str = "notification_case_flaggers";

/// The PostgreSQL channel on which each delivered notification is announced, as
/// `<schema>:<recipient>:<notification id>`.
pub const CHANNEL: &str = "wayfarer_notifications";

/// An event older than this when the live projector meets it (a projector catching up on a
/// long history, say) is not mailed about: the news is stale.
const EMAIL_FRESH_FOR: chrono::Duration = chrono::Duration::hours(24);

pub struct NotificationsProjection;

impl Projection for NotificationsProjection {
    fn name(&self) -> &'static str {
        NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &[
            wayfarer_schemas::itinerary::AGGREGATE_TYPE,
            wayfarer_schemas::user::AGGREGATE_TYPE,
            wayfarer_schemas::inbox::AGGREGATE_TYPE,
            wayfarer_schemas::booking::AGGREGATE_TYPE,
            wayfarer_schemas::post::AGGREGATE_TYPE,
            wayfarer_schemas::comment::AGGREGATE_TYPE,
            wayfarer_schemas::reaction::AGGREGATE_TYPE,
            wayfarer_schemas::moderation::CASE_AGGREGATE_TYPE,
        ]
    }
    fn fetch_wait(&self) -> Duration {
        Duration::from_millis(20)
    }
}

fn undecodable(envelope: &Envelope, reason: impl ToString) -> ProjectionError {
    ProjectionError::Undecodable {
        position: envelope.global_position,
        reason: reason.to_string(),
    }
}

fn aggregate_uuid(envelope: &Envelope) -> Result<Uuid, ProjectionError> {
    envelope
        .aggregate_uuid()
        .ok_or_else(|| undecodable(envelope, "aggregate id is not a UUID"))
}

#[async_trait]
impl MultiStreamProjection for NotificationsProjection {
    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        for envelope in events {
            let notices = match envelope.aggregate_type.as_str() {
                wayfarer_schemas::itinerary::AGGREGATE_TYPE => {
                    itinerary_event(tx, tables, envelope).await?
                }
                wayfarer_schemas::user::AGGREGATE_TYPE => user_event(tx, tables, envelope).await?,
                wayfarer_schemas::inbox::AGGREGATE_TYPE => {
                    inbox_event(tx, tables, envelope).await?;
                    Vec::new()
                }
                wayfarer_schemas::booking::AGGREGATE_TYPE => {
                    booking_event(tx, tables, envelope).await?
                }
                wayfarer_schemas::post::AGGREGATE_TYPE => {
                    social::post_event(tx, tables, envelope).await?
                }
                wayfarer_schemas::comment::AGGREGATE_TYPE => {
                    social::comment_event(tx, tables, envelope).await?
                }
                wayfarer_schemas::reaction::AGGREGATE_TYPE => {
                    social::reaction_event(tx, tables, envelope).await?
                }
                wayfarer_schemas::moderation::CASE_AGGREGATE_TYPE => {
                    social::moderation_event(tx, tables, envelope).await?
                }
                _ => Vec::new(),
            };
            for notice in notices {
                deliver(tx, tables, envelope, &notice).await?;
            }
        }
        Ok(())
    }
}

/// Keeps the itinerary facts up to date and returns the event's notices (decided on the
/// facts as they were before it).
async fn itinerary_event(
    tx: &mut PgConnection,
    tables: &Tables,
    envelope: &Envelope,
) -> Result<Vec<Notice>, ProjectionError> {
    let event: ItineraryEvent =
        serde_json::from_str(envelope.payload.get()).map_err(|e| undecodable(envelope, e))?;
    let itinerary_id = aggregate_uuid(envelope)?;
    let actor = envelope.metadata.actor;
    let itineraries = tables.name(ITINERARIES);
    let items = tables.name(ITEMS);
    let comments = tables.name(COMMENTS);
    let facts = load_facts(tx, itineraries, itinerary_id).await?;
    let (mut item_author, mut item_title, mut parent_author) = (None, None, None);
    if let ItineraryEvent::ItemCommentAdded {
        item_id,
        parent_comment_id,
        ..
    } = &event
    {
        let item: Option<ItemFacts> = sqlx::query_as(&format!(
            "SELECT author_id, title FROM {items} WHERE item_id = $1"
        ))
        .bind(item_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(item) = item {
            item_author = item.author_id;
            item_title = Some(item.title);
        }
        if let Some(parent) = parent_comment_id {
            parent_author = sqlx::query_scalar(&format!(
                "SELECT author_id FROM {comments} WHERE comment_id = $1"
            ))
            .bind(parent)
            .fetch_optional(&mut *tx)
            .await?;
        }
    }
    let notices = rules::itinerary_notices(
        itinerary_id,
        &event,
        actor,
        facts.as_ref(),
        item_author,
        item_title.as_deref(),
        parent_author,
    );
    // The owner withdrew an invitation (removing someone who never accepted).
    if let (ItineraryEvent::CollaboratorRemoved { user_id, .. }, Some(facts)) = (&event, &facts) {
        if !facts.members.contains(user_id) {
            withdraw(
                tx,
                tables,
                *user_id,
                NotificationKind::Invited,
                "itinerary_id",
                itinerary_id,
            )
            .await?;
        }
    }
    record_facts(tx, tables, itinerary_id, actor, &event).await?;
    Ok(notices)
}

#[derive(sqlx::FromRow)]
struct ItemFacts {
    author_id: Option<Uuid>,
    title: String,
}

#[derive(sqlx::FromRow)]
struct FactsRow {
    owner_id: Uuid,
    title: String,
    members: Vec<Uuid>,
}

async fn load_facts(
    tx: &mut PgConnection,
    itineraries: &str,
    itinerary_id: Uuid,
) -> Result<Option<ItineraryFacts>, ProjectionError> {
    let row: Option<FactsRow> = sqlx::query_as(&format!(
        "SELECT owner_id, title, members FROM {itineraries} WHERE itinerary_id = $1"
    ))
    .bind(itinerary_id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(|row| ItineraryFacts {
        owner_id: row.owner_id,
        title: row.title,
        members: row.members,
    }))
}

/// The facts an event changes: the itinerary's title, owner and members, items' authors and
/// titles, comments' authors.
async fn record_facts(
    tx: &mut PgConnection,
    tables: &Tables,
    itinerary_id: Uuid,
    actor: Option<Uuid>,
    event: &ItineraryEvent,
) -> Result<(), ProjectionError> {
    let itineraries = tables.name(ITINERARIES);
    let items = tables.name(ITEMS);
    let comments = tables.name(COMMENTS);
    let members =
        |change: &str| format!("UPDATE {itineraries} SET {change} WHERE itinerary_id = $1");
    match event {
        ItineraryEvent::ItineraryCreated {
            owner_id, details, ..
        } => {
            sqlx::query(&format!(
                "INSERT INTO {itineraries} (itinerary_id, owner_id, title) VALUES ($1, $2, $3) \
                 ON CONFLICT (itinerary_id) DO NOTHING"
            ))
            .bind(itinerary_id)
            .bind(owner_id)
            .bind(&details.title)
            .execute(&mut *tx)
            .await?;
        }
        ItineraryEvent::ItineraryUpdated { details, .. } => {
            sqlx::query(&members("title = $2"))
                .bind(itinerary_id)
                .bind(&details.title)
                .execute(&mut *tx)
                .await?;
        }
        ItineraryEvent::InvitationAccepted { user_id, .. } => {
            sqlx::query(&members(
                "members = array_append(array_remove(members, $2), $2)",
            ))
            .bind(itinerary_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        ItineraryEvent::CollaboratorRemoved { user_id, .. }
        | ItineraryEvent::CollaboratorLeft { user_id, .. } => {
            sqlx::query(&members("members = array_remove(members, $2)"))
                .bind(itinerary_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        // The previous owner stays on as a collaborator.
        ItineraryEvent::OwnershipTransferred {
            previous_owner_id,
            new_owner_id,
            ..
        } => {
            sqlx::query(&members(
                "owner_id = $2, members = \
                 array_append(array_remove(array_remove(members, $2), $3), $3)",
            ))
            .bind(itinerary_id)
            .bind(new_owner_id)
            .bind(previous_owner_id)
            .execute(&mut *tx)
            .await?;
        }
        ItineraryEvent::ItineraryItemAdded {
            item_id, details, ..
        } => {
            sqlx::query(&format!(
                "INSERT INTO {items} (itinerary_id, item_id, author_id, title) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (item_id) DO NOTHING"
            ))
            .bind(itinerary_id)
            .bind(item_id)
            .bind(actor)
            .bind(&details.title)
            .execute(&mut *tx)
            .await?;
        }
        ItineraryEvent::ItineraryItemUpdated {
            item_id, details, ..
        } => {
            sqlx::query(&format!(
                "UPDATE {items} SET title = $3 WHERE itinerary_id = $1 AND item_id = $2"
            ))
            .bind(itinerary_id)
            .bind(item_id)
            .bind(&details.title)
            .execute(&mut *tx)
            .await?;
        }
        ItineraryEvent::ItineraryItemDeleted { item_id, .. } => {
            sqlx::query(&format!(
                "DELETE FROM {items} WHERE itinerary_id = $1 AND item_id = $2"
            ))
            .bind(itinerary_id)
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
        }
        ItineraryEvent::ItemCommentAdded {
            comment_id,
            author_id,
            ..
        } => {
            sqlx::query(&format!(
                "INSERT INTO {comments} (comment_id, author_id) VALUES ($1, $2) \
                 ON CONFLICT (comment_id) DO NOTHING"
            ))
            .bind(comment_id)
            .bind(author_id)
            .execute(&mut *tx)
            .await?;
        }
        _ => {}
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct BookingFactsRow {
    owner_id: Uuid,
    title: String,
    paid: Option<String>,
}

/// Keeps what a booking's notices say (its owner, title and price paid) and returns the
/// event's notices.
async fn booking_event(
    tx: &mut PgConnection,
    tables: &Tables,
    envelope: &Envelope,
) -> Result<Vec<Notice>, ProjectionError> {
    let event: BookingEvent =
        serde_json::from_str(envelope.payload.get()).map_err(|e| undecodable(envelope, e))?;
    let booking_id = aggregate_uuid(envelope)?;
    let bookings = tables.name(BOOKINGS);
    let update = |change: &str| format!("UPDATE {bookings} SET {change} WHERE booking_id = $1");
    match &event {
        BookingEvent::BookingRequested { owner_id, kind, .. } => {
            sqlx::query(&format!(
                "INSERT INTO {bookings} (booking_id, owner_id, title) VALUES ($1, $2, $3) \
                 ON CONFLICT (booking_id) DO NOTHING"
            ))
            .bind(booking_id)
            .bind(owner_id)
            .bind(kind.as_str().to_lowercase())
            .execute(&mut *tx)
            .await?;
            return Ok(Vec::new());
        }
        BookingEvent::BookingReserved { offer, .. } => {
            sqlx::query(&update("title = $2"))
                .bind(booking_id)
                .bind(&offer.title)
                .execute(&mut *tx)
                .await?;
            return Ok(Vec::new());
        }
        BookingEvent::BookingFundsHeld { amount, .. } => {
            sqlx::query(&update("paid = $2"))
                .bind(booking_id)
                .bind(amount.display())
                .execute(&mut *tx)
                .await?;
            return Ok(Vec::new());
        }
        // Only confirmations, failures and cancellations are news: the facts are read for
        // them alone.
        BookingEvent::BookingConfirmed { .. }
        | BookingEvent::BookingFailed { .. }
        | BookingEvent::BookingCancelled { .. } => {}
        _ => return Ok(Vec::new()),
    }
    let facts: Option<BookingFactsRow> = sqlx::query_as(&format!(
        "SELECT owner_id, title, paid FROM {bookings} WHERE booking_id = $1"
    ))
    .bind(booking_id)
    .fetch_optional(&mut *tx)
    .await?;
    let facts = facts.map(|row| BookingFacts {
        owner_id: row.owner_id,
        title: row.title,
        paid: row.paid,
    });
    Ok(rules::booking_notices(booking_id, &event, facts.as_ref()))
}

async fn user_event(
    tx: &mut PgConnection,
    tables: &Tables,
    envelope: &Envelope,
) -> Result<Vec<Notice>, ProjectionError> {
    if !rules::USER_EVENTS_READ.contains(&envelope.event_type.as_str()) {
        return Ok(Vec::new());
    }
    let event: UserEvent =
        serde_json::from_str(envelope.payload.get()).map_err(|e| undecodable(envelope, e))?;
    let user_id = aggregate_uuid(envelope)?;
    match event {
        UserEvent::UserDeleted { .. } | UserEvent::UserForgotten { .. } => {
            close_inbox(tx, tables, user_id).await?;
            return Ok(Vec::new());
        }
        // A request that no longer pends (declined, withdrawn, or the follow ended) is no
        // longer news.
        UserEvent::FollowRequestDeclined { follower_id, .. }
        | UserEvent::FollowerRemoved { follower_id, .. } => {
            withdraw(
                tx,
                tables,
                user_id,
                NotificationKind::FollowRequested,
                "actor_id",
                follower_id,
            )
            .await?;
            return Ok(Vec::new());
        }
        _ => {}
    }
    Ok(rules::user_notices(
        user_id,
        &event,
        envelope.metadata.actor,
    ))
}

/// Nothing of a closed account is kept (its notifications, preferences and read marks go),
/// but the mark that it is closed: events that still name the person notify nobody.
async fn close_inbox(
    tx: &mut PgConnection,
    tables: &Tables,
    user_id: Uuid,
) -> Result<(), ProjectionError> {
    let notifications = tables.name(NOTIFICATIONS);
    let inboxes = tables.name(INBOXES);
    sqlx::query(&format!(
        "DELETE FROM {notifications} WHERE recipient_id = $1"
    ))
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO {inboxes} (user_id, closed) VALUES ($1, true) \
         ON CONFLICT (user_id) DO UPDATE SET closed = true, preferences = '{{}}', \
         read_all_before = NULL"
    ))
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Takes back `recipient`'s notifications of `kind` whose `column` is `value` (an invitation
/// withdrawn, a follow request no longer pending), and the emails about them not yet sent.
async fn withdraw(
    tx: &mut PgConnection,
    tables: &Tables,
    recipient: Uuid,
    kind: NotificationKind,
    column: &str,
    value: Uuid,
) -> Result<(), ProjectionError> {
    let withdrawn: Vec<Uuid> = sqlx::query_scalar(&format!(
        "DELETE FROM {} WHERE recipient_id = $1 AND kind = $2 AND {column} = $3 \
         RETURNING notification_id",
        tables.name(NOTIFICATIONS)
    ))
    .bind(recipient)
    .bind(kind.as_str())
    .bind(value)
    .fetch_all(&mut *tx)
    .await?;
    if !withdrawn.is_empty() {
        sqlx::query(
            "UPDATE notification_emails SET abandoned_at = now(), last_error = 'withdrawn' \
             WHERE notification_id = ANY($1) AND sent_at IS NULL AND abandoned_at IS NULL",
        )
        .bind(&withdrawn)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

async fn inbox_event(
    tx: &mut PgConnection,
    tables: &Tables,
    envelope: &Envelope,
) -> Result<(), ProjectionError> {
    let event: InboxEvent =
        serde_json::from_str(envelope.payload.get()).map_err(|e| undecodable(envelope, e))?;
    let user_id = aggregate_uuid(envelope)?;
    let notifications = tables.name(NOTIFICATIONS);
    let inboxes = tables.name(INBOXES);
    match event {
        InboxEvent::NotificationRead {
            notification_id,
            read_at,
        } => {
            sqlx::query(&format!(
                "UPDATE {notifications} SET read_at = GREATEST(read_at, $3) \
                 WHERE notification_id = $1 AND recipient_id = $2"
            ))
            .bind(notification_id)
            .bind(user_id)
            .bind(read_at)
            .execute(&mut *tx)
            .await?;
        }
        InboxEvent::AllNotificationsRead { read_at } => {
            sqlx::query(&format!(
                "INSERT INTO {inboxes} (user_id, read_all_before) VALUES ($1, $2) \
                 ON CONFLICT (user_id) DO UPDATE SET read_all_before = \
                 GREATEST({inboxes}.read_all_before, excluded.read_all_before)"
            ))
            .bind(user_id)
            .bind(read_at)
            .execute(&mut *tx)
            .await?;
        }
        InboxEvent::NotificationPreferencesUpdated { preferences, .. } => {
            let changes: serde_json::Map<String, serde_json::Value> = preferences
                .iter()
                .map(|p| {
                    (
                        p.kind.as_str().to_owned(),
                        serde_json::to_value(p.channels()).unwrap_or_default(),
                    )
                })
                .collect();
            sqlx::query(&format!(
                "INSERT INTO {inboxes} (user_id, preferences) VALUES ($1, $2) \
                 ON CONFLICT (user_id) DO UPDATE SET preferences = \
                 {inboxes}.preferences || excluded.preferences"
            ))
            .bind(user_id)
            .bind(sqlx::types::Json(changes))
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct InboxFacts {
    closed: bool,
    chosen: Option<sqlx::types::Json<NotificationChannels>>,
}

/// The channels `recipient` chose for `kind` (as the projection has them); none once their
/// account is closed.
async fn channels(
    tx: &mut PgConnection,
    inboxes: &str,
    recipient: Uuid,
    kind: NotificationKind,
) -> Result<NotificationChannels, ProjectionError> {
    let inbox: Option<InboxFacts> = sqlx::query_as(&format!(
        "SELECT closed, preferences -> $2 AS chosen FROM {inboxes} WHERE user_id = $1"
    ))
    .bind(recipient)
    .bind(kind.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    Ok(match inbox {
        Some(InboxFacts { closed: true, .. }) => NotificationChannels {
            in_app: false,
            email: false,
        },
        Some(InboxFacts {
            chosen: Some(chosen),
            ..
        }) => chosen.0,
        _ => kind.default_channels(),
    })
}

/// Records a notice as the recipient wants it: in the app (a new notification, or one more
/// change folded into this hour's), announced and mailed when live.
async fn deliver(
    tx: &mut PgConnection,
    tables: &Tables,
    envelope: &Envelope,
    notice: &Notice,
) -> Result<(), ProjectionError> {
    let at = envelope.occurred_at;
    let id = notice.notification_id(envelope.event_id, at);
    let wanted = channels(tx, tables.name(INBOXES), notice.recipient, notice.kind).await?;
    if !wanted.in_app && !wanted.email {
        return Ok(());
    }
    // A rebuild announces and mails only what the live projector never got to (events that
    // committed while the copy was swapped in, or while no projector ran); the rest was
    // announced and mailed when it happened.
    let live = !tables.is_replay() || !processed_live(tx, envelope.event_id).await?;
    if wanted.in_app {
        let notifications = tables.name(NOTIFICATIONS);
        sqlx::query(&format!(
            "INSERT INTO {notifications} (notification_id, recipient_id, kind, actor_id, \
             itinerary_id, item_id, booking_id, subject, detail, created_at, updated_at, \
             target_type, target_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12) \
             ON CONFLICT (notification_id) {}",
            if notice.folds() {
                // The latest person names a folded notification ("ana and 12 others").
                format!(
                    "DO UPDATE SET changes = {notifications}.changes + 1, \
                     updated_at = GREATEST({notifications}.updated_at, excluded.updated_at), \
                     subject = excluded.subject, actor_id = excluded.actor_id"
                )
            } else {
                "DO NOTHING".to_owned()
            }
        ))
        .bind(id)
        .bind(notice.recipient)
        .bind(notice.kind.as_str())
        .bind(notice.actor)
        .bind(notice.itinerary_id)
        .bind(notice.item_id)
        .bind(notice.booking_id)
        .bind(&notice.subject)
        .bind(&notice.detail)
        .bind(at)
        .bind(notice.target_type)
        .bind(notice.target_id)
        .execute(&mut *tx)
        .await?;
        // A rebuild's copy is not what readers see yet: the live projector announces.
        if !tables.is_replay() {
            sqlx::query("SELECT pg_notify($1, current_schema() || ':' || $2)")
                .bind(CHANNEL)
                .bind(format!("{}:{id}", notice.recipient))
                .execute(&mut *tx)
                .await?;
        }
    }
    if live && wanted.email && is_fresh(at) {
        request_email(tx, envelope.event_id, id, notice).await?;
    }
    Ok(())
}

/// Whether the live projector has processed the event (its marker; a rebuild resets the
/// markers only when it swaps its copy in).
async fn processed_live(tx: &mut PgConnection, event_id: Uuid) -> Result<bool, ProjectionError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM projection_processed WHERE projection = $1 \
         AND event_id = $2)",
    )
    .bind(NAME)
    .bind(event_id)
    .fetch_one(&mut *tx)
    .await?)
}

fn is_fresh(at: DateTime<Utc>) -> bool {
    Utc::now() - at < EMAIL_FRESH_FOR
}

/// Asks the mail sender for one email: once per (event, recipient), and for edits folded
/// into one notification, once for the first of them (a unique index holds that even when
/// a rebuild and the live projector ask at the same moment).
async fn request_email(
    tx: &mut PgConnection,
    event_id: Uuid,
    notification_id: Uuid,
    notice: &Notice,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO notification_emails (event_id, recipient_id, notification_id, kind, \
         actor_id, itinerary_id, booking_id, subject, detail, target_type, target_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
    )
    .bind(event_id)
    .bind(notice.recipient)
    .bind(notification_id)
    .bind(notice.kind.as_str())
    .bind(notice.actor)
    .bind(notice.itinerary_id)
    .bind(notice.booking_id)
    .bind(&notice.subject)
    .bind(&notice.detail)
    .bind(notice.target_type)
    .bind(notice.target_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
