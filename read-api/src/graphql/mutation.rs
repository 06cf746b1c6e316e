//! Itinerary mutations: each one authenticates, turns its input into a domain command, and
//! returns the position it wrote so the client can read its own write. Every one accepts an
//! optional `idempotencyKey`: the same key with the same input returns the original result.

use async_graphql::{Context, Object, SimpleObject};
use uuid::Uuid;
use wayfarer_commands::CommandOutcome;
use wayfarer_domain::itinerary::{CommandContext, ItineraryCommand};

use super::context::state;
use super::inputs::{
    CreateItineraryInput, CreateItineraryItemInput, UpdateItineraryInput, UpdateItineraryItemInput,
};
use super::query::{owner_shares_with, read_itinerary};
use super::resolve::{resolve, Invocation};
use super::types::{Itinerary, Position};
use crate::error::{ApiError, ApiResult};
use wayfarer_projections::itinerary::pg;

#[derive(Default)]
pub struct ItineraryMutation;

/// What an itinerary mutation wrote.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ItineraryPayload {
    pub itinerary_id: Uuid,
    /// The item the mutation created or changed, if any.
    pub item_id: Option<Uuid>,
    /// The comment the mutation created or changed, if any.
    pub comment_id: Option<Uuid>,
    /// The expense the mutation created or changed, if any.
    pub expense_id: Option<Uuid>,
    /// Pass as `after` to a query to read this write.
    pub position: Position,
    /// The itinerary's version after this mutation.
    pub version: u64,
    /// True when this answers a repeated request (same idempotency key and input): nothing
    /// new was stored.
    pub replayed: bool,
}

#[async_graphql::ComplexObject]
impl ItineraryPayload {
    /// The itinerary as of this write (waits briefly for the read model to catch up).
    async fn itinerary(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Itinerary>> {
        resolve(read_itinerary(ctx, self.itinerary_id, Some(self.position))).await
    }
}

impl ItineraryPayload {
    pub(super) fn new(itinerary_id: Uuid, item_id: Option<Uuid>, outcome: CommandOutcome) -> Self {
        Self {
            itinerary_id,
            item_id,
            comment_id: None,
            expense_id: None,
            position: Position(outcome.position),
            version: outcome.version,
            replayed: outcome.replayed,
        }
    }
}

/// The error for a command the domain called forbidden on `itinerary_id`: forbidden, unless
/// the owner does not share with the caller (privacy, ban, deletion), who must then find the
/// itinerary missing, as reads do. (The domain only says "forbidden" of a public itinerary
/// that exists: if the model does not show it yet, it is simply behind.)
pub(super) async fn forbidden_or_missing(
    api: &crate::state::ApiState,
    itinerary_id: Uuid,
    actor: Uuid,
    reason: String,
) -> ApiResult<ApiError> {
    let hidden = match pg::access_of(&api.pool, itinerary_id).await? {
        Some(access) if !access.membership(Some(actor)).is_member() => {
            !owner_shares_with(api, access.owner_id, Some(actor)).await?
        }
        _ => false,
    };
    Ok(if hidden {
        ApiError::NotFound("itinerary not found".to_owned())
    } else {
        ApiError::Forbidden(reason)
    })
}

/// Runs one itinerary command for the caller.
pub(super) async fn run(
    ctx: &Context<'_>,
    invocation: Invocation,
    itinerary_id: Uuid,
    item_id: Option<Uuid>,
    expected_version: Option<u64>,
    build: impl FnOnce(CommandContext) -> ItineraryCommand,
) -> ApiResult<ItineraryPayload> {
    let actor = invocation.actor;
    let context = CommandContext {
        actor,
        now: invocation.now,
        expected_version,
    };
    let api = state(ctx);
    let outcome = match invocation
        .execute(&api.itineraries, itinerary_id, build(context))
        .await
    {
        // A stranger is told "forbidden" about a public itinerary; one whose owner no longer
        // shares with them (privacy, ban, deletion) must find it missing, as reads do.
        Err(ApiError::Forbidden(reason)) => {
            return Err(forbidden_or_missing(api, itinerary_id, actor, reason).await?)
        }
        other => other?,
    };
    Ok(ItineraryPayload::new(itinerary_id, item_id, outcome))
}

/// Runs one itinerary command that creates nothing and pins no version, as a resolver.
pub(super) async fn command(
    ctx: &Context<'_>,
    itinerary_id: Uuid,
    idempotency_key: Option<Uuid>,
    build: impl FnOnce(CommandContext) -> ItineraryCommand,
) -> async_graphql::Result<ItineraryPayload> {
    resolve(async move {
        let invocation = Invocation::new(ctx, idempotency_key)?;
        run(ctx, invocation, itinerary_id, None, None, build).await
    })
    .await
}

#[Object]
impl ItineraryMutation {
    async fn create_itinerary(
        &self,
        ctx: &Context<'_>,
        input: CreateItineraryInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let itinerary_id = invocation.mint_id("itinerary");
            run(ctx, invocation, itinerary_id, None, None, |context| {
                ItineraryCommand::Create {
                    context,
                    itinerary_id,
                    details: input.into(),
                }
            })
            .await
        })
        .await
    }

    async fn update_itinerary(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateItineraryInput,
        expected_version: Option<u64>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            run(ctx, invocation, id, None, expected_version, |context| {
                ItineraryCommand::Update {
                    context,
                    details: input.into(),
                }
            })
            .await
        })
        .await
    }

    async fn delete_itinerary(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<u64>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            run(ctx, invocation, id, None, expected_version, |context| {
                ItineraryCommand::Delete { context }
            })
            .await
        })
        .await
    }

    async fn add_itinerary_item(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        input: CreateItineraryItemInput,
        expected_version: Option<u64>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let item_id = invocation.mint_id("item");
            run(
                ctx,
                invocation,
                itinerary_id,
                Some(item_id),
                expected_version,
                |context| ItineraryCommand::AddItem {
                    context,
                    item_id,
                    details: input.into(),
                },
            )
            .await
        })
        .await
    }

    async fn update_itinerary_item(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        item_id: Uuid,
        input: UpdateItineraryItemInput,
        expected_version: Option<u64>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            run(
                ctx,
                invocation,
                itinerary_id,
                Some(item_id),
                expected_version,
                |context| ItineraryCommand::UpdateItem {
                    context,
                    item_id,
                    details: input.into(),
                },
            )
            .await
        })
        .await
    }

    async fn delete_itinerary_item(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        item_id: Uuid,
        expected_version: Option<u64>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            run(
                ctx,
                invocation,
                itinerary_id,
                Some(item_id),
                expected_version,
                |context| ItineraryCommand::DeleteItem { context, item_id },
            )
            .await
        })
        .await
    }

    /// `itemIds` must be exactly the itinerary's current items, in the new order.
    async fn reorder_itinerary_items(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        #[graphql(validator(max_items = 500))] item_ids: Vec<Uuid>,
        expected_version: Option<u64>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            run(
                ctx,
                invocation,
                itinerary_id,
                None,
                expected_version,
                |context| ItineraryCommand::ReorderItems { context, item_ids },
            )
            .await
        })
        .await
    }
}
