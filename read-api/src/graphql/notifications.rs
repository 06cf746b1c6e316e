//! Notifications: the caller's own, newest first, pushed live as they are delivered. Read
//! marks and preferences are commands on the caller's inbox (the Inbox aggregate), so a
//! rebuilt projection shows them as the person left them.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use uuid::Uuid;
use wayfarer_commands::CommandOutcome;
use wayfarer_domain::{InboxCommand, InboxContext};
use wayfarer_projections::notification::read::{self, NotificationRow};
use wayfarer_projections::notification::text::Wording;
use wayfarer_projections::notification::NAME;

use super::context::{require_caller, state};
use super::paging::{decode_cursor, encode_cursor, page_size};
use super::resolve::{resolve, Invocation};
use super::subscription::{access_ended, token_expiry, ConnectionSubscriptions, Slot};
use super::types::Position;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::NotificationKind")]
pub enum NotificationKind {
    Invited,
    InvitationAccepted,
    InvitationDeclined,
    ItineraryChanged,
    ItemCommented,
    NewFollower,
    FollowRequested,
    PasswordChanged,
    BookingConfirmed,
    BookingFailed,
    BookingRefunded,
    PostCommented,
    CommentReplied,
    Reacted,
    PostShared,
    ContentHidden,
    ContentRemoved,
    FlagResolved,
}

/// Something that happened that concerns the caller.
#[derive(SimpleObject)]
pub struct Notification {
    pub id: Uuid,
    pub kind: NotificationKind,
    /// One sentence saying who did what, e.g. `ana invited you to “Lisbon”`.
    pub message: String,
    /// Who did it (`null` for the caller's own security notices).
    pub actor_id: Option<Uuid>,
    /// Their user name; `null` once they closed their account.
    pub actor_name: Option<String>,
    pub itinerary_id: Option<Uuid>,
    /// The item commented on.
    pub item_id: Option<Uuid>,
    /// The booking confirmed, failed or refunded.
    pub booking_id: Option<Uuid>,
    /// What a post, comment, reaction or moderation notice is about: POST, COMMENT, REVIEW
    /// or ITINERARY.
    pub target_type: Option<String>,
    pub target_id: Option<Uuid>,
    /// The itinerary's title when it happened.
    pub subject: Option<String>,
    /// Edits by one person within an hour, or reactions to one thing within a day, fold into
    /// one notification; this counts them.
    pub changes: i32,
    pub created_at: DateTime<Utc>,
    /// When the latest change folded in (a later one makes a read notification unread).
    pub updated_at: DateTime<Utc>,
    pub read: bool,
}

impl From<NotificationRow> for Notification {
    fn from(row: NotificationRow) -> Self {
        let kind = wayfarer_schemas::NotificationKind::parse(&row.kind)
            .unwrap_or(wayfarer_schemas::NotificationKind::ItineraryChanged);
        let message = Wording {
            kind,
            actor_name: row.actor_name.as_deref(),
            actor_id: row.actor_id,
            itinerary_id: row.itinerary_id,
            booking_id: row.booking_id,
            target_type: row.target_type.as_deref(),
            target_id: row.target_id,
            subject: row.subject.as_deref(),
            detail: row.detail.as_deref(),
            changes: row.changes,
        }
        .message();
        Self {
            id: row.notification_id,
            kind: kind.into(),
            message,
            actor_id: row.actor_id,
            actor_name: row.actor_name,
            itinerary_id: row.itinerary_id,
            item_id: row.item_id,
            booking_id: row.booking_id,
            target_type: row.target_type,
            target_id: row.target_id,
            subject: row.subject,
            changes: row.changes,
            created_at: row.created_at,
            updated_at: row.updated_at,
            read: row.read,
        }
    }
}

/// How one kind of notification reaches the caller.
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "NotificationPreferenceInput")]
pub struct NotificationPreference {
    pub kind: NotificationKind,
    /// Shown in the app (and counted as unread).
    pub in_app: bool,
    /// Emailed to the account's address. Always on for PASSWORD_CHANGED.
    pub email: bool,
}

