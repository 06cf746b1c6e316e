//! The command side's event store: group commit and the aggregate cache never let a stale
//! decision through. Several handlers stand for several API processes sharing one store.

use std::sync::Arc;

use chrono::Utc;
use futures::future::join_all;
use uuid::Uuid;
use wayfarer_commands::CommandError;
use wayfarer_domain::itinerary::{CommandContext, ItemPatch, ItineraryCommand};
use wayfarer_tests::fixtures::{ItineraryHandler, RunCommand};
use wayfarer_tests::{fixtures, Roles, TestSystem};

async fn sequences(pool: &sqlx::PgPool, id: Uuid) -> Vec<i64> {
    sqlx::query_scalar("SELECT sequence FROM events WHERE aggregate_id = $1 ORDER BY sequence")
        .bind(id.to_string())
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_commands_on_one_itinerary_all_land_once_in_a_dense_stream() {
    let system = TestSystem::start("groupcommit", Roles::none())
        .await
        .unwrap();
    // Three "processes", each with its own cache and its own group-commit writers.
    let handlers: Vec<_> = (0..3)
        .map(|_| Arc::new(ItineraryHandler::new(system.pool.clone())))
        .collect();
    let owner = Uuid::now_v7();
    let id = Uuid::now_v7();
    handlers[0]
        .run(
            id,
            fixtures::create_trip(owner, id, "Race".into(), 5),
            &fixtures::metadata(owner),
        )
        .await
        .unwrap();

    const ADDS: usize = 60;
    let results = join_all((0..ADDS).map(|n| {
        let handler = handlers[n % handlers.len()].clone();
        async move {
            handler
                .run(
                    id,
                    fixtures::add_stop(owner, n, (n % 5) as i64, None),
                    &fixtures::metadata(owner),
                )
                .await
        }
    }))
    .await;

    // Under this much contention some commands may run out of retries: they must say so
    // (CONFLICT) and have stored nothing; every other one landed exactly once.
    let mut versions = Vec::new();
    let mut conflicted = Vec::new();
    for (n, result) in results.into_iter().enumerate() {
        match result {
            Ok(outcome) => versions.push(outcome.version),
            Err(CommandError::Conflict) => conflicted.push(n),
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    versions.sort_unstable();
    let landed = versions.len() as u64;
    assert_eq!(versions, (2..=landed + 1).collect::<Vec<_>>());
    assert_eq!(
        sequences(&system.pool, id).await,
        (1..=landed as i64 + 1).collect::<Vec<_>>()
    );
    // Retried one at a time, the conflicted ones land too.
    for n in conflicted {
        handlers[0]
            .run(
                id,
                fixtures::add_stop(owner, n, (n % 5) as i64, None),
                &fixtures::metadata(owner),
            )
            .await
            .expect("a retry without contention lands");
    }
    assert_eq!(
        sequences(&system.pool, id).await,
        (1..=ADDS as i64 + 1).collect::<Vec<_>>()
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_cache_neither_commits_nor_rejects_wrongly() {
    let system = TestSystem::start("stalecache", Roles::none())
        .await
        .unwrap();
    let first = ItineraryHandler::new(system.pool.clone());
    let second = ItineraryHandler::new(system.pool.clone());
    let owner = Uuid::now_v7();
    let id = Uuid::now_v7();
    let meta = || fixtures::metadata(owner);
    first
        .run(
            id,
            fixtures::create_trip(owner, id, "Stale".into(), 5),
            &meta(),
        )
        .await
        .unwrap();
    // `second` caches the itinerary at version 1…
    second
        .run(id, fixtures::add_stop(owner, 0, 1, None), &meta())
        .await
        .unwrap();
    // …then `first`, still caching version 1, writes: its append clashes and is re-decided.
    let added = fixtures::add_stop(owner, 1, 2, None);
    let ItineraryCommand::AddItem { item_id, .. } = &added else {
        unreachable!("add_stop builds an AddItem");
    };
    let item_id = *item_id;
    let outcome = first.run(id, added, &meta()).await.unwrap();
    assert_eq!(outcome.version, 3);

    // `second` still caches version 2, which lacks that item: its "not found" must be
    // confirmed against the store, where the item exists, so the update succeeds.
    let rename = ItineraryCommand::UpdateItem {
        context: CommandContext::new(owner, Utc::now()),
        item_id,
        details: ItemPatch {
            title: Some("Renamed".into()),
            ..Default::default()
        },
    };
    let outcome = second.run(id, rename, &meta()).await.unwrap();
    assert_eq!(outcome.version, 4);

    // A pinned version that is stale in the store is still a conflict, and stores nothing.
    let mut pinned = fixtures::add_stop(owner, 2, 3, None);
    if let ItineraryCommand::AddItem { context, .. } = &mut pinned {
        context.expected_version = Some(2);
    }
    let error = first.run(id, pinned, &meta()).await.unwrap_err();
    assert!(
        matches!(error, CommandError::Rejected(_) | CommandError::Conflict),
        "{error:?}"
    );
    assert_eq!(error.kind(), wayfarer_commands::RejectionKind::Conflict);
    // A real rejection (an item that never existed) is reported after the store confirms it.
    let missing = ItineraryCommand::DeleteItem {
        context: CommandContext::new(owner, Utc::now()),
        item_id: Uuid::now_v7(),
    };
    let error = second.run(id, missing, &meta()).await.unwrap_err();
    assert_eq!(error.kind(), wayfarer_commands::RejectionKind::NotFound);
    assert_eq!(sequences(&system.pool, id).await, vec![1, 2, 3, 4]);
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_streams_load_from_a_snapshot_and_a_foreign_format_is_ignored() {
    use wayfarer_commands::snapshot::SNAPSHOT_EVERY;
    use wayfarer_domain::Itinerary;
    let system = TestSystem::start("snapshots", Roles::none()).await.unwrap();
    let writer = ItineraryHandler::new(system.pool.clone());
    let owner = Uuid::now_v7();
    let id = Uuid::now_v7();
    let meta = fixtures::metadata(owner);
    writer
        .run(
            id,
            fixtures::create_trip(owner, id, "Long".into(), 5),
            &meta,
        )
        .await
        .unwrap();
    let adds = 2 * SNAPSHOT_EVERY as usize + 20;
    for n in 0..adds {
        writer
            .run(
                id,
                fixtures::add_stop(owner, n, (n % 5) as i64, None),
                &meta,
            )
            .await
            .unwrap();
    }
    // The snapshot is saved off the command's path: wait for the one at 200.
    let snapshot_at = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT sequence FROM aggregate_snapshots WHERE aggregate_type = 'itinerary' \
             AND aggregate_id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&system.pool)
        .await
        .unwrap()
    };
    TestSystem::eventually(
        std::time::Duration::from_secs(10),
        "snapshot at 200",
        || async { snapshot_at().await == Some(2 * SNAPSHOT_EVERY as i64) },
    )
    .await;

    // A process with an empty cache loads the same state as a fold from the first event.
    let full = wayfarer_commands::store::load_version::<Itinerary>(
        &system.pool,
        None,
        &id.to_string(),
        u64::MAX,
    )
    .await
    .unwrap();
    let reader = ItineraryHandler::new(system.pool.clone());
    let loaded = reader.stored_state(&id.to_string()).await.unwrap();
    assert_eq!(loaded, full.aggregate);
    assert_eq!(loaded.version() as usize, adds + 1);

    // It did read the snapshot: a change to the snapshot shows through...
    sqlx::query(
        "UPDATE aggregate_snapshots SET state = jsonb_set(state, '{details,title}', '\"From the snapshot\"') \
         WHERE aggregate_id = $1",
    )
    .bind(id.to_string())
    .execute(&system.pool)
    .await
    .unwrap();
    let fresh = ItineraryHandler::new(system.pool.clone());
    let from_snapshot = fresh.stored_state(&id.to_string()).await.unwrap();
    assert_eq!(from_snapshot.details().unwrap().title, "From the snapshot");
    // ...and a snapshot of another format is ignored: the stream is folded from the start.
    sqlx::query("UPDATE aggregate_snapshots SET format = 'itinerary-0' WHERE aggregate_id = $1")
        .bind(id.to_string())
        .execute(&system.pool)
        .await
        .unwrap();
    let fresh = ItineraryHandler::new(system.pool.clone());
    assert_eq!(
        fresh.stored_state(&id.to_string()).await.unwrap(),
        full.aggregate
    );
    // Commands go on from the right sequence.
    let outcome = fresh
        .run(id, fixtures::add_stop(owner, adds, 1, None), &meta)
        .await
        .unwrap();
    assert_eq!(outcome.version as usize, adds + 2);
    system.stop().await;
}
