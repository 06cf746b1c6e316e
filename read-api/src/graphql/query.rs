//! Itinerary queries: they read projections only, never the event store's aggregates.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object};
use uuid::Uuid;
use wayfarer_projections::itinerary::{cache, map, pg, search, Membership};

use super::context::{caller, require_caller, state};
use super::inputs::NearInput;
use super::paging::{
    check_search_text, check_search_window, decode_cursor, decode_offset, encode_cursor,
    offset_cursor, page_size,
};
use super::resolve::resolve;
use super::types::{Itinerary, Position};
use crate::error::{ApiError, ApiResult};
use crate::people::access::content_visible;
use crate::people::Viewer;

#[derive(Default)]
pub struct ItineraryQuery;

/// Reads one itinerary as the caller may see it: hidden and missing look the same (`null`).
pub async fn read_itinerary(
    ctx: &Context<'_>,
    id: Uuid,
    after: Option<Position>,
) -> ApiResult<Option<Itinerary>> {
    let api = state(ctx);
    let viewer = caller(ctx);
    if let Some(position) = after {
        api.read_your_write(&[pg::NAME], position.0).await?;
    }
    // Who may see it is decided on the PostgreSQL view (what `after` waited for): the hot
    // cache may trail it, and a stale copy must never show what has since become private or
    // been deleted.
    let Some(access) = pg::access_of(&api.pool, id).await? else {
        return Ok(None);
    };
    let membership = access.membership(viewer);
    if !may_read(
        api,
        access.owner_id,
        access.visible_to(viewer),
        membership,
        viewer,
    )
    .await?
    {
        return Ok(None);
    }
    // The body from the hot cache when it is at least as new as the view, else PostgreSQL.
    let cached = match cache::get_view(&api.redis, &api.names, id).await {
        Ok(view) => view,
        Err(error) => {
            tracing::warn!(%error, "itinerary cache unavailable, reading postgres");
            None
        }
    };
    let view = match cached {
        Some(view) if view.version >= access.version as u64 => Some(view),
        _ => pg::find(&api.pool, id).await?,
    };
    Ok(view.filter(|v| v.visible_to(viewer)).map(Itinerary))
}

/// Whether `viewer` may read an itinerary that the view rule shows them (`visible`): its
/// members always; anyone else only as far as the owner's privacy, ban or deletion allows.
pub async fn may_read(
    api: &crate::state::ApiState,
    owner_id: Uuid,
    visible: bool,
    membership: Membership,
    viewer: Option<Uuid>,
) -> ApiResult<bool> {
    if !visible {
        return Ok(false);
    }
    if membership.is_member() {
        return Ok(true);
    }
    owner_shares_with(api, owner_id, viewer).await
}

/// Whether the owner's privacy, ban or deletion lets `viewer` see their itineraries.
pub async fn owner_shares_with(
    api: &crate::state::ApiState,
    owner: Uuid,
    viewer: Option<Uuid>,
) -> ApiResult<bool> {
    if viewer == Some(owner) {
        return Ok(true);
    }
    let viewer = Viewer::of(&api.pool, viewer).await?;
    Ok(content_visible(&api.pool, &[owner], &viewer)
        .await?
        .get(&owner)
        .copied()
        .unwrap_or(true))
}

#[Object]
impl ItineraryQuery {
    /// One itinerary, if it exists and the caller may see it. With `after`, waits until the
    /// read model includes that position.
    async fn itinerary(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        after: Option<Position>,
    ) -> async_graphql::Result<Option<Itinerary>> {
        resolve(read_itinerary(ctx, id, after)).await
    }

