//! The booking process's persisted tasks in PostgreSQL: woken, claimed with a lease by one
//! worker at a time, and released only under the claim that holds them, so a worker whose
//! lease ran out cannot undo the work of the one that took over.

use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;
use wayfarer_sagas::runtime::tasks;
use wayfarer_tests::{Roles, TestSystem};

async fn row_count(system: &TestSystem, booking: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM saga_tasks WHERE booking_id = $1")
        .bind(booking)
        .fetch_one(&system.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_is_leased_to_one_worker_and_released_only_under_its_claim() {
    let system = TestSystem::start("sagatasks", Roles::none()).await.unwrap();
    let pool = &system.pool;
    let booking = Uuid::now_v7();
    let mut connection = pool.acquire().await.unwrap();
    tasks::wake(&mut connection, booking).await.unwrap();
    tasks::wake(&mut connection, booking).await.unwrap();
    assert_eq!(row_count(&system, booking).await, 1, "woken twice, one row");

    // One worker holds it; another finds nothing due.
    // Long enough to hold however slow the machine; the retry time below replaces it.
    let first = tasks::claim(pool, 10, Duration::from_secs(30))
        .await
        .unwrap();
    let lease = Duration::from_secs(1);
    assert_eq!(first.len(), 1);
    let held = first[0].clone();
    assert_eq!(held.booking_id, booking);
    assert!(tasks::claim(pool, 10, lease).await.unwrap().is_empty());

    // A step and its failed tries are counted; a new step starts again from zero.
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

    // The lease runs out: another worker takes over, and the first one's marks do nothing.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let taken_over = tasks::claim(pool, 10, lease).await.unwrap();
    assert_eq!(taken_over.len(), 1);
    let taken_over = taken_over[0].clone();
    tasks::finish(pool, &retried).await.unwrap();
    tasks::give_up(pool, &retried, "stale worker")
        .await
        .unwrap();
    assert_eq!(
        row_count(&system, booking).await,
        1,
        "the stale claim deleted nothing"
    );

    // Giving up keeps the first reason; compensation starts at once.
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

    // Moved on: due again at once (for whoever holds the claim); finished: gone.
    tasks::moved_on(pool, &failing).await.unwrap();
    let again = tasks::claim(pool, 10, lease).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].failure_reason.as_deref(),
        Some("the supplier did not answer")
    );
    tasks::finish(pool, &again[0]).await.unwrap();
    assert_eq!(row_count(&system, booking).await, 0);
    system.stop().await;
}
