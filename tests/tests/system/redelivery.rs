//! Redelivered or stale events never change any read model.

use std::time::Duration;

use serde_json::{json, Value};
use wayfarer_projections::event::ItineraryEnvelope;
use wayfarer_projections::itinerary::{cache, search, ItineraryView};
use wayfarer_projections::store;
use wayfarer_tests::ALL_PROJECTIONS;
use wayfarer_tests::{Roles, TestSystem};

use crate::support::*;

async fn all_envelopes(pool: &sqlx::PgPool) -> Vec<ItineraryEnvelope> {
    let mut connection = pool.acquire().await.unwrap();
    store::read_committed_after(
        &mut connection,
        Default::default(),
        Some("itinerary"),
        100_000,
    )
    .await
    .unwrap()
    .iter()
    .map(|raw| raw.itinerary_envelope().unwrap())
    .collect()
}

async fn pg_rows(pool: &sqlx::PgPool) -> Vec<Value> {
    let rows: Vec<(Value,)> = sqlx::query_as(
        "SELECT to_jsonb(v) || jsonb_build_object('items', (SELECT coalesce(jsonb_agg(to_jsonb(i) ORDER BY ordinal), '[]') FROM itinerary_item_view i WHERE i.itinerary_id = v.itinerary_id)) FROM itinerary_view v ORDER BY itinerary_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

async fn search_docs(system: &TestSystem, ids: &[String]) -> Vec<Value> {
    let alias = system.settings.names().itineraries_alias();
    let mut docs = Vec::new();
    for id in ids {
        let url = format!("{}/{alias}/_doc/{id}", system.settings.opensearch.url);
        let doc: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        docs.push(json!({ "version": doc["_version"], "source": doc["_source"] }));
    }
    docs
}

async fn cached(system: &TestSystem, ids: &[String]) -> Vec<Option<ItineraryView>> {
    let pool = wayfarer_infra::projections::redis_pool(&system.settings.redis.url).unwrap();
    let names = system.settings.names();
    let mut views = Vec::new();
    for id in ids {
        views.push(
            cache::get_view(&pool, &names, id.parse().unwrap())
                .await
                .unwrap(),
        );
    }
    views
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redelivering_a_batch_or_an_older_state_leaves_every_read_model_unchanged() {
    let system = TestSystem::start("redeliver", Roles::all()).await.unwrap();
    let (owner, _) = system.graphql().register_user("replayer").await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let (id, _) = create(&owner, &format!("Replay trip {n}"), "PUBLIC").await;
        add(
            &owner,
            &id,
            item("Harbour", 2, Some(("Harbour", 59.9, 10.7))),
        )
        .await;
        add(
            &owner,
            &id,
            item("Fortress", 3, Some(("Fortress", 59.91, 10.73))),
        )
        .await;
        ids.push(id);
    }
    for projection in ALL_PROJECTIONS {
        system
            .wait_caught_up(projection, Duration::from_secs(60))
            .await;
    }
    let before = (
        pg_rows(&system.pool).await,
        search_docs(&system, &ids).await,
        cached(&system, &ids).await,
    );
    assert_eq!(before.0.len(), 3);
    assert!(before.1.iter().all(|d| d["version"] == 3), "{:?}", before.1);

    // The same batch again, through every projection.
    let events = all_envelopes(&system.pool).await;
    // As the runner delivers them (only the topics each consumes): everything, then the
    // first half again.
    let raw = system.stored_envelopes().await;
    for name in ALL_PROJECTIONS {
        system.redeliver(name, &raw).await;
        system.redeliver(name, &raw[..raw.len() / 2]).await;
    }
    // Older states of each itinerary written straight at the version-guarded stores.
    let stale: Vec<ItineraryView> = ids
        .iter()
        .map(|id| {
            let stream: Vec<_> = events
                .iter()
                .filter(|e| e.aggregate_id == *id)
                .take(2)
                .cloned()
                .collect();
            ItineraryView::fold(&stream).unwrap()
        })
        .collect();
    let client =
        wayfarer_infra::projections::opensearch_client(&system.settings.opensearch.url).unwrap();
    search::index_views(
        &client,
        &system.settings.names().itineraries_alias(),
        &stale,
    )
    .await
    .unwrap();
    let redis = wayfarer_infra::projections::redis_pool(&system.settings.redis.url).unwrap();
    assert_eq!(
        cache::put_views(&redis, &system.settings.names(), &stale)
            .await
            .unwrap(),
        0
    );

    let after = (
        pg_rows(&system.pool).await,
        search_docs(&system, &ids).await,
        cached(&system, &ids).await,
    );
    assert_eq!(before, after);
    system.stop().await;
}
