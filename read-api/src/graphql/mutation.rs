//! Mutations: each one authenticates, turns its input into a domain command, and returns the
//! position it wrote so the client can read its own write.

use async_graphql::{Context, Object, SimpleObject};
use chrono::Utc;
use uuid::Uuid;
use wayfarer_domain::itinerary::{CommandContext, ItineraryCommand};
use wayfarer_schemas::EventMetadata;

use super::context::{correlation_id, require_caller, state};
use super::inputs::{
    CreateItineraryInput, CreateItineraryItemInput, UpdateItineraryInput, UpdateItineraryItemInput,
};
use super::query::read_itinerary;
use super::types::{AuthPayload, Itinerary, Position};
use crate::auth::accounts::{self, Registration};
use crate::error::{ApiResult, IntoGraphql};

pub struct MutationRoot;

/// What an itinerary mutation wrote.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ItineraryPayload {
    pub itinerary_id: Uuid,
    /// The item the mutation created or changed, if any.
    pub item_id: Option<Uuid>,
    /// Pass as `after` to a query to read this write.
    pub position: Position,
    /// The itinerary's version after this mutation.
    pub version: u64,
}

#[async_graphql::ComplexObject]
impl ItineraryPayload {
    /// The itinerary as of this write (waits briefly for the read model to catch up).
    async fn itinerary(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Itinerary>> {
        let result: ApiResult<Option<Itinerary>> =
            async move { read_itinerary(ctx, self.itinerary_id, Some(self.position)).await }.await;
        result.gql()
    }
}

async fn run(
    ctx: &Context<'_>,
    itinerary_id: Uuid,
    item_id: Option<Uuid>,
    build: impl FnOnce(CommandContext) -> ItineraryCommand,
    expected_version: Option<u64>,
) -> ApiResult<ItineraryPayload> {
    let actor = require_caller(ctx)?;
    let api = state(ctx);
    let command_id = Uuid::now_v7();
    let metadata = EventMetadata {
        actor: Some(actor),
        command_id,
        correlation_id: correlation_id(ctx),
        causation_id: command_id,
    };
    let context = CommandContext {
        actor,
        now: Utc::now(),
        expected_version,
    };
    let outcome = api
        .commands
        .execute(itinerary_id, build(context), &metadata)
        .await?;
    Ok(ItineraryPayload {
        itinerary_id,
        item_id,
        position: Position(outcome.position),
        version: outcome.version,
    })
}

#[Object]
impl MutationRoot {
    /// Creates an account and signs it in.
    async fn register(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        user_name: String,
    ) -> async_graphql::Result<AuthPayload> {
        let result: ApiResult<AuthPayload> = async move {
            let api = state(ctx);
            let registration = Registration::parse(&email, &password, &user_name)?;
            Ok(
                accounts::register(&api.pool, &api.keys, &api.settings, registration)
                    .await?
                    .into(),
            )
        }
        .await;
        result.gql()
    }

    /// Signs in with email and password.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> async_graphql::Result<AuthPayload> {
        let result: ApiResult<AuthPayload> = async move {
            let api = state(ctx);
            Ok(
                accounts::login(&api.pool, &api.keys, &api.settings, &email, &password)
                    .await?
                    .into(),
            )
        }
        .await;
        result.gql()
    }

    /// Exchanges a refresh token for a new access and refresh token (the old one is spent).
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        let result: ApiResult<AuthPayload> = async move {
            let api = state(ctx);
            Ok(
                accounts::refresh(&api.pool, &api.keys, &api.settings, &refresh_token)
                    .await?
                    .into(),
            )
        }
        .await;
        result.gql()
    }

    async fn create_itinerary(
        &self,
        ctx: &Context<'_>,
        input: CreateItineraryInput,
    ) -> async_graphql::Result<ItineraryPayload> {
        let result: ApiResult<ItineraryPayload> = async move {
            let itinerary_id = Uuid::now_v7();
            run(
                ctx,
                itinerary_id,
                None,
                |context| ItineraryCommand::Create {
                    context,
                    itinerary_id,
                    details: input.into(),
                },
                None,
            )
            .await
        }
        .await;
        result.gql()
    }

    async fn update_itinerary(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: UpdateItineraryInput,
        expected_version: Option<u64>,
    ) -> async_graphql::Result<ItineraryPayload> {
        let result: ApiResult<ItineraryPayload> = async move {
            run(
                ctx,
                id,
                None,
                |context| ItineraryCommand::Update {
                    context,
                    details: input.into(),
                },
                expected_version,
            )
            .await
        }
        .await;
        result.gql()
    }

    async fn delete_itinerary(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<u64>,
    ) -> async_graphql::Result<ItineraryPayload> {
        let result: ApiResult<ItineraryPayload> = async move {
            run(
                ctx,
                id,
                None,
                |context| ItineraryCommand::Delete { context },
                expected_version,
            )
            .await
        }
        .await;
        result.gql()
    }

    async fn add_itinerary_item(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        input: CreateItineraryItemInput,
        expected_version: Option<u64>,
    ) -> async_graphql::Result<ItineraryPayload> {
        let result: ApiResult<ItineraryPayload> = async move {
            let item_id = Uuid::now_v7();
            run(
                ctx,
                itinerary_id,
                Some(item_id),
                |context| ItineraryCommand::AddItem {
                    context,
                    item_id,
                    details: input.into(),
                },
                expected_version,
            )
            .await
        }
        .await;
        result.gql()
    }

    async fn update_itinerary_item(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        item_id: Uuid,
        input: UpdateItineraryItemInput,
        expected_version: Option<u64>,
    ) -> async_graphql::Result<ItineraryPayload> {
        let result: ApiResult<ItineraryPayload> = async move {
            run(
                ctx,
                itinerary_id,
                Some(item_id),
                |context| ItineraryCommand::UpdateItem {
                    context,
                    item_id,
                    details: input.into(),
                },
                expected_version,
            )
            .await
        }
        .await;
        result.gql()
    }

    async fn delete_itinerary_item(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        item_id: Uuid,
        expected_version: Option<u64>,
    ) -> async_graphql::Result<ItineraryPayload> {
        let result: ApiResult<ItineraryPayload> = async move {
            run(
                ctx,
                itinerary_id,
                Some(item_id),
                |context| ItineraryCommand::DeleteItem { context, item_id },
                expected_version,
            )
            .await
        }
        .await;
        result.gql()
    }

    /// `itemIds` must be exactly the itinerary's current items, in the new order.
    async fn reorder_itinerary_items(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        item_ids: Vec<Uuid>,
        expected_version: Option<u64>,
    ) -> async_graphql::Result<ItineraryPayload> {
        let result: ApiResult<ItineraryPayload> = async move {
            run(
                ctx,
                itinerary_id,
                None,
                |context| ItineraryCommand::ReorderItems { context, item_ids },
                expected_version,
            )
            .await
        }
        .await;
        result.gql()
    }
}
