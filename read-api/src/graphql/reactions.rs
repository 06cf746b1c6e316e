//! Reactions (LIKE, LOVE, HAHA, WOW, SAD, ANGRY) on posts, comments and itineraries:
//! `addReaction`, `removeReaction`, `reactions` (counts per type and the caller's own), and
//! the same summary on every post and comment.

use std::collections::HashMap;

use async_graphql::{Context, Enum, Object, SimpleObject};
use uuid::Uuid;
use wayfarer_domain::ReactionCommand;
use wayfarer_projections::post::read;
use wayfarer_projections::post::NAME;
use wayfarer_schemas::reaction_id;

use super::context::{caller, state};
use super::posts::{visible_comment_target, visible_post_target};
use super::query::read_itinerary;
use super::resolve::{resolve, Invocation};
use super::types::Position;
use crate::error::{ApiError, ApiResult};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::ReactionType")]
pub enum ReactionType {
    Like,
    Love,
    Haha,
    Wow,
    Sad,
    Angry,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::ReactionTarget")]
pub enum ReactionTarget {
    Post,
    Comment,
    Itinerary,
}

/// How many people reacted with one type.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReactionCount {
    pub reaction: ReactionType,
    pub count: i32,
}

/// A target's reactions.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct ReactionSummary {
    pub total: i32,
    /// Each type someone reacted with, with its count.
    pub counts: Vec<ReactionCount>,
    /// The caller's own reaction (`null` when none, or signed out).
    pub mine: Option<ReactionType>,
}

fn parse_reaction(text: &str) -> Option<ReactionType> {
    wayfarer_schemas::ReactionType::ALL
        .into_iter()
        .find(|r| r.as_str() == text)
        .map(Into::into)
}

/// The reaction summaries of `targets` (all of one type), each (none: zero).
pub async fn summaries(
    ctx: &Context<'_>,
    target_type: wayfarer_schemas::ReactionTarget,
    targets: &[Uuid],
) -> ApiResult<HashMap<Uuid, ReactionSummary>> {
    let api = state(ctx);
    let kind = target_type.as_str();
    let mut summaries: HashMap<Uuid, ReactionSummary> = targets
        .iter()
        .map(|id| (*id, ReactionSummary::default()))
        .collect();
    for row in read::reaction_counts(&api.pool, kind, targets).await? {
        let (Some(summary), Some(reaction)) = (
            summaries.get_mut(&row.target_id),
            parse_reaction(&row.reaction),
        ) else {
            continue;
        };
        summary.total += row.count;
        summary.counts.push(ReactionCount {
            reaction,
            count: row.count,
        });
    }
    if let Some(me) = caller(ctx) {
        for own in read::reactions_of(&api.pool, me, kind, targets).await? {
            if let Some(summary) = summaries.get_mut(&own.target_id) {
                summary.mine = parse_reaction(&own.reaction);
            }
        }
    }
    Ok(summaries)
}

/// Whose the target is, when the caller may see it (hidden looks missing).
async fn visible_owner(
    ctx: &Context<'_>,
    target_type: wayfarer_schemas::ReactionTarget,
    target_id: Uuid,
) -> ApiResult<Option<Uuid>> {
    use wayfarer_schemas::ReactionTarget as Target;
    Ok(match target_type {
        Target::Post => visible_post_target(ctx, target_id)
            .await?
            .map(|post| post.author_id),
        Target::Comment => visible_comment_target(ctx, target_id)
            .await?
            .map(|target| target.comment.author_id),
        Target::Itinerary => read_itinerary(ctx, target_id, None)
            .await?
            .map(|itinerary| itinerary.0.owner_id),
    })
}

fn missing(target_type: wayfarer_schemas::ReactionTarget) -> ApiError {
    ApiError::NotFound(format!("{} not found", target_type.as_str().to_lowercase()))
}

/// What a reaction mutation wrote.
#[derive(SimpleObject)]
pub struct ReactionPayload {
    /// Pass as `afterPosition` to read this write (`0` when nothing changed).
    pub position: Position,
    pub replayed: bool,
}

#[derive(Default)]
pub struct ReactionQuery;

#[Object]
impl ReactionQuery {
    /// A post's, comment's or itinerary's reactions; `null` when the caller cannot see it.
    async fn reactions(
        &self,
        ctx: &Context<'_>,
        target_type: ReactionTarget,
        target_id: Uuid,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Option<ReactionSummary>> {
        resolve(async move {
            let api = state(ctx);
            if let Some(position) = after_position {
                api.read_your_write(&[NAME], position.0).await?;
            }
            let target_type = target_type.into();
            if visible_owner(ctx, target_type, target_id).await?.is_none() {
                return Ok(None);
            }
            Ok(summaries(ctx, target_type, &[target_id])
                .await?
                .remove(&target_id))
        })
        .await
    }
}

#[derive(Default)]
pub struct ReactionMutation;

#[Object]
impl ReactionMutation {
    /// Reacts to a post, comment or itinerary the caller can see: one reaction per person and
    /// target, so another type replaces the caller's earlier one, and the same type again
    /// changes nothing.
    async fn add_reaction(
        &self,
        ctx: &Context<'_>,
        target_type: ReactionTarget,
        target_id: Uuid,
        reaction: ReactionType,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ReactionPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let target_type: wayfarer_schemas::ReactionTarget = target_type.into();
            let target_owner_id = visible_owner(ctx, target_type, target_id)
                .await?
                .ok_or_else(|| missing(target_type))?;
            let id = reaction_id(target_type, target_id, invocation.actor);
            let command = ReactionCommand::Add {
                actor: invocation.actor,
                now: invocation.now,
                target_type,
                target_id,
                target_owner_id,
                reaction: reaction.into(),
            };
            let outcome = invocation
                .execute(&state(ctx).reactions, id, command)
                .await?;
            Ok(ReactionPayload {
                position: Position(outcome.position),
                replayed: outcome.replayed,
            })
        })
        .await
    }

    /// Takes back the caller's reaction (`NOT_FOUND` when there is none).
    async fn remove_reaction(
        &self,
        ctx: &Context<'_>,
        target_type: ReactionTarget,
        target_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ReactionPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let target_type: wayfarer_schemas::ReactionTarget = target_type.into();
            if visible_owner(ctx, target_type, target_id).await?.is_none() {
                return Err(missing(target_type));
            }
            let id = reaction_id(target_type, target_id, invocation.actor);
            let command = ReactionCommand::Remove {
                actor: invocation.actor,
                now: invocation.now,
            };
            let outcome = invocation
                .execute(&state(ctx).reactions, id, command)
                .await?;
            Ok(ReactionPayload {
                position: Position(outcome.position),
                replayed: outcome.replayed,
            })
        })
        .await
    }
}
