//! The generic command path and the defects found in the spine: idempotency keys, group
//! commit under crossing keys, retries of lost races, input that must never be stored, and
//! limits that keep one request from hurting everyone.

use std::sync::Arc;

use futures::future::join_all;
use futures::StreamExt;
use serde_json::{json, Value};
use uuid::Uuid;
use wayfarer_projections::itinerary::{cache, pg};
use wayfarer_tests::fixtures::{self, ItineraryHandler, RunCommand};
use wayfarer_tests::{Roles, TestSystem};

use crate::support::*;

const CREATE_KEYED: &str = "mutation($input: CreateItineraryInput!, $key: UUID) { createItinerary(input: $input, idempotencyKey: $key) { itineraryId position version replayed } }";
const ADD_KEYED: &str = "mutation($id: UUID!, $input: CreateItineraryItemInput!, $key: UUID) { addItineraryItem(itineraryId: $id, input: $input, idempotencyKey: $key) { itemId position version replayed } }";

fn pg_only() -> Roles {
    Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec![pg::NAME],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_idempotency_key_sent_concurrently_has_one_effect_and_one_answer() {
    let system = TestSystem::start("idem", Roles::api_only()).await.unwrap();
    let (owner, _) = system.graphql().register_user("idem").await;
    let key = Uuid::new_v4();
    let input = trip("Once only", "PUBLIC");
    let answers = join_all((0..12).map(|_| {
        let owner = owner.clone();
        let input = input.clone();
        async move {
            owner
                .data(CREATE_KEYED, json!({ "input": input, "key": key }))
                .await["createItinerary"]
                .clone()
        }
    }))
    .await;
    let first = &answers[0];
    for answer in &answers {
        assert_eq!(answer["itineraryId"], first["itineraryId"]);
        assert_eq!(answer["position"], first["position"]);
        assert_eq!(answer["version"], 1);
    }
    let fresh = answers
        .iter()
        .filter(|answer| answer["replayed"] == false)
        .count();
    assert_eq!(fresh, 1, "exactly one request stored: {answers:?}");
    let id = first["itineraryId"].as_str().unwrap();
    assert_eq!(event_count(&system.pool, id).await, 1);

    // Later retries (the client lost the response) get the same answer, items included.
    let item_key = Uuid::new_v4();
    let add = json!({ "id": id, "input": item("Museum", 2, None), "key": item_key });
    let added = owner.data(ADD_KEYED, add.clone()).await["addItineraryItem"].clone();
    let again = owner.data(ADD_KEYED, add).await["addItineraryItem"].clone();
    assert_eq!(added["itemId"], again["itemId"]);
    assert_eq!(added["position"], again["position"]);
    assert_eq!(again["replayed"], true);
    assert_eq!(event_count(&system.pool, id).await, 2);

    // The same key with another input is refused and stores nothing.
    let other = json!({ "id": id, "input": item("Opera", 3, None), "key": item_key });
    assert_eq!(owner.error_code(ADD_KEYED, other).await, "CONFLICT");
    assert_eq!(event_count(&system.pool, id).await, 2);

    // Keys belong to their caller: another user's request with the same key is its own.
    let (other_user, _) = system.graphql().register_user("idem2").await;
    let theirs = other_user
        .data(CREATE_KEYED, json!({ "input": input, "key": key }))
        .await["createItinerary"]
        .clone();
    assert_ne!(theirs["itineraryId"], first["itineraryId"]);
    assert_eq!(theirs["replayed"], false);
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_commit_with_writers_on_crossing_keys_neither_deadlocks_nor_fails_an_innocent_command(
) {
    let system = TestSystem::start("crossing", Roles::none()).await.unwrap();
    // Three "API processes", each with its own group-commit writers.
    let handlers: Vec<Arc<ItineraryHandler>> = (0..3)
        .map(|_| Arc::new(ItineraryHandler::new(system.pool.clone())))
        .collect();
    let owner = Uuid::now_v7();
    let ids: Vec<Uuid> = (0..40).map(|_| Uuid::now_v7()).collect();
    for id in &ids {
        handlers[0]
            .run(
                *id,
                fixtures::create_trip(owner, *id, "Crossing".into(), 5),
                &fixtures::metadata(owner),
            )
            .await
            .unwrap();
    }
    // Every handler appends to every itinerary, in opposite orders, all at once: batches of
    // different writers hold crossing keys.
    let commands = (0..3).flat_map(|h| {
        let order: Vec<Uuid> = if h % 2 == 0 {
            ids.clone()
        } else {
            ids.iter().rev().copied().collect()
        };
        order.into_iter().enumerate().map(move |(n, id)| (h, n, id))
    });
    let results = join_all(commands.map(|(h, n, id)| {
        let handler = handlers[h].clone();
        async move {
            handler
                .run(
                    id,
                    fixtures::add_stop(owner, n * 3 + h, (n % 5) as i64, None),
                    &fixtures::metadata(owner),
                )
                .await
        }
    }))
    .await;
    let failed: Vec<String> = results
        .iter()
        .filter_map(|result| result.as_ref().err().map(|error| format!("{error:?}")))
        .collect();
    assert!(failed.is_empty(), "no command may fail: {failed:?}");
    let (stored,): (i64,) = sqlx::query_as("SELECT count(*) FROM events")
        .fetch_one(&system.pool)
        .await
        .unwrap();
    assert_eq!(stored as usize, ids.len() * 4);
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_additions_without_a_pinned_version_are_all_retried_until_they_land() {
    let system = TestSystem::start("retry", Roles::api_only()).await.unwrap();
    let (owner, _) = system.graphql().register_user("retry").await;
    let (id, _) = create(&owner, "Busy trip", "PUBLIC").await;
    let results = join_all((0..20).map(|n| {
        let owner = owner.clone();
        let id = id.clone();
        async move {
            owner
                .execute(
                    ADD_ITEM,
                    json!({ "id": id, "input": item(&format!("Stop {n}"), 1 + (n % 5) as u32, None) }),
                )
                .await
        }
    }))
    .await;
    for result in &results {
        assert!(result.get("errors").is_none(), "{result}");
    }
    assert_eq!(event_count(&system.pool, &id).await, 21);
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn control_characters_and_oversized_amounts_are_refused_and_stored_nothing() {
    let system = TestSystem::start("nul", pg_only()).await.unwrap();
    let (owner, _) = system.graphql().register_user("nul").await;
    let (before,): (i64,) = sqlx::query_as("SELECT count(*) FROM events")
        .fetch_one(&system.pool)
        .await
        .unwrap();
    for title in ["Lisbon\u{0}", "Tab\there", "Esc\u{1b}[2J"] {
        let code = owner
            .error_code(CREATE, json!({ "input": trip(title, "PUBLIC") }))
            .await;
        assert_eq!(code, "VALIDATION", "{title:?}");
    }
    let (id, _) = create(&owner, "Fine trip", "PUBLIC").await;
    let mut huge = item("Private jet", 2, None);
    huge["estimatedCost"] = json!({ "amountMinor": 4611686018427387904i64, "currency": "EUR" });
    assert_eq!(
        owner
            .error_code(ADD_ITEM, json!({ "id": id, "input": huge }))
            .await,
        "VALIDATION"
    );
    let mut nul_place = item("Somewhere", 2, Some(("Nul\u{0}place", 1.0, 1.0)));
    nul_place["description"] = json!("two\nlines\tand a tab are fine");
    assert_eq!(
        owner
            .error_code(ADD_ITEM, json!({ "id": id, "input": nul_place }))
            .await,
        "VALIDATION"
    );
    let (after,): (i64,) = sqlx::query_as("SELECT count(*) FROM events")
        .fetch_one(&system.pool)
        .await
        .unwrap();
    assert_eq!(after, before + 1, "only the valid itinerary was stored");

    // The largest amounts that are accepted still sum without overflow, and the projection
    // keeps up: a later write is visible.
    let mut big = item("Yacht", 2, None);
    big["estimatedCost"] = json!({ "amountMinor": 1_000_000_000_000_000i64, "currency": "EUR" });
    add(&owner, &id, big.clone()).await;
    let (_, position) = add(&owner, &id, big).await;
    let read = owner
        .data(
            "query($id: UUID!, $after: Position) { itinerary(id: $id, after: $after) { estimatedTotal { amountMinor } } }",
            json!({ "id": id, "after": position }),
        )
        .await;
    assert_eq!(
        read["itinerary"]["estimatedTotal"]["amountMinor"],
        json!(2_000_000_000_000_000i64)
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn oversized_requests_and_typename_floods_are_refused() {
    let system = TestSystem::start("limits", Roles::api_only())
        .await
        .unwrap();
    let url = format!("{}/graphql", system.api_url.as_deref().unwrap());
    // No pooled connections: the server answers 413 without reading the whole body and then
    // closes, and a request sent on that closing connection would fail with a broken pipe.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let padding = " ".repeat(1024 * 1024 + 1);
    let body = json!({ "query": format!("{{ __typename }}{padding}") }).to_string();
    let response = client
        .post(&url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);

    let aliases: String = (0..5_000).map(|n| format!(" a{n}: __typename")).collect();
    let response: Value = client
        .post(&url)
        .json(&json!({ "query": format!("{{{aliases} }}") }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(response["errors"][0]["extensions"]["code"], "VALIDATION");
    // Spreading one fragment many times counts it each time.
    let fields: String = (0..40).map(|n| format!(" f{n}: __typename")).collect();
    let spreads: String = (0..40)
        .map(|n| format!(" x{n}: __schema {{ ...F }}"))
        .collect();
    let spread_query = format!("{{{spreads} }} fragment F on __Schema {{{fields} }}");
    let response: Value = client
        .post(&url)
        .json(&json!({ "query": spread_query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "VALIDATION",
        "{response}"
    );
    assert!(response.get("data").is_none_or(Value::is_null));

    let search = "query($q: String, $after: String) { searchItineraries(query: $q, after: $after) { edges { cursor } } }";
    let long = "x".repeat(201);
    let code = system
        .graphql()
        .error_code(search, json!({ "q": long }))
        .await;
    assert_eq!(code, "VALIDATION");
    let deep_cursor = base64_url("offset:20000");
    let code = system
        .graphql()
        .error_code(search, json!({ "q": "x", "after": deep_cursor }))
        .await;
    assert_eq!(code, "VALIDATION");
    let overflowing = base64_url(&format!("offset:{}", u64::MAX));
    let code = system
        .graphql()
        .error_code(search, json!({ "q": "x", "after": overflowing }))
        .await;
    assert_eq!(code, "VALIDATION");
    system.stop().await;
}

fn base64_url(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn search_says_unavailable_rather_than_no_results_while_its_index_is_missing() {
    let system = TestSystem::start("noindex", Roles::api_only())
        .await
        .unwrap();
    let code = system
        .graphql()
        .error_code(
            "{ searchItineraries(query: \"x\") { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(code, "UNAVAILABLE");
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stale_cached_copy_never_shows_what_the_view_says_is_private() {
    let system = TestSystem::start("stalecache", pg_only()).await.unwrap();
    let (owner, _) = system.graphql().register_user("cacheowner").await;
    let (stranger, _) = system.graphql().register_user("cachestranger").await;
    let (id, position) = create(&owner, "Hidden villa", "PRIVATE").await;
    let seen = owner
        .data(READ, json!({ "id": id, "after": position }))
        .await;
    assert_eq!(seen["itinerary"]["title"], "Hidden villa");
    // The cache projector lags: it still holds (or wrongly holds) a public copy.
    let uuid: Uuid = id.parse().unwrap();
    let mut stale = pg::find(&system.pool, uuid).await.unwrap().unwrap();
    stale.visibility = wayfarer_schemas::Visibility::Public;
    stale.version = 99;
    let redis = wayfarer_infra::projections::redis_pool(&system.settings.redis.url).unwrap();
    cache::put_views(&redis, &system.settings.names(), &[stale])
        .await
        .unwrap();
    assert!(stranger.data(READ, json!({ "id": id })).await["itinerary"].is_null());
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_subscription_completes_right_after_the_deletion_it_announces() {
    let system = TestSystem::start("subend", Roles::all()).await.unwrap();
    let (owner, _) = system.graphql().register_user("subend").await;
    let (id, position) = create(&owner, "Short-lived", "PUBLIC").await;
    owner
        .data(READ, json!({ "id": id, "after": position }))
        .await;
    let mut changes = owner
        .subscribe(
            "subscription($id: UUID!) { itineraryChanged(id: $id) { version deleted } }",
            json!({ "id": id }),
        )
        .await;
    // The server subscribes to Redis asynchronously: change until a message arrives.
    let mut first = None;
    for n in 0..20 {
        add(&owner, &id, item(&format!("Stop {n}"), 2, None)).await;
        if let Ok(Some(message)) =
            tokio::time::timeout(std::time::Duration::from_millis(500), changes.next()).await
        {
            first = Some(message);
            break;
        }
    }
    assert!(first.is_some(), "the subscription delivers changes");
    owner
        .data(
            "mutation($id: UUID!) { deleteItinerary(id: $id) { version } }",
            json!({ "id": id }),
        )
        .await;
    let mut last = Value::Null;
    let completed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(message) = changes.next().await {
            if message["complete"] == true {
                return true;
            }
            last = message;
        }
        false
    })
    .await
    .expect("the server ends the subscription without waiting for another change");
    assert!(completed);
    assert_eq!(last["data"]["itineraryChanged"]["deleted"], true);
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_errors_are_reported_on_stderr_with_a_failing_exit_status() {
    let system = TestSystem::start("clierrors", Roles::none()).await.unwrap();
    let node = env!("CARGO_BIN_EXE_wayfarer-node");
    let run = |args: &[&str], extra: &[(&str, &str)]| {
        let mut command = std::process::Command::new(node);
        command.args(args).envs(system.child_env());
        for (name, value) in extra {
            command.env(name, value);
        }
        command.output().expect("wayfarer runs")
    };
    let shown = run(&["events", "show", "not-a-uuid"], &[]);
    assert!(!shown.status.success());
    assert!(String::from_utf8_lossy(&shown.stderr).contains("no events"));
    // The API refuses to serve real users with the published development secret.
    let api = run(
        &["api"],
        &[
            ("WAYFARER_API_ADDR", "127.0.0.1:0"),
            (
                "WAYFARER_JWT_SECRET",
                wayfarer_infra::config::DEVELOPMENT_JWT_SECRET,
            ),
        ],
    );
    assert!(!api.status.success());
    assert!(String::from_utf8_lossy(&api.stderr).contains("development JWT secret"));
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_are_kept_a_day_and_purged_after() {
    let system = TestSystem::start("keypurge", Roles::none()).await.unwrap();
    for (key, hours) in [(Uuid::new_v4(), 23), (Uuid::new_v4(), 25)] {
        sqlx::query(
            "INSERT INTO command_idempotency (scope, idempotency_key, fingerprint, \
             aggregate_type, aggregate_id, position, version, created_at) \
             VALUES ('someone', $1, 'f', 'itinerary', 'x', 1, 1, now() - make_interval(hours => $2))",
        )
        .bind(key)
        .bind(hours)
        .execute(&system.pool)
        .await
        .unwrap();
    }
    let purged = wayfarer_commands::idempotency::purge_expired(&system.pool)
        .await
        .unwrap();
    assert_eq!(purged, 1, "only the key older than 24 hours goes");
    let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM command_idempotency")
        .fetch_one(&system.pool)
        .await
        .unwrap();
    assert_eq!(left, 1);
    system.stop().await;
}

const WATCH: &str =
    "subscription($id: UUID!) { itineraryChanged(id: $id) { version visibility deleted } }";

/// Changes the itinerary until the subscription delivers (the server subscribes to Redis
/// asynchronously), then returns.
async fn until_live(
    owner: &wayfarer_tests::GraphqlClient,
    id: &str,
    changes: &mut (impl futures::Stream<Item = Value> + Unpin),
) {
    for n in 0..20 {
        add(owner, id, item(&format!("Stop {n}"), 2, None)).await;
        if let Ok(Some(_)) =
            tokio::time::timeout(std::time::Duration::from_millis(500), changes.next()).await
        {
            return;
        }
    }
    panic!("the subscription never delivered");
}

/// The next message within `seconds`, skipping ordinary changes; `None` on timeout.
async fn completion(
    changes: &mut (impl futures::Stream<Item = Value> + Unpin),
    seconds: u64,
) -> (bool, Vec<Value>) {
    let mut seen = Vec::new();
    let completed = tokio::time::timeout(std::time::Duration::from_secs(seconds), async {
        while let Some(message) = changes.next().await {
            if message["complete"] == true {
                return true;
            }
            seen.push(message);
        }
        false
    })
    .await
    .unwrap_or(false);
    (completed, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_subscriber_who_loses_access_is_shown_nothing_more_and_the_subscription_ends() {
    let system = TestSystem::start("subaccess", Roles::all()).await.unwrap();
    let (owner, _) = system.graphql().register_user("subowner").await;
    let (watcher, _) = system.graphql().register_user("subwatcher").await;
    let (id, position) = create(&owner, "Soon private", "PUBLIC").await;
    owner
        .data(READ, json!({ "id": id, "after": position }))
        .await;
    let mut changes = watcher.subscribe(WATCH, json!({ "id": id })).await;
    until_live(&owner, &id, &mut changes).await;
    owner
        .data(
            "mutation($id: UUID!) { updateItinerary(id: $id, input: { visibility: PRIVATE }) { version } }",
            json!({ "id": id }),
        )
        .await;
    let (completed, seen) = completion(&mut changes, 10).await;
    assert!(completed, "the subscription ends when access is lost");
    assert!(
        seen.iter()
            .all(|m| m["data"]["itineraryChanged"]["visibility"] != "PRIVATE"),
        "nothing hidden is shown: {seen:?}"
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_subscription_ends_when_its_access_token_expires() {
    let mut settings = wayfarer_tests::system::isolated_settings("subexpiry");
    settings.api.access_token_ttl = std::time::Duration::from_secs(3);
    let system = TestSystem::start_with(settings, Roles::all())
        .await
        .unwrap();
    let (owner, _) = system.graphql().register_user("expiring").await;
    let (id, position) = create(&owner, "Short token", "PUBLIC").await;
    owner
        .data(READ, json!({ "id": id, "after": position }))
        .await;
    let mut changes = owner.subscribe(WATCH, json!({ "id": id })).await;
    let (completed, _) = completion(&mut changes, 15).await;
    assert!(
        completed,
        "the server ends the subscription at the token's expiry"
    );
    // A connection opened with a token that has expired since can no longer act.
    let mut connection = owner.ws().await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    connection
        .subscribe(
            "late",
            "mutation($id: UUID!) { deleteItinerary(id: $id) { version } }",
            json!({ "id": id }),
        )
        .await;
    let answer = connection
        .next_message(std::time::Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{answer}"
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn subscriptions_per_connection_are_limited() {
    let system = TestSystem::start("sublimit", pg_only()).await.unwrap();
    let (owner, _) = system.graphql().register_user("sublimit").await;
    let (id, position) = create(&owner, "Popular", "PUBLIC").await;
    owner
        .data(READ, json!({ "id": id, "after": position }))
        .await;
    let mut connection = owner.ws().await;
    let limit = 20;
    for n in 0..=limit {
        connection
            .subscribe(&n.to_string(), WATCH, json!({ "id": id }))
            .await;
    }
    let mut errors = Vec::new();
    while let Some(message) = connection
        .next_message(std::time::Duration::from_secs(3))
        .await
    {
        if message["type"] == "error" || message["payload"]["errors"].is_array() {
            errors.push(message);
        }
    }
    assert_eq!(
        errors.len(),
        1,
        "only the subscription past the limit fails: {errors:?}"
    );
    assert!(errors[0]
        .to_string()
        .contains("at most 20 subscriptions per connection"));
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replayed_refresh_token_revokes_the_successor_its_race_produced() {
    let system = TestSystem::start("refreshrace", Roles::api_only())
        .await
        .unwrap();
    let unique = &Uuid::new_v4().simple().to_string()[..8];
    let registered = system
        .graphql()
        .data(
            "mutation($e: String!, $u: String!) { register(email: $e, password: \"long-enough-pass\", userName: $u) { refreshToken } }",
            json!({ "e": format!("race{unique}@example.com"), "u": format!("race{unique}") }),
        )
        .await;
    let first = registered["register"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    const REFRESH: &str =
        "mutation($t: String!) { refreshToken(refreshToken: $t) { refreshToken } }";
    let client = system.graphql();
    let answers = join_all((0..2).map(|_| {
        let client = client.clone();
        let first = first.clone();
        async move { client.execute(REFRESH, json!({ "t": first })).await }
    }))
    .await;
    let winners: Vec<String> = answers
        .iter()
        .filter_map(|a| {
            a["data"]["refreshToken"]["refreshToken"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(winners.len(), 1, "one rotation wins: {answers:?}");
    // The loser replayed a spent token: the whole family is revoked, the winner's successor
    // included.
    let code = client.error_code(REFRESH, json!({ "t": winners[0] })).await;
    assert_eq!(code, "UNAUTHENTICATED");
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn times_read_the_same_from_every_model() {
    let system = TestSystem::start("precision", Roles::all()).await.unwrap();
    let (owner, _) = system.graphql().register_user("precise").await;
    let (id, position) = create(&owner, "Exact times", "PUBLIC").await;
    system
        .wait_caught_up("itinerary_cache", std::time::Duration::from_secs(30))
        .await;
    let one = owner
        .data(
            "query($id: UUID!, $after: Position) { itinerary(id: $id, after: $after) { createdAt updatedAt } }",
            json!({ "id": id, "after": position }),
        )
        .await;
    let mine = owner
        .data(
            "{ myItineraries { edges { node { createdAt updatedAt } } } }",
            json!({}),
        )
        .await;
    let listed = &mine["myItineraries"]["edges"][0]["node"];
    assert_eq!(one["itinerary"]["createdAt"], listed["createdAt"]);
    assert_eq!(one["itinerary"]["updatedAt"], listed["updatedAt"]);
    let text = listed["createdAt"].as_str().unwrap();
    let fraction = text.split('.').nth(1).map_or(0, |rest| {
        rest.trim_end_matches('Z').trim_end_matches("+00:00").len()
    });
    assert!(fraction <= 6, "microseconds at most: {text}");
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_last_message_never_shows_an_itinerary_that_became_private_before_its_deletion() {
    let system = TestSystem::start("subleak", Roles::all()).await.unwrap();
    let (owner, _) = system.graphql().register_user("leakowner").await;
    let (watcher, _) = system.graphql().register_user("leakwatcher").await;
    let (id, position) = create(&owner, "Public for now", "PUBLIC").await;
    owner
        .data(READ, json!({ "id": id, "after": position }))
        .await;
    let mut changes = watcher
        .subscribe(
            "subscription($id: UUID!) { itineraryChanged(id: $id) { title deleted } }",
            json!({ "id": id }),
        )
        .await;
    until_live(&owner, &id, &mut changes).await;
    // One batch made it private, renamed it and deleted it: the cache publishes one view.
    let uuid: Uuid = id.parse().unwrap();
    let mut last = pg::find(&system.pool, uuid).await.unwrap().unwrap();
    last.visibility = wayfarer_schemas::Visibility::Private;
    last.title = "Secret plan".into();
    last.deleted = true;
    last.version += 10;
    let redis = wayfarer_infra::projections::redis_pool(&system.settings.redis.url).unwrap();
    cache::put_views(&redis, &system.settings.names(), &[last])
        .await
        .unwrap();
    let (completed, seen) = completion(&mut changes, 10).await;
    assert!(completed, "the subscription ends");
    assert!(
        !seen.iter().any(|m| m.to_string().contains("Secret plan")),
        "nothing private is shown: {seen:?}"
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_with_its_fields_in_another_order_is_the_same_request() {
    let system = TestSystem::start("idemorder", Roles::api_only())
        .await
        .unwrap();
    let (owner, _) = system.graphql().register_user("idemorder").await;
    let key = Uuid::new_v4();
    let first = format!("mutation {{ createItinerary(idempotencyKey: \"{key}\", input: {{title: \"Ordered\", startDate: \"2027-05-01\", endDate: \"2027-05-03\", visibility: PUBLIC, baseCurrency: \"EUR\"}}) {{ itineraryId replayed }} }}");
    let again = format!("mutation {{ createItinerary(input: {{baseCurrency: \"EUR\", visibility: PUBLIC, endDate: \"2027-05-03\", startDate: \"2027-05-01\", title: \"Ordered\"}}, idempotencyKey: \"{key}\") {{ itineraryId replayed }} }}");
    let one = owner.data(&first, json!({})).await;
    let two = owner.data(&again, json!({})).await;
    assert_eq!(
        one["createItinerary"]["itineraryId"],
        two["createItinerary"]["itineraryId"]
    );
    assert_eq!(two["createItinerary"]["replayed"], true);
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_dead_letters_a_poison_event_and_completes() {
    let system = TestSystem::start("rebuildpoison", Roles::api_only())
        .await
        .unwrap();
    let (owner, _) = system.graphql().register_user("poisoned").await;
    let (id, _) = create(&owner, "Survives", "PUBLIC").await;
    // A stored itinerary event whose payload no longer decodes (as written by a bug).
    let bad = Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
         payload, metadata) VALUES ('itinerary', $1, 1, 'ItineraryCreated', '1.0', \
         '{\"type\": \"ItineraryCreated\", \"title\": 7}', '{}')",
    )
    .bind(&bad)
    .execute(&system.pool)
    .await
    .unwrap();
    let report = system.rebuild(pg::NAME).await;
    assert_eq!(report.events, 2);
    let letters = wayfarer_projections::dead_letters::list(&system.pool, Some(pg::NAME), true)
        .await
        .unwrap();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].topic, "store");
    let (rows,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM itinerary_view WHERE itinerary_id = $1")
            .bind(Uuid::parse_str(&id).unwrap())
            .fetch_one(&system.pool)
            .await
            .unwrap();
    assert_eq!(rows, 1, "the good itinerary is rebuilt");
    // The rebuilt tables carry the live names of their indexes and keys again.
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
         AND tablename IN ('itinerary_view', 'itinerary_item_view') ORDER BY 1",
    )
    .fetch_all(&system.pool)
    .await
    .unwrap();
    assert_eq!(
        names,
        [
            "itinerary_item_view_order",
            "itinerary_item_view_pkey",
            "itinerary_view_collaborators",
            "itinerary_view_owner",
            "itinerary_view_pkey"
        ]
    );
    // Delete the poison event so the teardown's schema check sees only valid events.
    sqlx::query("DELETE FROM events WHERE aggregate_id = $1")
        .bind(&bad)
        .execute(&system.pool)
        .await
        .unwrap();
    system.stop().await;
}
