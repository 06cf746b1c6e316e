//! Comments on items (`itemComments`): a PostgreSQL model of its own, written in the runner's
//! transaction. Idempotent by stream version: `itinerary_comment_streams` holds the last
//! itinerary event applied per itinerary, and every event of a batch moves it forward.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use wayfarer_schemas::itinerary::AGGREGATE_TYPE;
use wayfarer_schemas::ItineraryEvent;

use crate::event::{from_envelope, stream_id, ItineraryEnvelope};
use crate::projection::{Envelope, Projection, Tables, TransactionalProjection, Write};
use crate::ProjectionError;

/// Projection name, used for checkpoints, consumer groups and the CLI.
pub const NAME: &str = "itinerary_comments";
pub const TABLES: &[&str] = &[COMMENTS, STREAMS];
const COMMENTS: &str = "itinerary_comment_view";
const STREAMS: &str = "itinerary_comment_streams";
const CONSUMES: &[&str] = &[AGGREGATE_TYPE];

/// One comment as readers see it; `text` is empty once deleted.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CommentRow {
    pub comment_id: Uuid,
    pub itinerary_id: Uuid,
    pub item_id: Uuid,
    pub parent_comment_id: Option<Uuid>,
    pub author_id: Uuid,
    pub text: String,
    pub deleted: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub position: i64,
}

pub struct ItineraryCommentsProjection;

impl Projection for ItineraryCommentsProjection {
    fn name(&self) -> &'static str {
        NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        CONSUMES
    }
    /// It serves read-your-writes, so it polls often.
    fn fetch_wait(&self) -> Duration {
        Duration::from_millis(10)
    }
}

#[async_trait]
impl TransactionalProjection for ItineraryCommentsProjection {
    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let events: Vec<ItineraryEnvelope> =
            events.iter().map(from_envelope).collect::<Result<_, _>>()?;
        apply_events(tx, tables, &events).await
    }

    async fn has_applied(
        &self,
        connection: &mut PgConnection,
        write: &Write,
    ) -> Result<bool, ProjectionError> {
        if write.aggregate_type != AGGREGATE_TYPE {
            return Ok(true);
        }
        let Ok(id) = Uuid::parse_str(&write.aggregate_id) else {
            return Ok(true);
        };
        Ok(
            applied_version(&mut *connection, &Tables::live(TABLES), &[id])
                .await?
                .get(&id)
                .copied()
                .unwrap_or(0)
                >= write.sequence as i64,
        )
    }
}

#[derive(sqlx::FromRow)]
struct StreamVersion {
    itinerary_id: Uuid,
    version: i64,
}

async fn applied_version(
    connection: &mut PgConnection,
    tables: &Tables,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, i64>, sqlx::Error> {
    let rows: Vec<StreamVersion> = sqlx::query_as(&format!(
        "SELECT itinerary_id, version FROM {} WHERE itinerary_id = ANY($1)",
        tables.name(STREAMS)
    ))
    .bind(ids)
    .fetch_all(&mut *connection)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.itinerary_id, row.version))
        .collect())
}

async fn apply_events(
    tx: &mut PgConnection,
    tables: &Tables,
    events: &[ItineraryEnvelope],
) -> Result<(), ProjectionError> {
    let mut ids: Vec<Uuid> = events.iter().map(stream_id).collect();
    ids.sort();
    ids.dedup();
    let mut versions = applied_version(&mut *tx, tables, &ids).await?;
    let comments = tables.name(COMMENTS);
    for envelope in events {
        let id = stream_id(envelope);
        let applied = versions.entry(id).or_insert(0);
        if envelope.sequence as i64 <= *applied {
            continue;
        }
        *applied = envelope.sequence as i64;
        match &envelope.payload {
            ItineraryEvent::ItemCommentAdded {
                comment_id,
                item_id,
                parent_comment_id,
                author_id,
                text,
                added_at,
            } => {
                sqlx::query(&format!(
                    "INSERT INTO {comments} (comment_id, itinerary_id, item_id, \
                     parent_comment_id, author_id, text, created_at, position) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (comment_id) DO NOTHING"
                ))
                .bind(comment_id)
                .bind(id)
                .bind(item_id)
                .bind(parent_comment_id)
                .bind(author_id)
                .bind(text)
                .bind(added_at)
                .bind(envelope.global_position)
                .execute(&mut *tx)
                .await?;
            }
            ItineraryEvent::ItemCommentEdited {
                comment_id,
                text,
                edited_at,
            } => {
                sqlx::query(&format!(
                    "UPDATE {comments} SET text = $2, edited_at = $3 WHERE comment_id = $1"
                ))
                .bind(comment_id)
                .bind(text)
                .bind(edited_at)
                .execute(&mut *tx)
                .await?;
            }
            ItineraryEvent::ItemCommentDeleted {
                comment_id,
                deleted_at,
            } => {
                sqlx::query(&format!(
                    "UPDATE {comments} SET text = '', deleted = true, edited_at = $2 \
                     WHERE comment_id = $1"
                ))
                .bind(comment_id)
                .bind(deleted_at)
                .execute(&mut *tx)
                .await?;
            }
            _ => {}
        }
    }
    let (ids, applied): (Vec<Uuid>, Vec<i64>) = versions.into_iter().unzip();
    sqlx::query(&format!(
        "INSERT INTO {} (itinerary_id, version) SELECT * FROM UNNEST($1::uuid[], $2::int8[]) \
         ON CONFLICT (itinerary_id) DO UPDATE SET version = excluded.version",
        tables.name(STREAMS)
    ))
    .bind(&ids)
    .bind(&applied)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A page of one item's comments in the order they were made, after a store position.
pub async fn page_for_item(
    pool: &PgPool,
    itinerary_id: Uuid,
    item_id: Uuid,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<CommentRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT comment_id, itinerary_id, item_id, parent_comment_id, author_id, text, deleted, \
         created_at, edited_at, position FROM itinerary_comment_view \
         WHERE itinerary_id = $1 AND item_id = $2 AND ($3::int8 IS NULL OR position > $3) \
         ORDER BY position LIMIT $4",
    )
    .bind(itinerary_id)
    .bind(item_id)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}
