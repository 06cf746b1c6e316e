//! Posts: `createPost`, `updatePost`, `deletePost`, `sharePost`, `post` and `postsBy`, with
//! their counts (reactions, comments, shares, views).
//!
//! A post is seen by whoever may see its author's content (their privacy, ban or closed
//! account); anything else looks missing. Views are counted in Redis, not in the log: one
//! HyperLogLog of viewers per post and day, and a counter moved each time it grows.

use std::collections::HashMap;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use wayfarer_commands::CommandOutcome;
use wayfarer_domain::comment::Written as WrittenComment;
use wayfarer_domain::post::{MediaInput, PostDraft, Published};
use wayfarer_domain::{PostCommand, PostContext};
use wayfarer_projections::post::read::{self, PostRow};
use wayfarer_projections::post::NAME;
use wayfarer_schemas::ReactionTarget as Target;

use super::comments::{comment_page, Comment, Thread};
use super::context::{caller, state};
use super::inputs::LocationInput;
use super::paging::{decode_cursor, encode_cursor, page_size};
use super::people::read_user;
use super::people_types::User;
use super::query::read_itinerary;
use super::reactions::{summaries, ReactionSummary};
use super::resolve::{resolve, Invocation};
use super::reviews::MediaType;
use super::types::{GeoLocation, Position};
use crate::error::{ApiError, ApiResult};
use crate::people::access::{content_visible, Viewer};

/// A photo or video of a post.
#[derive(SimpleObject, Clone)]
pub struct PostMedia {
    pub url: String,
    #[graphql(name = "type")]
    pub media_type: MediaType,
    pub caption: Option<String>,
}

/// A travel story, or a share of one.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Post {
    pub id: Uuid,
    pub author_id: Uuid,
    /// Empty for a post of photos only, or a share without a comment.
    pub content: String,
    pub media: Vec<PostMedia>,
    pub itinerary_id: Option<Uuid>,
    pub place_id: Option<Uuid>,
    pub location: Option<GeoLocation>,
    /// Lower-case, without `#`, as they appear in the text.
    pub hashtags: Vec<String>,
    /// The post this one shares (see `sharedPost`).
    pub shared_post_id: Option<Uuid>,
    pub reactions: ReactionSummary,
    /// Visible comments and replies, at every depth.
    pub total_comments: i32,
    /// Standing shares of this post.
    pub total_shares: i32,
    /// Signed-in people who opened it, each counted once a day.
    pub total_views: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Hidden by a moderator: only its author and staff see it.
    pub hidden: bool,
    /// Why, when the moderator said.
    pub hidden_reason: Option<String>,
}

#[ComplexObject]
impl Post {
    /// The author as the caller may see them.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        resolve(read_user(ctx, self.author_id, None)).await
    }

    /// The post shared, when the caller may see it (`null` if it was deleted or is hidden).
    async fn shared_post(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Post>> {
        let Some(original) = self.shared_post_id else {
            return Ok(None);
        };
        resolve(async move {
            let Some(row) = read::find_post(&state(ctx).pool, original).await? else {
                return Ok(None);
            };
            Ok(posts_for(ctx, vec![row]).await?.pop())
        })
        .await
    }

    /// Its top-level comments, oldest first (each with its `replies`).
    async fn comments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Comment, EmptyFields, EmptyFields>> {
        let thread = Thread {
            post_id: self.id,
            post_author_id: self.author_id,
            parent: None,
        };
        resolve(comment_page(ctx, thread, first, after)).await
    }
}

/// The counts of `posts`: comments and shares from the model, views from Redis.
async fn post_counts(
    ctx: &Context<'_>,
    posts: &[Uuid],
) -> ApiResult<(HashMap<Uuid, read::SocialCounts>, HashMap<Uuid, i64>)> {
    let api = state(ctx);
    let counts = read::social_counts(&api.pool, Target::Post.as_str(), posts)
        .await?
        .into_iter()
        .map(|c| (c.target_id, c))
        .collect();
    let views = views::totals(ctx, posts).await;
    Ok((counts, views))
}

