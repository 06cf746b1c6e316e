//! Working on an itinerary together: its status, collaborators and invitations, ownership,
//! and comments on items. Every mutation is an itinerary command (the aggregate checks the
//! caller's standing); every query shows only what the caller may read.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use wayfarer_domain::itinerary::ItineraryCommand;
use wayfarer_projections::itinerary::{comments, pg};

use super::context::{require_caller, state};
use super::mutation::{command, run, ItineraryPayload};
use super::paging::{decode_cursor, decode_position, encode_cursor, page_size, position_cursor};
use super::query::read_itinerary;
use super::resolve::{resolve, Invocation};
use super::types::{AccessLevel, Collaborator, Itinerary, ItineraryStatus, Position};
use crate::error::{ApiError, ApiResult};
use crate::state::ApiState;

/// Refuses a person who cannot be invited: unknown, closed or banned all look missing.
async fn require_person(api: &ApiState, user_id: Uuid) -> ApiResult<()> {
    let missing = || ApiError::NotFound(format!("user {user_id} not found"));
    let known: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts WHERE user_id = $1)")
            .bind(user_id)
            .fetch_one(&api.pool)
            .await?;
    if !known {
        return Err(missing());
    }
    match wayfarer_projections::user::read::standing(&api.pool, user_id).await? {
        Some(standing) if standing.deleted || standing.banned => Err(missing()),
        _ => Ok(()),
    }
}

#[derive(Default)]
pub struct CollaborationMutation;

#[Object]
impl CollaborationMutation {
    /// Moves the itinerary along DRAFT ⇄ PLANNED → ONGOING → COMPLETED, or to CANCELLED (and
    /// from there back to DRAFT). The owner and EDIT collaborators.
    async fn change_itinerary_status(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        status: ItineraryStatus,
        expected_version: Option<u64>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            run(ctx, invocation, id, None, expected_version, |context| {
                ItineraryCommand::ChangeStatus {
                    context,
                    status: status.into(),
                }
            })
            .await
        })
        .await
    }

    /// Invites someone to collaborate at `accessLevel`; they collaborate once they accept.
    /// The owner only.
    async fn invite_collaborator(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        user_id: Uuid,
        access_level: AccessLevel,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            require_person(state(ctx), user_id).await?;
            run(ctx, invocation, itinerary_id, None, None, |context| {
                ItineraryCommand::InviteCollaborator {
                    context,
                    user_id,
                    access_level: access_level.into(),
                }
            })
            .await
        })
        .await
    }

    /// VIEW invitations for everyone named who is not a collaborator or invited yet. The
    /// owner only.
    async fn share_itinerary(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        #[graphql(validator(max_items = 100))] user_ids: Vec<Uuid>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            for user_id in &user_ids {
                require_person(state(ctx), *user_id).await?;
            }
            run(ctx, invocation, itinerary_id, None, None, |context| {
                ItineraryCommand::ShareItinerary { context, user_ids }
            })
            .await
        })
        .await
    }

    /// Accepts the caller's pending invitation.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        command(ctx, itinerary_id, idempotency_key, |context| {
            ItineraryCommand::AcceptInvitation { context }
        })
        .await
    }

    /// Declines the caller's pending invitation.
    async fn decline_invitation(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        command(ctx, itinerary_id, idempotency_key, |context| {
            ItineraryCommand::DeclineInvitation { context }
        })
        .await
    }

    /// Changes a collaborator's (or a pending invitation's) level. The owner only.
    async fn update_collaborator_access(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        user_id: Uuid,
        access_level: AccessLevel,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        command(ctx, itinerary_id, idempotency_key, |context| {
            ItineraryCommand::UpdateCollaboratorAccess {
                context,
                user_id,
                access_level: access_level.into(),
            }
        })
        .await
    }

    /// Removes a collaborator or withdraws an invitation. The owner only.
    async fn remove_collaborator(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        user_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        command(ctx, itinerary_id, idempotency_key, |context| {
            ItineraryCommand::RemoveCollaborator { context, user_id }
        })
        .await
    }

    /// The caller stops collaborating (the owner transfers ownership first).
    async fn leave_itinerary(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        command(ctx, itinerary_id, idempotency_key, |context| {
            ItineraryCommand::LeaveItinerary { context }
        })
        .await
    }

    /// Hands the itinerary to an accepted collaborator; the caller stays on as an EDIT
    /// collaborator. The owner only.
    async fn transfer_ownership(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        new_owner_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            require_person(state(ctx), new_owner_id).await?;
            run(ctx, invocation, itinerary_id, None, None, |context| {
                ItineraryCommand::TransferOwnership {
                    context,
                    new_owner_id,
                }
            })
            .await
        })
        .await
    }

    /// Comments on an item, or replies to a comment on it (`parentCommentId`). The owner,
    /// EDIT and COMMENT collaborators. The payload's `commentId` names the new comment.
    async fn add_item_comment(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        item_id: Uuid,
        text: String,
        parent_comment_id: Option<Uuid>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let comment_id = invocation.mint_id("comment");
            let mut payload = run(
                ctx,
                invocation,
                itinerary_id,
                Some(item_id),
                None,
                |context| ItineraryCommand::AddItemComment {
                    context,
                    comment_id,
                    item_id,
                    parent_comment_id,
                    text,
                },
            )
            .await?;
            payload.comment_id = Some(comment_id);
            Ok(payload)
        })
        .await
    }

    /// Changes a comment's text. Its author only.
    async fn update_item_comment(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        comment_id: Uuid,
        text: String,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        let mut payload = command(ctx, itinerary_id, idempotency_key, |context| {
            ItineraryCommand::EditItemComment {
                context,
                comment_id,
                text,
            }
        })
        .await?;
        payload.comment_id = Some(comment_id);
        Ok(payload)
    }

    /// Deletes a comment (its replies stay, under "deleted"). Its author or the owner.
    async fn delete_item_comment(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        comment_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        let mut payload = command(ctx, itinerary_id, idempotency_key, |context| {
            ItineraryCommand::DeleteItemComment {
                context,
                comment_id,
            }
        })
        .await?;
        payload.comment_id = Some(comment_id);
        Ok(payload)
    }
}

