//! Stop the durable broker during a stream of commands: the API keeps accepting them (the
//! store is the source of truth), the relay and the projectors report the outage in
//! `/health/ready` and `projections status`, and after the restart every event arrives once,
//! in order, in the topic and in the read models.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use wayfarer_tests::kafka_reader::read_topic;
use wayfarer_tests::private_broker::{PrivateBroker, Stop};
use wayfarer_tests::system::isolated_settings;
use wayfarer_tests::{Roles, TestSystem, ALL_PROJECTIONS};

use crate::support::*;

async fn stored_events(pool: &sqlx::PgPool) -> i64 {
    let (count,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM events WHERE aggregate_type = 'itinerary'")
            .fetch_one(pool)
            .await
            .unwrap();
    count
}

async fn ready(base: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{base}/health/ready"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn unreachable_components(body: &Value) -> Vec<String> {
    body["broker"]["unreachable"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|row| row["component"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn status_line<'a>(status: &'a str, name: &str) -> &'a str {
    status
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no {name} line in:\n{status}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_outage_loses_nothing_and_is_reported() {
    let mut broker = PrivateBroker::start("outage").await;
    let mut settings = isolated_settings("outage");
    settings.kafka.brokers = broker.address();
    let system = TestSystem::start_with(settings, Roles::all())
        .await
        .unwrap();
    let base = system.api_url.clone().unwrap();
    let (owner, _) = system.graphql().register_user("outage").await;

    // A steady stream of commands through the API for the whole test; every one must land.
    let writing = Arc::new(AtomicBool::new(true));
    let accepted = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (owner, writing, accepted) = (owner.clone(), writing.clone(), accepted.clone());
        tokio::spawn(async move {
            let mut trips = 0;
            while writing.load(Ordering::Relaxed) {
                let (id, _) = create(&owner, &format!("Outage trip {trips}"), "PUBLIC").await;
                accepted.fetch_add(1, Ordering::Relaxed);
                for day in 1..=4 {
                    add(&owner, &id, item(&format!("Stop {day}"), day, None)).await;
                    accepted.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                trips += 1;
            }
        })
    };

    let pool = system.pool.clone();
    TestSystem::eventually(
        Duration::from_secs(60),
        "events projected before the outage",
        || {
            let pool = pool.clone();
            async move {
                let (views,): (i64,) = sqlx::query_as("SELECT count(*) FROM itinerary_view")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                views >= 3
            }
        },
    )
    .await;
    let (code, body) = ready(&base).await;
    assert_eq!((code, body["status"].as_str()), (200, Some("ok")), "{body}");

    broker.stop(Stop::Kill).await;
    let at_outage = accepted.load(Ordering::Relaxed);

    // The relay and the projectors report the outage; the API stays ready for commands.
    TestSystem::eventually(Duration::from_secs(60), "the outage to be reported", || {
        let base = base.clone();
        async move {
            let (_, body) = ready(&base).await;
            let down = unreachable_components(&body);
            body["status"] == "degraded"
                && down.iter().any(|c| c == "relay")
                && down
                    .iter()
                    .any(|c| c == wayfarer_projections::itinerary::pg::NAME)
        }
    })
    .await;
    let (code, body) = ready(&base).await;
    assert_eq!(
        code, 200,
        "commands still land, so the API stays ready: {body}"
    );
    let status = cli(&system, &["projections", "status"]).await;
    assert!(
        status_line(&status, "relay").contains("UNREACHABLE"),
        "{status}"
    );
    assert!(
        status_line(&status, wayfarer_projections::itinerary::pg::NAME).contains("UNREACHABLE"),
        "{status}"
    );
    assert!(
        accepted.load(Ordering::Relaxed) > at_outage + 10,
        "the API kept accepting commands during the outage ({at_outage} before, {} now)",
        accepted.load(Ordering::Relaxed)
    );

    broker.resume().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    writing.store(false, Ordering::Relaxed);
    writer.await.expect("every command was accepted");

    for projection in ALL_PROJECTIONS {
        system
            .wait_caught_up(projection, Duration::from_secs(120))
            .await;
    }
    TestSystem::eventually(
        Duration::from_secs(60),
        "the recovery to be reported",
        || {
            let base = base.clone();
            async move { ready(&base).await.1["status"] == "ok" }
        },
    )
    .await;
    let status = cli(&system, &["projections", "status"]).await;
    for name in std::iter::once("relay").chain(ALL_PROJECTIONS) {
        assert!(
            status_line(&status, name).ends_with("reachable"),
            "{status}"
        );
    }

    // Every stored event is in the topic exactly once, each aggregate's in order.
    let total = stored_events(&system.pool).await as usize;
    assert_eq!(
        total,
        accepted.load(Ordering::Relaxed),
        "every accepted command stored"
    );
    let topic = system.settings.names().topic("itinerary");
    let brokers = system.settings.kafka.brokers.clone();
    let records = tokio::task::spawn_blocking(move || {
        read_topic(&brokers, &topic, total, Duration::from_secs(60))
    })
    .await
    .unwrap();
    let mut last_seen: HashMap<String, i64> = HashMap::new();
    for record in &records {
        let id = record.value["aggregateId"].as_str().unwrap().to_owned();
        let sequence = record.value["sequence"].as_i64().unwrap();
        let last = last_seen.entry(id.clone()).or_insert(0);
        assert_eq!(sequence, *last + 1, "{id}: once and in order");
        *last = sequence;
    }
    assert_eq!(records.len(), total, "every event published once");

    // The read model holds every event once: each itinerary at its stored version, with
    // its four items.
    let behind: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT e.aggregate_id, max(e.sequence), coalesce(max(v.version), 0) \
         FROM events e LEFT JOIN itinerary_view v ON v.itinerary_id::text = e.aggregate_id \
         WHERE e.aggregate_type = 'itinerary' GROUP BY e.aggregate_id HAVING max(e.sequence) <> coalesce(max(v.version), 0)",
    )
    .fetch_all(&system.pool)
    .await
    .unwrap();
    assert!(behind.is_empty(), "views behind the store: {behind:?}");
    let (items,): (i64,) = sqlx::query_as("SELECT count(*) FROM itinerary_item_view")
        .fetch_one(&system.pool)
        .await
        .unwrap();
    let (views,): (i64,) = sqlx::query_as("SELECT count(*) FROM itinerary_view")
        .fetch_one(&system.pool)
        .await
        .unwrap();
    assert_eq!(
        views + items,
        total as i64,
        "one view per trip, one row per item"
    );

    system.stop().await;
    drop(broker);
}

/// A broker that comes back empty (noida-db after a restart, or a reset data directory): on
/// start-up `dev` finds that the topics hold fewer records than the relay published, the relay
/// republishes the store, and the projections apply only what they lacked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_that_lost_its_log_is_refilled_from_the_store() {
    let first = PrivateBroker::start("lostlog").await;
    let mut settings = isolated_settings("lostlog");
    settings.kafka.brokers = first.address();
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec![wayfarer_projections::itinerary::pg::NAME],
    };
    let mut system = TestSystem::start_with(settings.clone(), roles.clone())
        .await
        .unwrap();
    let (owner, _) = system.graphql().register_user("lostlog").await;
    let (early, _) = create(&owner, "Before the loss", "PUBLIC").await;
    for day in 1..=3 {
        add(&owner, &early, item(&format!("Early {day}"), day, None)).await;
    }
    system
        .wait_caught_up(
            wayfarer_projections::itinerary::pg::NAME,
            Duration::from_secs(60),
        )
        .await;
    assert!(
        !wayfarer_infra::lost_log::recover(&system.settings, &system.pool)
            .await
            .unwrap(),
        "an intact log needs no recovery"
    );
    system.stop_roles_only().await;

    // The same store against a broker that has nothing.
    let second = PrivateBroker::start("lostlog").await;
    settings.kafka.brokers = second.address();
    assert!(
        wayfarer_infra::lost_log::recover(&settings, &system.pool)
            .await
            .unwrap(),
        "an empty broker is a lost log"
    );
    drop(first);
    let system2 = TestSystem::start_with(settings, roles).await.unwrap();
    let owner = system2
        .graphql()
        .with_token(owner.token.as_deref().expect("signed in"));
    let (late, _) = create(&owner, "After the loss", "PUBLIC").await;
    add(&owner, &late, item("Late 1", 1, None)).await;
    system2
        .wait_caught_up(
            wayfarer_projections::itinerary::pg::NAME,
            Duration::from_secs(60),
        )
        .await;

    // The new log holds the whole store once, and the view has each trip at its version.
    let topic = system2.settings.names().topic("itinerary");
    let brokers = system2.settings.kafka.brokers.clone();
    let records = tokio::task::spawn_blocking(move || {
        read_topic(&brokers, &topic, 6, Duration::from_secs(60))
    })
    .await
    .unwrap();
    assert_eq!(records.len(), 6, "4 republished events and 2 new ones");
    let versions: Vec<(String, i64)> =
        sqlx::query_as("SELECT title, version FROM itinerary_view ORDER BY title")
            .fetch_all(&system2.pool)
            .await
            .unwrap();
    assert_eq!(
        versions,
        vec![
            ("After the loss".to_owned(), 2),
            ("Before the loss".to_owned(), 4)
        ]
    );
    let (items,): (i64,) = sqlx::query_as("SELECT count(*) FROM itinerary_item_view")
        .fetch_one(&system2.pool)
        .await
        .unwrap();
    assert_eq!(items, 4, "no item applied twice");
    system2.stop().await;
    drop(second);
}
