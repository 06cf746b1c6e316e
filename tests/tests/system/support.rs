//! Shared GraphQL documents and helpers.

use serde_json::{json, Value};
use wayfarer_tests::GraphqlClient;

pub const CREATE: &str = "mutation($input: CreateItineraryInput!) { createItinerary(input: $input) { itineraryId position version } }";
pub const ADD_ITEM: &str = "mutation($id: UUID!, $input: CreateItineraryItemInput!, $v: Int) { addItineraryItem(itineraryId: $id, input: $input, expectedVersion: $v) { itemId position version } }";
pub const READ: &str = "query($id: UUID!, $after: Position) { itinerary(id: $id, after: $after) { id title version visibility items { id title category location { name lat lon } estimatedCost { amountMinor currency } } } }";

pub fn trip(title: &str, visibility: &str) -> Value {
    json!({ "title": title, "startDate": "2027-05-01", "endDate": "2027-05-05", "visibility": visibility, "baseCurrency": "EUR" })
}

pub fn item(title: &str, day: u32, place: Option<(&str, f64, f64)>) -> Value {
    let mut value = json!({
        "title": title,
        "startTime": format!("2027-05-0{day}T10:00:00Z"),
        "endTime": format!("2027-05-0{day}T12:00:00Z"),
        "category": "SIGHTSEEING",
        "estimatedCost": { "amountMinor": 1500, "currency": "EUR" }
    });
    if let Some((name, lat, lon)) = place {
        value["location"] = json!({ "name": name, "lat": lat, "lon": lon });
    }
    value
}

/// Creates an itinerary and returns `(id, position)`.
pub async fn create(client: &GraphqlClient, title: &str, visibility: &str) -> (String, String) {
    let data = client
        .data(CREATE, json!({ "input": trip(title, visibility) }))
        .await;
    (
        data["createItinerary"]["itineraryId"]
            .as_str()
            .unwrap()
            .to_owned(),
        data["createItinerary"]["position"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

/// Adds an item and returns `(item id, position)`.
pub async fn add(client: &GraphqlClient, id: &str, item: Value) -> (String, String) {
    let data = client
        .data(ADD_ITEM, json!({ "id": id, "input": item }))
        .await;
    (
        data["addItineraryItem"]["itemId"]
            .as_str()
            .unwrap()
            .to_owned(),
        data["addItineraryItem"]["position"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

/// Number of events stored for one aggregate.
pub async fn event_count(pool: &sqlx::PgPool, aggregate_id: &str) -> i64 {
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM events WHERE aggregate_id = $1")
        .bind(aggregate_id)
        .fetch_one(pool)
        .await
        .unwrap();
    count
}

/// Runs the `wayfarer` CLI against the system's isolation; its stdout, after asserting success.
pub async fn cli(system: &wayfarer_tests::TestSystem, args: &[&str]) -> String {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_wayfarer-node"))
        .args(args)
        .envs(system.child_env())
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