/// The rows the caller may see, as posts (in the same order).
pub async fn posts_for(ctx: &Context<'_>, rows: Vec<PostRow>) -> ApiResult<Vec<Post>> {
    let api = state(ctx);
    let viewer = Viewer::of(&api.pool, caller(ctx)).await?;
    let authors: Vec<Uuid> = rows.iter().map(|r| r.author_id).collect();
    let shown = content_visible(&api.pool, &authors, &viewer).await?;
    let rows: Vec<PostRow> = rows
        .into_iter()
        .filter(|r| !r.deleted && shown.get(&r.author_id).copied().unwrap_or(true))
        .filter(|r| !r.hidden || viewer.user_id == Some(r.author_id) || viewer.is_staff())
        .collect();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.post_id).collect();
    let mut reactions = summaries(ctx, Target::Post, &ids).await?;
    let (mut counts, views) = post_counts(ctx, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let count = counts.remove(&row.post_id).unwrap_or_default();
            Post {
                id: row.post_id,
                author_id: row.author_id,
                content: row.content,
                media: row
                    .media
                    .0
                    .into_iter()
                    .map(|m| PostMedia {
                        url: m.url,
                        media_type: m.media_type.into(),
                        caption: m.caption,
                    })
                    .collect(),
                itinerary_id: row.itinerary_id,
                place_id: row.place_id,
                location: row.location.map(|l| GeoLocation {
                    name: l.0.name,
                    lat: l.0.lat,
                    lon: l.0.lon,
                }),
                hashtags: row.hashtags,
                shared_post_id: row.shared_post_id,
                reactions: reactions.remove(&row.post_id).unwrap_or_default(),
                total_comments: count.comments,
                total_shares: count.shares,
                total_views: views.get(&row.post_id).copied().unwrap_or(0),
                created_at: row.created_at,
                updated_at: row.updated_at,
                hidden: row.hidden,
                hidden_reason: row.hidden_reason,
            }
        })
        .collect())
}

