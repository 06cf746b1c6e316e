//! The activity feed: `feed` (what the people I follow did, newest first), `userActivity`
//! (one person's, for their profile) and `feedUpdated` (each new activity of someone I
//! follow, live).
//!
//! A feed merges the caller's Redis feed (authors fanned out on write) with the activities
//! of followed authors who have too many followers for that (fanned out on read), and reads
//! PostgreSQL alone once Redis has nothing older. Every item is checked as it is read: the
//! caller still follows its author, may see the author's content, and may see its post,
//! review or itinerary, which still stands. What fails a check is left out.

use std::collections::{HashMap, HashSet};

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{ComplexObject, Context, Enum, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use uuid::Uuid;
use wayfarer_projections::feed::read::{self, ActivityRow};
use wayfarer_projections::feed::{feed_score, ActivityKind, NAME};
use wayfarer_projections::post::read as posts_read;

use super::context::{caller, require_caller, state};
use super::notifications::broadcast_stream;
use super::paging::{decode_cursor, encode_cursor, page_size};
use super::people::read_user;
use super::people_types::User;
use super::posts::{posts_for, Post};
use super::query::read_itinerary;
use super::resolve::resolve;
use super::reviews::{visible_reviews, Review};
use super::subscription::{access_ended, token_expiry, ConnectionSubscriptions, Slot};
use super::types::{Itinerary, Position};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::people::access::{content_visible, Viewer};

/// Rounds of reading before a page is returned short (each reads twice what is missing).
const MAX_ROUNDS: usize = 4;

/// The models a feed is read from: with `afterPosition`, each must have the write.
const MODELS: [&str; 4] = [
    NAME,
    wayfarer_projections::post::NAME,
    wayfarer_projections::review::NAME,
    wayfarer_projections::itinerary::pg::NAME,
];

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum FeedItemKind {
    Post,
    Share,
    Review,
    ItineraryCreated,
    ItineraryCompleted,
}

impl From<ActivityKind> for FeedItemKind {
    fn from(kind: ActivityKind) -> Self {
        match kind {
            ActivityKind::Post => FeedItemKind::Post,
            ActivityKind::Share => FeedItemKind::Share,
            ActivityKind::Review => FeedItemKind::Review,
            ActivityKind::ItineraryCreated => FeedItemKind::ItineraryCreated,
            ActivityKind::ItineraryCompleted => FeedItemKind::ItineraryCompleted,
        }
    }
}

/// Something a person did: a post or share (`post`), a review (`review`), or a public
/// itinerary created or completed (`itinerary`).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct FeedItem {
    pub id: Uuid,
    pub kind: FeedItemKind,
    pub actor_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub post: Option<Post>,
    pub review: Option<Review>,
    pub itinerary: Option<Itinerary>,
}

#[ComplexObject]
impl FeedItem {
    /// Who did it, as the caller may see them.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        resolve(read_user(ctx, self.actor_id, None)).await
    }
}

/// A new activity in the caller's feed (read it with `feed`).
#[derive(SimpleObject, Clone)]
pub struct FeedUpdate {
    pub activity_id: Uuid,
    pub kind: FeedItemKind,
    pub actor_id: Uuid,
    /// The post, review or itinerary.
    pub subject_id: Uuid,
    pub occurred_at: DateTime<Utc>,
}

fn key(row: &ActivityRow) -> (DateTime<Utc>, Uuid) {
    (row.occurred_at, row.activity_id)
}

/// The rows the caller may see, as feed items, in the same order.
///
/// Who may see an item is decided once, by the resolver of its post, review or itinerary
/// (each checks its author's privacy, bans and hiding): an item whose subject does not
/// resolve is left out.
async fn items_for(ctx: &Context<'_>, rows: Vec<ActivityRow>) -> ApiResult<Vec<FeedItem>> {
    let api = state(ctx);
    let rows: Vec<(ActivityRow, ActivityKind)> = rows
        .into_iter()
        .filter_map(|r| ActivityKind::parse(&r.kind).map(|kind| (r, kind)))
        .collect();
    let post_ids: Vec<Uuid> = rows
        .iter()
        .filter(|(_, kind)| matches!(kind, ActivityKind::Post | ActivityKind::Share))
        .map(|(r, _)| r.subject_id)
        .collect();
    let review_ids: Vec<Uuid> = rows
        .iter()
        .filter(|(_, kind)| *kind == ActivityKind::Review)
        .map(|(r, _)| r.subject_id)
        .collect();
    let mut posts: HashMap<Uuid, Post> = HashMap::new();
    if !post_ids.is_empty() {
        let found = posts_read::find_posts(&api.pool, &post_ids).await?;
        posts.extend(posts_for(ctx, found).await?.into_iter().map(|p| (p.id, p)));
    }
    let mut reviews = visible_reviews(ctx, &review_ids).await?;
    let mut items = Vec::with_capacity(rows.len());
    for (row, kind) in rows {
        let (mut post, mut review, mut itinerary) = (None, None, None);
        match kind {
            ActivityKind::Post | ActivityKind::Share => post = posts.remove(&row.subject_id),
            ActivityKind::Review => review = reviews.remove(&row.subject_id),
            ActivityKind::ItineraryCreated | ActivityKind::ItineraryCompleted => {
                itinerary = read_itinerary(ctx, row.subject_id, None).await?;
            }
        }
        if post.is_none() && review.is_none() && itinerary.is_none() {
            continue;
        }
        items.push(FeedItem {
            id: row.activity_id,
            kind: kind.into(),
            actor_id: row.author_id,
            occurred_at: row.occurred_at,
            post,
            review,
            itinerary,
        });
    }
    Ok(items)
}

