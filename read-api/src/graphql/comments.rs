//! Comments on posts, nested to any depth: `addComment` (with `parentCommentId` for a
//! reply), `updateComment`, `deleteComment` (the thread keeps the comment as "deleted"),
//! `hideComment` / `unhideComment` (the post's author or a moderator) and `comments`.
//!
//! A hidden comment is left out for everyone but its author (who sees why) and staff.

use std::collections::HashMap;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use wayfarer_commands::CommandOutcome;
use wayfarer_domain::{CommentCommand, CommentContext};
use wayfarer_projections::post::read::{self, CommentRow};
use wayfarer_projections::post::NAME;
use wayfarer_schemas::ReactionTarget as Target;

use super::context::{caller, state};
use super::paging::{decode_cursor, encode_cursor, page_size};
use super::people::read_user;
use super::people_types::User;
use super::posts::{visible_comment_target, visible_post_target};
use super::reactions::{summaries, ReactionSummary};
use super::resolve::{resolve, Invocation};
use super::types::Position;
use crate::error::{ApiError, ApiResult};
use crate::people::access::Viewer;

/// A comment of a post's thread.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Comment {
    pub id: Uuid,
    pub post_id: Uuid,
    /// The comment this one replies to (`null` at the top of the thread).
    pub parent_comment_id: Option<Uuid>,
    /// `null` once deleted.
    pub author_id: Option<Uuid>,
    /// `null` once deleted.
    pub content: Option<String>,
    pub deleted: bool,
    /// Only its author and staff see a hidden comment.
    pub hidden: bool,
    /// Why it was hidden, when the one who hid it said.
    pub hidden_reason: Option<String>,
    pub reactions: ReactionSummary,
    /// Its visible direct replies.
    pub total_replies: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub post_author_id: Uuid,
}

#[ComplexObject]
impl Comment {
    /// The author as the caller may see them (`null` once deleted).
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(author) = self.author_id else {
            return Ok(None);
        };
        resolve(read_user(ctx, author, None)).await
    }

    /// Its replies, oldest first.
    async fn replies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Comment, EmptyFields, EmptyFields>> {
        let thread = Thread {
            post_id: self.post_id,
            post_author_id: self.post_author_id,
            parent: Some(self.id),
        };
        resolve(comment_page(ctx, thread, first, after)).await
    }
}

/// One level of a post's thread: its top-level comments, or one comment's replies.
#[derive(Debug, Clone, Copy)]
pub struct Thread {
    pub post_id: Uuid,
    pub post_author_id: Uuid,
    pub parent: Option<Uuid>,
}

