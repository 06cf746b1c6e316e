//! The moderation queue (`moderationQueue`): one row per flagged post, comment or review and
//! one per flag, in PostgreSQL, written with the checkpoint in one transaction and guarded by
//! the case's version.

pub mod read;

use std::time::Duration;

use async_trait::async_trait;
use sqlx::PgConnection;
use wayfarer_schemas::moderation::{ModerationAction, CASE_AGGREGATE_TYPE};
use wayfarer_schemas::ModerationEvent;

use crate::projection::{Envelope, Projection, Tables, TransactionalProjection, Write};
use crate::ProjectionError;

pub const NAME: &str = "moderation";
pub const TABLES: &[&str] = &[CASES, FLAGS];
const CASES: &str = "moderation_cases";
const FLAGS: &str = "moderation_flags";

pub struct ModerationProjection;

impl Projection for ModerationProjection {
    fn name(&self) -> &'static str {
        NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &[CASE_AGGREGATE_TYPE]
    }
    fn fetch_wait(&self) -> Duration {
        Duration::from_millis(10)
    }
}

#[async_trait]
impl TransactionalProjection for ModerationProjection {
    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let cases = tables.name(CASES);
        let flags = tables.name(FLAGS);
        for envelope in events {
            let undecodable =
                |reason: String| ProjectionError::undecodable(envelope.global_position, reason);
            let event: ModerationEvent = serde_json::from_str(envelope.payload.get())
                .map_err(|e| undecodable(e.to_string()))?;
            let id = envelope
                .aggregate_uuid()
                .ok_or_else(|| undecodable("case id is not a UUID".into()))?;
            let version = envelope.sequence as i64;
            let applied: Option<i64> = sqlx::query_scalar(&format!(
                "SELECT version FROM {cases} WHERE case_id = $1 FOR UPDATE"
            ))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if applied.is_some_and(|v| v >= version) {
                continue;
            }
            match event {
                ModerationEvent::ContentFlagged {
                    target_type,
                    target_id,
                    author_id,
                    flagged_by,
                    rule_code,
                    guidelines_version,
                    reason,
                    flagged_at,
                } => {
                    // A resolved case opens again: a new round of flags.
                    sqlx::query(&format!(
                        "INSERT INTO {cases} (case_id, target_type, target_id, author_id, status, \
                           open_flags, total_flags, first_flagged_at, last_flagged_at, version) \
                         VALUES ($1, $2, $3, $4, 'OPEN', 1, 1, $5, $5, $6) \
                         ON CONFLICT (case_id) DO UPDATE SET \
                           status = CASE WHEN {cases}.status = 'RESOLVED' THEN 'OPEN' ELSE {cases}.status END, \
                           first_flagged_at = CASE WHEN {cases}.status = 'RESOLVED' THEN $5 \
                             ELSE {cases}.first_flagged_at END, \
                           open_flags = CASE WHEN {cases}.status = 'RESOLVED' THEN 1 \
                             ELSE {cases}.open_flags + 1 END, \
                           total_flags = {cases}.total_flags + 1, last_flagged_at = $5, version = $6"
                    ))
                    .bind(id)
                    .bind(target_type.as_str())
                    .bind(target_id)
                    .bind(author_id)
                    .bind(flagged_at)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(&format!(
                        "INSERT INTO {flags} (case_id, flagged_by, rule_code, guidelines_version, \
                           reason, flagged_at) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT DO NOTHING"
                    ))
                    .bind(id)
                    .bind(flagged_by)
                    .bind(&rule_code)
                    .bind(guidelines_version as i32)
                    .bind(reason)
                    .bind(flagged_at)
                    .execute(&mut *tx)
                    .await?;
                }
                ModerationEvent::FlagsResolved {
                    action,
                    resolved_by,
                    note,
                    resolved_at,
                } => {
                    let status = if action == ModerationAction::Escalate {
                        "ESCALATED"
                    } else {
                        "RESOLVED"
                    };
                    sqlx::query(&format!(
                        "UPDATE {cases} SET status = $2, last_action = $3, resolved_by = $4, \
                           note = $5, resolved_at = $6, version = $7 WHERE case_id = $1"
                    ))
                    .bind(id)
                    .bind(status)
                    .bind(action.as_str())
                    .bind(resolved_by)
                    .bind(note)
                    .bind(resolved_at)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn has_applied(
        &self,
        connection: &mut PgConnection,
        write: &Write,
    ) -> Result<bool, ProjectionError> {
        let Some(id) = write.stream_of(CASE_AGGREGATE_TYPE) else {
            return Ok(true);
        };
        Ok(write
            .versioned_row_reached(connection, CASES, "case_id", id)
            .await?)
    }
}