/// The post as its aggregate stands, when the caller may see it (for commands, which must
/// not wait for the read model).
pub async fn visible_post_target(ctx: &Context<'_>, post_id: Uuid) -> ApiResult<Option<Published>> {
    let api = state(ctx);
    let post = api
        .posts
        .stored_state(&post_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    let Some(published) = post.published().cloned() else {
        return Ok(None);
    };
    let viewer = Viewer::of(&api.pool, caller(ctx)).await?;
    if post.is_hidden() && viewer.user_id != Some(published.author_id) && !viewer.is_staff() {
        return Ok(None);
    }
    let shown = content_visible(&api.pool, &[published.author_id], &viewer).await?;
    Ok(shown
        .get(&published.author_id)
        .copied()
        .unwrap_or(true)
        .then_some(published))
}

/// A comment the caller may see, with its post's author.
pub struct CommentTarget {
    pub comment: WrittenComment,
    pub post_author_id: Uuid,
}

/// The comment as its aggregate stands, when the caller may see it: standing, on a post
/// they may see, and not hidden unless it is theirs, on their post, or they are staff.
pub async fn visible_comment_target(
    ctx: &Context<'_>,
    comment_id: Uuid,
) -> ApiResult<Option<CommentTarget>> {
    let api = state(ctx);
    let comment = api
        .comments
        .stored_state(&comment_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    let Some(written) = comment.standing().cloned() else {
        return Ok(None);
    };
    let Some(post) = visible_post_target(ctx, written.post_id).await? else {
        return Ok(None);
    };
    let me = caller(ctx);
    if written.hidden && me != Some(written.author_id) && me != Some(post.author_id) {
        let viewer = Viewer::of(&api.pool, me).await?;
        if !viewer.is_staff() {
            return Ok(None);
        }
    }
    Ok(Some(CommentTarget {
        comment: written,
        post_author_id: post.author_id,
    }))
}

#[derive(InputObject)]
pub struct PostMediaInput {
    /// An http(s) URL of at most 2,048 bytes.
    pub url: String,
    #[graphql(name = "type")]
    pub media_type: MediaType,
    /// At most 300 characters on one line.
    pub caption: Option<String>,
}

#[derive(InputObject)]
pub struct PostInput {
    /// Up to 10,000 characters, lines allowed; `#words` become the post's hashtags. May be
    /// empty when there is media.
    #[graphql(default)]
    pub content: String,
    /// At most 20 photos and videos.
    #[graphql(default)]
    pub media: Vec<PostMediaInput>,
    /// An itinerary the author can see.
    pub itinerary_id: Option<Uuid>,
    /// A place of the catalogue.
    pub place_id: Option<Uuid>,
    pub location: Option<LocationInput>,
}

/// What a post mutation wrote.
#[derive(SimpleObject)]
pub struct PostPayload {
    pub post_id: Uuid,
    /// Pass as `afterPosition` to read this write.
    pub position: Position,
    pub replayed: bool,
}

impl PostPayload {
    fn new(post_id: Uuid, outcome: CommandOutcome) -> Self {
        Self {
            post_id,
            position: Position(outcome.position),
            replayed: outcome.replayed,
        }
    }
}

fn missing() -> ApiError {
    ApiError::NotFound("post not found".into())
}

/// The draft, once its tagged itinerary and place are checked: an itinerary the author
/// cannot see and a place not in the catalogue are `NOT_FOUND`.
async fn draft(ctx: &Context<'_>, input: PostInput) -> ApiResult<PostDraft> {
    if let Some(itinerary) = input.itinerary_id {
        if read_itinerary(ctx, itinerary, None).await?.is_none() {
            return Err(ApiError::NotFound("itinerary not found".into()));
        }
    }
    if let Some(place) = input.place_id {
        let stored = state(ctx)
            .places
            .stored_state(&place.to_string())
            .await
            .map_err(ApiError::internal)?;
        if !stored.exists() {
            return Err(ApiError::NotFound("place not found".into()));
        }
    }
    Ok(PostDraft {
        content: input.content,
        media: input
            .media
            .into_iter()
            .map(|m| MediaInput {
                url: m.url,
                media_type: m.media_type.into(),
                caption: m.caption,
            })
            .collect(),
        itinerary_id: input.itinerary_id,
        place_id: input.place_id,
        location: input.location.map(|l| (l.name, l.lat, l.lon)),
    })
}

async fn post_context(ctx: &Context<'_>, invocation: &Invocation) -> ApiResult<PostContext> {
    let viewer = Viewer::of(&state(ctx).pool, Some(invocation.actor)).await?;
    Ok(PostContext {
        actor: invocation.actor,
        actor_is_moderator: viewer.is_staff(),
        now: invocation.now,
    })
}

/// Runs a command on a post the caller can see (one they cannot is `NOT_FOUND`).
async fn post_command(
    ctx: &Context<'_>,
    invocation: Invocation,
    post_id: Uuid,
    build: impl FnOnce(PostContext) -> PostCommand,
) -> ApiResult<PostPayload> {
    let context = post_context(ctx, &invocation).await?;
    if !context.actor_is_moderator && visible_post_target(ctx, post_id).await?.is_none() {
        return Err(missing());
    }
    let outcome = invocation
        .execute(&state(ctx).posts, post_id, build(context))
        .await?;
    Ok(PostPayload::new(post_id, outcome))
}

#[derive(Default)]
pub struct PostQuery;

#[Object]
impl PostQuery {
    /// One post, or `null` if there is none, it was deleted, or the caller may not see it.
    /// A signed-in reader other than the author counts as a view (once a day).
    async fn post(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Option<Post>> {
        resolve(async move {
            let api = state(ctx);
            if let Some(position) = after_position {
                api.read_your_write(&[NAME], position.0).await?;
            }
            let Some(row) = read::find_post(&api.pool, id).await? else {
                return Ok(None);
            };
            let author = row.author_id;
            let Some(mut post) = posts_for(ctx, vec![row]).await?.pop() else {
                return Ok(None);
            };
            if let Some(viewer) = caller(ctx).filter(|me| *me != author) {
                if let Some(total) = views::record(ctx, id, viewer).await {
                    post.total_views = total;
                }
            }
            Ok(Some(post))
        })
        .await
    }

    /// A person's posts and shares, newest first (empty when the caller may not see them).
    async fn posts_by(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, Post, EmptyFields, EmptyFields>> {
        resolve(async move {
            let size = page_size(first)?;
            let cursor = after.as_deref().map(decode_cursor).transpose()?;
            let api = state(ctx);
            if let Some(position) = after_position {
                api.read_your_write(&[NAME], position.0).await?;
            }
            let viewer = Viewer::of(&api.pool, caller(ctx)).await?;
            let shown = content_visible(&api.pool, &[user_id], &viewer).await?;
            if !shown.get(&user_id).copied().unwrap_or(true) {
                return Ok(Connection::new(false, false));
            }
            let with_hidden = viewer.user_id == Some(user_id) || viewer.is_staff();
            let mut rows =
                read::posts_by(&api.pool, user_id, with_hidden, cursor, size as i64 + 1).await?;
            let has_next = rows.len() > size;
            rows.truncate(size);
            let posts = posts_for(ctx, rows).await?;
            let mut connection = Connection::new(after.is_some(), has_next);
            connection.edges.extend(
                posts
                    .into_iter()
                    .map(|post| Edge::new(encode_cursor(post.created_at, post.id), post)),
            );
            Ok(connection)
        })
        .await
    }
}

#[derive(Default)]
pub struct PostMutation;

#[Object]
impl PostMutation {
    /// Publishes a travel story: a text, photos and videos by URL, and optionally an
    /// itinerary, a place and a location; `#words` in the text become hashtags. Who sees it
    /// follows the author's privacy.
    async fn create_post(
        &self,
        ctx: &Context<'_>,
        input: PostInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<PostPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let context = post_context(ctx, &invocation).await?;
            let draft = draft(ctx, input).await?;
            let post_id = invocation.mint_id("post");
            let outcome = invocation
                .execute(
                    &state(ctx).posts,
                    post_id,
                    PostCommand::Create { context, draft },
                )
                .await?;
            Ok(PostPayload::new(post_id, outcome))
        })
        .await
    }

    /// Shares a post the caller can see, with an optional comment: the share points to the
    /// original (sharing a share shares its original).
    async fn share_post(
        &self,
        ctx: &Context<'_>,
        post_id: Uuid,
        content: Option<String>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<PostPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let shared = visible_post_target(ctx, post_id)
                .await?
                .ok_or_else(missing)?;
            let (original, original_author) = match shared.shared_post_id {
                None => (post_id, shared.author_id),
                Some(original) => {
                    let root = visible_post_target(ctx, original)
                        .await?
                        .ok_or_else(missing)?;
                    (original, root.author_id)
                }
            };
            let context = post_context(ctx, &invocation).await?;
            let share_id = invocation.mint_id("share");
            let outcome = invocation
                .execute(
                    &state(ctx).posts,
                    share_id,
                    PostCommand::Share {
                        context,
                        original,
                        original_author,
                        content: content.unwrap_or_default(),
                    },
                )
                .await?;
            Ok(PostPayload::new(share_id, outcome))
        })
        .await
    }

    /// Replaces the text, media and tags of the caller's post (a share: its text only).
    async fn update_post(
        &self,
        ctx: &Context<'_>,
        post_id: Uuid,
        input: PostInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<PostPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let draft = draft(ctx, input).await?;
            post_command(ctx, invocation, post_id, |context| PostCommand::Update {
                context,
                draft,
            })
            .await
        })
        .await
    }

    /// Deletes a post: its author, or a moderator.
    async fn delete_post(
        &self,
        ctx: &Context<'_>,
        post_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<PostPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            post_command(ctx, invocation, post_id, |context| PostCommand::Delete {
                context,
            })
            .await
        })
        .await
    }
}

