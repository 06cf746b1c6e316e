//! The itinerary on a map, through GraphQL: GeoJSON points for located items, legs between
//! consecutive ones with great-circle distances and durations; hidden looks missing.

use serde_json::json;
use wayfarer_tests::{Roles, TestSystem};

use crate::support::*;

const MAP: &str = "query($id: UUID!, $p: Position) { itineraryMap(id: $id, after: $p) }";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_map_shows_located_items_and_the_legs_between_them() {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec![wayfarer_projections::itinerary::pg::NAME],
    };
    let system = TestSystem::start("maps", roles).await.unwrap();
    let (ada, _) = system.graphql().register_user("ada").await;
    let (id, _) = create(&ada, "Portugal by rail", "PRIVATE").await;
    add(
        &ada,
        &id,
        item("Alfama", 1, Some(("Lisbon", 38.7223, -9.1393))),
    )
    .await;
    add(&ada, &id, item("Pack", 2, None)).await;
    add(
        &ada,
        &id,
        item("Pena Palace", 2, Some(("Sintra", 38.7876, -9.3905))),
    )
    .await;
    let (_, last) = add(
        &ada,
        &id,
        item("Ribeira", 4, Some(("Porto", 41.1579, -8.6291))),
    )
    .await;

    let map = ada.data(MAP, json!({ "id": id, "p": last })).await["itineraryMap"].clone();
    assert_eq!(map["type"], "FeatureCollection");
    let features = map["features"].as_array().unwrap();
    let points: Vec<_> = features
        .iter()
        .filter(|f| f["geometry"]["type"] == "Point")
        .collect();
    let legs: Vec<_> = features
        .iter()
        .filter(|f| f["properties"]["kind"] == "leg")
        .collect();
    assert_eq!(points.len(), 3, "the item without a place is not drawn");
    assert_eq!(legs.len(), 2);
    // GeoJSON positions are [longitude, latitude].
    assert_eq!(
        points[0]["geometry"]["coordinates"],
        json!([-9.1393, 38.7223])
    );
    assert_eq!(points[2]["properties"]["place"], "Porto");
    let sintra = legs[0]["properties"]["distanceKm"].as_f64().unwrap();
    let porto = legs[1]["properties"]["distanceKm"].as_f64().unwrap();
    assert!((20.0..25.0).contains(&sintra), "{sintra}");
    assert!((265.0..285.0).contains(&porto), "{porto}");
    assert_eq!(legs[1]["geometry"]["type"], "LineString");
    let durations = &legs[1]["properties"]["durationMinutes"];
    assert!(durations["walking"].as_f64() > durations["driving"].as_f64());
    assert_eq!(legs[1]["properties"]["router"], "great-circle");
    assert_eq!(
        legs[1]["properties"]["fromItemId"],
        points[1]["properties"]["itemId"]
    );

    // A private itinerary's map is missing to others, as the itinerary is.
    let (stranger, _) = system.graphql().register_user("stranger").await;
    let hidden = stranger.data(MAP, json!({ "id": id })).await;
    assert!(hidden["itineraryMap"].is_null());
    system.stop().await;
}