/// One round of reading a feed.
struct Round {
    /// Rows before the round's start, newest first, with nothing newer missing.
    rows: Vec<ActivityRow>,
    /// Where the next round starts when a source may hold more (`None`: all read).
    resume: Option<(DateTime<Utc>, Uuid)>,
}

/// The next rows of the caller's feed before `before` (newest first), merged from Redis and
/// PostgreSQL, reading at most `want` from each.
async fn next_rows(
    ctx: &Context<'_>,
    me: Uuid,
    followees: &Followees,
    before: Option<(DateTime<Utc>, Uuid)>,
    want: usize,
) -> ApiResult<Round> {
    let api = state(ctx);
    // From Redis, the fanned-out authors' activities; when Redis is lost, or holds nothing
    // older, PostgreSQL reads every followed author.
    let pushed = match read::fanned_out(
        &api.redis,
        &api.names,
        me,
        before.map(|(at, _)| feed_score(at)),
        want,
    )
    .await
    {
        Ok(entries) => entries,
        Err(error) => {
            tracing::warn!(%error, "redis feed unavailable; reading postgres");
            Vec::new()
        }
    };
    // Each source that stopped at `want` is certain only down to its last entry.
    let mut floor: Option<(DateTime<Utc>, Uuid)> = None;
    let redis_full = pushed.len() >= want;
    if redis_full {
        floor = pushed
            .last()
            .map(|last| (read::score_time(last.score), last.activity_id));
    }
    let ids: Vec<Uuid> = pushed.iter().map(|entry| entry.activity_id).collect();
    let mut rows: Vec<ActivityRow> = if ids.is_empty() {
        Vec::new()
    } else {
        read::activities(&api.pool, &ids)
            .await?
            .into_iter()
            .filter(|r| followees.pushed.contains(&r.author_id))
            .collect()
    };
    let pulled: Vec<Uuid> = if redis_full {
        followees.pulled.clone()
    } else {
        followees.all()
    };
    let from_postgres = if pulled.is_empty() {
        Vec::new()
    } else {
        read::activities_of(&api.pool, &pulled, before, want as i64).await?
    };
    if from_postgres.len() >= want {
        floor = floor.max(from_postgres.last().map(key));
    }
    rows.extend(from_postgres);
    let mut seen = HashSet::new();
    rows.retain(|r| seen.insert(r.activity_id));
    rows.retain(|r| before.is_none_or(|b| key(r) < b));
    if let Some(floor) = floor {
        rows.retain(|r| key(r) >= floor);
    }
    rows.sort_by_key(|r| std::cmp::Reverse(key(r)));
    Ok(Round {
        rows,
        resume: floor,
    })
}

/// Who the caller follows, split by how their activities reach feeds.
struct Followees {
    /// Fanned out on write: in the caller's Redis feed.
    pushed: HashSet<Uuid>,
    /// Too many followers: read from PostgreSQL.
    pulled: Vec<Uuid>,
}

impl Followees {
    async fn of(ctx: &Context<'_>, me: Uuid) -> ApiResult<Self> {
        let api = state(ctx);
        let limit = api.settings.feed_fan_out_limit;
        let rows = read::followees(&api.pool, me, limit + 1).await?;
        let (pulled, pushed): (Vec<_>, Vec<_>) =
            rows.into_iter().partition(|f| f.followers > limit);
        Ok(Self {
            pushed: pushed.into_iter().map(|f| f.followee_id).collect(),
            pulled: pulled.into_iter().map(|f| f.followee_id).collect(),
        })
    }

    fn all(&self) -> Vec<Uuid> {
        self.pushed
            .iter()
            .copied()
            .chain(self.pulled.iter().copied())
            .collect()
    }
}

#[derive(Default)]
pub struct FeedQuery;

