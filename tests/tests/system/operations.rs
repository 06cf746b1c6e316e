//! What operators and admins rely on: health, metrics, limits, the CLI, rebuilds under load.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wayfarer_tests::ALL_PROJECTIONS;
use wayfarer_tests::{schema_check, Roles, TestSystem};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_metrics_and_query_limits_work() {
    let system = TestSystem::start("ops", Roles::api_only()).await.unwrap();
    let base = system.api_url.clone().unwrap();
    let live = reqwest::get(format!("{base}/health/live")).await.unwrap();
    assert_eq!(live.status(), 200);
    let ready = reqwest::get(format!("{base}/health/ready")).await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<serde_json::Value>().await.unwrap(),
        json!({
            "status": "ok",
            "postgres": true,
            "redis": true,
            "broker": { "known": true, "unreachable": [] }
        })
    );
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("# TYPE"),
        "prometheus text format: {metrics}"
    );
    let graphiql = reqwest::get(format!("{base}/graphql"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(graphiql.to_lowercase().contains("graphiql"));

    let too_deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } }";
    let response = system.graphql().execute(too_deep, json!({})).await;
    let message = response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        message.contains("too deep") || message.contains("depth"),
        "{response}"
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cli_shows_status_and_an_aggregates_events() {
    let system = TestSystem::start("cli", Roles::all()).await.unwrap();
    let (owner, _) = system.graphql().register_user("cli").await;
    let (id, _) = create(&owner, "Oslo fjords", "PUBLIC").await;
    add(
        &owner,
        &id,
        item("Opera house", 2, Some(("Opera", 59.907, 10.753))),
    )
    .await;
    for projection in ALL_PROJECTIONS {
        system
            .wait_caught_up(projection, Duration::from_secs(60))
            .await;
    }
    let status = cli(&system, &["projections", "status"]).await;
    for name in ALL_PROJECTIONS {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{status}"));
        let columns: Vec<&str> = line.split_whitespace().collect();
        // The owner's registration is 1; the itinerary's two events end at 3.
        // No template was saved, no wallet used, nothing booked, no place added or reviewed, nothing posted:
        // those consumed nothing.
        let last_consumed = match name {
            _ if name.starts_with("users") => "1",
            wayfarer_projections::template::NAME
            | wayfarer_projections::wallet::NAME
            | wayfarer_projections::booking::NAME
            | wayfarer_projections::place::NAME
            | wayfarer_projections::review::NAME
            | wayfarer_projections::post::NAME
            | wayfarer_projections::moderation::NAME => "0",
            _ => "3",
        };
        assert_eq!(columns[1], last_consumed, "position of {name}: {status}");
        assert_eq!(columns[2], "0", "lag of {name}: {status}");
        assert_eq!(columns[3], "0.0", "lag in seconds of {name}: {status}");
        assert_eq!(columns[6], "live", "state of {name}: {status}");
    }
    let env = system.child_env();
    let shown = tokio::process::Command::new(env!("CARGO_BIN_EXE_wayfarer-node"))
        .args(["events", "show", &id])
        .envs(env)
        .output()
        .await
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(shown.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["payload"]["type"], "ItineraryItemAdded");
    schema_check::assert_envelopes_valid(&lines);

    // Auditors: the stream as it stood at the first event's time, and everything the first
    // request caused, found by its correlation id.
    let created_at = lines[0]["occurredAt"].as_str().unwrap();
    let then = cli(&system, &["events", "show", &id, "--as-of", created_at]).await;
    assert_eq!(then.lines().count(), 1, "{then}");
    assert!(then.contains("ItineraryCreated"));
    let correlation = lines[0]["metadata"]["correlationId"].as_str().unwrap();
    let caused = cli(&system, &["events", "by-correlation", correlation]).await;
    let caused: Vec<serde_json::Value> = caused
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(caused.len(), 1);
    assert_eq!(caused[0]["aggregateId"], id.as_str());
    let nothing = tokio::process::Command::new(env!("CARGO_BIN_EXE_wayfarer-node"))
        .args([
            "events",
            "by-correlation",
            &uuid::Uuid::new_v4().to_string(),
        ])
        .envs(system.child_env())
        .output()
        .await
        .unwrap();
    assert!(
        !nothing.status.success(),
        "an unknown correlation id is an error"
    );

    // The itinerary's state as it stood after its first event, folded from the log: no stop
    // yet; and now, with the stop.
    let state: serde_json::Value =
        serde_json::from_str(&cli(&system, &["events", "as-of", &id, created_at]).await).unwrap();
    assert_eq!(state["aggregateType"], "itinerary", "{state}");
    assert_eq!(state["sequence"], 1, "{state}");
    assert_eq!(
        state["state"]["items"].as_array().map(Vec::len),
        Some(0),
        "{state}"
    );
    let now = chrono::Utc::now().to_rfc3339();
    let state: serde_json::Value =
        serde_json::from_str(&cli(&system, &["events", "as-of", &id, &now]).await).unwrap();
    assert_eq!(state["sequence"], 2, "{state}");
    assert_eq!(
        state["state"]["items"].as_array().map(Vec::len),
        Some(1),
        "{state}"
    );

    // The newest events, filtered by type and by aggregate; and each new one as it commits.
    let tail = cli(&system, &["events", "tail", "--type", "ItineraryItemAdded"]).await;
    let tail: Vec<serde_json::Value> = tail
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0]["aggregateId"], id.as_str());
    let tail = cli(
        &system,
        &["events", "tail", "--aggregate", "user", "--limit", "5"],
    )
    .await;
    assert_eq!(tail.lines().count(), 1, "{tail}");
    assert!(tail.contains("UserRegistered"), "{tail}");
    let mut follow = tokio::process::Command::new(env!("CARGO_BIN_EXE_wayfarer-node"))
        .args([
            "events",
            "tail",
            "--follow",
            "--aggregate",
            &id,
            "--limit",
            "0",
        ])
        .envs(system.child_env())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines =
        tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(follow.stdout.take().unwrap()));
    // Once it follows, a new stop arrives on its own.
    tokio::time::sleep(Duration::from_millis(500)).await;
    add(&owner, &id, item("Fortress", 3, None)).await;
    let followed = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("the followed event arrives")
        .unwrap()
        .unwrap();
    assert!(followed.contains("Fortress"), "{followed}");
    follow.kill().await.unwrap();

    // The analysts' example consumer reads both topics from the start in a group of its own:
    // the owner's registration and the itinerary's three events, once each.
    let consumed = tokio::process::Command::new(env!("CARGO_BIN_EXE_example-consumer"))
        .args([
            "--brokers",
            &system.settings.kafka.brokers,
            "--prefix",
            &system.settings.kafka.prefix,
            "--group",
            &format!("{}analysts", system.settings.kafka.prefix),
            "--stop-after",
            "4",
            "--idle-seconds",
            "30",
        ])
        .output()
        .await
        .unwrap();
    assert!(
        consumed.status.success(),
        "{}",
        String::from_utf8_lossy(&consumed.stderr)
    );
    let consumed = String::from_utf8(consumed.stdout).unwrap();
    let mut types: Vec<&str> = consumed
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "wayfarer.itinerary.ItineraryCreated.v2.0",
            "wayfarer.itinerary.ItineraryItemAdded.v2.0",
            "wayfarer.itinerary.ItineraryItemAdded.v2.0",
            "wayfarer.user.UserRegistered.v1.0",
        ],
        "{consumed}"
    );

    // Every replayable projection, one after another; each then reports itself live.
    let rebuilt = cli(&system, &["projections", "rebuild", "--all"]).await;
    assert_eq!(
        rebuilt
            .lines()
            .filter(|l| l.starts_with("rebuilt "))
            .count(),
        ALL_PROJECTIONS.len(),
        "{rebuilt}"
    );
    let status = cli(&system, &["projections", "status"]).await;
    for name in ALL_PROJECTIONS {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        assert_eq!(line.split_whitespace().nth(6), Some("live"), "{status}");
    }

    // The store proves intact, and a checkpoint signs it.
    cli(&system, &["events", "checkpoint"]).await;
    let verified = cli(&system, &["events", "verify"]).await;
    assert!(verified.ends_with("intact\n"), "{verified}");
    let verified = cli(&system, &["events", "verify", "--aggregate", &id]).await;
    assert!(verified.ends_with("intact\n"), "{verified}");

    let unknown = tokio::process::Command::new(env!("CARGO_BIN_EXE_wayfarer-node"))
        .args(["projections", "rebuild", "no_such_projection"])
        .envs(system.child_env())
        .output()
        .await
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown projection"));
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rebuilding_under_live_writes_never_shows_readers_an_empty_model() {
    let system = TestSystem::start("rebuild", Roles::all()).await.unwrap();
    let (owner, _) = system.graphql().register_user("rebuilder").await;
    let (id, position) = create(&owner, "Rebuild road trip", "PUBLIC").await;
    owner
        .data(READ, json!({ "id": id, "after": position }))
        .await;

    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let owner = owner.clone();
        let id = id.clone();
        let writing = writing.clone();
        tokio::spawn(async move {
            let mut added = 0;
            while writing.load(Ordering::SeqCst) && added < 60 {
                add(&owner, &id, item(&format!("Stop {added}"), 2, None)).await;
                added += 1;
            }
            added
        })
    };
    let reader = {
        let reader = system.graphql();
        let id = id.clone();
        let writing = writing.clone();
        tokio::spawn(async move {
            let mut last_count = 0;
            let mut reads = 0;
            while writing.load(Ordering::SeqCst) {
                let data = reader.data(READ, json!({ "id": id })).await;
                let items = data["itinerary"]["items"]
                    .as_array()
                    .expect("never missing during a rebuild")
                    .len();
                assert!(items >= last_count, "never goes backwards");
                last_count = items;
                reads += 1;
            }
            reads
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    for name in ALL_PROJECTIONS {
        system.rebuild(name).await;
    }
    // The rebuilt tables carry every index the live ones had (built after the bulk fill).
    for (table, expected) in [("itinerary_view", 3i64), ("itinerary_item_view", 2)] {
        let (indexes,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1",
        )
        .bind(table)
        .fetch_one(&system.pool)
        .await
        .unwrap();
        assert_eq!(indexes, expected, "indexes of {table}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    writing.store(false, Ordering::SeqCst);
    let added = writer.await.unwrap();
    assert!(reader.await.unwrap() > 0);
    for projection in ALL_PROJECTIONS {
        system
            .wait_caught_up(projection, Duration::from_secs(60))
            .await;
    }
    let (version, count): (i64, i64) = sqlx::query_as(
        "SELECT v.version, (SELECT count(*) FROM itinerary_item_view i WHERE i.itinerary_id = v.itinerary_id) FROM itinerary_view v",
    )
    .fetch_one(&system.pool)
    .await
    .unwrap();
    assert_eq!(count, added as i64);
    assert_eq!(version, added as i64 + 1);
    let found = system
        .graphql()
        .data("{ searchItineraries(query: \"Rebuild road trip\") { edges { node { id items { id } } } } }", json!({}))
        .await;
    assert_eq!(
        found["searchItineraries"]["edges"][0]["node"]["id"],
        id.as_str()
    );
    system.stop().await;
}

/// A reader joining two of a projection's tables holds the first while it waits for the
/// second. The swap takes both; if it has the second and waits for the first, neither could go
/// on: the swap must give way (not deadlock, which PostgreSQL would break by failing one side).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_swap_gives_way_to_a_reader_holding_one_of_its_tables() {
    let system = TestSystem::start("swaplock", Roles::all()).await.unwrap();
    system.graphql().register_user("joiner").await;
    let users = wayfarer_projections::user::pg::NAME;

    // The reader holds `users` (the swap takes `user_follows` first, then `users`).
    let mut reader = system.pool.begin().await.unwrap();
    sqlx::query("SELECT count(*) FROM users")
        .execute(&mut *reader)
        .await
        .unwrap();
    let reading = async {
        // Once the swap waits for `users` (holding `user_follows`), the reader asks for
        // `user_follows`: it must get it, not die in a deadlock.
        let waiting_for_users = "SELECT EXISTS (SELECT 1 FROM pg_locks \
             WHERE relation = to_regclass('users') AND mode = 'AccessExclusiveLock' \
               AND NOT granted)";
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let (waiting,): (bool,) = sqlx::query_as(waiting_for_users)
                .fetch_one(&system.pool)
                .await
                .unwrap();
            if waiting {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the swap never began");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        sqlx::query(
            "SELECT count(*) FROM users u JOIN user_follows f ON f.followee_id = u.user_id",
        )
        .execute(&mut *reader)
        .await
        .expect("the reader is not the victim of a deadlock");
        reader.commit().await.unwrap();
    };
    let (report, ()) = tokio::join!(system.rebuild(users), reading);
    assert_eq!(report.projection, users);
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_search_index_is_rebuilt_from_the_store_when_its_projector_starts() {
    let system = TestSystem::start("lostindex", Roles::all()).await.unwrap();
    let (owner, _) = system.graphql().register_user("indexer").await;
    let (id, position) = create(&owner, "Fjord cruise", "PUBLIC").await;
    let search = "query($p: Position) { searchItineraries(query: \"Fjord\", afterPosition: $p) { edges { node { id } } } }";
    let found = system
        .graphql()
        .data(search, json!({ "p": position }))
        .await;
    assert_eq!(
        found["searchItineraries"]["edges"][0]["node"]["id"],
        id.as_str()
    );
    let settings = system.settings.clone();
    let api = system.graphql();
    // Keep the store, lose every index (as when the in-memory search server restarts).
    let pattern = format!(
        "{}/{}*",
        settings.opensearch.url, settings.opensearch.prefix
    );
    reqwest::Client::new()
        .delete(&pattern)
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.error_code(search, json!({})).await,
        "UNAVAILABLE",
        "a missing index is reported as being built, never as \"no results\""
    );

    let mut projector = TestSystem::start_with(
        settings,
        Roles {
            projectors: vec![wayfarer_projections::itinerary::search::NAME],
            ..Roles::none()
        },
    )
    .await
    .unwrap();
    TestSystem::eventually(
        Duration::from_secs(30),
        "the rebuilt index to find the itinerary",
        || {
            let api = api.clone();
            let id = id.clone();
            async move {
                // UNAVAILABLE until the index is built, then the hit.
                let found = api.execute(search, json!({})).await;
                found["data"]["searchItineraries"]["edges"][0]["node"]["id"] == id.as_str()
            }
        },
    )
    .await;
    projector.stop_roles_only().await;
    system.stop().await;
}

/// `api` and `project` refuse the development master key: personal data sealed with it would
/// be readable by anyone with this source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serving_roles_refuse_the_development_master_key() {
    let system = TestSystem::start("masterkey", Roles::none()).await.unwrap();
    for role in ["api", "project"] {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_wayfarer-node"))
            .arg(role)
            .envs(system.child_env())
            .env("WAYFARER_JWT_SECRET", "a-real-secret-for-this-test")
            .env(
                "WAYFARER_MASTER_KEY",
                wayfarer_infra::config::DEVELOPMENT_MASTER_KEY,
            )
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{role} started");
        assert!(
            stderr.contains("development master key"),
            "{role}: {stderr}"
        );
    }
    system.stop().await;
}
