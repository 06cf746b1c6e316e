//! Reading the moderation queue: cases by status, most flagged first, then oldest.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CaseRow {
    pub case_id: Uuid,
    pub target_type: String,
    pub target_id: Uuid,
    pub author_id: Uuid,
    pub status: String,
    pub open_flags: i32,
    pub total_flags: i32,
    pub first_flagged_at: DateTime<Utc>,
    pub last_flagged_at: DateTime<Utc>,
    pub last_action: Option<String>,
    pub resolved_by: Option<Uuid>,
    pub note: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "case_id, target_type, target_id, author_id, status, open_flags, \
     total_flags, first_flagged_at, last_flagged_at, last_action, resolved_by, note, resolved_at";

/// Where a queue page starts: after the case with these keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueCursor {
    pub open_flags: i32,
    pub first_flagged_at: DateTime<Utc>,
    pub case_id: Uuid,
}

/// Cases of `status`, most open flags first, then the oldest first.
pub async fn queue(
    pool: &PgPool,
    status: &str,
    after: Option<QueueCursor>,
    limit: i64,
) -> Result<Vec<CaseRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM moderation_cases WHERE status = $1 \
           AND ($2::int IS NULL OR (-open_flags, first_flagged_at, case_id) > (-$2, $3, $4)) \
         ORDER BY open_flags DESC, first_flagged_at, case_id LIMIT $5"
    ))
    .bind(status)
    .bind(after.map(|c| c.open_flags))
    .bind(after.map(|c| c.first_flagged_at))
    .bind(after.map(|c| c.case_id))
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn find(pool: &PgPool, case_id: Uuid) -> Result<Option<CaseRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM moderation_cases WHERE case_id = $1"
    ))
    .bind(case_id)
    .fetch_optional(pool)
    .await
}

/// One flag of a case.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FlagRow {
    pub case_id: Uuid,
    pub flagged_by: Uuid,
    pub rule_code: String,
    pub guidelines_version: i32,
    pub reason: Option<String>,
    pub flagged_at: DateTime<Utc>,
}

/// The flags of `cases`, oldest first.
pub async fn flags(pool: &PgPool, cases: &[Uuid]) -> Result<Vec<FlagRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT case_id, flagged_by, rule_code, guidelines_version, reason, flagged_at \
         FROM moderation_flags WHERE case_id = ANY($1) ORDER BY flagged_at, flagged_by",
    )
    .bind(cases)
    .fetch_all(pool)
    .await
}
