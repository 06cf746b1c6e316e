//! The social phase: fan-out of one post by an author with 10,000 followers (from the request
//! until every follower's Redis feed holds it), `feed` reads at 32 clients (each reader
//! follows ordinary authors, fanned out on write, and that author, now over the fan-out limit
//! and merged in on read), and `reviewsForPlace` on a place with 10,000 reviews in each
//! order.
//!
//! The 10,000 followers and 10,000 reviewers are not accounts: their events are written
//! straight into the store (as the rebuild phase does), which the relay publishes like any
//! other; registering that many people would time Argon2, not the feed.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};
use uuid::Uuid;
use wayfarer_schemas::{EventContract, EventMetadata, ReviewEvent, UserEvent};
use wayfarer_tests::{Roles, TestSystem};

use crate::people::post;
use crate::stats::{Summary, Tally};

/// Followers of the fanned-out author.
pub const FOLLOWERS: usize = 10_000;
/// Posts timed for the fan-out.
const FAN_OUT_POSTS: usize = 5;
/// Reviews of the reviewed place.
pub const REVIEWS: usize = 10_000;
/// Concurrent readers of `feed` and `reviewsForPlace`.
pub const READ_CLIENTS: usize = 32;
/// Ordinary authors each reader follows, and the posts each makes.
const AUTHORS: usize = 8;
const POSTS_PER_AUTHOR: usize = 10;
/// Rows per multi-row INSERT into the store.
const INSERT_BATCH: usize = 5_000;
const PASSWORD: &str = "correct horse battery";

const FEED: &str = "query { feed(first: 20) { edges { node { id kind post { id content } } } } }";
const REVIEWS_FOR_PLACE: &str = "query($id: UUID!, $s: ReviewSort, $q: String) { reviewsForPlace(placeId: $id, sort: $s, query: $q, first: 20) { edges { node { id rating } } } }";

#[derive(Debug, Clone)]
pub struct SocialRun {
    pub followers: usize,
    /// Request sent → every follower's feed has the post.
    pub fan_out: Summary,
    pub feed_reads: u64,
    pub feed_errors: u64,
    pub feed_elapsed: Duration,
    pub feed_latency: Summary,
    pub reviews: usize,
    /// `reviewsForPlace` latency per order (DATE, RATING, RELEVANCE with a text).
    pub reviews_latency: Vec<(&'static str, Summary)>,
    pub review_errors: u64,
}

impl SocialRun {
    pub fn feed_reads_per_second(&self) -> f64 {
        self.feed_reads as f64 / self.feed_elapsed.as_secs_f64().max(1e-9)
    }
}

pub fn summary_json(run: &SocialRun) -> Value {
    json!({
        "followers": run.followers,
        "fan_out_ms": run.fan_out.to_json(),
        "feed_clients": READ_CLIENTS,
        "feed_reads_per_second": run.feed_reads_per_second(),
        "feed_ms": run.feed_latency.to_json(),
        "feed_errors": run.feed_errors,
        "reviews": run.reviews,
        "reviews_for_place_ms": run.reviews_latency.iter().map(|(order, s)| (order.to_string(), s.to_json())).collect::<serde_json::Map<_, _>>(),
        "review_errors": run.review_errors,
    })
}

/// A registered person: id and token.
struct Account {
    id: Uuid,
    token: String,
}

async fn register(http: &reqwest::Client, url: &str, label: &str) -> anyhow::Result<Account> {
    let unique = &Uuid::new_v4().simple().to_string()[..8];
    let data = post(
        http,
        url,
        None,
        "mutation($e: String!, $p: String!, $u: String!) { register(email: $e, password: $p, userName: $u) { accessToken user { id } } }",
        json!({ "e": format!("{label}-{unique}@example.com"), "p": PASSWORD, "u": format!("{label}_{unique}") }),
    )
    .await
    .map_err(anyhow::Error::msg)?;
    Ok(Account {
        id: data["register"]["user"]["id"]
            .as_str()
            .unwrap_or_default()
            .parse()?,
        token: data["register"]["accessToken"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    })
}

/// Appends `events` of one aggregate type straight to the store, as (aggregate id, sequence).
async fn append_raw<E: EventContract + serde::Serialize>(
    system: &TestSystem,
    events: Vec<(Uuid, i64, E)>,
) -> anyhow::Result<()> {
    for chunk in events.chunks(INSERT_BATCH) {
        let mut ids = Vec::with_capacity(chunk.len());
        let mut sequences = Vec::with_capacity(chunk.len());
        let mut types = Vec::with_capacity(chunk.len());
        let mut payloads = Vec::with_capacity(chunk.len());
        let mut metadata = Vec::with_capacity(chunk.len());
        for (id, sequence, event) in chunk {
            ids.push(id.to_string());
            sequences.push(*sequence);
            types.push(event.event_type().to_owned());
            payloads.push(serde_json::to_string(event)?);
            metadata.push(serde_json::to_string(
                &EventMetadata::for_new_command(None, Uuid::now_v7()).to_map(),
            )?);
        }
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
             SELECT $1, u.aggregate_id, u.sequence, u.event_type, $2, u.payload::json, u.metadata::json \
             FROM UNNEST($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[]) \
                  AS u(aggregate_id, sequence, event_type, payload, metadata)",
        )
        .bind(E::AGGREGATE_TYPE)
        .bind(E::VERSION)
        .bind(&ids)
        .bind(&sequences)
        .bind(&types)
        .bind(&payloads)
        .bind(&metadata)
        .execute(&system.pool)
        .await?;
    }
    Ok(())
}

/// The stream's last sequence.
async fn last_sequence(system: &TestSystem, aggregate_id: Uuid) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(max(sequence), 0) FROM events WHERE aggregate_id = $1")
            .bind(aggregate_id.to_string())
            .fetch_one(&system.pool)
            .await?,
    )
}

