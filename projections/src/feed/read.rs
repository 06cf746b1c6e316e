//! Reading feeds: the Redis feed of a person (authors fanned out on write), the activities of
//! authors read from PostgreSQL (fanned out on read, and every page past what Redis keeps),
//! and who a person follows.

use chrono::{DateTime, Utc};
use deadpool_redis::Pool;
use sqlx::PgPool;
use uuid::Uuid;

use crate::names::Names;
use crate::ProjectionError;

/// One activity.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ActivityRow {
    pub activity_id: Uuid,
    pub author_id: Uuid,
    pub kind: String,
    pub subject_id: Uuid,
    pub occurred_at: DateTime<Utc>,
}

const COLUMNS: &str = "activity_id, author_id, kind, subject_id, occurred_at";

/// Someone a person follows, and whether they are fanned out on read.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Followee {
    pub followee_id: Uuid,
    /// Their followers, counted up to the fan-out limit plus one.
    pub followers: i64,
}

/// Everyone `user` follows, each with their follower count (capped at `cap`).
pub async fn followees(pool: &PgPool, user: Uuid, cap: i64) -> Result<Vec<Followee>, sqlx::Error> {
    sqlx::query_as(
        "SELECT f.followee_id, \
           (SELECT count(*) FROM (SELECT 1 FROM feed_follows c \
              WHERE c.followee_id = f.followee_id LIMIT $2) capped) AS followers \
         FROM feed_follows f WHERE f.follower_id = $1",
    )
    .bind(user)
    .bind(cap)
    .fetch_all(pool)
    .await
}

/// The standing activities among `ids`.
pub async fn activities(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<ActivityRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM feed_activities WHERE activity_id = ANY($1) AND NOT withdrawn"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

/// The standing activities of `authors`, newest first, before `(occurred_at, activity_id)`.
pub async fn activities_of(
    pool: &PgPool,
    authors: &[Uuid],
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<ActivityRow>, sqlx::Error> {
    let (at, id) = before.unzip();
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM feed_activities \
         WHERE author_id = ANY($1) AND NOT withdrawn \
           AND ($2::timestamptz IS NULL OR (occurred_at, activity_id) < ($2, $3)) \
         ORDER BY occurred_at DESC, activity_id DESC LIMIT $4"
    ))
    .bind(authors)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// One entry of a Redis feed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FannedOut {
    pub activity_id: Uuid,
    /// [`super::feed_score`] of when it happened.
    pub score: f64,
}

/// Up to `limit` entries of `user`'s Redis feed, newest first, at or before `max_score`.
/// Fewer than `limit` means the feed holds nothing older.
pub async fn fanned_out(
    redis: &Pool,
    names: &Names,
    user: Uuid,
    max_score: Option<f64>,
    limit: usize,
) -> Result<Vec<FannedOut>, ProjectionError> {
    let mut connection = redis.get().await?;
    let max = max_score.map_or_else(|| "+inf".to_owned(), |score| score.to_string());
    let members: Vec<(String, f64)> = redis::cmd("ZRANGE")
        .arg(names.feed_key(user))
        .arg(max)
        .arg("-inf")
        .arg("BYSCORE")
        .arg("REV")
        .arg("LIMIT")
        .arg(0)
        .arg(limit)
        .arg("WITHSCORES")
        .query_async(&mut *connection)
        .await?;
    Ok(members
        .into_iter()
        .filter_map(|(member, score)| {
            Uuid::parse_str(&member)
                .ok()
                .map(|activity_id| FannedOut { activity_id, score })
        })
        .collect())
}

/// The time a feed score stands for.
pub fn score_time(score: f64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(score as i64).unwrap_or_default()
}
