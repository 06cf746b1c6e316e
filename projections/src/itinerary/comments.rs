//! Comments on items (`itemComments`): a PostgreSQL model of its own, written in the runner's
//! transaction, idempotent by stream version ([`stream_guard`], `itinerary_comment_streams`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use wayfarer_schemas::ItineraryEvent;

use super::stream_guard;
use crate::event::ItineraryEnvelope;
use crate::projection::Tables;

/// Projection name, used for checkpoints, consumer groups and the CLI.
pub const NAME: &str = "itinerary_comments";
pub const TABLES: &[&str] = &[COMMENTS, STREAMS];
const COMMENTS: &str = "itinerary_comment_view";
const STREAMS: &str = "itinerary_comment_streams";

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

/// The model; registered as [`stream_guard::Guarded`]`(ItineraryCommentsModel)`.
pub struct ItineraryCommentsModel;

/// The registered projection.
pub type ItineraryCommentsProjection = stream_guard::Guarded<ItineraryCommentsModel>;

#[async_trait]
impl stream_guard::GuardedModel for ItineraryCommentsModel {
    const NAME: &'static str = NAME;
    const TABLES: &'static [&'static str] = TABLES;
    const STREAMS: &'static str = STREAMS;

    async fn apply_event(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        id: Uuid,
        envelope: &ItineraryEnvelope,
    ) -> Result<(), sqlx::Error> {
        let comments = tables.name(COMMENTS);
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
        Ok(())
    }
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
