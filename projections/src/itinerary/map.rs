//! The itinerary on a map (`itineraryMap`): an RFC 7946 GeoJSON FeatureCollection with each
//! located item as a Point and each leg between consecutive located items as a LineString,
//! with its distance and an estimated duration by foot, car, public transport and plane.
//!
//! Legs come from a [`RoutingProvider`]. The built-in one, [`GreatCircle`], follows the
//! great circle (georust's haversine) and estimates durations from typical speeds; a real
//! router (OSRM, say) can take its place in production behind the same trait.

use async_trait::async_trait;
use geo::{Distance, Haversine, InterpolatePoint, LineString, MultiLineString, Point};
use geojson::{Feature, FeatureCollection, Geometry, GeometryValue};
use serde_json::json;

use super::view::ItineraryView;

/// How long a leg takes by each way of travelling, in minutes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Durations {
    pub walking: f64,
    pub driving: f64,
    pub transit: f64,
    pub flying: f64,
}

/// One leg from a place to the next.
#[derive(Debug, Clone, PartialEq)]
pub struct Leg {
    pub distance_km: f64,
    pub durations: Durations,
    /// The way the leg goes, as `(lon, lat)` points, ends included.
    pub path: Vec<Point>,
}

#[derive(Debug, thiserror::Error)]
#[error("routing failed: {0}")]
pub struct RoutingError(pub String);

/// Finds the way between two places.
#[async_trait]
pub trait RoutingProvider: Send + Sync {
    /// Named in each leg's properties (`router`).
    fn name(&self) -> &'static str;
    async fn leg(&self, from: Point, to: Point) -> Result<Leg, RoutingError>;
}

/// Along the great circle, with durations from typical speeds:
///
/// | way | speed | distance travelled | extra |
/// |---|---|---|---|
/// | walking | 5 km/h | ×1.3 (streets are not straight) | |
/// | driving | 60 km/h | ×1.3 | |
/// | transit | 35 km/h | ×1.3 | |
/// | flying | 800 km/h | ×1.0 | 120 min (to, through and from the airports) |
pub struct GreatCircle;

/// Longest straight piece of a drawn leg: long legs curve along the great circle.
const PATH_STEP_METRES: f64 = 100_000.0;
const DETOUR: f64 = 1.3;

fn minutes(km: f64, km_per_hour: f64) -> f64 {
    km / km_per_hour * 60.0
}

#[async_trait]
impl RoutingProvider for GreatCircle {
    fn name(&self) -> &'static str {
        "great-circle"
    }

    async fn leg(&self, from: Point, to: Point) -> Result<Leg, RoutingError> {
        let distance_km = Haversine.distance(from, to) / 1000.0;
        let path: Vec<Point> = Haversine
            .points_along_line(from, to, PATH_STEP_METRES, true)
            .collect();
        Ok(Leg {
            distance_km,
            durations: Durations {
                walking: minutes(distance_km * DETOUR, 5.0),
                driving: minutes(distance_km * DETOUR, 60.0),
                transit: minutes(distance_km * DETOUR, 35.0),
                flying: minutes(distance_km, 800.0) + 120.0,
            },
            path,
        })
    }
}

/// A path as GeoJSON: a LineString, or a MultiLineString split where it crosses the
/// antimeridian (as RFC 7946 § 3.1.9 asks).
fn path_geometry(path: &[Point]) -> Geometry {
    let mut pieces: Vec<LineString> = vec![LineString::new(Vec::new())];
    for pair in path.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let current = pieces.last_mut().expect("one piece at least");
        if current.0.is_empty() {
            current.0.push(a.0);
        }
        if (b.x() - a.x()).abs() > 180.0 {
            // Cross at ±180 at the latitude halfway, then go on from the other side.
            let edge = if a.x() > 0.0 { 180.0 } else { -180.0 };
            let lat = (a.y() + b.y()) / 2.0;
            current.0.push(geo::coord! { x: edge, y: lat });
            pieces.push(LineString::new(vec![geo::coord! { x: -edge, y: lat }, b.0]));
        } else {
            current.0.push(b.0);
        }
    }
    if pieces.len() == 1 {
        Geometry::new(GeometryValue::from(&pieces[0]))
    } else {
        Geometry::new(GeometryValue::from(&MultiLineString::new(pieces)))
    }
}