/// Post views in Redis: a HyperLogLog of the day's viewers per post (kept two days) and the
/// post's total, moved by one whenever a day's HyperLogLog grows.
mod views {
    use std::collections::HashMap;

    use async_graphql::Context;
    use uuid::Uuid;

    use crate::graphql::context::state;

    /// Two days: the day's set is only needed while the day lasts, in any time zone.
    const DAY_KEY_SECONDS: i64 = 2 * 86_400;

    /// Counts `viewer` once today; the new total, or `None` when Redis is unavailable (a
    /// view is not worth failing a read for).
    pub async fn record(ctx: &Context<'_>, post: Uuid, viewer: Uuid) -> Option<i64> {
        let api = state(ctx);
        let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let day_key = api.names.post_views_day(post, &day);
        let total_key = api.names.post_views_total(post);
        let result: Result<i64, String> = async {
            let mut connection = api.redis.get().await.map_err(|e| e.to_string())?;
            let total: i64 = redis::Script::new(
                "if redis.call('PFADD', KEYS[1], ARGV[1]) == 1 then \
                   redis.call('EXPIRE', KEYS[1], ARGV[2]) \
                   return redis.call('INCR', KEYS[2]) end \
                 return tonumber(redis.call('GET', KEYS[2]) or '0')",
            )
            .key(&day_key)
            .key(&total_key)
            .arg(viewer.to_string())
            .arg(DAY_KEY_SECONDS)
            .invoke_async(&mut *connection)
            .await
            .map_err(|e| e.to_string())?;
            Ok(total)
        }
        .await;
        match result {
            Ok(total) => Some(total),
            Err(error) => {
                tracing::warn!(%post, %error, "post view not counted");
                None
            }
        }
    }

    /// The totals of `posts` (0 when never viewed, or when Redis is unavailable).
    pub async fn totals(ctx: &Context<'_>, posts: &[Uuid]) -> HashMap<Uuid, i64> {
        if posts.is_empty() {
            return HashMap::new();
        }
        let names = &state(ctx).names;
        let keys: Vec<String> = posts.iter().map(|p| names.post_views_total(*p)).collect();
        let result: Result<Vec<Option<i64>>, String> = async {
            let mut connection = state(ctx).redis.get().await.map_err(|e| e.to_string())?;
            redis::cmd("MGET")
                .arg(&keys)
                .query_async(&mut *connection)
                .await
                .map_err(|e| e.to_string())
        }
        .await;
        match result {
            Ok(values) => posts
                .iter()
                .zip(values)
                .map(|(post, total)| (*post, total.unwrap_or(0)))
                .collect(),
            Err(error) => {
                tracing::warn!(%error, "post views unavailable");
                HashMap::new()
            }
        }
    }
}
