//! Schema evolution: events stored under version 1.0 of the itinerary contract (the
//! published fixtures) load on the command side, project, and are published upcast to the
//! current version, with a `ce_type` naming it.

use std::time::Duration;

use serde_json::{json, Value};
use wayfarer_tests::{schema_check, Roles, TestSystem};

use crate::people::person;
use crate::support::{add, item};

/// The published 1.0 fixture of `event_type`, for itinerary `id` owned by `owner`.
fn v1_fixture(event_type: &str, id: &str, owner: &str) -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/fixtures/itinerary.v1.0.jsonl"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut payload = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|f| f["eventType"] == event_type)
        .unwrap()["payload"]
        .clone();
    if event_type == "ItineraryCreated" {
        payload["itineraryId"] = json!(id);
        payload["ownerId"] = json!(owner);
    }
    payload
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn version_one_events_load_project_and_publish_as_version_two() {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec!["users", "itinerary_pg", "itinerary_cache"],
    };
    let system = TestSystem::start("evolution", roles).await.unwrap();
    let owner = person(&system.graphql(), "legacy").await;
    let id = uuid::Uuid::now_v7().to_string();
    for (sequence, event_type) in [(1, "ItineraryCreated"), (2, "ItineraryItemAdded")] {
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, \
             event_version, payload, metadata) VALUES ('itinerary', $1, $2, $3, '1.0', $4, '{}')",
        )
        .bind(&id)
        .bind(sequence)
        .bind(event_type)
        .bind(v1_fixture(event_type, &id, &owner.id))
        .execute(&system.pool)
        .await
        .unwrap();
    }
    system
        .wait_caught_up("itinerary_pg", Duration::from_secs(30))
        .await;

    // Projected: readable as any other itinerary.
    let read = owner
        .client
        .data(
            "query($id: UUID!) { itinerary(id: $id) { title items { title } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(read["itinerary"]["title"], "Lisbon in spring", "{read}");
    assert_eq!(
        read["itinerary"]["items"][0]["title"], "Belém tower",
        "{read}"
    );

    // Loaded by the command side: it takes a new command on top of the old events.
    let mut alfama = item("Alfama", 4, None);
    alfama["startTime"] = json!("2027-04-04T10:00:00Z");
    alfama["endTime"] = json!("2027-04-04T12:00:00Z");
    let (_, position) = add(&owner.client, &id, alfama).await;
    let read = owner
        .client
        .data(
            "query($id: UUID!, $p: Position) { itinerary(id: $id, after: $p) { version items { title } } }",
            json!({ "id": id, "p": position }),
        )
        .await;
    assert_eq!(read["itinerary"]["version"], 3, "{read}");

    // Published upcast: the payload in the current version, and the type naming it.
    let topic = system.settings.names().topic("itinerary");
    let brokers = system.settings.kafka.brokers.clone();
    let records = tokio::task::spawn_blocking(move || {
        wayfarer_tests::kafka_reader::read_topic(&brokers, &topic, 3, Duration::from_secs(30))
    })
    .await
    .unwrap();
    let created = records
        .iter()
        .find(|r| r.value["aggregateId"] == id.as_str() && r.value["sequence"] == 1)
        .expect("the created event is published");
    assert_eq!(created.value["eventVersion"], "2.0");
    assert_eq!(created.value["payload"]["status"], "DRAFT");
    let ce_type = created
        .headers
        .iter()
        .find(|(k, _)| k == "ce_type")
        .map(|(_, v)| v.as_str());
    assert_eq!(ce_type, Some("wayfarer.itinerary.ItineraryCreated.v2.0"));
    let envelopes: Vec<Value> = records.iter().map(|r| r.value.clone()).collect();
    schema_check::assert_envelopes_valid(&envelopes);
    system.stop().await;
}
