//! The planning phase (issue 9's figures): `expensesSummary` latency on an itinerary with
//! 1,000 expenses in 5 currencies, `itineraryAsOf` latency on one with 5,000 events, and how
//! long a change takes from its commit to a collaborator's subscription at 100 changes/s.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{json, Value};
use wayfarer_tests::{GraphqlClient, Roles, TestSystem};

use crate::stats::Summary;

const EXPENSES: usize = 1_000;
const CURRENCIES: [&str; 5] = ["EUR", "USD", "GBP", "JPY", "CHF"];
const AS_OF_EVENTS: usize = 5_000;
const READS: usize = 200;
const CHANGE_RATE: u64 = 100;
const CHANGE_SECONDS: u64 = 10;

#[derive(Debug, Clone)]
pub struct PlanRun {
    pub summary_latency: Summary,
    pub as_of_latency: Summary,
    pub delivery_latency: Summary,
    /// Changes committed during the delivery measurement, and how many the subscriber saw
    /// (changes committed together may arrive as one message showing the latest).
    pub changes: usize,
    pub delivered: usize,
    pub errors: usize,
}

fn check(response: &Value) -> Result<(), String> {
    match response.get("errors") {
        Some(errors) => Err(errors.to_string()),
        None => Ok(()),
    }
}

async fn timed(client: &GraphqlClient, query: &str, variables: Value, errors: &mut usize) -> u64 {
    let started = Instant::now();
    let response = client.execute(query, variables).await;
    if check(&response).is_err() {
        *errors += 1;
    }
    started.elapsed().as_micros() as u64
}

