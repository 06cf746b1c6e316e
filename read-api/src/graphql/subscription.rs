//! Itinerary subscriptions, fed by the Redis projection's pub/sub notifications through the
//! process's one pub/sub connection ([`crate::notifications`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::{Context, Subscription};
use futures::{Stream, StreamExt};
use uuid::Uuid;
use wayfarer_projections::itinerary::view::visible;
use wayfarer_projections::itinerary::{pg, ItineraryView};

use super::context::{caller, state};
use super::resolve::resolve;
use super::types::Itinerary;
use crate::auth::Caller;
use crate::error::ApiError;

/// Most live subscriptions on one WebSocket connection.
pub const MAX_PER_CONNECTION: usize = 20;
/// Most live subscriptions of one user across the process.
pub const MAX_PER_USER: usize = 50;
/// Most live subscriptions of anonymous callers together, in this process.
pub const MAX_ANONYMOUS: usize = 1_000;

/// Live subscriptions of one WebSocket connection (inserted at `connection_init`).
#[derive(Clone, Default)]
pub struct ConnectionSubscriptions(Arc<AtomicUsize>);

/// Live subscriptions per user in this process (anonymous callers counted together, as `None`).
#[derive(Clone, Default)]
pub struct UserSubscriptions(Arc<Mutex<HashMap<Option<Uuid>, usize>>>);

/// Holds one subscription's places in the counts; gives them back when the stream ends.
pub(crate) struct Slot {
    connection: Option<ConnectionSubscriptions>,
    user: Option<(UserSubscriptions, Option<Uuid>)>,
}

impl Slot {
    pub(crate) fn take(
        connection: Option<&ConnectionSubscriptions>,
        users: &UserSubscriptions,
        user: Option<Uuid>,
    ) -> Result<Self, ApiError> {
        let mut slot = Slot {
            connection: None,
            user: None,
        };
        if let Some(connection) = connection {
            if connection.0.fetch_add(1, Ordering::SeqCst) >= MAX_PER_CONNECTION {
                connection.0.fetch_sub(1, Ordering::SeqCst);
                return Err(ApiError::Validation(format!(
                    "at most {MAX_PER_CONNECTION} subscriptions per connection"
                )));
            }
            slot.connection = Some(connection.clone());
        }
        let limit = if user.is_some() {
            MAX_PER_USER
        } else {
            MAX_ANONYMOUS
        };
        let mut counts = users.0.lock().expect("subscription counts lock");
        let count = counts.entry(user).or_default();
        if *count >= limit {
            return Err(ApiError::Validation(match user {
                Some(_) => format!("at most {MAX_PER_USER} subscriptions per user"),
                None => "too many anonymous subscriptions; sign in to subscribe".to_owned(),
            }));
        }
        *count += 1;
        slot.user = Some((users.clone(), user));
        Ok(slot)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(connection) = &self.connection {
            connection.0.fetch_sub(1, Ordering::SeqCst);
        }
        if let Some((users, user)) = &self.user {
            let mut counts = users.0.lock().expect("subscription counts lock");
            if let Some(count) = counts.get_mut(user) {
                *count -= 1;
                if *count == 0 {
                    counts.remove(user);
                }
            }
        }
    }
}

#[derive(Default)]
pub struct ItinerarySubscription;

