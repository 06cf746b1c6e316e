//! Who may do what, optimistic concurrency, and bad input: rejected commands store nothing.

use serde_json::json;
use wayfarer_tests::{Roles, TestSystem};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_the_owner_changes_an_itinerary_and_private_ones_stay_hidden() {
    let system = TestSystem::start(
        "access",
        Roles {
            api: true,
            relay: true,
            sagas: false,
            projectors: vec![wayfarer_projections::itinerary::pg::NAME],
        },
    )
    .await
    .unwrap();
    let (owner, _) = system.graphql().register_user("owner").await;
    let (stranger, _) = system.graphql().register_user("stranger").await;
    let (id, position) = create(&owner, "Secret retreat", "PRIVATE").await;
    let before = event_count(&system.pool, &id).await;

    let code = stranger
        .error_code(
            ADD_ITEM,
            json!({ "id": id, "input": item("Crash the party", 2, None) }),
        )
        .await;
    // A private itinerary is missing to a stranger, exactly as one that never existed.
    assert_eq!(code, "NOT_FOUND");
    let code = stranger
        .error_code(
            "mutation($id: UUID!) { deleteItinerary(id: $id) { version } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    let missing = stranger
        .execute(
            "mutation($id: UUID!) { deleteItinerary(id: $id) { version } }",
            json!({ "id": uuid::Uuid::now_v7() }),
        )
        .await;
    let hidden = stranger
        .execute(
            "mutation($id: UUID!) { deleteItinerary(id: $id) { version } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        missing["errors"][0]["message"], hidden["errors"][0]["message"],
        "hidden looks exactly like missing"
    );
    // On a public itinerary a stranger may know it exists, and is only forbidden.
    let (public_id, _) = create(&owner, "Open house", "PUBLIC").await;
    let code = stranger
        .error_code(
            "mutation($id: UUID!) { deleteItinerary(id: $id) { version } }",
            json!({ "id": public_id }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(
        event_count(&system.pool, &id).await,
        before,
        "a forbidden mutation stored nothing"
    );

    // The owner sees it; the stranger and anonymous callers get null, as for a missing one.
    let seen = owner
        .data(READ, json!({ "id": id, "after": position }))
        .await;
    assert_eq!(seen["itinerary"]["title"], "Secret retreat");
    assert!(stranger
        .data(READ, json!({ "id": id, "after": position }))
        .await["itinerary"]
        .is_null());
    assert!(system.graphql().data(READ, json!({ "id": id })).await["itinerary"].is_null());
    // Unauthenticated mutations and queries needing a user are refused.
    assert_eq!(
        system
            .graphql()
            .error_code("{ myItineraries { edges { node { id } } } }", json!({}))
            .await,
        "UNAUTHENTICATED"
    );
    // An unknown itinerary is NOT_FOUND for mutations.
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        owner
            .error_code(
                ADD_ITEM,
                json!({ "id": unknown, "input": item("x", 2, None) })
            )
            .await,
        "NOT_FOUND"
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invalid_input_is_a_validation_error_and_stores_nothing() {
    let system = TestSystem::start("invalid", Roles::api_only())
        .await
        .unwrap();
    let (owner, _) = system.graphql().register_user("planner").await;
    let (id, _) = create(&owner, "Kyoto in spring", "PUBLIC").await;
    let before = event_count(&system.pool, &id).await;
    let cases = [
        item("Outside the trip", 9, None),
        json!({ "title": "Ends before it starts", "startTime": "2027-05-02T12:00:00Z", "endTime": "2027-05-02T10:00:00Z" }),
        item("Nowhere", 2, Some(("Nowhere", 123.0, 0.0))),
        json!({ "title": "", "startTime": "2027-05-02T10:00:00Z", "endTime": "2027-05-02T11:00:00Z" }),
        json!({ "title": "Negative", "startTime": "2027-05-02T10:00:00Z", "endTime": "2027-05-02T11:00:00Z", "estimatedCost": { "amountMinor": -5, "currency": "EUR" } }),
        json!({ "title": "Bad currency", "startTime": "2027-05-02T10:00:00Z", "endTime": "2027-05-02T11:00:00Z", "estimatedCost": { "amountMinor": 5, "currency": "euro" } }),
    ];
    for case in cases {
        let code = owner
            .error_code(ADD_ITEM, json!({ "id": id, "input": case }))
            .await;
        assert_eq!(code, "VALIDATION", "for {case}");
    }
    let bad_dates = json!({ "title": "Backwards", "startDate": "2027-05-05", "endDate": "2027-05-01", "baseCurrency": "EUR" });
    assert_eq!(
        owner
            .error_code(CREATE, json!({ "input": bad_dates }))
            .await,
        "VALIDATION"
    );
    assert_eq!(
        event_count(&system.pool, &id).await,
        before,
        "rejected commands stored nothing"
    );
    // Malformed variables for a document that has already run (and is cached): the GraphQL
    // layer refuses them before anything runs, with the same code. An unknown input field is
    // refused too, not silently dropped.
    assert_eq!(
        owner
            .data(
                ADD_ITEM,
                json!({ "id": id, "input": item("Fine", 2, None) })
            )
            .await["addItineraryItem"]["version"],
        2
    );
    let before = event_count(&system.pool, &id).await;
    let malformed = [
        json!({ "id": "not-a-uuid", "input": item("Bad id", 2, None) }),
        json!({ "id": id, "input": { "startTime": "2027-05-02T10:00:00Z", "endTime": "2027-05-02T11:00:00Z" } }),
        json!({ "id": id, "input": { "title": "Bad time", "startTime": "yesterday", "endTime": "2027-05-02T11:00:00Z" } }),
        json!({ "id": id, "input": { "title": "Bad category", "startTime": "2027-05-02T10:00:00Z", "endTime": "2027-05-02T11:00:00Z", "category": "PICNIC" } }),
        json!({ "id": id, "input": { "title": "Misspelt cost", "startTime": "2027-05-02T10:00:00Z", "endTime": "2027-05-02T11:00:00Z", "estimatedCoast": { "amountMinor": 100, "currency": "EUR" } } }),
    ];
    for variables in malformed {
        assert_eq!(
            owner.error_code(ADD_ITEM, variables.clone()).await,
            "VALIDATION",
            "for {variables}"
        );
    }
    assert_eq!(
        owner
            .error_code("mutation { addItineraryItem(", json!({}))
            .await,
        "VALIDATION"
    );
    let bad_reorder = "mutation($id: UUID!) { reorderItineraryItems(itineraryId: $id, itemIds: [\"01a20511-d728-74d1-8d9b-749279085d12\"]) { version } }";
    assert_eq!(
        owner.error_code(bad_reorder, json!({ "id": id })).await,
        "VALIDATION"
    );
    assert_eq!(
        event_count(&system.pool, &id).await,
        before,
        "rejected commands stored nothing"
    );
    let (total,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM events WHERE aggregate_type = 'itinerary'")
            .fetch_one(&system.pool)
            .await
            .unwrap();
    assert_eq!(
        total, 2,
        "only the creation and the one valid item are stored"
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stale_expected_version_is_a_conflict_and_a_retry_with_the_fresh_one_succeeds() {
    let system = TestSystem::start("conflict", Roles::api_only())
        .await
        .unwrap();
    let (owner, _) = system.graphql().register_user("racer").await;
    let (id, _) = create(&owner, "Racing to Rome", "PUBLIC").await;
    let add = |title: &'static str, version: u64| {
        let owner = owner.clone();
        let id = id.clone();
        async move {
            owner
                .execute(
                    ADD_ITEM,
                    json!({ "id": id, "input": item(title, 2, None), "v": version }),
                )
                .await
        }
    };
    // Two clients both read version 1 and write concurrently.
    let (first, second) = tokio::join!(add("Colosseum", 1), add("Pantheon", 1));
    let codes: Vec<Option<&str>> = [&first, &second]
        .iter()
        .map(|r| r["errors"][0]["extensions"]["code"].as_str())
        .collect();
    assert_eq!(
        codes.iter().filter(|c| c.is_none()).count(),
        1,
        "exactly one wins: {first} {second}"
    );
    assert!(
        codes.contains(&Some("CONFLICT")),
        "the other gets CONFLICT: {first} {second}"
    );
    // The loser retries against the current version and succeeds.
    let retried = add("Pantheon", 2).await;
    assert!(retried.get("errors").is_none(), "{retried}");
    assert_eq!(retried["data"]["addItineraryItem"]["version"], 3);

    // Without a pinned version, concurrent commands are retried server-side: all land.
    let adds = (0..8).map(|n| {
        let owner = owner.clone();
        let id = id.clone();
        async move {
            owner
                .data(
                    ADD_ITEM,
                    json!({ "id": id, "input": item(&format!("Stop {n}"), 3, None) }),
                )
                .await
        }
    });
    futures::future::join_all(adds).await;
    assert_eq!(event_count(&system.pool, &id).await, 11);
    system.stop().await;
}
