//! Posts, their comments and reactions (`post`, `comments`, reaction counts) in PostgreSQL,
//! written with the checkpoint in one transaction.
//!
//! Each row keeps the version of its own stream (a post, a comment, a reaction), and an event
//! at or below it is a redelivery that changes nothing. Counts live in their own tables,
//! moved by the event that changes them, so they do not depend on the order in which the
//! three topics arrive.

pub mod read;

use std::time::Duration;

use async_trait::async_trait;
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;
use wayfarer_schemas::{CommentEvent, PostEvent, ReactionEvent, ReactionType};

use crate::projection::{Envelope, Projection, Tables, TransactionalProjection, Write};
use crate::ProjectionError;

pub const NAME: &str = "posts";
pub const TABLES: &[&str] = &[POSTS, COMMENTS, REACTIONS, REACTION_COUNTS, SOCIAL_COUNTS];
const POSTS: &str = "posts";
const COMMENTS: &str = "post_comments";
const REACTIONS: &str = "reactions";
const REACTION_COUNTS: &str = "reaction_counts";
const SOCIAL_COUNTS: &str = "social_counts";

use wayfarer_schemas::comment::AGGREGATE_TYPE as COMMENT;
use wayfarer_schemas::post::AGGREGATE_TYPE as POST;
use wayfarer_schemas::reaction::AGGREGATE_TYPE as REACTION;

/// How counts name what they count (as reactions name their targets).
const POST_TARGET: &str = "POST";
const COMMENT_TARGET: &str = "COMMENT";

pub struct PostsProjection;

impl Projection for PostsProjection {
    fn name(&self) -> &'static str {
        NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &[POST, COMMENT, REACTION]
    }
    fn fetch_wait(&self) -> Duration {
        Duration::from_millis(10)
    }
}

/// The tables' names for this apply (shadow copies during a rebuild).
struct Names<'a> {
    posts: &'a str,
    comments: &'a str,
    reactions: &'a str,
    reaction_counts: &'a str,
    counts: &'a str,
}

fn undecodable(envelope: &Envelope, reason: impl ToString) -> ProjectionError {
    ProjectionError::undecodable(envelope.global_position, reason)
}

/// Which count of `social_counts` moves.
#[derive(Debug, Clone, Copy)]
enum Count {
    Comments,
    Replies,
    Shares,
}

impl Count {
    fn column(self) -> &'static str {
        match self {
            Count::Comments => "comments",
            Count::Replies => "replies",
            Count::Shares => "shares",
        }
    }
}

async fn count(
    tx: &mut PgConnection,
    names: &Names<'_>,
    target_type: &str,
    target_id: Uuid,
    which: Count,
    delta: i32,
) -> Result<(), ProjectionError> {
    if delta == 0 {
        return Ok(());
    }
    let counts = names.counts;
    let column = which.column();
    sqlx::query(&format!(
        "INSERT INTO {counts} (target_type, target_id, {column}) VALUES ($1, $2, $3) \
         ON CONFLICT (target_type, target_id) DO UPDATE SET {column} = {counts}.{column} + $3"
    ))
    .bind(target_type)
    .bind(target_id)
    .bind(delta)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn count_reaction(
    tx: &mut PgConnection,
    names: &Names<'_>,
    target_type: &str,
    target_id: Uuid,
    reaction: ReactionType,
    delta: i32,
) -> Result<(), ProjectionError> {
    let counts = names.reaction_counts;
    sqlx::query(&format!(
        "INSERT INTO {counts} (target_type, target_id, reaction, count) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (target_type, target_id, reaction) DO UPDATE SET count = {counts}.count + $4"
    ))
    .bind(target_type)
    .bind(target_id)
    .bind(reaction.as_str())
    .bind(delta)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The version a row of `table` (keyed by `key`) holds, locked for this transaction.
async fn version_of(
    tx: &mut PgConnection,
    table: &str,
    key: &str,
    id: Uuid,
) -> Result<Option<i64>, ProjectionError> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT version FROM {table} WHERE {key} = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?)
}

