//! Phase 1: command throughput and latency through GraphQL over HTTP, with the whole system
//! (API, relay, every projector) running.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{json, Value};
use wayfarer_tests::TestSystem;
use wayfarer_tests::ALL_PROJECTIONS;

use crate::stats::{ErrorSamples, Summary, Tally};
use crate::support::wait_projections;

const CREATE: &str = "mutation($input: CreateItineraryInput!) { createItinerary(input: $input) { itineraryId position version } }";
const ADD_ITEM: &str = "mutation($id: UUID!, $input: CreateItineraryItemInput!) { addItineraryItem(itineraryId: $id, input: $input) { itemId position version } }";
/// Items added to each itinerary before starting a new one (keeps streams short).
const ITEMS_PER_ITINERARY: usize = 9;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One signed-in user driving load.
#[derive(Clone)]
pub struct User {
    pub token: String,
}

/// What one client count achieved.
#[derive(Debug, Clone)]
pub struct CommandRun {
    pub clients: usize,
    pub ok: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latency: Summary,
    /// How long the projections needed to catch up after the load stopped.
    pub drain: Duration,
    pub error_samples: ErrorSamples,
}

impl CommandRun {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Registers `count` users (a few at a time: password hashing is deliberately slow).
pub async fn register_users(system: &TestSystem, count: usize) -> Vec<User> {
    let anonymous = system.graphql();
    futures::stream::iter(0..count)
        .map(|n| {
            let anonymous = anonymous.clone();
            async move {
                let (client, _) = anonymous.register_user(&format!("bench{n}")).await;
                User {
                    token: client.token.expect("registered users have a token"),
                }
            }
        })
        .buffer_unordered(4)
        .collect()
        .await
}

/// A few commands and a wait until every projector has them: topics exist, consumer groups
/// have joined, pools are warm.
pub async fn prime(system: &TestSystem, user: &User, with_projectors: bool) -> anyhow::Result<()> {
    let http = http_client(1)?;
    let url = graphql_url(system)?;
    let data = mutate(&http, &url, &user.token, CREATE, create_vars(0, 0))
        .await
        .map_err(anyhow::Error::msg)?;
    let id = itinerary_id(&data)?;
    mutate(&http, &url, &user.token, ADD_ITEM, add_vars(&id, 0))
        .await
        .map_err(anyhow::Error::msg)?;
    if with_projectors {
        wait_projections(&system.pool, &ALL_PROJECTIONS, Duration::from_secs(120)).await?;
    }
    Ok(())
}

/// Runs `clients` concurrent users for `warmup` (not counted) plus `measure`, then (when the
/// projectors run) waits for them to catch up.
pub async fn run(
    system: &TestSystem,
    users: &[User],
    clients: usize,
    warmup: Duration,
    measure: Duration,
    with_projectors: bool,
) -> anyhow::Result<CommandRun> {
    anyhow::ensure!(users.len() >= clients, "not enough registered users");
    let http = http_client(clients)?;
    let url = graphql_url(system)?;
    let start = Instant::now();
    let warm_end = start + warmup;
    let end = warm_end + measure;
    let tasks: Vec<_> = users[..clients]
        .iter()
        .enumerate()
        .map(|(index, user)| {
            let http = http.clone();
            let url = url.clone();
            let token = user.token.clone();
            tokio::spawn(async move { client_loop(http, url, token, index, warm_end, end).await })
        })
        .collect();
    let Tally {
        latencies,
        ok,
        errors,
        error_samples,
        last_done,
    } = Tally::join(warm_end, tasks).await?;
    // Commands that started inside the window count; the window ends when the last finished.
    let elapsed = last_done.saturating_duration_since(warm_end).max(measure);
    let drain = if with_projectors {
        wait_projections(&system.pool, &ALL_PROJECTIONS, Duration::from_secs(300)).await?
    } else {
        Duration::ZERO
    };
    Ok(CommandRun {
        clients,
        ok,
        errors,
        elapsed,
        latency: Summary::of_micros(latencies),
        drain,
        error_samples,
    })
}

async fn client_loop(
    http: reqwest::Client,
    url: reqwest::Url,
    token: String,
    index: usize,
    warm_end: Instant,
    end: Instant,
) -> Tally {
    let mut result = Tally::new(warm_end);
    let mut trip = 0usize;
    'trips: while Instant::now() < end {
        trip += 1;
        let started = Instant::now();
        let created = mutate(&http, &url, &token, CREATE, create_vars(index, trip)).await;
        result.record(warm_end, started, &created);
        let id = match created.ok().and_then(|data| itinerary_id(&data).ok()) {
            Some(id) => id,
            None => {
                // Don't spin on a failing server.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        for item in 0..ITEMS_PER_ITINERARY {
            if Instant::now() >= end {
                break 'trips;
            }
            let started = Instant::now();
            let added = mutate(&http, &url, &token, ADD_ITEM, add_vars(&id, item)).await;
            if result.record(warm_end, started, &added) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    result
}

fn http_client(clients: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(clients.max(1) * 2)
        .tcp_nodelay(true)
        .build()?)
}

/// The GraphQL endpoint, parsed once: the client would otherwise parse the text again for
/// every request, a cost the baseline's client does not have.
fn graphql_url(system: &TestSystem) -> anyhow::Result<reqwest::Url> {
    let url = format!(
        "{}/graphql",
        system.api_url.as_deref().expect("the API role is running")
    );
    Ok(url.parse()?)
}

/// Sends one mutation; any transport error, non-2xx status or GraphQL error is an `Err`.
async fn mutate(
    http: &reqwest::Client,
    url: &reqwest::Url,
    token: &str,
    query: &str,
    variables: Value,
) -> Result<Value, String> {
    let response = http
        .post(url.clone())
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .map_err(|e| format!("transport: {e}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("HTTP {status}, unreadable body: {e}"))?;
    if let Some(errors) = body.get("errors") {
        return Err(format!("HTTP {status}: {errors}"));
    }
    if !status.is_success() {
        return Err(format!("HTTP {status}: {body}"));
    }
    Ok(body["data"].clone())
}

fn itinerary_id(data: &Value) -> anyhow::Result<String> {
    data["createItinerary"]["itineraryId"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("createItinerary returned no id: {data}"))
}

fn create_vars(client: usize, trip: usize) -> Value {
    json!({ "input": {
        "title": format!("Bench trip {client}-{trip}"),
        "startDate": "2027-05-01",
        "endDate": "2027-05-05",
        "visibility": "PUBLIC",
        "baseCurrency": "EUR",
    }})
}

/// An item on day 1–5 of the trip (inside its dates), with a place and a cost.
fn add_vars(id: &str, item: usize) -> Value {
    let day = 1 + item % 5;
    json!({ "id": id, "input": {
        "title": format!("Stop {item}"),
        "startTime": format!("2027-05-0{day}T10:00:00Z"),
        "endTime": format!("2027-05-0{day}T12:00:00Z"),
        "category": "SIGHTSEEING",
        "location": { "name": format!("Place {item}"), "lat": 38.7 + item as f64 / 100.0, "lon": -9.14 },
        "estimatedCost": { "amountMinor": 1500, "currency": "EUR" },
    }})
}
