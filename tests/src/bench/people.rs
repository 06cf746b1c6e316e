//! The people phase: `login` latency (Argon2id at OWASP's recommended cost: 19 MiB, two
//! passes, one lane, argon2's defaults) and `user(userId)` reads per second at 32 clients.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{json, Value};
use wayfarer_tests::{Roles, TestSystem};

use crate::stats::{Summary, Tally};

const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }";
const USER: &str =
    "query($id: UUID!) { user(userId: $id) { id userName firstName bio followerCount } }";
const PASSWORD: &str = "correct horse battery";
/// People read by the read clients (and registered first).
const PEOPLE: usize = 64;
/// Concurrent sign-ins: a few, as Argon2 is meant to take a core each.
const LOGIN_CLIENTS: usize = 2;
/// Concurrent readers of `user(userId)`.
pub const READ_CLIENTS: usize = 32;

/// What the phase measured.
#[derive(Debug, Clone)]
pub struct PeopleRun {
    pub logins: u64,
    pub login_errors: u64,
    pub login_elapsed: Duration,
    pub login_latency: Summary,
    pub reads: u64,
    pub read_errors: u64,
    pub read_elapsed: Duration,
    pub read_latency: Summary,
}

impl PeopleRun {
    pub fn reads_per_second(&self) -> f64 {
        self.reads as f64 / self.read_elapsed.as_secs_f64().max(1e-9)
    }
    pub fn logins_per_second(&self) -> f64 {
        self.logins as f64 / self.login_elapsed.as_secs_f64().max(1e-9)
    }
}

struct Person {
    id: String,
    email: String,
}

/// One GraphQL request; its `data`, or its errors as text.
pub async fn post(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Result<Value, String> {
    let mut request = http
        .post(url)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let body: Value = request
        .send()
        .await
        .map_err(|e| format!("transport: {e}"))?
        .json()
        .await
        .map_err(|e| format!("body: {e}"))?;
    match body.get("errors") {
        Some(errors) => Err(errors.to_string()),
        None => Ok(body["data"].clone()),
    }
}

/// Registers the people and waits until the model shows them all, with public profiles.
async fn people(url: &str, http: &reqwest::Client) -> anyhow::Result<Vec<Person>> {
    let registered: Vec<Result<Person, String>> = futures::stream::iter(0..PEOPLE)
        .map(|n| async move {
            let unique = &uuid::Uuid::new_v4().simple().to_string()[..8];
            let email = format!("reader{n}-{unique}@example.com");
            let data = post(
                http,
                url,
                None,
                "mutation($e: String!, $p: String!, $u: String!) { register(email: $e, password: $p, userName: $u) { accessToken user { id } } }",
                json!({ "e": email, "p": PASSWORD, "u": format!("reader{n}_{unique}") }),
            )
            .await?;
            let token = data["register"]["accessToken"].as_str().unwrap_or_default().to_owned();
            let updated = post(
                http,
                url,
                Some(&token),
                "mutation { updateUser(input: {firstName: \"Bench\", bio: \"Reads all day.\"}) { position } }",
                json!({}),
            )
            .await?;
            // Read back once: the model has the profile before the clock starts.
            post(
                http,
                url,
                Some(&token),
                "query($p: Position) { me(after: $p) { id } }",
                json!({ "p": updated["updateUser"]["position"] }),
            )
            .await?;
            Ok(Person {
                id: data["register"]["user"]["id"].as_str().unwrap_or_default().to_owned(),
                email,
            })
        })
        .buffer_unordered(4)
        .collect()
        .await;
    registered
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)
}

pub async fn run(warmup: Duration, measure: Duration) -> anyhow::Result<PeopleRun> {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec!["users"],
    };
    let system = TestSystem::start("benchpeople", roles).await?;
    let url = format!(
        "{}/graphql",
        system.api_url.as_deref().expect("API running")
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(READ_CLIENTS * 2)
        .tcp_nodelay(true)
        .build()?;
    eprintln!("people: registering {PEOPLE} people…");
    let people = std::sync::Arc::new(people(&url, &http).await?);

    eprintln!("people: login with {LOGIN_CLIENTS} clients…");
    let start = Instant::now();
    let warm_end = start + warmup;
    let end = warm_end + measure;
    let tasks: Vec<_> = (0..LOGIN_CLIENTS)
        .map(|client| {
            let (http, url, people) = (http.clone(), url.clone(), people.clone());
            tokio::spawn(async move {
                let mut tally = Tally::new(start);
                let mut n = client;
                while Instant::now() < end {
                    let person = &people[n % people.len()];
                    n += LOGIN_CLIENTS;
                    let started = Instant::now();
                    let outcome = post(
                        &http,
                        &url,
                        None,
                        LOGIN,
                        json!({ "e": person.email, "p": PASSWORD }),
                    )
                    .await;
                    tally.record(warm_end, started, &outcome);
                }
                tally
            })
        })
        .collect();
    let logins = Tally::join(start, tasks).await?;
    let login_elapsed = logins.last_done.saturating_duration_since(warm_end);

    eprintln!("people: user(userId) with {READ_CLIENTS} clients…");
    let token = post(
        &http,
        &url,
        None,
        LOGIN,
        json!({ "e": people[0].email, "p": PASSWORD }),
    )
    .await
    .map_err(anyhow::Error::msg)?["login"]["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let start = Instant::now();
    let warm_end = start + warmup;
    let end = warm_end + measure;
    let tasks: Vec<_> = (0..READ_CLIENTS)
        .map(|client| {
            let (http, url, people, token) =
                (http.clone(), url.clone(), people.clone(), token.clone());
            tokio::spawn(async move {
                let mut tally = Tally::new(start);
                let mut n = client;
                while Instant::now() < end {
                    let person = &people[n % people.len()];
                    n += 7;
                    let started = Instant::now();
                    let outcome = post(&http, &url, Some(&token), USER, json!({ "id": person.id }))
                        .await
                        .and_then(|data| {
                            if data["user"]["id"].is_string() {
                                Ok(data)
                            } else {
                                Err(format!("no user in {data}"))
                            }
                        });
                    tally.record(warm_end, started, &outcome);
                }
                tally
            })
        })
        .collect();
    let reads = Tally::join(start, tasks).await?;
    let read_elapsed = reads.last_done.saturating_duration_since(warm_end);
    system.stop().await;
    Ok(PeopleRun {
        logins: logins.ok,
        login_errors: logins.errors,
        login_elapsed,
        login_latency: Summary::of_micros(logins.latencies),
        reads: reads.ok,
        read_errors: reads.errors,
        read_elapsed,
        read_latency: Summary::of_micros(reads.latencies),
    })
}
