//! Determinism: every projection rebuilt while commands keep arriving, then kept up live,
//! holds exactly what a quiet rebuild from the log produces: row for row in PostgreSQL,
//! document for document in OpenSearch, view for view in Redis.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use wayfarer_projections::Registered;
use wayfarer_tests::{Roles, TestSystem, ALL_PROJECTIONS};

use crate::people::person;
use crate::support::{add, create, item};

/// Everything one projection's model holds, in a comparable order.
async fn snapshot(system: &TestSystem, name: &str) -> BTreeMap<String, Value> {
    let names = system.settings.names();
    let mut model = BTreeMap::new();
    match system.projection(name) {
        Registered::Transactional(_) | Registered::MultiStream(_) => {
            let tables = match system.projection(name) {
                Registered::Transactional(p) => p.tables(),
                Registered::MultiStream(p) => p.tables(),
                Registered::Document(_) => unreachable!(),
            };
            for table in tables {
                let rows: Vec<Value> = sqlx::query_scalar(&format!(
                    "SELECT to_jsonb(t) FROM {table} t ORDER BY to_jsonb(t)::text"
                ))
                .fetch_all(&system.pool)
                .await
                .unwrap();
                for (n, row) in rows.into_iter().enumerate() {
                    model.insert(format!("{table}/{n}"), row);
                }
            }
        }
        Registered::Document(_) if name == "itinerary_cache" => {
            let pool = wayfarer_infra::projections::redis_pool(&system.settings.redis.url).unwrap();
            let ids: Vec<uuid::Uuid> =
                sqlx::query_scalar("SELECT itinerary_id FROM itinerary_view")
                    .fetch_all(&system.pool)
                    .await
                    .unwrap();
            for id in ids {
                let view = wayfarer_projections::itinerary::cache::get_view(&pool, &names, id)
                    .await
                    .unwrap();
                model.insert(id.to_string(), serde_json::to_value(view).unwrap());
            }
        }
        Registered::Document(_) => {
            let alias = match name {
                "itinerary_search" => names.itineraries_alias(),
                "users_search" => names.users_alias(),
                other => panic!("no snapshot for document projection {other}"),
            };
            let url = format!("{}/{alias}/_search", system.settings.opensearch.url);
            let client = reqwest::Client::new();
            let _ = client
                .post(format!(
                    "{}/{alias}/_refresh",
                    system.settings.opensearch.url
                ))
                .send()
                .await
                .unwrap();
            let found: Value = client
                .post(url)
                .json(&json!({ "size": 10000, "query": { "match_all": {} } }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for hit in found["hits"]["hits"].as_array().unwrap() {
                model.insert(
                    hit["_id"].as_str().unwrap().to_owned(),
                    hit["_source"].clone(),
                );
            }
        }
    }
    model
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_under_live_writes_equals_a_quiet_rebuild_row_for_row() {
    let system = TestSystem::start("determinism", Roles::all())
        .await
        .unwrap();
    let anonymous = system.graphql();
    let people = [
        person(&anonymous, "ana").await,
        person(&anonymous, "ben").await,
        person(&anonymous, "cy").await,
    ];
    let mut trips = Vec::new();
    for (n, who) in people.iter().enumerate() {
        let visibility = if n == 2 { "PRIVATE" } else { "PUBLIC" };
        trips.push(
            create(&who.client, &format!("Determinism {n}"), visibility)
                .await
                .0,
        );
    }

    // Each person's card, tokenised by the simulated gateway, for top-ups along the way.
    let gateway = wayfarer_suppliers::client::GatewayClient::new(
        system.suppliers_url.clone().unwrap(),
        Duration::from_secs(10),
    );
    let mut cards = Vec::new();
    for _ in &people {
        let card = gateway
            .create_payment_method(&wayfarer_suppliers::api::CreatePaymentMethod {
                card_number: wayfarer_suppliers::CARD_SUCCEEDS.into(),
                exp_month: 12,
                exp_year: 2035,
                cvc: "123".into(),
            })
            .await
            .unwrap();
        cards.push(card.payment_method);
    }

    // A booking the booking process takes to its end (the supplier knows no such offer).
    let booked = people[0]
        .client
        .data(
            "mutation($k: UUID) { bookActivity(input: { offerId: \"ac.aerolux.none\", travellers: [\"Ana\"], walletCurrency: \"EUR\" }, idempotencyKey: $k) { bookingId } }",
            json!({ "k": uuid::Uuid::new_v4() }),
        )
        .await["bookActivity"]["bookingId"]
        .clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while people[0]
        .client
        .data(
            "query($id: UUID!) { booking(id: $id) { status } }",
            json!({ "id": booked }),
        )
        .await["booking"]["status"]
        != "FAILED"
    {
        assert!(tokio::time::Instant::now() < deadline, "the booking fails");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The place catalogue, so the places model starts from thousands of rows.
    wayfarer_infra::catalogue::import_places(&system.pool)
        .await
        .unwrap();

    // Commands keep arriving on every itinerary, profile, wallet and the place catalogue
    // while every projection rebuilds.
    let writing = Arc::new(AtomicBool::new(true));
    let writers: Vec<_> = people
        .iter()
        .zip(trips.clone())
        .zip(cards)
        .map(|((who, trip), card)| {
            let client = who.client.clone();
            let who_id = who.id.clone();
            let writing = writing.clone();
            tokio::spawn(async move {
                let mut n = 0;
                while writing.load(Ordering::SeqCst) && n < 40 {
                    let (stop, _) =
                        add(&client, &trip, item(&format!("Stop {n}"), 1 + (n % 5) as u32, None))
                            .await;
                    if n % 5 == 1 {
                        client
                            .data(
                                "mutation($id: UUID!, $item: UUID!, $input: ExpenseInput!) { addExpense(itineraryId: $id, itemId: $item, input: $input) { position } }",
                                json!({ "id": trip, "item": stop, "input": {
                                    "amountMinor": 1000 + n, "currency": if n % 2 == 0 { "EUR" } else { "USD" },
                                    "category": "DINING", "date": "2027-05-02", "paidBy": who_id,
                                    "split": { "method": "EQUALLY", "participants": [{ "userId": who_id }] } } }),
                            )
                            .await;
                    }
                    if n == 2 || n == 30 {
                        client
                            .data(
                                "mutation($id: UUID!) { saveAsTemplate(itineraryId: $id, category: OTHER) { position } }",
                                json!({ "id": trip }),
                            )
                            .await;
                    }
                    if n % 7 == 3 {
                        client
                            .data(
                                "mutation($id: UUID!, $item: UUID!, $t: String!) { addItemComment(itineraryId: $id, itemId: $item, text: $t) { position } }",
                                json!({ "id": trip, "item": stop, "t": format!("note {n}") }),
                            )
                            .await;
                    }
                    if n % 10 == 5 {
                        client
                            .data(
                                "mutation($a: Int!, $pm: String!, $k: UUID) { topUpWallet(currency: \"EUR\", amountMinor: $a, paymentMethod: $pm, idempotencyKey: $k) { position } }",
                                json!({ "a": 1000 + n, "pm": card, "k": uuid::Uuid::new_v4() }),
                            )
                            .await;
                    }
                    if n % 8 == 4 {
                        let place = client
                            .data(
                                "mutation($input: CreatePlaceInput!) { createPlace(input: $input) { placeId } }",
                                json!({ "input": { "name": format!("Stall {who_id} {n}"), "category": "SHOP", "lat": 38.7 + n as f64 / 1000.0, "lon": -9.1 } }),
                            )
                            .await["createPlace"]["placeId"]
                            .clone();
                        // Reviewed, then re-rated: the place's figures move twice.
                        let review = client
                            .data(
                                "mutation($p: UUID!, $r: Int!) { createReview(input: { placeId: $p, rating: $r, content: \"Good stall\" }) { reviewId } }",
                                json!({ "p": place, "r": 1 + n % 5 }),
                            )
                            .await["createReview"]["reviewId"]
                            .clone();
                        client
                            .data(
                                "mutation($id: UUID!) { updateReview(reviewId: $id, input: { rating: 5, content: \"Great stall\" }) { position } }",
                                json!({ "id": review }),
                            )
                            .await;
                        // A post about it, a comment (hidden again), reactions, a share.
                        let post = client
                            .data(
                                "mutation($p: UUID!, $c: String!) { createPost(input: { content: $c, placeId: $p }) { postId } }",
                                json!({ "p": place, "c": format!("#stall number {n}") }),
                            )
                            .await["createPost"]["postId"]
                            .clone();
                        let comment = client
                            .data(
                                "mutation($p: UUID!) { addComment(postId: $p, input: { content: \"Worth it\" }) { commentId } }",
                                json!({ "p": post }),
                            )
                            .await["addComment"]["commentId"]
                            .clone();
                        for (target, id) in [("POST", &post), ("COMMENT", &comment), ("ITINERARY", &json!(trip))] {
                            client
                                .data(
                                    "mutation($t: ReactionTarget!, $id: UUID!) { addReaction(targetType: $t, targetId: $id, reaction: LIKE) { position } }",
                                    json!({ "t": target, "id": id }),
                                )
                                .await;
                        }
                        client
                            .data(
                                "mutation($id: UUID!) { hideComment(commentId: $id) { position } }",
                                json!({ "id": comment }),
                            )
                            .await;
                        client
                            .data(
                                "mutation($id: UUID!) { sharePost(postId: $id) { position } }",
                                json!({ "id": post }),
                            )
                            .await;
                    }
                    if n % 10 == 0 {
                        client
                            .data(
                                "mutation($b: String) { updateUser(input: { bio: $b }) { position } }",
                                json!({ "b": format!("bio {n}") }),
                            )
                            .await;
                    }
                    n += 1;
                }
                n
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for name in ALL_PROJECTIONS {
        system.rebuild(name).await;
    }
    writing.store(false, Ordering::SeqCst);
    for writer in writers {
        assert!(writer.await.unwrap() > 0);
    }
    // A flagged post, for the moderation queue.
    let flagged = people[0]
        .client
        .data(
            "mutation { createPost(input: { content: \"Followers for sale\" }) { postId } }",
            json!({}),
        )
        .await["createPost"]["postId"]
        .clone();
    people[1]
        .client
        .data(
            "mutation($id: UUID!) { flagContent(targetType: POST, targetId: $id, ruleCode: \"SPAM\") { position } }",
            json!({ "id": flagged }),
        )
        .await;
    for name in ALL_PROJECTIONS {
        system.wait_caught_up(name, Duration::from_secs(60)).await;
    }
    let mut live = BTreeMap::new();
    for name in ALL_PROJECTIONS {
        live.insert(name.to_string(), snapshot(&system, name).await);
    }

    // From the log alone, with nothing arriving.
    for name in ALL_PROJECTIONS {
        system.rebuild(name).await;
        let rebuilt = snapshot(&system, name).await;
        let kept = &live[name];
        assert!(!rebuilt.is_empty(), "{name} holds something");
        assert_eq!(
            kept.keys().collect::<Vec<_>>(),
            rebuilt.keys().collect::<Vec<_>>(),
            "{name}: the same rows or documents"
        );
        for (key, value) in kept {
            assert_eq!(value, &rebuilt[key], "{name} {key}");
        }
    }
    system.stop().await;
}
