//! Moderation: `flagContent` (anyone signed in, once per person and target, citing a rule),
//! `moderationQueue` and `resolveFlag` (moderators; escalations go to admins), and the
//! community guidelines (`guidelines`, `updateGuidelines`: versioned, admins only).
//!
//! Resolving with HIDE or REMOVE first hides or deletes the content through its own
//! aggregate, then records the decision: both are idempotent, so a retry after a failure in
//! between finishes the job.

use std::collections::HashMap;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use wayfarer_domain::moderation::{CaseStatus as DomainStatus, FlaggedContent};
use wayfarer_domain::{
    CaseCommand, CaseContext, CommentCommand, CommentContext, Guidelines as GuidelinesAggregate,
    GuidelinesCommand, PostCommand, PostContext, ReviewCommand, ReviewContext,
};
use wayfarer_projections::moderation::read::{self, CaseRow, QueueCursor};
use wayfarer_projections::moderation::NAME;
use wayfarer_schemas::moderation::{case_id, GUIDELINES_ID};
use wayfarer_schemas::{GuidelineRule, Role};

use super::context::{require_caller, state};
use super::paging::{cursor_text, encode_opaque, page_size};
use super::posts::{visible_comment_target, visible_post_target};
use super::resolve::{resolve, Invocation};
use super::reviews::visible_reviews;
use super::types::Position;
use crate::error::{ApiError, ApiResult};
use crate::people::access::Viewer;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::FlagTarget")]
pub enum FlagTarget {
    Post,
    Comment,
    Review,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::ModerationAction")]
pub enum ModerationAction {
    Dismiss,
    Hide,
    Remove,
    Escalate,
}

/// Where a moderation case stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum FlagStatus {
    /// Waiting for a moderator.
    #[default]
    Open,
    /// Waiting for an admin.
    Escalated,
    /// Decided.
    Resolved,
}

impl FlagStatus {
    fn as_str(self) -> &'static str {
        match self {
            FlagStatus::Open => DomainStatus::Open.as_str(),
            FlagStatus::Escalated => DomainStatus::Escalated.as_str(),
            FlagStatus::Resolved => DomainStatus::Resolved.as_str(),
        }
    }

    fn parse(text: &str) -> Self {
        [
            FlagStatus::Open,
            FlagStatus::Escalated,
            FlagStatus::Resolved,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
        .unwrap_or(FlagStatus::Open)
    }
}

/// One person's flag.
#[derive(SimpleObject)]
pub struct Flag {
    pub flagged_by: Uuid,
    /// The rule of the guidelines it cites.
    pub rule_code: String,
    pub guidelines_version: i32,
    pub reason: Option<String>,
    pub flagged_at: DateTime<Utc>,
}

/// The last decision on a case.
#[derive(SimpleObject)]
pub struct Resolution {
    pub action: ModerationAction,
    pub resolved_by: Uuid,
    pub note: Option<String>,
    pub resolved_at: DateTime<Utc>,
}

/// Every flag of one post, comment or review (its id is the `flagId` that `resolveFlag`
/// takes).
#[derive(SimpleObject)]
pub struct FlaggedItem {
    pub id: Uuid,
    pub target_type: FlagTarget,
    pub target_id: Uuid,
    pub author_id: Uuid,
    pub status: FlagStatus,
    /// Flags since it was last decided.
    pub open_flags: i32,
    pub total_flags: i32,
    /// The first flag since it was last decided (the queue's age).
    pub first_flagged_at: DateTime<Utc>,
    pub last_flagged_at: DateTime<Utc>,
    /// Every flag, oldest first.
    pub flags: Vec<Flag>,
    pub resolution: Option<Resolution>,
}

fn parse_action(text: &str) -> Option<ModerationAction> {
    use wayfarer_schemas::ModerationAction as Action;
    [
        Action::Dismiss,
        Action::Hide,
        Action::Remove,
        Action::Escalate,
    ]
    .into_iter()
    .find(|a| a.as_str() == text)
    .map(Into::into)
}

