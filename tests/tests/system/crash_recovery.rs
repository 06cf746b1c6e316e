//! SIGKILL the relay and the projector mid-stream: after restarts every event arrives, the
//! read model equals a clean rebuild, and nothing is duplicated.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::process::{Child, Command};
use uuid::Uuid;
use wayfarer_tests::fixtures::{ItineraryHandler, RunCommand};
use wayfarer_tests::kafka_reader::read_topic;
use wayfarer_tests::{fixtures, Roles, TestSystem};

const ITINERARIES: usize = 24;
const ITEMS_EACH: usize = 12;

fn spawn_role(system: &TestSystem, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_wayfarer-node"))
        .args(args)
        .envs(system.child_env())
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("role process starts")
}

async fn kill(child: &mut Child) {
    child.start_kill().expect("SIGKILL sent");
    child.wait().await.expect("process reaped");
}

async fn write_trip(commands: Arc<ItineraryHandler>, owner: Uuid, n: usize) {
    let id = Uuid::now_v7();
    let create = fixtures::create_trip(owner, id, format!("Trip {n}"), 20);
    commands
        .run(id, create, &fixtures::metadata(owner))
        .await
        .unwrap();
    for day in 0..ITEMS_EACH {
        let stop = fixtures::add_stop(owner, day, day as i64, None);
        commands
            .run(id, stop, &fixtures::metadata(owner))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
}

async fn snapshot(pool: &sqlx::PgPool) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    let views: Vec<(serde_json::Value,)> =
        sqlx::query_as("SELECT to_jsonb(v) FROM itinerary_view v ORDER BY itinerary_id")
            .fetch_all(pool)
            .await
            .unwrap();
    let items: Vec<(serde_json::Value,)> = sqlx::query_as(
        "SELECT to_jsonb(i) FROM itinerary_item_view i ORDER BY itinerary_id, ordinal",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    (
        views.into_iter().map(|r| r.0).collect(),
        items.into_iter().map(|r| r.0).collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_relay_and_projector_resume_without_loss_or_duplicates() {
    let system = TestSystem::start("crash", Roles::none()).await.unwrap();
    let mut relay = spawn_role(&system, &["relay"]);
    let mut projector = spawn_role(&system, &["project", "--only", "itinerary_pg"]);
    let commands = Arc::new(ItineraryHandler::new(system.pool.clone()));
    let owner = Uuid::now_v7();

    let writers: Vec<_> = (0..ITINERARIES)
        .map(|n| {
            let commands = commands.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis((n as u64 % 6) * 150)).await;
                write_trip(commands, owner, n).await
            })
        })
        .collect();

    // Kill each role while events are flowing, then start it again.
    tokio::time::sleep(Duration::from_millis(700)).await;
    kill(&mut relay).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    relay = spawn_role(&system, &["relay"]);
    tokio::time::sleep(Duration::from_millis(700)).await;
    kill(&mut projector).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    projector = spawn_role(&system, &["project", "--only", "itinerary_pg"]);
    for writer in writers {
        writer.await.unwrap();
    }
    let total = ITINERARIES * (ITEMS_EACH + 1);
    system
        .wait_caught_up("itinerary_pg", Duration::from_secs(120))
        .await;

    // Every event reached Kafka (duplicates allowed after a crash), each aggregate in order.
    let topic = system.settings.names().topic("itinerary");
    let brokers = system.settings.kafka.brokers.clone();
    let records = tokio::task::spawn_blocking(move || {
        read_topic(&brokers, &topic, total, Duration::from_secs(60))
    })
    .await
    .unwrap();
    let mut unique = HashSet::new();
    let mut last_seen: HashMap<String, i64> = HashMap::new();
    for record in &records {
        let id = record.value["aggregateId"].as_str().unwrap().to_owned();
        let sequence = record.value["sequence"].as_i64().unwrap();
        if unique.insert((id.clone(), sequence)) {
            let last = last_seen.entry(id).or_insert(0);
            assert_eq!(
                sequence,
                *last + 1,
                "first deliveries are gap-free and in order"
            );
            *last = sequence;
        }
    }
    assert_eq!(unique.len(), total, "every event published");

    // The read model has no duplicates and equals a clean rebuild from the store.
    let (views, items) = snapshot(&system.pool).await;
    assert_eq!(views.len(), ITINERARIES);
    assert_eq!(
        items.len(),
        ITINERARIES * ITEMS_EACH,
        "no item applied twice"
    );
    assert!(views
        .iter()
        .all(|v| v["version"] == (ITEMS_EACH as i64 + 1)));
    system
        .rebuild(wayfarer_projections::itinerary::pg::NAME)
        .await;
    assert_eq!(
        snapshot(&system.pool).await,
        (views, items),
        "live model equals a clean rebuild"
    );

    kill(&mut relay).await;
    kill(&mut projector).await;
    system.stop().await;
}
