//! The booking process's persisted tasks in PostgreSQL: woken, claimed with a lease by one
//! worker at a time, and changed only under the claim that holds them, so a worker whose
//! lease ran out cannot undo the work of the one that took over; a wake never cuts a lease
//! short and is never lost.

use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;
use wayfarer_sagas::runtime::tasks::{self, Finished, TaskError};
use wayfarer_tests::{Roles, TestSystem};

async fn row_count(system: &TestSystem, booking: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM saga_tasks WHERE booking_id = $1")
        .bind(booking)
        .fetch_one(&system.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_is_leased_to_one_worker_and_changed_only_under_its_claim() {
    let system = TestSystem::start("sagatasks", Roles::none()).await.unwrap();
    let pool = &system.pool;
    let booking = Uuid::now_v7();
    let mut connection = pool.acquire().await.unwrap();
    tasks::wake(&mut connection, booking).await.unwrap();
    tasks::wake(&mut connection, booking).await.unwrap();
    assert_eq!(row_count(&system, booking).await, 1, "woken twice, one row");

    // One worker holds it; another finds nothing due, even when the row is woken again (the
    // worker's own events wake it while it works).
    let first = tasks::claim(pool, 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    let held = first[0].clone();
    assert_eq!(held.booking_id, booking);
    tasks::wake(&mut connection, booking).await.unwrap();
    assert!(tasks::claim(pool, 10, Duration::from_secs(30))
        .await
        .unwrap()
        .is_empty());

    // A step and its failed tries are counted; a retry is not due before its time.
    let deadline = Utc::now() + chrono::Duration::minutes(2);
    let held = tasks::begin_step(pool, &held, "reserve", deadline)
        .await
        .unwrap();
    tasks::retry_at(
        pool,
        &held,
        Utc::now() + chrono::Duration::seconds(2),
        "timeout",
    )
    .await
    .unwrap();
    let lease = Duration::from_secs(1);
    assert!(
        tasks::claim(pool, 10, lease).await.unwrap().is_empty(),
        "not due before its retry time"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let retried = tasks::claim(pool, 10, lease).await.unwrap();
    assert_eq!(retried.len(), 1);
    let retried = retried[0].clone();
    assert_eq!(retried.step.as_deref(), Some("reserve"));
    assert_eq!(retried.attempts, 1);
    assert_ne!(retried.claim, held.claim, "a new claim");
    let same = tasks::begin_step(pool, &retried, "reserve", deadline)
        .await
        .unwrap();
    assert_eq!(same.attempts, 1, "the same step keeps its count");

    // The lease runs out: another worker takes over, and the first one is told it lost.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let taken_over = tasks::claim(pool, 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(taken_over.len(), 1);
    let taken_over = taken_over[0].clone();
    for lost in [
        tasks::finish(pool, &retried).await.map(|_| ()),
        tasks::give_up(pool, &retried, "stale worker")
            .await
            .map(|_| ()),
        tasks::moved_on(pool, &retried).await,
        tasks::retry_at(pool, &retried, Utc::now(), "stale").await,
    ] {
        assert!(matches!(lost, Err(TaskError::ClaimLost)), "{lost:?}");
    }
    assert_eq!(
        row_count(&system, booking).await,
        1,
        "the stale claim changed nothing"
    );

    // Giving up keeps the first reason.
    let failing = tasks::give_up(pool, &taken_over, "the supplier did not answer")
        .await
        .unwrap();
    let failing = tasks::give_up(pool, &failing, "a later reason")
        .await
        .unwrap();
    let reason: Option<String> =
        sqlx::query_scalar("SELECT failure_reason FROM saga_tasks WHERE booking_id = $1")
            .bind(booking)
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(reason.as_deref(), Some("the supplier did not answer"));
    assert_eq!(failing.step.as_deref(), Some("compensate"));

    // Moved on: due again at once; a wake after the claim keeps the row from being finished.
    tasks::moved_on(pool, &failing).await.unwrap();
    let again = tasks::claim(pool, 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].failure_reason.as_deref(),
        Some("the supplier did not answer")
    );
    tasks::wake(&mut connection, booking).await.unwrap();
    assert_eq!(
        tasks::finish(pool, &again[0]).await.unwrap(),
        Finished::WokenMeanwhile
    );
    assert_eq!(row_count(&system, booking).await, 1);
    let last = tasks::claim(pool, 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(last.len(), 1, "due again at once");
    assert_eq!(
        tasks::finish(pool, &last[0]).await.unwrap(),
        Finished::Removed
    );
    assert_eq!(row_count(&system, booking).await, 0);
    system.stop().await;
}