async fn flagged_items(ctx: &Context<'_>, rows: Vec<CaseRow>) -> ApiResult<Vec<FlaggedItem>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.case_id).collect();
    let mut flags: HashMap<Uuid, Vec<Flag>> = HashMap::new();
    for flag in read::flags(&state(ctx).pool, &ids).await? {
        flags.entry(flag.case_id).or_default().push(Flag {
            flagged_by: flag.flagged_by,
            rule_code: flag.rule_code,
            guidelines_version: flag.guidelines_version,
            reason: flag.reason,
            flagged_at: flag.flagged_at,
        });
    }
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let target_type = wayfarer_schemas::FlagTarget::parse(&row.target_type)?;
            let resolution = match (row.last_action.as_deref(), row.resolved_by, row.resolved_at) {
                (Some(action), Some(resolved_by), Some(resolved_at)) => {
                    parse_action(action).map(|action| Resolution {
                        action,
                        resolved_by,
                        note: row.note.clone(),
                        resolved_at,
                    })
                }
                _ => None,
            };
            Some(FlaggedItem {
                id: row.case_id,
                target_type: target_type.into(),
                target_id: row.target_id,
                author_id: row.author_id,
                status: FlagStatus::parse(&row.status),
                open_flags: row.open_flags,
                total_flags: row.total_flags,
                first_flagged_at: row.first_flagged_at,
                last_flagged_at: row.last_flagged_at,
                flags: flags.remove(&row.case_id).unwrap_or_default(),
                resolution,
            })
        })
        .collect())
}

fn encode_queue_cursor(row: &FlaggedItem) -> String {
    encode_opaque(&format!(
        "{}|{}|{}",
        row.open_flags,
        row.first_flagged_at.to_rfc3339(),
        row.id
    ))
}