#[Subscription]
impl ItinerarySubscription {
    /// Every change to an itinerary the caller may see, as the changed itinerary; its
    /// `lastChange` says who made the change and what it was. Ends after
    /// the itinerary is deleted (the deletion is the last message), when it stops being
    /// visible to the caller, or when the caller's access token expires.
    async fn itinerary_changed(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<impl Stream<Item = Itinerary>> {
        resolve(itinerary_changes(ctx, id)).await
    }
}

async fn itinerary_changes(
    ctx: &Context<'_>,
    id: Uuid,
) -> Result<impl Stream<Item = Itinerary>, ApiError> {
    let api = state(ctx).clone();
    let viewer = caller(ctx);
    let current = pg::find(&api.pool, id).await?;
    let visible = match &current {
        Some(view) => {
            super::query::may_read(
                &api,
                view.owner_id,
                view.visible_to(viewer),
                view.membership(viewer),
                viewer,
            )
            .await?
        }
        None => false,
    };
    if !visible {
        return Err(ApiError::NotFound("itinerary not found".into()));
    }
    let slot = Slot::take(
        ctx.data_opt::<ConnectionSubscriptions>(),
        &api.subscriptions,
        viewer,
    )?;
    let messages = api
        .notifications
        .subscribe(api.names.itinerary_channel(id))
        .await
        .map_err(|error| ApiError::Unavailable(error.to_string()))?;
    let state = Watch {
        api: api.clone(),
        messages,
        viewer,
        finished: false,
        _slot: slot,
    };
    let views = futures::stream::unfold(state, |mut state| async move {
        let view = state.next_change().await?;
        Some((Itinerary(view), state))
    });
    let expiry = token_expiry(ctx.data_opt::<Caller>());
    let revoked = access_ended(&api, viewer).await?;
    Ok(views.take_until(expiry).take_until(revoked))
}

/// How often an open subscription looks again at its caller's standing, in case the
/// announcement of a ban was lost.
const STANDING_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Resolves when the caller is banned or closes their account (never, for an anonymous
/// subscriber): on the announcement every API node hears, or at the next periodic check.
pub(crate) async fn access_ended(
    api: &crate::state::ApiState,
    viewer: Option<Uuid>,
) -> Result<futures::future::BoxFuture<'static, ()>, ApiError> {
    let Some(user_id) = viewer else {
        return Ok(Box::pin(futures::future::pending()));
    };
    let announcements = api
        .notifications
        .subscribe(api.names.user_access_channel(user_id))
        .await
        .map_err(|error| ApiError::Unavailable(error.to_string()))?;
    let pool = api.pool.clone();
    Ok(Box::pin(async move {
        use tokio::sync::broadcast::error::RecvError;
        let mut announcements = Some(announcements);
        let mut checks = tokio::time::interval(STANDING_CHECK_EVERY);
        checks.tick().await;
        loop {
            let heard = async {
                match announcements.as_mut() {
                    Some(receiver) => receiver.recv().await,
                    None => futures::future::pending().await,
                }
            };
            tokio::select! {
                message = heard => match message {
                    Ok(_) | Err(RecvError::Lagged(_)) => return,
                    // The hub went away: rely on the periodic checks.
                    Err(RecvError::Closed) => announcements = None,
                },
                _ = checks.tick() => {
                    if crate::people::access::check_standing(&pool, user_id).await.is_err() {
                        return;
                    }
                }
            }
        }
    }))
}

/// One subscriber's view of an itinerary's changes.
struct Watch {
    messages: tokio::sync::broadcast::Receiver<String>,
    viewer: Option<Uuid>,
    /// Set once the deletion was sent: the stream then ends at once, not at a later message.
    finished: bool,
    /// To look again at the owner before each message (their privacy, ban or deletion may
    /// have changed since the subscription began).
    api: crate::state::ApiState,
    _slot: Slot,
}

impl Watch {
    /// The next change to send; `None` ends the subscription.
    async fn next_change(&mut self) -> Option<ItineraryView> {
        if self.finished {
            return None;
        }
        loop {
            let text = match self.messages.recv().await {
                Ok(text) => text,
                // A slow subscriber missed some changes; the next one is whole anyway.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            };
            let Ok(view) = serde_json::from_str::<ItineraryView>(&text) else {
                continue;
            };
            let membership = view.membership(self.viewer);
            if view.visible_to(self.viewer) {
                let shared =
                    super::query::may_read(&self.api, view.owner_id, true, membership, self.viewer)
                        .await
                        .unwrap_or(false);
                if shared {
                    return Some(view);
                }
                // The owner no longer shares with this subscriber: end without showing it.
                self.finished = true;
                return None;
            }
            // The deletion is announced (with `deleted: true`) as the last message, but only
            // if the subscriber could still see the itinerary apart from its deletion (it may
            // have become private in the same batch); a loss of access ends the stream
            // without showing the now hidden itinerary.
            self.finished = true;
            let seen_until_deleted = visible(view.visibility, false, membership);
            return (view.deleted && seen_until_deleted).then_some(view);
        }
    }
}

/// Resolves when the caller's access token expires (never, for an anonymous subscriber).
pub(crate) fn token_expiry(caller: Option<&Caller>) -> futures::future::BoxFuture<'static, ()> {
    match caller {
        Some(caller) => {
            let left = caller.expires_at - chrono::Utc::now().timestamp();
            let left = std::time::Duration::from_secs(left.max(0) as u64);
            Box::pin(tokio::time::sleep(left))
        }
        None => Box::pin(futures::future::pending()),
    }
}