fn round(value: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    (value * factor).round() / factor
}

/// The map of `view`: its located items in order, and the legs between consecutive ones.
pub async fn itinerary_map(
    view: &ItineraryView,
    router: &dyn RoutingProvider,
) -> Result<FeatureCollection, RoutingError> {
    let located: Vec<_> = view
        .items
        .iter()
        .filter_map(|item| item.location.as_ref().map(|place| (item, place)))
        .collect();
    let mut features = Vec::with_capacity(located.len() * 2);
    for (order, (item, place)) in located.iter().enumerate() {
        let mut feature = Feature::from(Geometry::new(GeometryValue::from(&Point::new(
            place.lon, place.lat,
        ))));
        feature.id = Some(geojson::feature::Id::String(item.id.to_string()));
        feature.set_property("kind", "item");
        feature.set_property("order", order);
        feature.set_property("itemId", item.id.to_string());
        feature.set_property("title", item.title.clone());
        feature.set_property("place", place.name.clone());
        feature.set_property("category", item.category.as_str());
        feature.set_property("startTime", item.start_time.to_rfc3339());
        feature.set_property("endTime", item.end_time.to_rfc3339());
        features.push(feature);
    }
    for pair in located.windows(2) {
        let ((from, a), (to, b)) = (pair[0], pair[1]);
        let leg = router
            .leg(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
            .await?;
        let mut feature = Feature::from(path_geometry(&leg.path));
        feature.set_property("kind", "leg");
        feature.set_property("fromItemId", from.id.to_string());
        feature.set_property("toItemId", to.id.to_string());
        feature.set_property("distanceKm", round(leg.distance_km, 1));
        feature.set_property(
            "durationMinutes",
            json!({
                "walking": round(leg.durations.walking, 0),
                "driving": round(leg.durations.driving, 0),
                "transit": round(leg.durations.transit, 0),
                "flying": round(leg.durations.flying, 0),
            }),
        );
        feature.set_property("router", router.name());
        features.push(feature);
    }
    Ok(FeatureCollection::new(features))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lisbon_to_porto_is_about_274_km_along_the_great_circle() {
        let lisbon = Point::new(-9.1393, 38.7223);
        let porto = Point::new(-8.6291, 41.1579);
        let leg = GreatCircle.leg(lisbon, porto).await.unwrap();
        assert!((leg.distance_km - 274.0).abs() < 2.0, "{}", leg.distance_km);
        assert_eq!(leg.path.first(), Some(&lisbon));
        assert_eq!(leg.path.last(), Some(&porto));
        assert!(leg.path.len() >= 3, "a long leg curves: {}", leg.path.len());
        assert!(leg.durations.walking > leg.durations.transit);
        assert!(leg.durations.transit > leg.durations.driving);
        // 274 km × 1.3 at 60 km/h; 274 km at 800 km/h plus two hours of airports.
        assert!((leg.durations.driving - 356.0).abs() < 3.0);
        assert!((leg.durations.flying - 140.5).abs() < 2.0);
        // Across a city, the airports outweigh the plane's speed.
        let belem = Point::new(-9.2160, 38.6916);
        let short = GreatCircle.leg(lisbon, belem).await.unwrap();
        assert!(short.durations.flying > short.durations.driving);
        assert_eq!(short.path.len(), 2, "a short leg is one straight piece");
    }

    #[test]
    fn a_path_across_the_antimeridian_is_split_in_two() {
        let path = [Point::new(170.0, 10.0), Point::new(-170.0, 12.0)];
        let geometry = serde_json::to_value(path_geometry(&path)).unwrap();
        assert_eq!(geometry["type"], "MultiLineString");
        assert_eq!(geometry["coordinates"][0][1][0], 180.0);
        assert_eq!(geometry["coordinates"][1][0][0], -180.0);
        let plain = serde_json::to_value(path_geometry(&[
            Point::new(-9.0, 38.0),
            Point::new(-8.0, 41.0),
        ]))
        .unwrap();
        assert_eq!(plain["type"], "LineString");
    }
}