/// One level of a post's thread as the caller may see it (the caller has checked the post).
/// Hidden comments show to their author, the post's author and staff.
pub async fn comment_page(
    ctx: &Context<'_>,
    thread: Thread,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<Connection<String, Comment, EmptyFields, EmptyFields>> {
    let size = page_size(first)?;
    let cursor = after.as_deref().map(decode_cursor).transpose()?;
    let api = state(ctx);
    let me = caller(ctx);
    let all_hidden =
        me == Some(thread.post_author_id) || Viewer::of(&api.pool, me).await?.is_staff();
    let mut rows = read::thread(
        &api.pool,
        thread.post_id,
        thread.parent,
        me,
        all_hidden,
        cursor,
        size as i64 + 1,
    )
    .await?;
    let has_next = rows.len() > size;
    rows.truncate(size);
    let ids: Vec<Uuid> = rows.iter().map(|r| r.comment_id).collect();
    let mut reactions = summaries(ctx, Target::Comment, &ids).await?;
    let mut counts: HashMap<Uuid, read::SocialCounts> =
        read::social_counts(&api.pool, Target::Comment.as_str(), &ids)
            .await?
            .into_iter()
            .map(|c| (c.target_id, c))
            .collect();
    let mut connection = Connection::new(after.is_some(), has_next);
    connection.edges.extend(rows.into_iter().map(|row| {
        let cursor = encode_cursor(row.created_at, row.comment_id);
        let replies = counts.remove(&row.comment_id).unwrap_or_default().replies;
        let summary = reactions.remove(&row.comment_id).unwrap_or_default();
        Edge::new(
            cursor,
            comment(row, summary, replies, thread.post_author_id),
        )
    }));
    Ok(connection)
}

fn comment(
    row: CommentRow,
    reactions: ReactionSummary,
    total_replies: i32,
    post_author_id: Uuid,
) -> Comment {
    Comment {
        id: row.comment_id,
        post_id: row.post_id,
        parent_comment_id: row.parent_comment_id,
        author_id: (!row.deleted).then_some(row.author_id),
        content: (!row.deleted).then_some(row.content),
        deleted: row.deleted,
        hidden: row.hidden,
        hidden_reason: row.hidden_reason,
        reactions,
        total_replies,
        created_at: row.created_at,
        updated_at: row.updated_at,
        post_author_id,
    }
}

#[derive(InputObject)]
pub struct CommentInput {
    /// 1 to 2,000 characters, lines allowed.
    pub content: String,
    /// The comment of the same post this one replies to.
    pub parent_comment_id: Option<Uuid>,
}

/// What a comment mutation wrote.
#[derive(SimpleObject)]
pub struct CommentPayload {
    pub comment_id: Uuid,
    /// Pass as `afterPosition` to read this write (`0` when nothing changed).
    pub position: Position,
    pub replayed: bool,
}

impl CommentPayload {
    fn new(comment_id: Uuid, outcome: CommandOutcome) -> Self {
        Self {
            comment_id,
            position: Position(outcome.position),
            replayed: outcome.replayed,
        }
    }
}

fn missing() -> ApiError {
    ApiError::NotFound("comment not found".into())
}

async fn comment_context(ctx: &Context<'_>, invocation: &Invocation) -> ApiResult<CommentContext> {
    let viewer = Viewer::of(&state(ctx).pool, Some(invocation.actor)).await?;
    Ok(CommentContext {
        actor: invocation.actor,
        actor_is_moderator: viewer.is_staff(),
        now: invocation.now,
    })
}

/// Runs a command on a comment the caller can see (one they cannot is `NOT_FOUND`);
/// `build` also gets the post's author.
async fn comment_command(
    ctx: &Context<'_>,
    invocation: Invocation,
    comment_id: Uuid,
    build: impl FnOnce(CommentContext, Uuid) -> CommentCommand,
) -> ApiResult<CommentPayload> {
    let context = comment_context(ctx, &invocation).await?;
    let target = visible_comment_target(ctx, comment_id)
        .await?
        .ok_or_else(missing)?;
    let post_author = target.post_author_id;
    let outcome = invocation
        .execute(
            &state(ctx).comments,
            comment_id,
            build(context, post_author),
        )
        .await?;
    Ok(CommentPayload::new(comment_id, outcome))
}

#[derive(Default)]
pub struct CommentQuery;

#[Object]
impl CommentQuery {
    /// One level of a post's thread, oldest first: its top-level comments, or the replies
    /// to `parentCommentId`. Empty when the caller may not see the post.
    async fn comments(
        &self,
        ctx: &Context<'_>,
        post_id: Uuid,
        parent_comment_id: Option<Uuid>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, Comment, EmptyFields, EmptyFields>> {
        resolve(async move {
            let api = state(ctx);
            if let Some(position) = after_position {
                api.read_your_write(&[NAME], position.0).await?;
            }
            let Some(row) = read::find_post(&api.pool, post_id).await? else {
                return Ok(Connection::new(false, false));
            };
            let Some(post) = super::posts::posts_for(ctx, vec![row]).await?.pop() else {
                return Ok(Connection::new(false, false));
            };
            // The replies of a comment hidden from the caller are not theirs to list (a
            // deleted one keeps its replies in the thread).
            if let Some(parent) = parent_comment_id {
                let me = caller(ctx);
                let parent = read::find_comment(&api.pool, parent).await?;
                let seen = match parent {
                    Some(row) if row.post_id == post_id => {
                        !row.hidden
                            || me == Some(row.author_id)
                            || me == Some(post.author_id)
                            || Viewer::of(&api.pool, me).await?.is_staff()
                    }
                    _ => false,
                };
                if !seen {
                    return Ok(Connection::new(false, false));
                }
            }
            let thread = Thread {
                post_id,
                post_author_id: post.author_id,
                parent: parent_comment_id,
            };
            comment_page(ctx, thread, first, after).await
        })
        .await
    }
}

#[derive(Default)]
pub struct CommentMutation;

#[Object]
impl CommentMutation {
    /// Comments on a post the caller can see, or replies to one of its comments.
    async fn add_comment(
        &self,
        ctx: &Context<'_>,
        post_id: Uuid,
        input: CommentInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<CommentPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let post = visible_post_target(ctx, post_id)
                .await?
                .ok_or_else(|| ApiError::NotFound("post not found".into()))?;
            let parent_author_id = match input.parent_comment_id {
                Some(parent) => Some(
                    visible_comment_target(ctx, parent)
                        .await?
                        .filter(|t| t.comment.post_id == post_id)
                        .ok_or_else(missing)?
                        .comment
                        .author_id,
                ),
                None => None,
            };
            let context = comment_context(ctx, &invocation).await?;
            let comment_id = invocation.mint_id("comment");
            let command = CommentCommand::Add {
                context,
                post_id,
                post_author_id: post.author_id,
                parent_comment_id: input.parent_comment_id,
                parent_author_id,
                content: input.content,
            };
            let outcome = invocation
                .execute(&state(ctx).comments, comment_id, command)
                .await?;
            Ok(CommentPayload::new(comment_id, outcome))
        })
        .await
    }

    /// Changes the text of the caller's comment.
    async fn update_comment(
        &self,
        ctx: &Context<'_>,
        comment_id: Uuid,
        content: String,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<CommentPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            comment_command(ctx, invocation, comment_id, |context, _| {
                CommentCommand::Update { context, content }
            })
            .await
        })
        .await
    }

    /// Deletes a comment (its author, or a moderator); its replies stay, under "deleted".
    async fn delete_comment(
        &self,
        ctx: &Context<'_>,
        comment_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<CommentPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            comment_command(ctx, invocation, comment_id, |context, _| {
                CommentCommand::Delete { context }
            })
            .await
        })
        .await
    }

    /// Hides a comment of the caller's post (or, for a moderator, any comment), with an
    /// optional reason its author sees.
    async fn hide_comment(
        &self,
        ctx: &Context<'_>,
        comment_id: Uuid,
        reason: Option<String>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<CommentPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            comment_command(ctx, invocation, comment_id, |context, post_author| {
                CommentCommand::Hide {
                    context,
                    post_author,
                    reason,
                }
            })
            .await
        })
        .await
    }

    /// Shows a hidden comment again (the post's author, or a moderator).
    async fn unhide_comment(
        &self,
        ctx: &Context<'_>,
        comment_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<CommentPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            comment_command(ctx, invocation, comment_id, |context, post_author| {
                CommentCommand::Unhide {
                    context,
                    post_author,
                }
            })
            .await
        })
        .await
    }
}
