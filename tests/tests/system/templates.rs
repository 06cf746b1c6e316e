//! The template library through GraphQL: save an itinerary as a template, find it, start a
//! new trip from it on another date, feature it as an admin; who may do what.

use serde_json::json;
use wayfarer_tests::{Roles, TestSystem};

use crate::people::{make_admin, person};
use crate::support::*;

const SAVE: &str = "mutation($id: UUID!) { saveAsTemplate(itineraryId: $id, category: CITY_BREAK, description: \"Trams and tiles\") { templateId position } }";
const LIBRARY: &str = "query($q: String, $p: Position) { templates(query: $q, afterPosition: $p) { edges { node { id title featured days items { title startOffsetMinutes durationMinutes } } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_trip_saved_as_a_template_starts_new_trips_and_admins_feature_it() {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec![
            wayfarer_projections::itinerary::pg::NAME,
            wayfarer_projections::template::NAME,
            "users",
        ],
    };
    let system = TestSystem::start("templates", roles).await.unwrap();
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let ben = person(&anonymous, "ben").await;
    let admin = person(&anonymous, "admin").await;
    make_admin(&system, &admin).await;
    let (id, _) = create(&ada.client, "Lisbon in three days", "PRIVATE").await;
    // Day 2 (May 2) 10:00–12:00, and day 4 (May 4).
    add(
        &ada.client,
        &id,
        item("Tram 28", 2, Some(("Graça", 38.7167, -9.13))),
    )
    .await;
    add(&ada.client, &id, item("Belém", 4, None)).await;

    // Only the owner saves; a private itinerary is missing to anyone else.
    let code = ben.client.error_code(SAVE, json!({ "id": id })).await;
    assert_eq!(code, "NOT_FOUND");
    let code = anonymous.error_code(SAVE, json!({ "id": id })).await;
    assert_eq!(code, "UNAUTHENTICATED");
    let saved = ada.client.data(SAVE, json!({ "id": id })).await;
    let template_id = saved["saveAsTemplate"]["templateId"]
        .as_str()
        .unwrap()
        .to_owned();
    let library = anonymous
        .data(
            LIBRARY,
            json!({ "q": "tiles", "p": saved["saveAsTemplate"]["position"] }),
        )
        .await;
    let found = &library["templates"]["edges"][0]["node"];
    assert_eq!(found["id"], template_id.as_str());
    assert_eq!(found["days"], 5);
    // May 2 10:00 is 1 day and 10 hours after May 1 00:00.
    assert_eq!(found["items"][0]["startOffsetMinutes"], 34 * 60);
    assert_eq!(found["items"][0]["durationMinutes"], 120);
    let none = anonymous
        .data(LIBRARY, json!({ "q": "no such words" }))
        .await;
    assert!(none["templates"]["edges"].as_array().unwrap().is_empty());

    // Ben starts his own trip from it in September: same offsets, his, private.
    let cloned = ben
        .client
        .data(
            "mutation($t: UUID!) { cloneTemplate(templateId: $t, startDate: \"2027-09-10\") { itineraryId position } }",
            json!({ "t": template_id }),
        )
        .await;
    let new_id = cloned["cloneTemplate"]["itineraryId"].as_str().unwrap();
    let trip = ben
        .client
        .data(
            "query($id: UUID!, $p: Position) { itinerary(id: $id, after: $p) { ownerId title startDate endDate visibility items { title startTime endTime location { name } } } }",
            json!({ "id": new_id, "p": cloned["cloneTemplate"]["position"] }),
        )
        .await["itinerary"]
        .clone();
    assert_eq!(trip["ownerId"], ben.id.as_str());
    assert_eq!(trip["visibility"], "PRIVATE");
    assert_eq!(
        (trip["startDate"].as_str(), trip["endDate"].as_str()),
        (Some("2027-09-10"), Some("2027-09-14"))
    );
    let time = |value: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap())
            .unwrap()
            .to_utc()
    };
    let at = |text: &str| chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc();
    assert_eq!(
        time(&trip["items"][0]["startTime"]),
        at("2027-09-11T10:00:00Z")
    );
    assert_eq!(
        time(&trip["items"][0]["endTime"]),
        at("2027-09-11T12:00:00Z")
    );
    assert_eq!(trip["items"][0]["location"]["name"], "Graça");
    assert_eq!(
        time(&trip["items"][1]["startTime"]),
        at("2027-09-13T10:00:00Z")
    );
    // The template's source is untouched.
    assert_eq!(event_count(&system.pool, &id).await, 3);

    // Admins feature; authors may not; the featured flag shows in the library.
    let feature = "mutation($t: UUID!) { featureTemplate(templateId: $t) { position } }";
    let code = ada
        .client
        .error_code(feature, json!({ "t": template_id }))
        .await;
    assert_eq!(code, "FORBIDDEN");
    let featured = admin
        .client
        .data(feature, json!({ "t": template_id }))
        .await;
    let library = anonymous
        .data(
            LIBRARY,
            json!({ "p": featured["featureTemplate"]["position"] }),
        )
        .await;
    assert_eq!(library["templates"]["edges"][0]["node"]["featured"], true);
    let code = admin
        .client
        .error_code(feature, json!({ "t": template_id }))
        .await;
    assert_eq!(code, "VALIDATION", "featuring twice changes nothing");

    // Ben may not delete Ada's template; Ada may; then it is gone and cannot be cloned.
    let delete = "mutation($t: UUID!) { deleteTemplate(templateId: $t) { position } }";
    let code = ben
        .client
        .error_code(delete, json!({ "t": template_id }))
        .await;
    assert_eq!(code, "FORBIDDEN");
    let deleted = ada.client.data(delete, json!({ "t": template_id })).await;
    let gone = anonymous
        .data(
            "query($t: UUID!, $p: Position) { template(id: $t, after: $p) { id } }",
            json!({ "t": template_id, "p": deleted["deleteTemplate"]["position"] }),
        )
        .await;
    assert!(gone["template"].is_null());
    let code = ben
        .client
        .error_code(
            "mutation($t: UUID!) { cloneTemplate(templateId: $t, startDate: \"2027-09-10\") { itineraryId } }",
            json!({ "t": template_id }),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    system.stop().await;
}
