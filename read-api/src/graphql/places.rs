//! The place catalogue: `createPlace` (deduplicated by name and distance), `place`,
//! `nearbyPlaces` (the seed's `getNearbyPlaces`) and `distance` (the seed's `getDistance`).

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use wayfarer_domain::place::{added_place_id, normalized_name, NewPlace, PlaceActor};
use wayfarer_domain::{PlaceCommand, PlaceError};
use wayfarer_projections::place::read::{self, NearbyCursor, NearbySearch, PlaceRow};
use wayfarer_projections::place::NAME;
use wayfarer_projections::review as reviews_model;

use super::context::state;
use super::paging::{cursor_text, encode_opaque, page_size};
use super::resolve::{resolve, Invocation};
use super::reviews::{place_ratings, PlaceRating};
use super::types::Position;
use crate::error::{ApiError, ApiResult};

/// The widest "near" search, in kilometres.
const MAX_RADIUS_KM: f64 = 500.0;
/// A place of the same name closer than this is the same place, in kilometres.
const SAME_PLACE_KM: f64 = 0.15;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::PlaceCategory")]
pub enum PlaceCategory {
    City,
    Airport,
    Restaurant,
    Cafe,
    Bar,
    Hotel,
    Museum,
    Attraction,
    Park,
    Beach,
    Shop,
    Station,
    Other,
}

/// A place of the catalogue.
#[derive(SimpleObject)]
pub struct Place {
    pub id: Uuid,
    pub name: String,
    pub category: PlaceCategory,
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
    /// True for the cities and airports of the shipped extracts.
    pub from_catalogue: bool,
    pub added_at: DateTime<Utc>,
    /// Its reviews' average, count and histogram.
    pub rating: PlaceRating,
}

impl Place {
    fn new(row: PlaceRow, rating: PlaceRating) -> Self {
        let category = wayfarer_schemas::PlaceCategory::parse(&row.category)
            .unwrap_or(wayfarer_schemas::PlaceCategory::Other);
        Self {
            id: row.place_id,
            name: row.name,
            category: category.into(),
            lat: row.latitude,
            lon: row.longitude,
            address: row.address,
            from_catalogue: row.catalogue_ref.is_some(),
            added_at: row.added_at,
            rating,
        }
    }
}

/// A place and how far it is from where the search looked.
#[derive(SimpleObject)]
pub struct NearbyPlace {
    pub place: Place,
    pub distance_km: f64,
}

/// How far apart two places are, along the great circle.
#[derive(SimpleObject)]
pub struct Distance {
    pub km: f64,
    pub miles: f64,
}

#[derive(InputObject)]
pub struct CreatePlaceInput {
    pub name: String,
    pub category: PlaceCategory,
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
}

/// What `createPlace` did.
#[derive(SimpleObject)]
pub struct CreatePlacePayload {
    pub place_id: Uuid,
    /// True when a place of that name was there already (within 150 m): nothing was added.
    pub existing: bool,
    /// Pass as `afterPosition` to read this write (`0` when nothing was added).
    pub position: Position,
}

fn encode_nearby_cursor(distance_km: f64, place_id: Uuid) -> String {
    encode_opaque(&format!("{distance_km}/{place_id}"))
}

fn decode_nearby_cursor(cursor: &str) -> ApiResult<NearbyCursor> {
    let text = cursor_text(cursor)?;
    let invalid = || ApiError::Validation("invalid cursor".into());
    let (distance, id) = text.split_once('/').ok_or_else(invalid)?;
    let distance_km: f64 = distance.parse().map_err(|_| invalid())?;
    if !distance_km.is_finite() {
        return Err(invalid());
    }
    Ok(NearbyCursor {
        distance_km,
        place_id: Uuid::parse_str(id).map_err(|_| invalid())?,
    })
}

fn check_point(lat: f64, lon: f64) -> ApiResult<()> {
    wayfarer_domain::GeoPoint::new(lat, lon)
        .map(|_| ())
        .map_err(|_| ApiError::Validation("lat is within -90..90 and lon within -180..180".into()))
}

#[derive(Default)]
pub struct PlaceQuery;