fn decode_queue_cursor(cursor: &str) -> ApiResult<QueueCursor> {
    let text = cursor_text(cursor)?;
    let invalid = || ApiError::Validation("invalid cursor".into());
    let mut parts = text.split('|');
    let (Some(flags), Some(at), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    Ok(QueueCursor {
        open_flags: flags.parse().map_err(|_| invalid())?,
        first_flagged_at: DateTime::parse_from_rfc3339(at)
            .map_err(|_| invalid())?
            .with_timezone(&Utc),
        case_id: Uuid::parse_str(id).map_err(|_| invalid())?,
    })
}

/// The caller's role, refusing anyone who is not staff.
async fn require_staff(ctx: &Context<'_>) -> ApiResult<Viewer> {
    let me = require_caller(ctx)?;
    let viewer = Viewer::of(&state(ctx).pool, Some(me)).await?;
    if !viewer.is_staff() {
        return Err(ApiError::Forbidden(
            "only moderators and admins moderate".into(),
        ));
    }
    Ok(viewer)
}

/// A rule of the guidelines.
#[derive(SimpleObject)]
pub struct Rule {
    pub code: String,
    pub title: String,
    pub description: String,
}

/// One version of the community guidelines.
#[derive(SimpleObject)]
pub struct Guidelines {
    /// 1 is the built-in set; each `updateGuidelines` publishes the next.
    pub version: i32,
    pub rules: Vec<Rule>,
}

impl From<&GuidelinesAggregate> for Guidelines {
    fn from(guidelines: &GuidelinesAggregate) -> Self {
        Self {
            version: guidelines.version() as i32,
            rules: guidelines
                .rules()
                .iter()
                .map(|rule| Rule {
                    code: rule.code.clone(),
                    title: rule.title.clone(),
                    description: rule.description.clone(),
                })
                .collect(),
        }
    }
}

async fn current_guidelines(ctx: &Context<'_>) -> ApiResult<GuidelinesAggregate> {
    state(ctx)
        .guidelines
        .stored_state(&GUIDELINES_ID.to_string())
        .await
        .map_err(ApiError::internal)
}

#[derive(InputObject)]
pub struct RuleInput {
    /// Upper-case letters, digits and `_`; 2 to 32 characters; unique.
    pub code: String,
    pub title: String,
    pub description: String,
}

/// What a moderation mutation wrote.
#[derive(SimpleObject)]
pub struct FlagPayload {
    /// The flagged item (pass to `resolveFlag`).
    pub flag_id: Uuid,
    /// Pass as `afterPosition` to read this write (the queue).
    pub position: Position,
    /// `resolveFlag` with HIDE or REMOVE: pass as `afterPosition` to read the content as it
    /// is now (`0` when nothing changed).
    pub content_position: Position,
    pub replayed: bool,
}

#[derive(SimpleObject)]
pub struct GuidelinesPayload {
    pub version: i32,
    pub position: Position,
    pub replayed: bool,
}

#[derive(Default)]
pub struct ModerationQuery;

#[Object]
impl ModerationQuery {
    /// Flagged posts, comments and reviews of one status (OPEN when left out), the most
    /// flagged first, then the oldest. Moderators and admins only.
    async fn moderation_queue(
        &self,
        ctx: &Context<'_>,
        status: Option<FlagStatus>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, FlaggedItem, EmptyFields, EmptyFields>> {
        resolve(async move {
            require_staff(ctx).await?;
            let size = page_size(first)?;
            let cursor = after.as_deref().map(decode_queue_cursor).transpose()?;
            let api = state(ctx);
            if let Some(position) = after_position {
                api.read_your_write(&[NAME], position.0).await?;
            }
            let status = status.unwrap_or_default();
            let mut rows = read::queue(&api.pool, status.as_str(), cursor, size as i64 + 1).await?;
            let has_next = rows.len() > size;
            rows.truncate(size);
            let mut connection = Connection::new(after.is_some(), has_next);
            connection.edges.extend(
                flagged_items(ctx, rows)
                    .await?
                    .into_iter()
                    .map(|item| Edge::new(encode_queue_cursor(&item), item)),
            );
            Ok(connection)
        })
        .await
    }

    /// The community guidelines in force, or one earlier `version`. Open to everyone.
    async fn guidelines(
        &self,
        ctx: &Context<'_>,
        version: Option<i32>,
    ) -> async_graphql::Result<Option<Guidelines>> {
        resolve(async move {
            let current = current_guidelines(ctx).await?;
            let Some(version) = version else {
                return Ok(Some((&current).into()));
            };
            if version < 1 || version as u32 > current.version() {
                return Ok(None);
            }
            // Version n is the state after n - 1 updates.
            let past = wayfarer_commands::store::load_version::<GuidelinesAggregate>(
                &state(ctx).pool,
                None,
                &GUIDELINES_ID.to_string(),
                (version - 1) as u64,
            )
            .await
            .map_err(ApiError::internal)?;
            Ok(Some((&past.aggregate).into()))
        })
        .await
    }
}

/// The flagged content, when the caller may see it.
async fn flaggable(
    ctx: &Context<'_>,
    target_type: wayfarer_schemas::FlagTarget,
    target_id: Uuid,
) -> ApiResult<Option<FlaggedContent>> {
    use wayfarer_schemas::FlagTarget as Target;
    let author = match target_type {
        Target::Post => visible_post_target(ctx, target_id)
            .await?
            .map(|p| p.author_id),
        Target::Comment => visible_comment_target(ctx, target_id)
            .await?
            .map(|c| c.comment.author_id),
        Target::Review => visible_reviews(ctx, &[target_id])
            .await?
            .remove(&target_id)
            .map(|r| r.author_id),
    };
    Ok(author.map(|author_id| FlaggedContent {
        target_type,
        target_id,
        author_id,
    }))
}

/// Hides or deletes the content as a moderator (HIDE, REMOVE); content gone already is left
/// as it is. The position of the change, if there was one.
async fn apply_decision(
    ctx: &Context<'_>,
    content: FlaggedContent,
    action: wayfarer_schemas::ModerationAction,
    reason: Option<String>,
) -> ApiResult<i64> {
    use wayfarer_schemas::FlagTarget as Target;
    use wayfarer_schemas::ModerationAction as Action;
    if !matches!(action, Action::Hide | Action::Remove) {
        return Ok(0);
    }
    let api = state(ctx);
    let invocation = Invocation::new(ctx, None)?;
    let (actor, now) = (invocation.actor, invocation.now);
    let id = content.target_id;
    let done = match (content.target_type, action) {
        (Target::Post, action) => {
            let context = PostContext {
                actor,
                actor_is_moderator: true,
                now,
            };
            let command = if action == Action::Hide {
                PostCommand::Hide { context, reason }
            } else {
                PostCommand::Delete { context }
            };
            invocation.execute(&api.posts, id, command).await
        }
        (Target::Comment, action) => {
            let context = CommentContext {
                actor,
                actor_is_moderator: true,
                now,
            };
            let command = if action == Action::Hide {
                CommentCommand::Hide {
                    context,
                    post_author: actor,
                    reason,
                }
            } else {
                CommentCommand::Delete { context }
            };
            invocation.execute(&api.comments, id, command).await
        }
        (Target::Review, action) => {
            let context = ReviewContext {
                actor,
                actor_is_moderator: true,
                now,
            };
            let command = if action == Action::Hide {
                ReviewCommand::Hide { context, reason }
            } else {
                ReviewCommand::Delete { context }
            };
            invocation.execute(&api.reviews, id, command).await
        }
    };
    match done {
        Ok(outcome) => Ok(outcome.position),
        Err(ApiError::NotFound(_)) => Ok(0),
        Err(error) => Err(error),
    }
}

#[derive(Default)]
pub struct ModerationMutation;

#[Object]
impl ModerationMutation {
    /// Flags a post, comment or review the caller can see, citing a rule of the guidelines in
    /// force: once per person and target, never one's own content.
    async fn flag_content(
        &self,
        ctx: &Context<'_>,
        target_type: FlagTarget,
        target_id: Uuid,
        rule_code: String,
        reason: Option<String>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<FlagPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let target_type: wayfarer_schemas::FlagTarget = target_type.into();
            let content = flaggable(ctx, target_type, target_id)
                .await?
                .ok_or_else(|| {
                    ApiError::NotFound(format!("{} not found", target_type.as_str().to_lowercase()))
                })?;
            let guidelines = current_guidelines(ctx).await?;
            if guidelines.rule(&rule_code).is_none() {
                return Err(ApiError::Validation(format!(
                    "{rule_code} is not a rule of the guidelines (see `guidelines`)"
                )));
            }
            let flag_id = case_id(target_type, target_id);
            let command = CaseCommand::Flag {
                context: CaseContext {
                    actor: invocation.actor,
                    actor_is_moderator: false,
                    actor_is_admin: false,
                    now: invocation.now,
                },
                content,
                rule_code,
                guidelines_version: guidelines.version(),
                reason,
            };
            let outcome = invocation
                .execute(&state(ctx).moderation, flag_id, command)
                .await?;
            Ok(FlagPayload {
                flag_id,
                position: Position(outcome.position),
                content_position: Position(0),
                replayed: outcome.replayed,
            })
        })
        .await
    }

    /// Decides a flagged item's open flags: DISMISS, HIDE (only its author still sees it,
    /// with the note as the reason), REMOVE (deleted), or ESCALATE to the admins, who then
    /// decide. Moderators and admins; escalated items admins only.
    async fn resolve_flag(
        &self,
        ctx: &Context<'_>,
        flag_id: Uuid,
        action: ModerationAction,
        note: Option<String>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<FlagPayload> {
        resolve(async move {
            let viewer = require_staff(ctx).await?;
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let case = state(ctx)
                .moderation
                .stored_state(&flag_id.to_string())
                .await
                .map_err(ApiError::internal)?;
            let content = case
                .content()
                .ok_or_else(|| ApiError::NotFound("no such flagged item".into()))?;
            let action: wayfarer_schemas::ModerationAction = action.into();
            let context = CaseContext {
                actor: invocation.actor,
                actor_is_moderator: viewer.is_staff(),
                actor_is_admin: viewer.role == Role::Admin,
                now: invocation.now,
            };
            // Refused before anything is hidden: the decision is checked first.
            let command = CaseCommand::Resolve {
                context,
                action,
                note: note.clone(),
            };
            {
                use wayfarer_domain::Aggregate;
                case.decide(command.clone())
                    .map_err(wayfarer_commands::CommandError::Rejected)
                    .map_err(ApiError::from)?;
            }
            let content_position = apply_decision(ctx, content, action, note).await?;
            let outcome = invocation
                .execute(&state(ctx).moderation, flag_id, command)
                .await?;
            Ok(FlagPayload {
                flag_id,
                position: Position(outcome.position),
                content_position: Position(content_position),
                replayed: outcome.replayed,
            })
        })
        .await
    }

    /// Publishes the next version of the community guidelines, whole. Admins only.
    async fn update_guidelines(
        &self,
        ctx: &Context<'_>,
        rules: Vec<RuleInput>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<GuidelinesPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let viewer = Viewer::of(&state(ctx).pool, Some(invocation.actor)).await?;
            let command = GuidelinesCommand::Update {
                actor: invocation.actor,
                actor_is_admin: viewer.role == Role::Admin,
                now: invocation.now,
                rules: rules
                    .into_iter()
                    .map(|rule| GuidelineRule {
                        code: rule.code,
                        title: rule.title,
                        description: rule.description,
                    })
                    .collect(),
            };
            let outcome = invocation
                .execute(&state(ctx).guidelines, GUIDELINES_ID, command)
                .await?;
            let version = current_guidelines(ctx).await?.version() as i32;
            Ok(GuidelinesPayload {
                version,
                position: Position(outcome.position),
                replayed: outcome.replayed,
            })
        })
        .await
    }
}
