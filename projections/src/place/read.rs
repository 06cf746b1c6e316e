//! Reading places from the live table: one by id, the nearest to a point, and the same name
//! near a point (the duplicate check).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// Kilometres per degree of latitude (and of longitude at the equator), rounded down so the
/// search band is never too narrow.
const KM_PER_DEGREE: f64 = 111.0;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PlaceRow {
    pub place_id: Uuid,
    pub name: String,
    pub category: String,
    pub latitude: f64,
    pub longitude: f64,
    pub address: Option<String>,
    pub catalogue_ref: Option<String>,
    pub added_by: Option<Uuid>,
    pub added_at: DateTime<Utc>,
}

/// A place and how far it is from the point searched around.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NearbyRow {
    #[sqlx(flatten)]
    pub place: PlaceRow,
    pub distance_km: f64,
}

const COLUMNS: &str = "place_id, name, category, latitude, longitude, address, catalogue_ref, \
     added_by, added_at";

/// Great-circle distance in SQL (haversine, with the mean Earth radius 6,371.0088 km that the
/// `geo` crate's haversine uses too) from the point `($1, $2)` to the row.
const DISTANCE: &str = "2 * 6371.0088 * asin(sqrt(power(sin(radians(latitude - $1) / 2), 2) \
     + cos(radians($1)) * cos(radians(latitude)) * power(sin(radians(longitude - $2) / 2), 2)))";

pub async fn find(pool: &PgPool, place_id: Uuid) -> Result<Option<PlaceRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM places WHERE place_id = $1"))
        .bind(place_id)
        .fetch_optional(pool)
        .await
}

/// Where a page of nearby places starts: after this distance and id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NearbyCursor {
    pub distance_km: f64,
    pub place_id: Uuid,
}

/// What `nearby` looks for.
#[derive(Debug, Clone, PartialEq)]
pub struct NearbySearch {
    pub latitude: f64,
    pub longitude: f64,
    pub radius_km: f64,
    pub category: Option<String>,
    pub after: Option<NearbyCursor>,
    pub limit: i64,
}

/// The places within `radius_km` of the point, nearest first (then by id), after the cursor.
/// A latitude band (indexed) narrows the rows before distances are computed; longitude is
/// not narrowed, which keeps the antimeridian and the poles simple.
pub async fn nearby(pool: &PgPool, search: &NearbySearch) -> Result<Vec<NearbyRow>, sqlx::Error> {
    let band = search.radius_km / KM_PER_DEGREE;
    let (after_distance, after_id) = match search.after {
        Some(cursor) => (Some(cursor.distance_km), Some(cursor.place_id)),
        None => (None, None),
    };
    sqlx::query_as(&format!(
        "SELECT * FROM (SELECT {COLUMNS}, {DISTANCE} AS distance_km FROM places \
           WHERE latitude BETWEEN $1 - $3 AND $1 + $3 \
             AND ($5::text IS NULL OR category = $5)) nearby \
         WHERE distance_km <= $4 \
           AND ($6::float8 IS NULL OR (distance_km, place_id) > ($6, $7)) \
         ORDER BY distance_km, place_id LIMIT $8"
    ))
    .bind(search.latitude)
    .bind(search.longitude)
    .bind(band)
    .bind(search.radius_km)
    .bind(&search.category)
    .bind(after_distance)
    .bind(after_id)
    .bind(search.limit)
    .fetch_all(pool)
    .await
}

/// A place of this (normalized) name within `within_km` of the point, if there is one.
pub async fn same_name_near(
    pool: &PgPool,
    normalized_name: &str,
    latitude: f64,
    longitude: f64,
    within_km: f64,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT place_id FROM places WHERE normalized_name = $3 \
         AND latitude BETWEEN $1 - $4 / {KM_PER_DEGREE} AND $1 + $4 / {KM_PER_DEGREE} \
         AND {DISTANCE} <= $4 ORDER BY {DISTANCE}, place_id LIMIT 1"
    ))
    .bind(latitude)
    .bind(longitude)
    .bind(normalized_name)
    .bind(within_km)
    .fetch_optional(pool)
    .await
}

/// Great-circle distance between two points given as (latitude, longitude), in kilometres.
pub fn distance_km(from: (f64, f64), to: (f64, f64)) -> f64 {
    use geo::{Distance, Haversine, Point};
    Haversine.distance(Point::new(from.1, from.0), Point::new(to.1, to.0)) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paris_to_london_is_about_344_km() {
        let paris = (48.85341, 2.3488);
        let london = (51.50853, -0.12574);
        let km = distance_km(paris, london);
        assert!((340.0..348.0).contains(&km), "{km}");
        assert_eq!(distance_km(paris, paris), 0.0);
    }
}