#[Object]
impl FeedQuery {
    /// What the people the caller follows did, newest first: posts and shares, reviews, and
    /// public itineraries created or completed. Only what the caller may see now: unfollowed
    /// people, hidden or deleted content and banned or private authors are left out.
    async fn feed(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, FeedItem, EmptyFields, EmptyFields>> {
        resolve(async move {
            let me = require_caller(ctx)?;
            let size = page_size(first)?;
            let mut before = after.as_deref().map(decode_cursor).transpose()?;
            let api = state(ctx);
            if let Some(position) = after_position {
                api.read_your_write(&MODELS, position.0).await?;
            }
            let followees = Followees::of(ctx, me).await?;
            let mut items = Vec::new();
            let mut more = !followees.pushed.is_empty() || !followees.pulled.is_empty();
            for _ in 0..MAX_ROUNDS {
                if !more || items.len() > size {
                    break;
                }
                let want = (size + 1 - items.len()) * 2;
                let round = next_rows(ctx, me, &followees, before, want).await?;
                more = round.resume.is_some();
                before = round.rows.last().map(key).or(round.resume);
                items.extend(items_for(ctx, round.rows).await?);
            }
            let has_next = items.len() > size || more;
            items.truncate(size);
            let mut connection = Connection::new(after.is_some(), has_next);
            connection.edges.extend(
                items
                    .into_iter()
                    .map(|item| Edge::new(encode_cursor(item.occurred_at, item.id), item)),
            );
            Ok(connection)
        })
        .await
    }

    /// What one person did, newest first, as the caller may see it (a profile's activity).
    async fn user_activity(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, FeedItem, EmptyFields, EmptyFields>> {
        resolve(async move {
            let size = page_size(first)?;
            let before = after.as_deref().map(decode_cursor).transpose()?;
            let api = state(ctx);
            if let Some(position) = after_position {
                api.read_your_write(&MODELS, position.0).await?;
            }
            // A person hidden from the caller has no activity, as one who never did anything.
            let viewer = Viewer::of(&api.pool, caller(ctx)).await?;
            let shown = content_visible(&api.pool, &[user_id], &viewer).await?;
            if !shown.get(&user_id).copied().unwrap_or(true) {
                return Ok(Connection::new(false, false));
            }
            let mut rows =
                read::activities_of(&api.pool, &[user_id], before, size as i64 + 1).await?;
            let has_next = rows.len() > size;
            rows.truncate(size);
            let mut connection = Connection::new(after.is_some(), has_next);
            connection.edges.extend(
                items_for(ctx, rows)
                    .await?
                    .into_iter()
                    .map(|item| Edge::new(encode_cursor(item.occurred_at, item.id), item)),
            );
            Ok(connection)
        })
        .await
    }
}

#[derive(Default)]
pub struct FeedSubscription;

#[Subscription]
impl FeedSubscription {
    /// Each new activity of someone the caller follows (and may see), as it is recorded.
    /// Ends when the caller's access token expires, or when they are banned or close their
    /// account.
    async fn feed_updated(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = FeedUpdate>> {
        resolve(feed_updates(ctx)).await
    }
}

async fn feed_updates(ctx: &Context<'_>) -> ApiResult<impl Stream<Item = FeedUpdate>> {
    let me = require_caller(ctx)?;
    let api = state(ctx).clone();
    let slot = Slot::take(
        ctx.data_opt::<ConnectionSubscriptions>(),
        &api.subscriptions,
        Some(me),
    )?;
    let followees = Followees::of(ctx, me).await?;
    let unavailable =
        |error: crate::notifications::NotificationError| ApiError::Unavailable(error.to_string());
    let mut channels = vec![api.names.feed_channel(me)];
    channels.extend(
        followees
            .pulled
            .iter()
            .map(|a| api.names.feed_author_channel(*a)),
    );
    let mut streams = Vec::new();
    for channel in channels {
        let receiver = api
            .notifications
            .subscribe(channel)
            .await
            .map_err(unavailable)?;
        streams.push(broadcast_stream(receiver).boxed());
    }
    let pool = api.pool.clone();
    let updates = futures::stream::select_all(streams)
        .filter_map(move |message| {
            let pool = pool.clone();
            async move { update_for(&pool, me, &message).await }
        })
        .map(move |update| {
            // Held for as long as the stream lives.
            let _ = &slot;
            update
        });
    let expiry = token_expiry(ctx.data_opt::<Caller>());
    let revoked = access_ended(&api, Some(me)).await?;
    Ok(updates.take_until(expiry).take_until(revoked))
}

/// The update an announced activity id makes for `me`, if they may see it. The announcement
/// is sent just before the activity commits, so it is looked for a few times.
async fn update_for(pool: &sqlx::PgPool, me: Uuid, message: &str) -> Option<FeedUpdate> {
    let id = Uuid::parse_str(message).ok()?;
    let mut row = None;
    for attempt in 0..20u64 {
        match read::activities(pool, &[id]).await {
            Ok(mut found) if !found.is_empty() => {
                row = found.pop();
                break;
            }
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(25 * (attempt + 1))).await,
            Err(error) => {
                tracing::warn!(%error, "an announced activity could not be read");
                return None;
            }
        }
    }
    let row = row?;
    let viewer = Viewer::of(pool, Some(me)).await.ok()?;
    let shown = content_visible(pool, &[row.author_id], &viewer)
        .await
        .ok()?;
    if !shown.get(&row.author_id).copied().unwrap_or(true) {
        return None;
    }
    Some(FeedUpdate {
        activity_id: row.activity_id,
        kind: ActivityKind::parse(&row.kind)?.into(),
        actor_id: row.author_id,
        subject_id: row.subject_id,
        occurred_at: row.occurred_at,
    })
}
