//! Reads of the people model, for the API: profiles, follow relations, pages of followers and
//! what authorization needs (role and ban of a caller).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use wayfarer_schemas::{Privacy, Role, UserProfile};

use crate::ProjectionError;

/// A ban is in force while it has no end or its end is still ahead.
const BAN_IN_FORCE: &str = "(banned AND (banned_until IS NULL OR banned_until > now()))";

/// One person as the model holds them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub user_id: Uuid,
    pub user_name: String,
    pub profile: sqlx::types::Json<UserProfile>,
    pub privacy: String,
    pub role: String,
    pub banned: bool,
    pub banned_until: Option<DateTime<Utc>>,
    pub ban_reason: Option<String>,
    pub deleted: bool,
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl UserRow {
    pub fn privacy(&self) -> Privacy {
        Privacy::parse(&self.privacy).unwrap_or(Privacy::Private)
    }

    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or_default()
    }

    pub fn is_banned_at(&self, now: DateTime<Utc>) -> bool {
        self.banned && self.banned_until.is_none_or(|until| until > now)
    }
}

/// Where one person stands with another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowStatus {
    Pending,
    Approved,
}

/// A person in a list of followers or followed people, with when the relation began.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Related {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub since: DateTime<Utc>,
}

/// What authorization needs to know about a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct CallerStanding {
    pub role_is_admin: bool,
    pub role_is_moderator: bool,
    pub banned: bool,
    pub deleted: bool,
}

const COLUMNS: &str = "u.user_id, u.user_name, u.profile, u.privacy, u.role, u.banned, \
    u.banned_until, u.ban_reason, u.deleted, u.registered_at, u.updated_at, u.version";

pub async fn find(pool: &PgPool, user_id: Uuid) -> Result<Option<UserRow>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users u WHERE u.user_id = $1"
    ))
    .bind(user_id)
    .fetch_optional(pool)
    .await?)
}

/// The stream version the model has applied for this person (0 before registration).
pub async fn version_of(
    connection: &mut PgConnection,
    user_id: Uuid,
) -> Result<i64, ProjectionError> {
    let version: Option<i64> = sqlx::query_scalar("SELECT version FROM users WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(connection)
        .await?;
    Ok(version.unwrap_or(0))
}

/// The caller's role and whether they are banned or gone, if the model knows them.
pub async fn standing(
    pool: &PgPool,
    user_id: Uuid,
) -> Result<Option<CallerStanding>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT role = 'ADMIN' AS role_is_admin, role = 'MODERATOR' AS role_is_moderator, \
         {BAN_IN_FORCE} AS banned, deleted FROM users WHERE user_id = $1"
    ))
    .bind(user_id)
    .fetch_optional(pool)
    .await?)
}

/// How `follower` stands with `followee`, if at all.
pub async fn follow_status(
    pool: &PgPool,
    followee: Uuid,
    follower: Uuid,
) -> Result<Option<FollowStatus>, ProjectionError> {
    let status: Option<String> = sqlx::query_scalar(
        "SELECT status FROM user_follows WHERE followee_id = $1 AND follower_id = $2",
    )
    .bind(followee)
    .bind(follower)
    .fetch_optional(pool)
    .await?;
    Ok(status.map(|status| match status.as_str() {
        "APPROVED" => FollowStatus::Approved,
        _ => FollowStatus::Pending,
    }))
}

/// Approved followers and followed people, counting only people still shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct FollowCounts {
    pub followers: i64,
    pub following: i64,
}

pub async fn follow_counts(pool: &PgPool, user_id: Uuid) -> Result<FollowCounts, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT \
           (SELECT count(*) FROM user_follows f JOIN users u ON u.user_id = f.follower_id \
            WHERE f.followee_id = $1 AND f.status = 'APPROVED' AND NOT u.deleted \
            AND NOT {BAN_IN_FORCE}) AS followers, \
           (SELECT count(*) FROM user_follows f JOIN users u ON u.user_id = f.followee_id \
            WHERE f.follower_id = $1 AND f.status = 'APPROVED' AND NOT u.deleted \
            AND NOT {BAN_IN_FORCE}) AS following"
    ))
    .bind(user_id)
    .fetch_one(pool)
    .await?)
}

/// Which side of the relation a page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// People who follow the person.
    Followers,
    /// People the person follows.
    Following,
    /// People waiting for the person's approval.
    Requests,
}

/// A page of related people, oldest relation first, after `cursor` (since, user id). Banned
/// and deleted people are left out.
pub async fn related_page(
    pool: &PgPool,
    user_id: Uuid,
    relation: Relation,
    cursor: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Related>, ProjectionError> {
    let (anchor, other, status) = match relation {
        Relation::Followers => ("followee_id", "follower_id", "APPROVED"),
        Relation::Following => ("follower_id", "followee_id", "APPROVED"),
        Relation::Requests => ("followee_id", "follower_id", "PENDING"),
    };
    let (since, after_id) = cursor.unzip();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS}, f.since FROM user_follows f JOIN users u ON u.user_id = f.{other} \
         WHERE f.{anchor} = $1 AND f.status = '{status}' AND NOT u.deleted \
         AND NOT {BAN_IN_FORCE} AND ($2::timestamptz IS NULL OR (f.since, u.user_id) > ($2, $3)) \
         ORDER BY f.since, u.user_id LIMIT $4"
    ))
    .bind(user_id)
    .bind(since)
    .bind(after_id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Admins other than `user_id` whose accounts are open.
pub async fn other_admins(pool: &PgPool, user_id: Uuid) -> Result<u64, ProjectionError> {
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users WHERE role = 'ADMIN' AND NOT deleted AND user_id <> $1",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await?;
    Ok(count as u64)
}

/// How `follower` stands with each of `followees` (absent: no relation).
pub async fn follow_statuses(
    pool: &PgPool,
    follower: Uuid,
    followees: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, FollowStatus>, ProjectionError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        followee_id: Uuid,
        status: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT followee_id, status FROM user_follows \
         WHERE follower_id = $1 AND followee_id = ANY($2)",
    )
    .bind(follower)
    .bind(followees)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let status = if row.status == "APPROVED" {
                FollowStatus::Approved
            } else {
                FollowStatus::Pending
            };
            (row.followee_id, status)
        })
        .collect())
}

/// The people with these ids, in the order given (unknown ids left out).
pub async fn find_many(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<UserRow>, ProjectionError> {
    let rows: Vec<UserRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users u WHERE u.user_id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await?;
    let mut by_id: std::collections::HashMap<Uuid, UserRow> =
        rows.into_iter().map(|row| (row.user_id, row)).collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// What decides whether a viewer may see a person's content (their public itineraries).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnerFacts {
    pub user_id: Uuid,
    pub privacy: String,
    pub deleted: bool,
    pub banned: bool,
    /// The viewer's follow of the owner, if any.
    pub follow: Option<String>,
}

/// The facts of each of `owners` the model knows, with `viewer`'s follow of each.
pub async fn owner_facts(
    pool: &PgPool,
    owners: &[Uuid],
    viewer: Option<Uuid>,
) -> Result<Vec<OwnerFacts>, ProjectionError> {
    Ok(sqlx::query_as(&format!(
        "SELECT u.user_id, u.privacy, u.deleted, {BAN_IN_FORCE} AS banned, f.status AS follow \
         FROM users u LEFT JOIN user_follows f \
           ON f.followee_id = u.user_id AND f.follower_id = $2 \
         WHERE u.user_id = ANY($1)"
    ))
    .bind(owners)
    .bind(viewer)
    .fetch_all(pool)
    .await?)
}
