//! Admins in GraphQL and on `/admin`: projections' standing, rebuilds started from the API,
//! the audit log and correlated events; nobody else may use them. Rebuilding the itinerary
//! cache pushes nothing to subscribers (the side-effect gate).

use std::time::Duration;

use serde_json::{json, Value};
use wayfarer_tests::{Roles, TestSystem};

use crate::people::{make_admin, person};
use crate::support::{add, create, item};

const PROJECTIONS: &str = "{ projections { name kind replayable position lagEvents lagSeconds \
     deadLetters state rebuildDone rebuildTotal failure rebuiltAt } }";
const AUDIT_LOG: &str = "query($f: AuditLogFilter, $first: Int, $after: String) { \
     auditLog(filter: $f, first: $first, after: $after) { edges { cursor node { position \
     aggregateType aggregateId eventType actorId correlationId payload } } \
     pageInfo { hasNextPage } } }";
const BY_CORRELATION: &str =
    "query($id: UUID!) { eventsByCorrelation(id: $id) { aggregateId eventType } }";
const REBUILD: &str =
    "mutation($n: String!) { rebuildProjection(name: $n) { name state rebuildTotal } }";

fn roles() -> Roles {
    Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec!["users", "itinerary_pg", "itinerary_cache"],
    }
}

fn projection<'a>(projections: &'a Value, name: &str) -> &'a Value {
    projections["projections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {projections}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admins_see_projections_rebuild_them_and_read_the_audit_log() {
    let system = TestSystem::start("adminops", roles()).await.unwrap();
    let anonymous = system.graphql();
    let admin = person(&anonymous, "admin").await;
    let someone = person(&anonymous, "someone").await;
    make_admin(&system, &admin).await;
    let (itinerary, _) = create(&someone.client, "Audited", "PUBLIC").await;
    add(&someone.client, &itinerary, item("Harbour", 1, None)).await;

    // Only admins: anyone else is refused, whatever they ask.
    for (query, variables) in [
        (PROJECTIONS, json!({})),
        (AUDIT_LOG, json!({})),
        (BY_CORRELATION, json!({ "id": uuid::Uuid::new_v4() })),
        (REBUILD, json!({ "n": "itinerary_pg" })),
    ] {
        assert_eq!(
            someone.client.error_code(query, variables.clone()).await,
            "FORBIDDEN"
        );
        assert_eq!(
            anonymous.error_code(query, variables).await,
            "UNAUTHENTICATED"
        );
    }

    // Every registered projection, with its standing.
    let projections = admin.client.data(PROJECTIONS, json!({})).await;
    let names: Vec<&str> = projections["projections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in wayfarer_tests::ALL_PROJECTIONS {
        assert!(names.contains(&name), "{projections}");
    }
    let pg = projection(&projections, "itinerary_pg");
    assert_eq!(pg["state"], "LIVE", "{pg}");
    assert_eq!(pg["kind"], "transactional", "{pg}");
    assert_eq!(pg["replayable"], true, "{pg}");

    // The audit log: newest first, narrowed, paged.
    let filter = json!({ "aggregate": itinerary });
    let page = admin
        .client
        .data(AUDIT_LOG, json!({ "f": filter, "first": 1 }))
        .await;
    let edges = page["auditLog"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["eventType"], "ItineraryItemAdded");
    assert_eq!(edges[0]["node"]["actorId"], someone.id.as_str());
    assert_eq!(page["auditLog"]["pageInfo"]["hasNextPage"], true);
    let next = admin
        .client
        .data(
            AUDIT_LOG,
            json!({ "f": filter, "first": 5, "after": edges[0]["cursor"] }),
        )
        .await;
    let rest = next["auditLog"]["edges"].as_array().unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["node"]["eventType"], "ItineraryCreated");
    assert_eq!(rest[0]["node"]["payload"]["details"]["title"], "Audited");
    assert_eq!(next["auditLog"]["pageInfo"]["hasNextPage"], false);
    let by_type = admin
        .client
        .data(
            AUDIT_LOG,
            json!({ "f": { "eventType": "UserRegistered", "actorId": someone.id } }),
        )
        .await;
    assert_eq!(
        by_type["auditLog"]["edges"].as_array().unwrap().len(),
        1,
        "{by_type}"
    );
    let invalid = admin
        .client
        .error_code(AUDIT_LOG, json!({ "after": "bm90IGEgY3Vyc29y" }))
        .await;
    assert_eq!(invalid, "VALIDATION");
    for filter in [
        json!({ "aggregate": "itinerary\u{0}" }),
        json!({ "eventType": "x".repeat(100_000) }),
    ] {
        assert_eq!(
            admin
                .client
                .error_code(AUDIT_LOG, json!({ "f": filter }))
                .await,
            "VALIDATION"
        );
    }

    // Everything the creating request caused.
    let correlation = rest[0]["node"]["correlationId"].clone();
    let caused = admin
        .client
        .data(BY_CORRELATION, json!({ "id": correlation }))
        .await;
    assert_eq!(
        caused["eventsByCorrelation"],
        json!([{ "aggregateId": itinerary, "eventType": "ItineraryCreated" }])
    );

    // A rebuild started from the API runs in the background and ends live, rebuilt.
    let started = admin
        .client
        .data(REBUILD, json!({ "n": "itinerary_pg" }))
        .await;
    assert_eq!(started["rebuildProjection"]["name"], "itinerary_pg");
    TestSystem::eventually(Duration::from_secs(60), "the rebuild to finish", || async {
        let projections = admin.client.data(PROJECTIONS, json!({})).await;
        let pg = projection(&projections, "itinerary_pg").clone();
        pg["state"] == "LIVE" && !pg["rebuiltAt"].is_null()
    })
    .await;
    assert_eq!(
        admin
            .client
            .error_code(REBUILD, json!({ "n": "no_such" }))
            .await,
        "NOT_FOUND"
    );
    // While a rebuild holds its lock (here: the test, as a CLI rebuild would), another one
    // is refused and the running one shows as rebuilding, however long it takes.
    let mut holder = system.pool.acquire().await.unwrap();
    sqlx::query(
        "SELECT pg_advisory_lock(hashtext('wayfarer.rebuild.' || current_schema() || '.itinerary_pg'))",
    )
    .execute(&mut *holder)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE projection_rebuilds SET state = 'rebuilding', \
         started_at = now() - interval '1 minute' WHERE projection = 'itinerary_pg'",
    )
    .execute(&system.pool)
    .await
    .unwrap();
    assert_eq!(
        admin
            .client
            .error_code(REBUILD, json!({ "n": "itinerary_pg" }))
            .await,
        "CONFLICT"
    );
    let projections = admin.client.data(PROJECTIONS, json!({})).await;
    assert_eq!(
        projection(&projections, "itinerary_pg")["state"],
        "REBUILDING"
    );
    // Once its process is gone (its lock free), it shows as failed: interrupted.
    sqlx::query("SELECT pg_advisory_unlock_all()")
        .execute(&mut *holder)
        .await
        .unwrap();
    drop(holder);
    let projections = admin.client.data(PROJECTIONS, json!({})).await;
    let pg = projection(&projections, "itinerary_pg");
    assert_eq!(pg["state"], "FAILED", "{pg}");
    assert!(
        pg["failure"].as_str().unwrap().contains("interrupted"),
        "{pg}"
    );
    // The rebuilt model still serves the itinerary.
    let read = someone
        .client
        .data(
            "query($id: UUID!) { itinerary(id: $id) { title items { title } } }",
            json!({ "id": itinerary }),
        )
        .await;
    assert_eq!(read["itinerary"]["items"][0]["title"], "Harbour", "{read}");
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rebuilding_the_cache_pushes_nothing_and_swaps_generations() {
    let system = TestSystem::start("cachegate", roles()).await.unwrap();
    let anonymous = system.graphql();
    let owner = person(&anonymous, "owner").await;
    let (itinerary, position) = create(&owner.client, "Quiet", "PUBLIC").await;
    system
        .wait_caught_up("itinerary_cache", Duration::from_secs(30))
        .await;
    let _ = position;
    let id = uuid::Uuid::parse_str(&itinerary).unwrap();
    let names = system.settings.names();
    let redis = redis::Client::open(system.settings.redis.url.as_str()).unwrap();
    // As if the cached view had expired: the old in-place rebuild would announce it again.
    let mut connection = redis.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", names.itinerary_cache_prefix()))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let _: i64 = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut connection)
        .await
        .unwrap();

    let mut pubsub = redis.get_async_pubsub().await.unwrap();
    pubsub
        .psubscribe(format!(
            "{}wayfarer:itinerary-changed:*",
            system.settings.redis.prefix
        ))
        .await
        .unwrap();
    system.rebuild("itinerary_cache").await;
    let pushed = tokio::time::timeout(Duration::from_secs(2), async {
        futures::StreamExt::next(&mut pubsub.on_message()).await
    })
    .await;
    assert!(
        pushed.is_err(),
        "a rebuild pushed {:?}",
        pushed
            .ok()
            .flatten()
            .map(|m| m.get_channel_name().to_owned())
    );

    // Readers find the view in the new generation; the old generation's keys are gone.
    let view = wayfarer_projections::itinerary::cache::get_view(
        &wayfarer_infra::projections::redis_pool(&system.settings.redis.url).unwrap(),
        &names,
        id,
    )
    .await
    .unwrap()
    .expect("the rebuilt cache holds the view");
    assert_eq!(view.title, "Quiet");
    let generation: u64 = redis::cmd("GET")
        .arg(names.itinerary_cache_generation())
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(generation >= 1);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", names.itinerary_cache_prefix()))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(keys, [names.itinerary_cache_key(generation, id)]);

    // The live projector still announces what happens next, once.
    add(&owner.client, &itinerary, item("Pier", 1, None)).await;
    let message = tokio::time::timeout(Duration::from_secs(20), async {
        futures::StreamExt::next(&mut pubsub.on_message()).await
    })
    .await
    .expect("the change is announced")
    .unwrap();
    assert_eq!(message.get_channel_name(), names.itinerary_channel(id));
    system.stop().await;
}