pub async fn run() -> anyhow::Result<PlanRun> {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec![
            wayfarer_projections::itinerary::pg::NAME,
            wayfarer_projections::itinerary::expenses::NAME,
            wayfarer_projections::itinerary::cache::NAME,
        ],
    };
    let system = TestSystem::start("benchplan", roles).await?;
    let anonymous = system.graphql();
    let (ada, ada_id) = anonymous.register_user("ada").await;
    let (bea, bea_id) = anonymous.register_user("bea").await;
    let mut errors = 0;

    // 1,000 expenses in five currencies, split between two members.
    let trip = ada
        .data(
            "mutation { createItinerary(input: {title: \"Bench trip\", startDate: \"2027-05-01\", endDate: \"2027-05-10\", visibility: PRIVATE, baseCurrency: \"EUR\"}) { itineraryId } }",
            json!({}),
        )
        .await["createItinerary"]["itineraryId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let item = ada
        .data(
            "mutation($id: UUID!) { addItineraryItem(itineraryId: $id, input: {title: \"Everything\", startTime: \"2027-05-02T10:00:00Z\", endTime: \"2027-05-02T11:00:00Z\", category: OTHER}) { itemId } }",
            json!({ "id": trip }),
        )
        .await["addItineraryItem"]["itemId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ada.data(
        "mutation($id: UUID!, $u: UUID!) { inviteCollaborator(itineraryId: $id, userId: $u, accessLevel: EDIT) { version } }",
        json!({ "id": trip, "u": bea_id }),
    )
    .await;
    bea.data(
        "mutation($id: UUID!) { acceptInvitation(itineraryId: $id) { version } }",
        json!({ "id": trip }),
    )
    .await;
    eprintln!("plan: adding {EXPENSES} expenses…");
    let positions: Vec<Value> = futures::stream::iter(0..EXPENSES)
        .map(|n| {
            let (ada, trip, item, ada_id, bea_id) =
                (ada.clone(), trip.clone(), item.clone(), ada_id.clone(), bea_id.clone());
            async move {
                let payer = if n % 2 == 0 { &ada_id } else { &bea_id };
                let category = ["DINING", "TRANSPORT", "ACTIVITY", "SHOPPING"][n % 4];
                ada.execute(
                    "mutation($id: UUID!, $item: UUID!, $input: ExpenseInput!) { addExpense(itineraryId: $id, itemId: $item, input: $input) { position } }",
                    json!({ "id": trip, "item": item, "input": {
                        "amountMinor": 500 + (n as i64 * 37) % 20_000,
                        "currency": CURRENCIES[n % CURRENCIES.len()],
                        "category": category,
                        "date": format!("2027-05-{:02}", 1 + n % 10),
                        "paidBy": payer,
                        "split": { "method": "EQUALLY", "participants": [{ "userId": ada_id }, { "userId": bea_id }] } } }),
                )
                .await
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    errors += positions.iter().filter(|p| check(p).is_err()).count();
    let last = positions
        .iter()
        .filter_map(|p| p["data"]["addExpense"]["position"].as_str())
        .filter_map(|p| p.parse::<i64>().ok())
        .max()
        .unwrap_or_default();
    let summary_query = "query($id: UUID!, $p: Position) { expensesSummary(itineraryId: $id, afterPosition: $p) { total { amountMinor } byCategory { category spent { amountMinor } } settleUp { amount { amountMinor } } } }";
    // Caught up before the clock starts.
    ada.data(summary_query, json!({ "id": trip, "p": last.to_string() }))
        .await;
    let mut samples = Vec::with_capacity(READS);
    for _ in 0..READS {
        samples.push(timed(&ada, summary_query, json!({ "id": trip }), &mut errors).await);
    }
    let summary_latency = Summary::of_micros(samples);

    // 5,000 events on one itinerary, then the itinerary as of halfway.
    eprintln!("plan: writing {AS_OF_EVENTS} events on one itinerary…");
    let long = ada
        .data(
            "mutation { createItinerary(input: {title: \"Long history\", startDate: \"2027-05-01\", endDate: \"2027-05-10\", visibility: PRIVATE, baseCurrency: \"EUR\"}) { itineraryId } }",
            json!({}),
        )
        .await["createItinerary"]["itineraryId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut halfway = None;
    for n in 1..AS_OF_EVENTS {
        let response = ada
            .execute(
                "mutation($id: UUID!, $t: String!) { updateItinerary(id: $id, input: {title: $t}) { version } }",
                json!({ "id": long, "t": format!("Long history {n}") }),
            )
            .await;
        if check(&response).is_err() {
            errors += 1;
        }
        if n == AS_OF_EVENTS / 2 {
            halfway = Some(chrono::Utc::now());
        }
    }
    let at = halfway.unwrap_or_else(chrono::Utc::now).to_rfc3339();
    let as_of_query =
        "query($id: UUID!, $at: DateTime!) { itineraryAsOf(id: $id, at: $at) { version title } }";
    let mut samples = Vec::with_capacity(READS);
    for _ in 0..READS / 2 {
        samples.push(
            timed(
                &ada,
                as_of_query,
                json!({ "id": long, "at": at }),
                &mut errors,
            )
            .await,
        );
    }
    let as_of_latency = Summary::of_micros(samples);

    // Changes at 100/s by Ada; Bea's subscription hears them. Each message's delay is
    // measured from its event's recorded time in the store (same clock, same machine).
    let mut heard = bea
        .subscribe(
            "subscription($id: UUID!) { itineraryChanged(id: $id) { version } }",
            json!({ "id": trip }),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let listener = tokio::spawn(async move {
        let mut received = Vec::new();
        while let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_secs(5), heard.next()).await
        {
            if let Some(version) = message["data"]["itineraryChanged"]["version"].as_i64() {
                received.push((version, chrono::Utc::now()));
            }
        }
        received
    });
    eprintln!("plan: {CHANGE_RATE} changes/s for {CHANGE_SECONDS} s…");
    let mut ticker = tokio::time::interval(Duration::from_millis(1000 / CHANGE_RATE));
    let total = (CHANGE_RATE * CHANGE_SECONDS) as usize;
    let writes = futures::stream::FuturesUnordered::new();
    for n in 0..total {
        ticker.tick().await;
        let (ada, trip) = (ada.clone(), trip.clone());
        writes.push(tokio::spawn(async move {
            let response = ada
                .execute(
                    "mutation($id: UUID!, $t: String!) { updateItinerary(id: $id, input: {title: $t}) { version } }",
                    json!({ "id": trip, "t": format!("Change {n}") }),
                )
                .await;
            check(&response).is_ok()
        }));
    }
    let outcomes: Vec<_> = writes.collect().await;
    let changes = outcomes.iter().filter(|o| matches!(o, Ok(true))).count();
    errors += total - changes;
    let received = listener.await.unwrap_or_default();
    #[derive(sqlx::FromRow)]
    struct Recorded {
        sequence: i64,
        recorded_at: chrono::DateTime<chrono::Utc>,
    }
    let recorded: HashMap<i64, chrono::DateTime<chrono::Utc>> = sqlx::query_as::<_, Recorded>(
        "SELECT sequence, recorded_at FROM events WHERE aggregate_type = 'itinerary' \
         AND aggregate_id = $1",
    )
    .bind(&trip)
    .fetch_all(&system.pool)
    .await?
    .into_iter()
    .map(|r| (r.sequence, r.recorded_at))
    .collect();
    let latencies: Vec<u64> = received
        .iter()
        .filter_map(|(version, at)| {
            let committed = recorded.get(version)?;
            Some((*at - *committed).num_microseconds().unwrap_or(0).max(0) as u64)
        })
        .collect();
    let delivered = latencies.len();
    system.stop().await;
    Ok(PlanRun {
        summary_latency,
        as_of_latency,
        delivery_latency: Summary::of_micros(latencies),
        changes,
        delivered,
        errors,
    })
}