    /// The itinerary on a map, as an RFC 7946 GeoJSON FeatureCollection: each located item a
    /// Point (properties `kind: "item"`, `order`, `itemId`, `title`, `place`, `category`,
    /// `startTime`, `endTime`), each leg between consecutive located items a LineString
    /// (`kind: "leg"`, `fromItemId`, `toItemId`, `distanceKm`, `durationMinutes` by walking,
    /// driving, transit and flying, `router`). `null` as for `itinerary`.
    async fn itinerary_map(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        after: Option<Position>,
    ) -> async_graphql::Result<Option<async_graphql::Json<serde_json::Value>>> {
        resolve(async move {
            let Some(itinerary) = read_itinerary(ctx, id, after).await? else {
                return Ok(None);
            };
            let map = map::itinerary_map(&itinerary.0, state(ctx).routing.as_ref())
                .await
                .map_err(|error| ApiError::Unavailable(error.to_string()))?;
            let map = serde_json::to_value(map).map_err(ApiError::internal)?;
            Ok(Some(async_graphql::Json(map)))
        })
        .await
    }

    /// The caller's itineraries, newest first.
    async fn my_itineraries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, Itinerary, EmptyFields, EmptyFields>> {
        resolve(async move {
            let owner = require_caller(ctx)?;
            let api = state(ctx);
            let size = page_size(first)?;
            let cursor = after.as_deref().map(decode_cursor).transpose()?;
            if let Some(position) = after_position {
                api.read_your_write(&[pg::NAME], position.0).await?;
            }
            let mut views = pg::page_by_owner(&api.pool, owner, cursor, size as i64 + 1).await?;
            let has_next = views.len() > size;
            views.truncate(size);
            let mut connection = Connection::new(cursor.is_some(), has_next);
            connection.edges.extend(
                views.into_iter().map(|view| {
                    Edge::new(encode_cursor(view.created_at, view.id), Itinerary(view))
                }),
            );
            Ok(connection)
        })
        .await
    }

    /// Public itineraries (and the caller's own) matching `query` by title, item names or
    /// places, optionally within `near.radiusKm` of a point.
    async fn search_itineraries(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        near: Option<NearInput>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, Itinerary, EmptyFields, EmptyFields>> {
        resolve(async move {
            let api = state(ctx);
            let viewer = caller(ctx);
            let size = page_size(first)?;
            let from = decode_offset(after)?;
            check_search_window(from, size)?;
            if let Some(text) = &query {
                check_search_text(text)?;
            }
            if let Some(near) = near {
                let valid = (-90.0..=90.0).contains(&near.lat)
                    && (-180.0..=180.0).contains(&near.lon)
                    && near.radius_km > 0.0
                    && near.radius_km <= 20_000.0;
                if !valid {
                    return Err(ApiError::Validation(
                        "near needs lat in [-90, 90], lon in [-180, 180] and 0 < radiusKm <= 20000"
                            .into(),
                    ));
                }
            }
            let alias = api.names.itineraries_alias();
            if let Some(position) = after_position {
                // Hits are shown from the PostgreSQL view, so both must have the write.
                api.read_your_write(&[pg::NAME, search::NAME], position.0)
                    .await?;
            }
            let near = near.map(|n| search::Near {
                lat: n.lat,
                lon: n.lon,
                radius_km: n.radius_km,
            });
            let page = search::search(
                &api.opensearch,
                &alias,
                query.as_deref(),
                near,
                viewer,
                from,
                size as u64,
            )
            .await?;
            let views = pg::find_many(&api.pool, &page.ids).await?;
            let owners: Vec<Uuid> = views.iter().map(|view| view.owner_id).collect();
            let shared =
                content_visible(&api.pool, &owners, &Viewer::of(&api.pool, viewer).await?).await?;
            let has_next = from + (page.ids.len() as u64) < page.total;
            let mut connection = Connection::new(from > 0, has_next);
            connection.edges.extend(
                views
                    .into_iter()
                    .enumerate()
                    .filter(|(_, view)| {
                        view.visible_to(viewer)
                            && shared.get(&view.owner_id).copied().unwrap_or(true)
                    })
                    .map(|(index, view)| {
                        Edge::new(offset_cursor(from + index as u64), Itinerary(view))
                    }),
            );
            Ok(connection)
        })
        .await
    }
}
