//! Version history of an itinerary, read from the log: each change with who, when and what
//! (`itineraryHistory`), the itinerary as it was at any instant (`itineraryAsOf`), and
//! bringing an earlier version back as new events (`restoreItineraryVersion`).
//!
//! Only its members (the owner, collaborators, invitees) see an itinerary's past: a public
//! itinerary may have been private before, and its history names who collaborates.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use wayfarer_domain::itinerary::ItineraryCommand;
use wayfarer_domain::Itinerary as ItineraryAggregate;
use wayfarer_projections::itinerary::{ChangeView, ItineraryView};
use wayfarer_projections::store;
use wayfarer_schemas::itinerary::AGGREGATE_TYPE;

use super::context::{caller, state};
use super::mutation::{run, ItineraryPayload};
use super::paging::{decode_position, page_size, position_cursor};
use super::query::read_itinerary;
use super::resolve::{resolve, Invocation};
use super::types::{Itinerary, ItineraryChange};
use crate::error::{ApiError, ApiResult};

/// Whether the caller belongs to an itinerary they may read now.
async fn is_member(ctx: &Context<'_>, id: Uuid) -> ApiResult<bool> {
    Ok(match read_itinerary(ctx, id, None).await? {
        Some(itinerary) => itinerary.0.membership(caller(ctx)).is_member(),
        None => false,
    })
}

/// The stream's events as envelopes, in order.
async fn stream(
    ctx: &Context<'_>,
    id: Uuid,
) -> ApiResult<Vec<wayfarer_projections::event::ItineraryEnvelope>> {
    let raw = store::read_streams(&state(ctx).pool, AGGREGATE_TYPE, &[id]).await?;
    raw.iter()
        .map(|event| event.itinerary_envelope().map_err(ApiError::internal))
        .collect()
}

#[derive(Default)]
pub struct HistoryQuery;

#[Object]
impl HistoryQuery {
    /// Every change to an itinerary, newest first: who made it, when, and what it was. The
    /// cursor is a version; `null` for anyone but the itinerary's members.
    async fn itinerary_history(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Option<Connection<String, ItineraryChange, EmptyFields, EmptyFields>>>
    {
        resolve(async move {
            let size = page_size(first)?;
            let before = after.as_deref().map(decode_position).transpose()?;
            if !is_member(ctx, id).await? {
                return Ok(None);
            }
            // Each description needs the view just before its change: fold from the start.
            let mut changes: Vec<ChangeView> = Vec::new();
            let mut view: Option<ItineraryView> = None;
            for envelope in stream(ctx, id).await? {
                changes.push(ChangeView::of(view.as_ref(), &envelope));
                match view.as_mut() {
                    None => view = ItineraryView::start(&envelope),
                    Some(existing) => {
                        existing.apply(&envelope);
                    }
                }
            }
            let newer_first = changes
                .iter()
                .rev()
                .filter(|change| before.is_none_or(|b| (change.version as i64) < b));
            let page: Vec<&ChangeView> = newer_first.take(size + 1).collect();
            let has_next = page.len() > size;
            let mut connection = Connection::new(before.is_some(), has_next);
            connection.edges.extend(
                page.into_iter()
                    .take(size)
                    .map(|change| Edge::new(position_cursor(change.version as i64), change.into())),
            );
            Ok(Some(connection))
        })
        .await
    }

    /// The itinerary as it was at `at` (every change recorded by then), or `null` if it did
    /// not exist yet or the caller is not one of its members.
    async fn itinerary_as_of(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> async_graphql::Result<Option<Itinerary>> {
        resolve(async move {
            if !is_member(ctx, id).await? {
                return Ok(None);
            }
            let raw = store::read_streams(&state(ctx).pool, AGGREGATE_TYPE, &[id]).await?;
            let envelopes = raw
                .iter()
                .filter(|event| event.recorded_at <= at)
                .map(|event| event.itinerary_envelope().map_err(ApiError::internal))
                .collect::<ApiResult<Vec<_>>>()?;
            Ok(ItineraryView::fold(&envelopes).map(Itinerary))
        })
        .await
    }
}

#[derive(Default)]
pub struct HistoryMutation;

#[Object]
impl HistoryMutation {
    /// Brings back the content of an earlier version (details but the visibility, the items
    /// and their order) as new events after a "restored version N" marker; nothing is
    /// rewritten. The status, collaborators and comments stay as they are. The owner and EDIT
    /// collaborators.
    async fn restore_itinerary_version(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        version: u64,
        expected_version: Option<u64>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let api = state(ctx);
            let past = wayfarer_commands::store::load_version::<ItineraryAggregate>(
                &api.pool,
                None,
                &id.to_string(),
                version,
            )
            .await
            .map_err(ApiError::internal)?;
            run(ctx, invocation, id, None, expected_version, |context| {
                ItineraryCommand::RestoreVersion {
                    context,
                    version,
                    past: Box::new(past.aggregate),
                }
            })
            .await
        })
        .await
    }
}