#[async_trait]
impl TransactionalProjection for PostsProjection {
    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let names = Names {
            posts: tables.name(POSTS),
            comments: tables.name(COMMENTS),
            reactions: tables.name(REACTIONS),
            reaction_counts: tables.name(REACTION_COUNTS),
            counts: tables.name(SOCIAL_COUNTS),
        };
        for envelope in events {
            let id = envelope
                .aggregate_uuid()
                .ok_or_else(|| undecodable(envelope, "aggregate id is not a UUID"))?;
            let payload = envelope.payload.get();
            match envelope.aggregate_type.as_str() {
                POST => {
                    let event =
                        serde_json::from_str(payload).map_err(|e| undecodable(envelope, e))?;
                    apply_post(tx, &names, envelope, id, event).await?;
                }
                COMMENT => {
                    let event =
                        serde_json::from_str(payload).map_err(|e| undecodable(envelope, e))?;
                    apply_comment(tx, &names, envelope, id, event).await?;
                }
                REACTION => {
                    let event =
                        serde_json::from_str(payload).map_err(|e| undecodable(envelope, e))?;
                    apply_reaction(tx, &names, envelope, id, event).await?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    async fn has_applied(
        &self,
        connection: &mut PgConnection,
        write: &Write,
    ) -> Result<bool, ProjectionError> {
        let (table, key, id) = if let Some(id) = write.stream_of(POST) {
            (POSTS, "post_id", id)
        } else if let Some(id) = write.stream_of(COMMENT) {
            (COMMENTS, "comment_id", id)
        } else if let Some(id) = write.stream_of(REACTION) {
            (REACTIONS, "reaction_id", id)
        } else {
            return Ok(true);
        };
        Ok(write
            .versioned_row_reached(connection, table, key, id)
            .await?)
    }
}

async fn apply_post(
    tx: &mut PgConnection,
    names: &Names<'_>,
    envelope: &Envelope,
    id: Uuid,
    event: PostEvent,
) -> Result<(), ProjectionError> {
    let version = envelope.sequence as i64;
    let posts = names.posts;
    let standing = version_of(tx, posts, "post_id", id).await?;
    if standing.is_some_and(|v| v >= version) {
        return Ok(());
    }
    match event {
        PostEvent::PostCreated {
            author_id,
            content,
            media,
            tags,
            shared_post_id,
            created_at,
            ..
        } => {
            sqlx::query(&format!(
                "INSERT INTO {posts} (post_id, author_id, content, media, itinerary_id, place_id, \
                   location, hashtags, shared_post_id, created_at, updated_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)"
            ))
            .bind(id)
            .bind(author_id)
            .bind(&content)
            .bind(Json(&media))
            .bind(tags.itinerary_id)
            .bind(tags.place_id)
            .bind(tags.location.as_ref().map(Json))
            .bind(&tags.hashtags)
            .bind(shared_post_id)
            .bind(created_at)
            .bind(version)
            .execute(&mut *tx)
            .await?;
            if let Some(original) = shared_post_id {
                count(tx, names, POST_TARGET, original, Count::Shares, 1).await?;
            }
        }
        PostEvent::PostUpdated {
            content,
            media,
            tags,
            updated_at,
        } => {
            sqlx::query(&format!(
                "UPDATE {posts} SET content = $2, media = $3, itinerary_id = $4, place_id = $5, \
                   location = $6, hashtags = $7, updated_at = $8, version = $9 WHERE post_id = $1"
            ))
            .bind(id)
            .bind(&content)
            .bind(Json(&media))
            .bind(tags.itinerary_id)
            .bind(tags.place_id)
            .bind(tags.location.as_ref().map(Json))
            .bind(&tags.hashtags)
            .bind(updated_at)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        }
        PostEvent::PostHidden { reason, .. } => {
            // A share hidden leaves its original's count, unless it left already.
            let shared: Option<Option<Uuid>> = sqlx::query_scalar(&format!(
                "UPDATE {posts} SET hidden = true, hidden_reason = $2, version = $3 \
                 WHERE post_id = $1 RETURNING CASE WHEN deleted THEN NULL ELSE shared_post_id END"
            ))
            .bind(id)
            .bind(reason)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(Some(original)) = shared {
                count(tx, names, POST_TARGET, original, Count::Shares, -1).await?;
            }
        }
        PostEvent::PostDeleted { deleted_at, .. } => {
            // A share deleted leaves its original's count, unless hiding took it out.
            let shared: Option<Option<Uuid>> = sqlx::query_scalar(&format!(
                "UPDATE {posts} SET deleted = true, updated_at = $2, version = $3 \
                 WHERE post_id = $1 RETURNING CASE WHEN hidden THEN NULL ELSE shared_post_id END"
            ))
            .bind(id)
            .bind(deleted_at)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(Some(original)) = shared {
                count(tx, names, POST_TARGET, original, Count::Shares, -1).await?;
            }
        }
    }
    Ok(())
}

/// What a comment row held before this event.
#[derive(sqlx::FromRow)]
struct CommentStanding {
    post_id: Uuid,
    parent_comment_id: Option<Uuid>,
    deleted: bool,
    hidden: bool,
    version: i64,
}

impl CommentStanding {
    /// Counted in its post's comments and its parent's replies.
    fn visible(&self) -> bool {
        !self.deleted && !self.hidden
    }
}

/// Moves the counts a comment is part of by `delta`.
async fn count_comment(
    tx: &mut PgConnection,
    names: &Names<'_>,
    post_id: Uuid,
    parent: Option<Uuid>,
    delta: i32,
) -> Result<(), ProjectionError> {
    count(tx, names, POST_TARGET, post_id, Count::Comments, delta).await?;
    if let Some(parent) = parent {
        count(tx, names, COMMENT_TARGET, parent, Count::Replies, delta).await?;
    }
    Ok(())
}

async fn apply_comment(
    tx: &mut PgConnection,
    names: &Names<'_>,
    envelope: &Envelope,
    id: Uuid,
    event: CommentEvent,
) -> Result<(), ProjectionError> {
    let version = envelope.sequence as i64;
    let comments = names.comments;
    let standing: Option<CommentStanding> = sqlx::query_as(&format!(
        "SELECT post_id, parent_comment_id, deleted, hidden, version FROM {comments} \
         WHERE comment_id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    if standing.as_ref().is_some_and(|s| s.version >= version) {
        return Ok(());
    }
    if let CommentEvent::CommentAdded {
        post_id,
        parent_comment_id,
        author_id,
        content,
        added_at,
        ..
    } = event
    {
        sqlx::query(&format!(
            "INSERT INTO {comments} (comment_id, post_id, parent_comment_id, author_id, content, \
               created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)"
        ))
        .bind(id)
        .bind(post_id)
        .bind(parent_comment_id)
        .bind(author_id)
        .bind(&content)
        .bind(added_at)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        return count_comment(tx, names, post_id, parent_comment_id, 1).await;
    }
    let Some(standing) = standing else {
        return Err(undecodable(envelope, "an event for a comment never added"));
    };
    let (change, hidden_after, deleted_after) = match &event {
        CommentEvent::CommentAdded { .. } => unreachable!("handled above"),
        CommentEvent::CommentUpdated { .. } => (
            "content = $2, updated_at = $3",
            standing.hidden,
            standing.deleted,
        ),
        CommentEvent::CommentDeleted { .. } => (
            "deleted = true, content = '', updated_at = $3",
            standing.hidden,
            true,
        ),
        CommentEvent::CommentHidden { .. } => {
            ("hidden = true, hidden_reason = $2", true, standing.deleted)
        }
        CommentEvent::CommentUnhidden { .. } => (
            "hidden = false, hidden_reason = NULL",
            false,
            standing.deleted,
        ),
    };
    let (text, at) = match event {
        CommentEvent::CommentUpdated {
            content,
            updated_at,
        } => (Some(content), Some(updated_at)),
        CommentEvent::CommentDeleted { deleted_at, .. } => (None, Some(deleted_at)),
        CommentEvent::CommentHidden { reason, .. } => (reason, None),
        _ => (None, None),
    };
    sqlx::query(&format!(
        "UPDATE {comments} SET {change}, version = $4 WHERE comment_id = $1"
    ))
    .bind(id)
    .bind(text)
    .bind(at)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    let visible_after = !hidden_after && !deleted_after;
    let delta = i32::from(visible_after) - i32::from(standing.visible());
    count_comment(
        tx,
        names,
        standing.post_id,
        standing.parent_comment_id,
        delta,
    )
    .await
}

async fn apply_reaction(
    tx: &mut PgConnection,
    names: &Names<'_>,
    envelope: &Envelope,
    id: Uuid,
    event: ReactionEvent,
) -> Result<(), ProjectionError> {
    #[derive(sqlx::FromRow)]
    struct Target {
        target_type: String,
        target_id: Uuid,
        version: i64,
    }
    let version = envelope.sequence as i64;
    let reactions = names.reactions;
    let standing: Option<Target> = sqlx::query_as(&format!(
        "SELECT target_type, target_id, version FROM {reactions} WHERE reaction_id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    if standing.as_ref().is_some_and(|s| s.version >= version) {
        return Ok(());
    }
    match event {
        ReactionEvent::ReactionAdded {
            target_type,
            target_id,
            user_id,
            reaction,
            previous,
            ..
        } => {
            sqlx::query(&format!(
                "INSERT INTO {reactions} (reaction_id, target_type, target_id, user_id, reaction, version) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (reaction_id) DO UPDATE SET reaction = $5, version = $6"
            ))
            .bind(id)
            .bind(target_type.as_str())
            .bind(target_id)
            .bind(user_id)
            .bind(reaction.as_str())
            .bind(version)
            .execute(&mut *tx)
            .await?;
            let target = target_type.as_str();
            if let Some(previous) = previous {
                count_reaction(tx, names, target, target_id, previous, -1).await?;
            }
            count_reaction(tx, names, target, target_id, reaction, 1).await?;
        }
        ReactionEvent::ReactionRemoved { reaction, .. } => {
            let Some(target) = standing else {
                return Err(undecodable(
                    envelope,
                    "a reaction removed before it was added",
                ));
            };
            sqlx::query(&format!(
                "UPDATE {reactions} SET reaction = NULL, version = $2 WHERE reaction_id = $1"
            ))
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
            count_reaction(
                tx,
                names,
                &target.target_type,
                target.target_id,
                reaction,
                -1,
            )
            .await?;
        }
    }
    Ok(())
}