/// A comment on an item.
#[derive(SimpleObject)]
pub struct ItemComment {
    pub id: Uuid,
    pub item_id: Uuid,
    /// The comment this one replies to.
    pub parent_comment_id: Option<Uuid>,
    pub author_id: Uuid,
    /// `null` once deleted.
    pub text: Option<String>,
    pub deleted: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
}

impl From<comments::CommentRow> for ItemComment {
    fn from(row: comments::CommentRow) -> Self {
        Self {
            id: row.comment_id,
            item_id: row.item_id,
            parent_comment_id: row.parent_comment_id,
            author_id: row.author_id,
            text: (!row.deleted).then_some(row.text),
            deleted: row.deleted,
            created_at: row.created_at,
            edited_at: row.edited_at,
        }
    }
}

#[derive(Default)]
pub struct CollaborationQuery;

#[Object]
impl CollaborationQuery {
    /// The collaborators and pending invitees of an itinerary the caller belongs to (the
    /// seed's `getCollaborators`); `null` for anyone else, as for a missing itinerary.
    async fn collaborators(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        after: Option<Position>,
    ) -> async_graphql::Result<Option<Vec<Collaborator>>> {
        resolve(async move {
            let viewer = require_caller(ctx)?;
            let Some(itinerary) = read_itinerary(ctx, itinerary_id, after).await? else {
                return Ok(None);
            };
            if !itinerary.0.membership(Some(viewer)).is_member() {
                return Ok(None);
            }
            Ok(Some(
                itinerary.0.collaborators.iter().map(Into::into).collect(),
            ))
        })
        .await
    }

    /// Itineraries the caller collaborates on (not their own), most recently changed first.
    async fn shared_itineraries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, Itinerary, EmptyFields, EmptyFields>> {
        resolve(member_page(ctx, true, first, after, after_position)).await
    }

    /// Itineraries the caller is invited to and has not answered, most recent first.
    async fn my_invitations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, Itinerary, EmptyFields, EmptyFields>> {
        resolve(member_page(ctx, false, first, after, after_position)).await
    }

    /// The comments on one item of an itinerary the caller may read, in the order they were
    /// made (replies name their parent), or `null` as for a missing itinerary.
    async fn item_comments(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        item_id: Uuid,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Option<Connection<String, ItemComment, EmptyFields, EmptyFields>>>
    {
        resolve(async move {
            let api = state(ctx);
            let size = page_size(first)?;
            let cursor = after.as_deref().map(decode_position).transpose()?;
            if let Some(position) = after_position {
                api.read_your_write(&[comments::NAME], position.0).await?;
            }
            let Some(itinerary) = read_itinerary(ctx, itinerary_id, after_position).await? else {
                return Ok(None);
            };
            if !itinerary.0.items.iter().any(|item| item.id == item_id) {
                return Ok(None);
            }
            let mut rows =
                comments::page_for_item(&api.pool, itinerary_id, item_id, cursor, size as i64 + 1)
                    .await?;
            let has_next = rows.len() > size;
            rows.truncate(size);
            let mut connection = Connection::new(cursor.is_some(), has_next);
            connection.edges.extend(
                rows.into_iter()
                    .map(|row| Edge::new(position_cursor(row.position), row.into())),
            );
            Ok(Some(connection))
        })
        .await
    }
}

async fn member_page(
    ctx: &Context<'_>,
    accepted: bool,
    first: Option<i32>,
    after: Option<String>,
    after_position: Option<Position>,
) -> ApiResult<Connection<String, Itinerary, EmptyFields, EmptyFields>> {
    let user = require_caller(ctx)?;
    let api = state(ctx);
    let size = page_size(first)?;
    let cursor = after.as_deref().map(decode_cursor).transpose()?;
    if let Some(position) = after_position {
        api.read_your_write(&[pg::NAME], position.0).await?;
    }
    let mut views =
        pg::page_by_collaborator(&api.pool, user, accepted, cursor, size as i64 + 1).await?;
    let has_next = views.len() > size;
    views.truncate(size);
    let mut connection = Connection::new(cursor.is_some(), has_next);
    connection.edges.extend(
        views
            .into_iter()
            .map(|view| Edge::new(encode_cursor(view.updated_at, view.id), Itinerary(view))),
    );
    Ok(connection)
}