/// What an inbox mutation wrote.
#[derive(SimpleObject)]
pub struct InboxPayload {
    /// Pass as `afterPosition` to read this write (`0` when nothing changed).
    pub position: Position,
    pub replayed: bool,
}

impl From<CommandOutcome> for InboxPayload {
    fn from(outcome: CommandOutcome) -> Self {
        Self {
            position: Position(outcome.position),
            replayed: outcome.replayed,
        }
    }
}

async fn wait_for(ctx: &Context<'_>, after: Option<Position>) -> ApiResult<()> {
    if let Some(position) = after {
        state(ctx).read_your_write(&[NAME], position.0).await?;
    }
    Ok(())
}

/// Runs `build`'s command on the caller's own inbox.
async fn inbox_command(
    ctx: &Context<'_>,
    idempotency_key: Option<Uuid>,
    build: impl FnOnce(InboxContext) -> InboxCommand,
) -> ApiResult<InboxPayload> {
    let invocation = Invocation::new(ctx, idempotency_key)?;
    let inbox = invocation.actor;
    let command = build(InboxContext {
        actor: inbox,
        now: invocation.now,
    });
    Ok(invocation
        .execute(&state(ctx).inbox, inbox, command)
        .await?
        .into())
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// The caller's notifications, newest first.
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, Notification, EmptyFields, EmptyFields>> {
        resolve(async move {
            let user = require_caller(ctx)?;
            let size = page_size(first)?;
            let cursor = after.as_deref().map(decode_cursor).transpose()?;
            wait_for(ctx, after_position).await?;
            let mut rows = read::page(&state(ctx).pool, user, cursor, size as i64 + 1).await?;
            let has_next = rows.len() > size;
            rows.truncate(size);
            let mut connection = Connection::new(cursor.is_some(), has_next);
            connection.edges.extend(rows.into_iter().map(|row| {
                Edge::new(
                    encode_cursor(row.created_at, row.notification_id),
                    row.into(),
                )
            }));
            Ok(connection)
        })
        .await
    }

    /// One of the caller's notifications (`null` for anyone else's, as for a missing one).
    async fn notification(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Option<Notification>> {
        resolve(async move {
            let user = require_caller(ctx)?;
            wait_for(ctx, after_position).await?;
            Ok(read::find(&state(ctx).pool, user, id)
                .await?
                .map(Into::into))
        })
        .await
    }

    /// How many of the caller's notifications are unread.
    async fn unread_notifications_count(
        &self,
        ctx: &Context<'_>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<i32> {
        resolve(async move {
            let user = require_caller(ctx)?;
            wait_for(ctx, after_position).await?;
            let count = read::unread_count(&state(ctx).pool, user).await?;
            Ok(i32::try_from(count).unwrap_or(i32::MAX))
        })
        .await
    }

    /// How each kind of notification reaches the caller (defaults where they chose nothing:
    /// everything in the app; email for all but ITINERARY_CHANGED).
    async fn notification_preferences(
        &self,
        ctx: &Context<'_>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Vec<NotificationPreference>> {
        resolve(async move {
            let user = require_caller(ctx)?;
            wait_for(ctx, after_position).await?;
            let preferences = read::preferences(&state(ctx).pool, user).await?;
            Ok(preferences
                .into_iter()
                .map(|(kind, channels)| NotificationPreference {
                    kind: kind.into(),
                    in_app: channels.in_app,
                    email: channels.email,
                })
                .collect())
        })
        .await
    }
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks one of the caller's notifications read (`NOT_FOUND` for anyone else's). Pass
    /// `afterPosition` when the notification itself was just delivered.
    async fn mark_notification_as_read(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        after_position: Option<Position>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<InboxPayload> {
        resolve(async move {
            let user = require_caller(ctx)?;
            wait_for(ctx, after_position).await?;
            let Some(seen) = read::find(&state(ctx).pool, user, id).await? else {
                return Err(ApiError::NotFound("notification not found".into()));
            };
            inbox_command(ctx, idempotency_key, |context| InboxCommand::MarkRead {
                context,
                notification_id: id,
                seen_up_to: seen.updated_at,
            })
            .await
        })
        .await
    }

    /// Marks everything the caller has been notified of so far read (up to the latest
    /// change among their notifications: one delivered afterwards stays unread, even if it
    /// tells of something that happened earlier). Pass `afterPosition` to include
    /// notifications of a write just made.
    async fn mark_all_notifications_as_read(
        &self,
        ctx: &Context<'_>,
        after_position: Option<Position>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<InboxPayload> {
        resolve(async move {
            let user = require_caller(ctx)?;
            wait_for(ctx, after_position).await?;
            let seen = read::latest_change(&state(ctx).pool, user).await?;
            inbox_command(ctx, idempotency_key, |context| InboxCommand::MarkAllRead {
                context,
                seen_up_to: seen,
            })
            .await
        })
        .await
    }

    /// Sets, per kind, whether notifications are shown in the app and whether they are
    /// emailed. Kinds not listed keep theirs; a kind listed twice, an empty list, or turning
    /// off the email of a security notice (PASSWORD_CHANGED) is `VALIDATION`. Applies to
    /// notifications delivered from then on.
    async fn update_notification_preferences(
        &self,
        ctx: &Context<'_>,
        input: Vec<NotificationPreference>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<InboxPayload> {
        resolve(inbox_command(ctx, idempotency_key, |context| {
            InboxCommand::UpdatePreferences {
                context,
                preferences: input
                    .into_iter()
                    .map(|p| wayfarer_schemas::NotificationPreference {
                        kind: p.kind.into(),
                        in_app: p.in_app,
                        email: p.email,
                    })
                    .collect(),
            }
        }))
        .await
    }
}

#[derive(Default)]
pub struct NotificationSubscription;

#[Subscription]
impl NotificationSubscription {
    /// Each notification delivered to the caller from now on (and each change folded into
    /// one), as it commits. Ends when the caller's access token expires, or when they are
    /// banned or close their account.
    async fn notification_received(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = Notification>> {
        resolve(notifications_of(ctx)).await
    }
}

async fn notifications_of(ctx: &Context<'_>) -> ApiResult<impl Stream<Item = Notification>> {
    let user = require_caller(ctx)?;
    let api = state(ctx).clone();
    let slot = Slot::take(
        ctx.data_opt::<ConnectionSubscriptions>(),
        &api.subscriptions,
        Some(user),
    )?;
    let deliveries = broadcast_stream(api.notification_feed.subscribe());
    let pool = api.pool.clone();
    let notifications = deliveries
        .filter(move |delivered| futures::future::ready(delivered.recipient == user))
        .filter_map(move |delivered| {
            let pool = pool.clone();
            async move {
                match read::find(&pool, user, delivered.notification_id).await {
                    Ok(row) => row.map(Notification::from),
                    Err(error) => {
                        tracing::warn!(%error, "a delivered notification could not be read");
                        None
                    }
                }
            }
        })
        .map(move |notification| {
            // Held for as long as the stream lives.
            let _ = &slot;
            notification
        });
    let expiry = token_expiry(ctx.data_opt::<Caller>());
    let revoked = access_ended(&api, Some(user)).await?;
    Ok(notifications.take_until(expiry).take_until(revoked))
}

/// A broadcast's messages as a stream (a subscriber that falls behind skips what it missed;
/// what it skipped is still in the model the message points to).
pub(super) fn broadcast_stream<T: Clone + Send + 'static>(
    receiver: tokio::sync::broadcast::Receiver<T>,
) -> impl Stream<Item = T> {
    futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(message) => return Some((message, receiver)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}
