//! The user's path through GraphQL: account, itinerary, items, read-your-writes, search,
//! subscription.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use wayfarer_tests::{schema_check, Roles, TestSystem};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_traveller_plans_a_trip_end_to_end_through_graphql() {
    let system = TestSystem::start("flow", Roles::all()).await.unwrap();
    let anonymous = system.graphql();
    let (_, _) = anonymous.register_user("someone").await;

    // Register, then log in with the same credentials.
    let unique = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let email = format!("ada-{unique}@example.com");
    anonymous
        .data(
            "mutation($e: String!) { register(email: $e, password: \"s3cret-pass\", userName: \"ada\") { user { id } } }",
            json!({ "e": email }),
        )
        .await;
    let login = anonymous
        .data(
            "mutation($e: String!) { login(email: $e, password: \"s3cret-pass\") { accessToken refreshToken user { userName email } } }",
            json!({ "e": email }),
        )
        .await;
    assert_eq!(login["login"]["user"]["userName"], "ada");
    let ada = anonymous.with_token(login["login"]["accessToken"].as_str().unwrap());
    assert_eq!(
        ada.data("{ me { email } }", json!({})).await["me"]["email"],
        email
    );

    // Create an itinerary with three located items in Lisbon.
    let (id, _) = create(&ada, "Lisbon long weekend", "PUBLIC").await;
    let (belem, _) = add(
        &ada,
        &id,
        item("Belém Tower", 1, Some(("Belém Tower", 38.6916, -9.2160))),
    )
    .await;
    let (alfama, _) = add(
        &ada,
        &id,
        item("Alfama walk", 2, Some(("Alfama", 38.7118, -9.1300))),
    )
    .await;
    let (tram, _) = add(&ada, &id, item("Tram 28", 3, None)).await;

    // Reorder, then read it back immediately with the position the mutation returned.
    let reordered = ada
        .data(
            "mutation($id: UUID!, $items: [UUID!]!) { reorderItineraryItems(itineraryId: $id, itemIds: $items) { position version } }",
            json!({ "id": id, "items": [tram, belem, alfama] }),
        )
        .await;
    let position = reordered["reorderItineraryItems"]["position"].clone();
    assert_eq!(reordered["reorderItineraryItems"]["version"], 5);
    let read = ada.data(READ, json!({ "id": id, "after": position })).await;
    let titles: Vec<&str> = read["itinerary"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Tram 28", "Belém Tower", "Alfama walk"]);
    assert_eq!(read["itinerary"]["version"], 5);

    // It is listed among the owner's itineraries.
    let mine = ada
        .data("query($p: Position) { myItineraries(first: 10, afterPosition: $p) { edges { node { id } } } }", json!({ "p": position }))
        .await;
    assert_eq!(mine["myItineraries"]["edges"][0]["node"]["id"], id.as_str());

    // Anyone finds it near Lisbon (and not near Tokyo), once the search projection has it.
    let near_lisbon =
        json!({ "near": { "lat": 38.7223, "lon": -9.1393, "radiusKm": 25.0 }, "p": position });
    let search = "query($near: NearInput, $p: Position) { searchItineraries(near: $near, afterPosition: $p) { edges { node { id title } } } }";
    let found = anonymous.data(search, near_lisbon).await;
    assert_eq!(
        found["searchItineraries"]["edges"][0]["node"]["id"],
        id.as_str()
    );
    let near_tokyo = json!({ "near": { "lat": 35.68, "lon": 139.76, "radiusKm": 25.0 } });
    let none = anonymous.data(search, near_tokyo).await;
    assert_eq!(
        none["searchItineraries"]["edges"].as_array().unwrap().len(),
        0
    );
    let by_text = anonymous
        .data(
            "{ searchItineraries(query: \"Alfama\") { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        by_text["searchItineraries"]["edges"][0]["node"]["id"],
        id.as_str()
    );

    // A subscriber sees the next change.
    let mut changes = ada
        .subscribe(
            "subscription($id: UUID!) { itineraryChanged(id: $id) { title version } }",
            json!({ "id": id }),
        )
        .await;
    // The server subscribes to Redis asynchronously after the ack: change the title until a
    // notification arrives (at most three changes), then check it announced the change.
    let rename = "mutation($id: UUID!, $t: String!) { updateItinerary(id: $id, input: { title: $t }) { version } }";
    let mut change = None;
    for attempt in 1..=3 {
        let title = format!("Lisbon and Sintra {attempt}");
        ada.data(rename, json!({ "id": id, "t": title })).await;
        if let Ok(next) = tokio::time::timeout(Duration::from_secs(5), changes.next()).await {
            change = Some((next.expect("stream open"), attempt));
            break;
        }
    }
    let (change, attempt) = change.expect("a change notification after one of three changes");
    assert_eq!(
        change["data"]["itineraryChanged"]["title"],
        format!("Lisbon and Sintra {attempt}")
    );
    assert_eq!(change["data"]["itineraryChanged"]["version"], 5 + attempt);

    assert!(schema_check::assert_store_valid(&system.pool, &system.platform.events).await >= 6);
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_family() {
    let system = TestSystem::start("tokens", Roles::api_only())
        .await
        .unwrap();
    let client = system.graphql();
    let registered = client
        .data(
            "mutation { register(email: \"Rota@Example.com\", password: \"long enough\", userName: \"rota\") { refreshToken } }",
            json!({}),
        )
        .await;
    let first = registered["register"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let refresh = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken user { email } } }";
    let rotated = client.data(refresh, json!({ "t": first })).await;
    assert_eq!(rotated["refreshToken"]["user"]["email"], "rota@example.com");
    let second = rotated["refreshToken"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
    // Reusing the spent token fails and revokes the newer one too.
    assert_eq!(
        client.error_code(refresh, json!({ "t": first })).await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        client.error_code(refresh, json!({ "t": second })).await,
        "UNAUTHENTICATED"
    );
    // Wrong password and duplicate registration are typed errors.
    assert_eq!(
        client.error_code("mutation { login(email: \"rota@example.com\", password: \"wrong one\") { accessToken } }", json!({})).await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        client.error_code("mutation { register(email: \"rota@example.com\", password: \"long enough\", userName: \"rota2\") { accessToken } }", json!({})).await,
        "CONFLICT"
    );
    assert_eq!(
        client.error_code("mutation { register(email: \"not-an-email\", password: \"long enough\", userName: \"rota3\") { accessToken } }", json!({})).await,
        "VALIDATION"
    );
    // A token that does not verify is refused outright, even for public queries.
    let forged = client.with_token("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged");
    assert_eq!(
        forged.error_code("{ me { id } }", json!({})).await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        forged
            .error_code("{ searchItineraries { edges { cursor } } }", json!({}))
            .await,
        "UNAUTHENTICATED"
    );
    // Credentials never reach the event log.
    let (leaks,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM events WHERE payload::text ILIKE '%rota@example.com%'",
    )
    .fetch_one(&system.pool)
    .await
    .unwrap();
    assert_eq!(leaks, 0);
    system.stop().await;
}
