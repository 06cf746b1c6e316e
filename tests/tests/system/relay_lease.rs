//! Two relays against one store: only the lease holder publishes; when it stops, the other
//! takes over from the checkpoint. Nothing is published twice or skipped.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use wayfarer_domain::itinerary::{
    CommandContext, ItineraryCommand, ItineraryPatch, NewItineraryDetails,
};
use wayfarer_domain::Visibility;
use wayfarer_infra::roles;
use wayfarer_tests::fixtures::{ItineraryHandler, RunCommand};
use wayfarer_tests::kafka_reader::read_topic;
use wayfarer_tests::{fixtures, Roles, TestSystem};

async fn write(commands: &ItineraryHandler, trips: usize, updates: usize) {
    let owner = Uuid::now_v7();
    for n in 0..trips {
        let id = Uuid::now_v7();
        let context = || CommandContext::new(owner, Utc::now());
        let meta = || fixtures::metadata(owner);
        let details = NewItineraryDetails {
            title: format!("Lease trip {n}"),
            start_date: NaiveDate::from_ymd_opt(2027, 8, 1).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2027, 8, 9).unwrap(),
            visibility: Visibility::Private,
            base_currency: "CHF".into(),
        };
        commands
            .run(
                id,
                ItineraryCommand::Create {
                    context: context(),
                    itinerary_id: id,
                    details,
                },
                &meta(),
            )
            .await
            .unwrap();
        for revision in 0..updates {
            let patch = ItineraryPatch {
                title: Some(format!("Lease trip {n} rev {revision}")),
                ..Default::default()
            };
            commands
                .run(
                    id,
                    ItineraryCommand::Update {
                        context: context(),
                        details: patch,
                    },
                    &meta(),
                )
                .await
                .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_the_lease_holder_publishes_and_a_standby_takes_over() {
    let system = TestSystem::start("lease", Roles::none()).await.unwrap();
    let first = CancellationToken::new();
    let second = CancellationToken::new();
    let relay_a = roles::spawn_relay(&system.settings, first.clone());
    let relay_b = roles::spawn_relay(&system.settings, second.clone());
    let commands = Arc::new(ItineraryHandler::new(system.pool.clone()));

    write(&commands, 20, 9).await;
    // Stop one relay while the other waits; writes continue; then start a third and stop the
    // second, so the lease changes hands twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    first.cancel();
    relay_a.await.unwrap().unwrap();
    write(&commands, 20, 9).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let third = CancellationToken::new();
    let relay_c = roles::spawn_relay(&system.settings, third.clone());
    second.cancel();
    relay_b.await.unwrap().unwrap();
    write(&commands, 10, 9).await;

    let total = 50 * 10;
    let topic = system.settings.names().topic("itinerary");
    let brokers = system.settings.kafka.brokers.clone();
    let read = |expected: usize, wait: u64| {
        let topic = topic.clone();
        let brokers = brokers.clone();
        tokio::task::spawn_blocking(move || {
            read_topic(&brokers, &topic, expected, Duration::from_secs(wait))
        })
    };
    let records = read(total, 60).await.unwrap();
    let unique: HashSet<(String, i64)> = records
        .iter()
        .map(|r| {
            (
                r.value["aggregateId"].as_str().unwrap().to_owned(),
                r.value["sequence"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(unique.len(), total, "every event published");
    assert_eq!(records.len(), total, "nothing published twice");
    third.cancel();
    relay_c.await.unwrap().unwrap();
    system.stop().await;
}
