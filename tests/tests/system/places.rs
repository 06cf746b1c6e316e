//! The place catalogue through the real services: the cities and airports of the shipped
//! extracts imported once however often the import runs, `nearbyPlaces` nearest first with
//! categories and cursor pages, `distance`, and `createPlace` deduplicated by name and
//! distance, with its checks and who may call it.

use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;
use wayfarer_infra::catalogue::import_places;
use wayfarer_tests::{Roles, TestSystem};

use crate::people::{banned_by_an_admin, person};

const NEARBY: &str = "query($lat: Float!, $lon: Float!, $r: Float!, $c: PlaceCategory, $first: Int, $after: String, $p: Position) { nearbyPlaces(lat: $lat, lon: $lon, radiusKm: $r, category: $c, first: $first, after: $after, afterPosition: $p) { edges { cursor node { distanceKm place { id name category lat lon address fromCatalogue } } } pageInfo { hasNextPage } } }";
const PLACE: &str = "query($id: UUID!, $p: Position) { place(id: $id, afterPosition: $p) { id name category lat lon address fromCatalogue } }";
const DISTANCE: &str = "query($a: UUID!, $b: UUID!) { distance(from: $a, to: $b) { km miles } }";
const CREATE: &str = "mutation($input: CreatePlaceInput!, $k: UUID) { createPlace(input: $input, idempotencyKey: $k) { placeId existing position } }";

/// Paris (the GeoNames city), where every search here looks.
const PARIS: (f64, f64) = (48.85341, 2.3488);