pub async fn run(warmup: Duration, measure: Duration) -> anyhow::Result<SocialRun> {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec!["users", "feed", "posts", "reviews", "places"],
    };
    let system = TestSystem::start("benchsocial", roles).await?;
    let outcome = phases(&system, warmup, measure).await;
    system.stop().await;
    outcome
}

async fn phases(
    system: &TestSystem,
    warmup: Duration,
    measure: Duration,
) -> anyhow::Result<SocialRun> {
    let url = format!(
        "{}/graphql",
        system.api_url.as_deref().expect("API running")
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(READ_CLIENTS * 2)
        .tcp_nodelay(true)
        .build()?;

    // Fan-out: 10,000 followers of one author, then posts timed until every feed has them.
    eprintln!("social: {FOLLOWERS} followers of one author…");
    let star = register(&http, &url, "star").await?;
    let followers: Vec<Uuid> = (0..FOLLOWERS).map(|_| Uuid::now_v7()).collect();
    let next = last_sequence(system, star.id).await? + 1;
    let now = Utc::now();
    append_raw(
        system,
        followers
            .iter()
            .enumerate()
            .map(|(n, follower)| {
                (
                    star.id,
                    next + n as i64,
                    UserEvent::FollowerAdded {
                        follower_id: *follower,
                        followed_at: now,
                    },
                )
            })
            .collect(),
    )
    .await?;
    system
        .wait_caught_up(wayfarer_projections::feed::NAME, Duration::from_secs(300))
        .await;
    let redis = redis::Client::open(system.settings.redis.url.as_str())?;
    let mut connection = redis.get_multiplexed_async_connection().await?;
    let names = system.settings.names();
    let mut fan_out = Vec::new();
    for n in 0..FAN_OUT_POSTS {
        let started = Instant::now();
        let made = post(
            &http,
            &url,
            Some(&star.token),
            "mutation($c: String!) { createPost(input: { content: $c }) { postId position } }",
            json!({ "c": format!("Fan-out {n}") }),
        )
        .await
        .map_err(anyhow::Error::msg)?;
        let position = made["createPost"]["position"].clone();
        let activity: Uuid = loop {
            // The activity id is the store's; find it once the feed model has it.
            let found: Option<Uuid> =
                sqlx::query_scalar("SELECT activity_id FROM feed_activities WHERE subject_id = $1")
                    .bind(
                        made["createPost"]["postId"]
                            .as_str()
                            .unwrap_or_default()
                            .parse::<Uuid>()?,
                    )
                    .fetch_optional(&system.pool)
                    .await?;
            if let Some(id) = found {
                break id;
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(120),
                "post at {position} never reached the feed model"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        let member = activity.to_string();
        loop {
            let mut pipe = redis::pipe();
            for follower in &followers {
                pipe.zscore(names.feed_key(*follower), &member);
            }
            let scores: Vec<Option<f64>> = pipe.query_async(&mut connection).await?;
            if scores.iter().all(Option::is_some) {
                fan_out.push(crate::stats::micros(started.elapsed()));
                break;
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(120),
                "the post never reached every feed"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    // Feed reads: readers follow ordinary authors (fanned out on write) and the star (now
    // over the limit: merged in on read).
    eprintln!("social: {READ_CLIENTS} readers following {AUTHORS} authors and the star…");
    let mut authors = Vec::new();
    for n in 0..AUTHORS {
        authors.push(register(&http, &url, &format!("author{n}")).await?);
    }
    let mut readers = Vec::new();
    for n in 0..READ_CLIENTS {
        readers.push(register(&http, &url, &format!("reader{n}")).await?);
    }
    for reader in &readers {
        for author in authors.iter().chain(std::iter::once(&star)) {
            post(
                &http,
                &url,
                Some(&reader.token),
                "mutation($id: UUID!) { followUser(userId: $id) { position } }",
                json!({ "id": author.id }),
            )
            .await
            .map_err(anyhow::Error::msg)?;
        }
    }
    for n in 0..POSTS_PER_AUTHOR {
        for author in authors.iter().chain(std::iter::once(&star)) {
            post(
                &http,
                &url,
                Some(&author.token),
                "mutation($c: String!) { createPost(input: { content: $c }) { position } }",
                json!({ "c": format!("Day {n} of the trip") }),
            )
            .await
            .map_err(anyhow::Error::msg)?;
        }
    }
    for projection in [
        wayfarer_projections::feed::NAME,
        wayfarer_projections::post::NAME,
    ] {
        system
            .wait_caught_up(projection, Duration::from_secs(300))
            .await;
    }
    eprintln!("social: feed with {READ_CLIENTS} clients…");
    let readers = std::sync::Arc::new(readers);
    let start = Instant::now();
    let warm_end = start + warmup;
    let end = warm_end + measure;
    let tasks: Vec<_> = (0..READ_CLIENTS)
        .map(|client| {
            let (http, url, readers) = (http.clone(), url.clone(), readers.clone());
            tokio::spawn(async move {
                let mut tally = Tally::new(start);
                let reader = &readers[client];
                while Instant::now() < end {
                    let started = Instant::now();
                    let outcome = post(&http, &url, Some(&reader.token), FEED, json!({}))
                        .await
                        .and_then(|data| match data["feed"]["edges"].as_array() {
                            Some(edges) if edges.len() == 20 => Ok(()),
                            _ => Err(format!("a short feed: {data}")),
                        });
                    tally.record(warm_end, started, &outcome);
                }
                tally
            })
        })
        .collect();
    let feed = Tally::join(start, tasks).await?;
    let feed_elapsed = feed.last_done.saturating_duration_since(warm_end);

    // reviewsForPlace on a place with 10,000 reviews.
    eprintln!("social: {REVIEWS} reviews of one place…");
    let place: Uuid = post(
        &http,
        &url,
        Some(&star.token),
        "mutation { createPlace(input: { name: \"Bench café\", category: CAFE, lat: 38.71, lon: -9.14 }) { placeId } }",
        json!({}),
    )
    .await
    .map_err(anyhow::Error::msg)?["createPlace"]["placeId"]
        .as_str()
        .unwrap_or_default()
        .parse()?;
    let words = [
        "coffee",
        "croissant",
        "terrace",
        "service",
        "queue",
        "view",
        "music",
    ];
    append_raw(
        system,
        (0..REVIEWS)
            .map(|n| {
                let author = Uuid::now_v7();
                (
                    wayfarer_schemas::review_id(place, author),
                    1,
                    ReviewEvent::ReviewCreated {
                        place_id: place,
                        author_id: author,
                        rating: (n % 5 + 1) as u8,
                        content: format!(
                            "Review {n}: the {} was {} and the {} too.",
                            words[n % words.len()],
                            if n % 3 == 0 { "great" } else { "fine" },
                            words[(n / 7) % words.len()]
                        ),
                        created_at: now - chrono::Duration::seconds(n as i64),
                    },
                )
            })
            .collect(),
    )
    .await?;
    system
        .wait_caught_up(wayfarer_projections::review::NAME, Duration::from_secs(300))
        .await;
    sqlx::query("ANALYZE reviews").execute(&system.pool).await?;
    let mut reviews_latency = Vec::new();
    let mut review_errors = 0;
    for (order, sort, query) in [
        ("DATE", "DATE", None),
        ("RATING", "RATING", None),
        ("RELEVANCE \"croissant\"", "RELEVANCE", Some("croissant")),
    ] {
        eprintln!("social: reviewsForPlace {order} with {READ_CLIENTS} clients…");
        let start = Instant::now();
        let warm_end = start + warmup;
        let end = warm_end + measure;
        let token = star.token.clone();
        let tasks: Vec<_> = (0..READ_CLIENTS)
            .map(|_| {
                let (http, url, token) = (http.clone(), url.clone(), token.clone());
                tokio::spawn(async move {
                    let mut tally = Tally::new(start);
                    while Instant::now() < end {
                        let started = Instant::now();
                        let outcome = post(
                            &http,
                            &url,
                            Some(&token),
                            REVIEWS_FOR_PLACE,
                            json!({ "id": place, "s": sort, "q": query }),
                        )
                        .await
                        .and_then(|data| {
                            match data["reviewsForPlace"]["edges"].as_array() {
                                Some(edges) if edges.len() == 20 => Ok(()),
                                _ => Err(format!("a short page: {data}")),
                            }
                        });
                        tally.record(warm_end, started, &outcome);
                    }
                    tally
                })
            })
            .collect();
        let reads = Tally::join(start, tasks).await?;
        review_errors += reads.errors;
        reviews_latency.push((order, Summary::of_micros(reads.latencies)));
    }
    Ok(SocialRun {
        followers: FOLLOWERS,
        fan_out: Summary::of_micros(fan_out),
        feed_reads: feed.ok,
        feed_errors: feed.errors,
        feed_elapsed,
        feed_latency: Summary::of_micros(feed.latencies),
        reviews: REVIEWS,
        reviews_latency,
        review_errors,
    })
}
