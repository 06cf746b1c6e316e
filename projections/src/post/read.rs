//! Reading posts, comment threads and reaction counts from the live tables.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;
use wayfarer_schemas::{Location, PostMedia};

/// One post (standing or deleted: the caller decides what a deleted one shows).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PostRow {
    pub post_id: Uuid,
    pub author_id: Uuid,
    pub content: String,
    pub media: Json<Vec<PostMedia>>,
    pub itinerary_id: Option<Uuid>,
    pub place_id: Option<Uuid>,
    pub location: Option<Json<Location>>,
    pub hashtags: Vec<String>,
    pub shared_post_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted: bool,
    /// Hidden by a moderator: shown to its author (with the reason) and staff only.
    pub hidden: bool,
    pub hidden_reason: Option<String>,
}

const POST_COLUMNS: &str = "post_id, author_id, content, media, itinerary_id, place_id, location, \
     hashtags, shared_post_id, created_at, updated_at, deleted, hidden, hidden_reason";

pub async fn find_post(pool: &PgPool, post_id: Uuid) -> Result<Option<PostRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {POST_COLUMNS} FROM posts WHERE post_id = $1"
    ))
    .bind(post_id)
    .fetch_optional(pool)
    .await
}

/// The posts among `ids` (standing or deleted).
pub async fn find_posts(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<PostRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {POST_COLUMNS} FROM posts WHERE post_id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

/// A person's standing posts, newest first, after `(created_at, post_id)`; hidden ones only
/// `with_hidden` (for their author and staff).
pub async fn posts_by(
    pool: &PgPool,
    author_id: Uuid,
    with_hidden: bool,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<PostRow>, sqlx::Error> {
    let (at, id) = after.unzip();
    sqlx::query_as(&format!(
        "SELECT {POST_COLUMNS} FROM posts WHERE author_id = $1 AND NOT deleted \
           AND (NOT hidden OR $5) \
           AND ($2::timestamptz IS NULL OR (created_at, post_id) < ($2, $3)) \
         ORDER BY created_at DESC, post_id DESC LIMIT $4"
    ))
    .bind(author_id)
    .bind(at)
    .bind(id)
    .bind(limit)
    .bind(with_hidden)
    .fetch_all(pool)
    .await
}

/// One comment of a thread.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CommentRow {
    pub comment_id: Uuid,
    pub post_id: Uuid,
    pub parent_comment_id: Option<Uuid>,
    pub author_id: Uuid,
    /// Empty once deleted.
    pub content: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted: bool,
    pub hidden: bool,
    pub hidden_reason: Option<String>,
}

const COMMENT_COLUMNS: &str = "comment_id, post_id, parent_comment_id, author_id, content, \
     created_at, updated_at, deleted, hidden, hidden_reason";

pub async fn find_comment(
    pool: &PgPool,
    comment_id: Uuid,
) -> Result<Option<CommentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COMMENT_COLUMNS} FROM post_comments WHERE comment_id = $1"
    ))
    .bind(comment_id)
    .fetch_optional(pool)
    .await
}

/// One level of a post's thread (its top-level comments, or one comment's replies), oldest
/// first, after `(created_at, comment_id)`. Hidden comments are left out, but those of
/// `shown_hidden_of` (their author sees them), or all with `all_hidden`.
pub async fn thread(
    pool: &PgPool,
    post_id: Uuid,
    parent: Option<Uuid>,
    shown_hidden_of: Option<Uuid>,
    all_hidden: bool,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<CommentRow>, sqlx::Error> {
    let (at, id) = after.unzip();
    sqlx::query_as(&format!(
        "SELECT {COMMENT_COLUMNS} FROM post_comments \
         WHERE post_id = $1 AND parent_comment_id IS NOT DISTINCT FROM $2 \
           AND (NOT hidden OR author_id = $3 OR $4) \
           AND ($5::timestamptz IS NULL OR (created_at, comment_id) > ($5, $6)) \
         ORDER BY created_at, comment_id LIMIT $7"
    ))
    .bind(post_id)
    .bind(parent)
    .bind(shown_hidden_of)
    .bind(all_hidden)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The counts of posts and comments: visible comments and replies, standing shares.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct SocialCounts {
    pub target_id: Uuid,
    pub comments: i32,
    pub replies: i32,
    pub shares: i32,
}

pub async fn social_counts(
    pool: &PgPool,
    target_type: &str,
    targets: &[Uuid],
) -> Result<Vec<SocialCounts>, sqlx::Error> {
    sqlx::query_as(
        "SELECT target_id, comments, replies, shares FROM social_counts \
         WHERE target_type = $1 AND target_id = ANY($2)",
    )
    .bind(target_type)
    .bind(targets)
    .fetch_all(pool)
    .await
}

/// How many standing reactions of one type a target has.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReactionCountRow {
    pub target_id: Uuid,
    pub reaction: String,
    pub count: i32,
}

pub async fn reaction_counts(
    pool: &PgPool,
    target_type: &str,
    targets: &[Uuid],
) -> Result<Vec<ReactionCountRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT target_id, reaction, count FROM reaction_counts \
         WHERE target_type = $1 AND target_id = ANY($2) AND count > 0 ORDER BY reaction",
    )
    .bind(target_type)
    .bind(targets)
    .fetch_all(pool)
    .await
}

/// A person's standing reaction to one of the targets.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OwnReaction {
    pub target_id: Uuid,
    pub reaction: String,
}

pub async fn reactions_of(
    pool: &PgPool,
    user_id: Uuid,
    target_type: &str,
    targets: &[Uuid],
) -> Result<Vec<OwnReaction>, sqlx::Error> {
    sqlx::query_as(
        "SELECT target_id, reaction FROM reactions \
         WHERE user_id = $1 AND target_type = $2 AND target_id = ANY($3) AND reaction IS NOT NULL",
    )
    .bind(user_id)
    .bind(target_type)
    .bind(targets)
    .fetch_all(pool)
    .await
}