#[Object]
impl PlaceQuery {
    /// One place (`null` when there is none). `afterPosition` may be a place's or a
    /// review's write: the place's rating then includes it.
    async fn place(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Option<Place>> {
        resolve(async move {
            let api = state(ctx);
            if let Some(position) = after_position {
                api.read_your_write(&[NAME, reviews_model::NAME], position.0)
                    .await?;
            }
            let Some(row) = read::find(&api.pool, id).await? else {
                return Ok(None);
            };
            let mut ratings = place_ratings(ctx, &[row.place_id]).await?;
            let rating = ratings.remove(&row.place_id).unwrap_or_default();
            Ok(Some(Place::new(row, rating)))
        })
        .await
    }

    /// The places within `radiusKm` (at most 500) of a point, nearest first, optionally of
    /// one category (the seed's `getNearbyPlaces`). Open to everyone.
    #[allow(clippy::too_many_arguments)]
    async fn nearby_places(
        &self,
        ctx: &Context<'_>,
        lat: f64,
        lon: f64,
        radius_km: f64,
        category: Option<PlaceCategory>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, NearbyPlace, EmptyFields, EmptyFields>> {
        resolve(async move {
            check_point(lat, lon)?;
            if !(radius_km > 0.0 && radius_km <= MAX_RADIUS_KM) {
                return Err(ApiError::Validation(format!(
                    "radiusKm is more than 0 and at most {MAX_RADIUS_KM}"
                )));
            }
            let size = page_size(first)?;
            let api = state(ctx);
            if let Some(position) = after_position {
                api.read_your_write(&[NAME, reviews_model::NAME], position.0)
                    .await?;
            }
            let category: Option<wayfarer_schemas::PlaceCategory> = category.map(Into::into);
            let mut rows = read::nearby(
                &api.pool,
                &NearbySearch {
                    latitude: lat,
                    longitude: lon,
                    radius_km,
                    category: category.map(|c| c.as_str().to_owned()),
                    after: after.as_deref().map(decode_nearby_cursor).transpose()?,
                    limit: size as i64 + 1,
                },
            )
            .await?;
            let has_next = rows.len() > size;
            rows.truncate(size);
            let ids: Vec<Uuid> = rows.iter().map(|row| row.place.place_id).collect();
            let mut ratings = place_ratings(ctx, &ids).await?;
            let mut connection = Connection::new(after.is_some(), has_next);
            connection.edges.extend(rows.into_iter().map(|row| {
                let rating = ratings.remove(&row.place.place_id).unwrap_or_default();
                Edge::new(
                    encode_nearby_cursor(row.distance_km, row.place.place_id),
                    NearbyPlace {
                        distance_km: row.distance_km,
                        place: Place::new(row.place, rating),
                    },
                )
            }));
            Ok(connection)
        })
        .await
    }

    /// How far apart two places are (the seed's `getDistance`); `null` when either is not
    /// in the catalogue.
    async fn distance(
        &self,
        ctx: &Context<'_>,
        from: Uuid,
        to: Uuid,
    ) -> async_graphql::Result<Option<Distance>> {
        resolve(async move {
            let api = state(ctx);
            let (Some(a), Some(b)) = (
                read::find(&api.pool, from).await?,
                read::find(&api.pool, to).await?,
            ) else {
                return Ok(None);
            };
            let km = read::distance_km((a.latitude, a.longitude), (b.latitude, b.longitude));
            Ok(Some(Distance {
                km,
                miles: km / 1.609_344,
            }))
        })
        .await
    }
}

#[derive(Default)]
pub struct PlaceMutation;

#[Object]
impl PlaceMutation {
    /// Adds a place to the catalogue (signed in). A place of the same name (case, accents and
    /// punctuation aside) within 150 m is the same place: its id comes back with `existing:
    /// true` and nothing is added.
    async fn create_place(
        &self,
        ctx: &Context<'_>,
        input: CreatePlaceInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<CreatePlacePayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            check_point(input.lat, input.lon)?;
            let api = state(ctx);
            let existing = |place_id| CreatePlacePayload {
                place_id,
                existing: true,
                position: Position(0),
            };
            let name = normalized_name(&input.name);
            if let Some(place_id) =
                read::same_name_near(&api.pool, &name, input.lat, input.lon, SAME_PLACE_KM).await?
            {
                return Ok(existing(place_id));
            }
            let place_id = added_place_id(&input.name, input.lat, input.lon);
            let command = PlaceCommand::Add {
                actor: PlaceActor::Person(invocation.actor),
                now: invocation.now,
                place: NewPlace {
                    name: input.name,
                    category: input.category.into(),
                    latitude: input.lat,
                    longitude: input.lon,
                    address: input.address,
                    catalogue_ref: None,
                },
            };
            match invocation.execute(&api.places, place_id, command).await {
                Ok(outcome) => Ok(CreatePlacePayload {
                    place_id,
                    existing: false,
                    position: Position(outcome.position),
                }),
                // Added a moment ago by someone else (the same name in the same cell).
                Err(ApiError::Conflict(message))
                    if message == PlaceError::AlreadyExists.to_string() =>
                {
                    Ok(existing(place_id))
                }
                Err(error) => Err(error),
            }
        })
        .await
    }
}