fn places(data: &Value) -> Vec<Value> {
    data["nearbyPlaces"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

fn near(radius_km: f64, category: Option<&str>, first: i32, after: Option<&str>) -> Value {
    json!({ "lat": PARIS.0, "lon": PARIS.1, "r": radius_km, "c": category, "first": first, "after": after })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_catalogue_is_imported_once_and_searched_nearest_first() {
    let system = TestSystem::start("places", Roles::all()).await.unwrap();
    let first = import_places(&system.pool).await.unwrap();
    assert!(first.added > 700, "{first:?}");
    assert_eq!(first.present, 0);
    let again = import_places(&system.pool).await.unwrap();
    assert_eq!((again.added, again.present), (0, first.added));
    system
        .wait_caught_up(wayfarer_projections::place::NAME, Duration::from_secs(60))
        .await;
    let anonymous = system.graphql();

    // Around Paris: the city itself first, then its airports, nearest first.
    let found = places(&anonymous.data(NEARBY, near(40.0, None, 10, None)).await);
    let names: Vec<&str> = found
        .iter()
        .map(|p| p["place"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "Paris", "{names:?}");
    assert!(names.iter().any(|n| n.contains("(CDG)")), "{names:?}");
    assert!(names.iter().any(|n| n.contains("(ORY)")), "{names:?}");
    let distances: Vec<f64> = found
        .iter()
        .map(|p| p["distanceKm"].as_f64().unwrap())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    assert!(distances.iter().all(|d| *d <= 40.0));
    assert!(found.iter().all(|p| p["place"]["fromCatalogue"] == true));

    // One category; pages that follow their cursor and never repeat.
    let airports = places(
        &anonymous
            .data(NEARBY, near(40.0, Some("AIRPORT"), 10, None))
            .await,
    );
    assert!(!airports.is_empty());
    assert!(airports.iter().all(|p| p["place"]["category"] == "AIRPORT"));
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = anonymous
            .data(NEARBY, near(500.0, None, 3, after.as_deref()))
            .await;
        for edge in page["nearbyPlaces"]["edges"].as_array().unwrap() {
            seen.push(edge["node"]["place"]["id"].as_str().unwrap().to_owned());
            after = Some(edge["cursor"].as_str().unwrap().to_owned());
        }
        if page["nearbyPlaces"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
    }
    let all = places(&anonymous.data(NEARBY, near(500.0, None, 100, None)).await);
    let all: Vec<&str> = all
        .iter()
        .map(|p| p["place"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(seen, all, "paging in threes gives the one list");

    // distance: Paris to London, and null for a place that is not there.
    let london = places(
        &anonymous
            .data(
                NEARBY,
                json!({ "lat": 51.50853, "lon": -0.12574, "r": 5.0, "c": "CITY" }),
            )
            .await,
    );
    let london = london[0]["place"]["id"].clone();
    let paris = found[0]["place"]["id"].clone();
    let apart = anonymous
        .data(DISTANCE, json!({ "a": paris, "b": london }))
        .await["distance"]
        .clone();
    let km = apart["km"].as_f64().unwrap();
    assert!((340.0..348.0).contains(&km), "{apart}");
    assert!((apart["miles"].as_f64().unwrap() - km / 1.609_344).abs() < 1e-6);
    let none = anonymous
        .data(DISTANCE, json!({ "a": paris, "b": Uuid::new_v4() }))
        .await;
    assert!(none["distance"].is_null());

    // Searches out of range are refused.
    for (lat, lon, radius) in [
        (91.0, 0.0, 1.0),
        (0.0, 181.0, 1.0),
        (0.0, 0.0, 0.0),
        (0.0, 0.0, 501.0),
    ] {
        assert_eq!(
            anonymous
                .error_code(NEARBY, json!({ "lat": lat, "lon": lon, "r": radius }))
                .await,
            "VALIDATION",
            "{lat} {lon} {radius}"
        );
    }
    assert_eq!(
        anonymous
            .error_code(
                NEARBY,
                json!({ "lat": 0.0, "lon": 0.0, "r": 1.0, "after": "nonsense" })
            )
            .await,
        "VALIDATION"
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_place_is_added_once_by_name_and_distance_and_only_by_people_in_good_standing() {
    let system = TestSystem::start("placeadd", Roles::all()).await.unwrap();
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let bea = person(&anonymous, "bea").await;
    let flore = json!({ "name": "Café de Flore", "category": "CAFE", "lat": 48.85404, "lon": 2.33257, "address": "172 Boulevard Saint-Germain, Paris" });

    let added = ada
        .client
        .data(CREATE, json!({ "input": flore, "k": Uuid::new_v4() }))
        .await["createPlace"]
        .clone();
    assert_eq!(added["existing"], false);
    let id = added["placeId"].clone();
    let shown = ada
        .client
        .data(PLACE, json!({ "id": id, "p": added["position"] }))
        .await["place"]
        .clone();
    assert_eq!(shown["name"], "Café de Flore");
    assert_eq!(shown["category"], "CAFE");
    assert_eq!(shown["fromCatalogue"], false);

    // The same name (in other case and accents) 40 m away is the same place; another name at
    // the same spot, or the same name 2 km away, is another.
    let nearby_twin =
        json!({ "name": "cafe de FLORE", "category": "CAFE", "lat": 48.85440, "lon": 2.33257 });
    let twin = bea
        .client
        .data(CREATE, json!({ "input": nearby_twin, "k": Uuid::new_v4() }))
        .await["createPlace"]
        .clone();
    assert_eq!(
        (twin["placeId"].clone(), twin["existing"].clone()),
        (id.clone(), json!(true))
    );
    assert_eq!(twin["position"], "0");
    for other in [
        json!({ "name": "Les Deux Magots", "category": "CAFE", "lat": 48.85404, "lon": 2.33257 }),
        json!({ "name": "Café de Flore", "category": "CAFE", "lat": 48.87204, "lon": 2.33257 }),
    ] {
        let made = bea
            .client
            .data(CREATE, json!({ "input": other, "k": Uuid::new_v4() }))
            .await["createPlace"]
            .clone();
        assert_eq!(made["existing"], false, "{other}");
        assert_ne!(made["placeId"], id);
    }
    // Two people adding the same new place at once add it once.
    let rival = json!({ "name": "Shakespeare and Company", "category": "SHOP", "lat": 48.85257, "lon": 2.34710 });
    let (a, b) = tokio::join!(
        ada.client
            .data(CREATE, json!({ "input": rival, "k": Uuid::new_v4() })),
        bea.client
            .data(CREATE, json!({ "input": rival, "k": Uuid::new_v4() })),
    );
    assert_eq!(a["createPlace"]["placeId"], b["createPlace"]["placeId"]);
    let added_count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'place' AND aggregate_id = $1",
    )
    .bind(a["createPlace"]["placeId"].as_str().unwrap())
    .fetch_one(&system.pool)
    .await
    .unwrap();
    assert_eq!(added_count, 1);

    // Checked: names, coordinates, addresses; nothing is stored.
    for bad in [
        json!({ "name": "", "category": "CAFE", "lat": 48.0, "lon": 2.0 }),
        json!({ "name": "x".repeat(201), "category": "CAFE", "lat": 48.0, "lon": 2.0 }),
        json!({ "name": "Bar\u{0}", "category": "BAR", "lat": 48.0, "lon": 2.0 }),
        json!({ "name": "Bar", "category": "BAR", "lat": 90.5, "lon": 2.0 }),
        json!({ "name": "Bar", "category": "BAR", "lat": 48.0, "lon": 2.0, "address": "a\nb" }),
        json!({ "name": "Bar", "category": "BAR", "lat": 48.0, "lon": 2.0, "address": "x".repeat(301) }),
    ] {
        assert_eq!(
            ada.client
                .error_code(CREATE, json!({ "input": bad, "k": Uuid::new_v4() }))
                .await,
            "VALIDATION",
            "{bad}"
        );
    }
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'place'")
            .fetch_one(&system.pool)
            .await
            .unwrap();
    assert_eq!(
        events, 4,
        "Flore, Deux Magots, the other Flore, Shakespeare and Company"
    );

    // Anonymous callers and banned people add nothing; anyone reads.
    assert_eq!(
        anonymous
            .error_code(CREATE, json!({ "input": flore, "k": Uuid::new_v4() }))
            .await,
        "UNAUTHENTICATED"
    );
    banned_by_an_admin(&system, &anonymous, &bea).await;
    let spam = json!({ "name": "Spam corner", "category": "OTHER", "lat": 48.0, "lon": 2.0 });
    assert_eq!(
        bea.client
            .error_code(CREATE, json!({ "input": spam, "k": Uuid::new_v4() }))
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        anonymous.data(PLACE, json!({ "id": id })).await["place"]["name"],
        "Café de Flore"
    );
    assert!(anonymous.data(PLACE, json!({ "id": Uuid::new_v4() })).await["place"].is_null());

    // The model rebuilds to the same places.
    let before = anonymous.data(NEARBY, near(10.0, None, 50, None)).await;
    system.rebuild(wayfarer_projections::place::NAME).await;
    assert_eq!(
        anonymous.data(NEARBY, near(10.0, None, 50, None)).await,
        before
    );
    system.stop().await;
}
