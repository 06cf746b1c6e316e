//! Reviews of places (`review`, `reviewsForPlace`) and each place's rating (average, count
//! and histogram of stars), in PostgreSQL, written with the checkpoint in one transaction.
//!
//! A review row keeps its rating after it is deleted, and every event moves the row's version
//! on: an event at or below that version is a redelivery and changes nothing, so a place's
//! figures take each rating in, and out, exactly once. Hidden reviews are not counted.

pub mod read;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;
use wayfarer_schemas::review::{ReviewMedia, AGGREGATE_TYPE};
use wayfarer_schemas::ReviewEvent;

use crate::projection::{Envelope, Projection, Tables, TransactionalProjection, Write};
use crate::ProjectionError;

pub const NAME: &str = "reviews";
pub const TABLES: &[&str] = &[REVIEWS, HELPFUL_MARKS, PLACE_RATINGS];
const REVIEWS: &str = "reviews";
const HELPFUL_MARKS: &str = "review_helpful_marks";
const PLACE_RATINGS: &str = "place_ratings";

pub struct ReviewsProjection;

impl Projection for ReviewsProjection {
    fn name(&self) -> &'static str {
        NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &[AGGREGATE_TYPE]
    }
    fn fetch_wait(&self) -> Duration {
        Duration::from_millis(10)
    }
}

/// What the row held before this event.
#[derive(sqlx::FromRow)]
struct Standing {
    place_id: Uuid,
    rating: i16,
    deleted: bool,
    hidden: bool,
    version: i64,
}

impl Standing {
    /// Counted in its place's figures.
    fn counted(&self) -> bool {
        !self.deleted && !self.hidden
    }
}

/// The live tables' names for this apply (shadow copies during a rebuild).
struct Names<'a> {
    reviews: &'a str,
    marks: &'a str,
    ratings: &'a str,
}

fn undecodable(envelope: &Envelope, reason: impl ToString) -> ProjectionError {
    ProjectionError::undecodable(envelope.global_position, reason)
}

/// Stars as a histogram column; anything else is not a review event this code wrote.
fn stars_column(envelope: &Envelope, rating: i16) -> Result<&'static str, ProjectionError> {
    Ok(match rating {
        1 => "stars_1",
        2 => "stars_2",
        3 => "stars_3",
        4 => "stars_4",
        5 => "stars_5",
        other => {
            return Err(undecodable(
                envelope,
                format!("rating {other} is not 1 to 5"),
            ))
        }
    })
}

/// Takes a rating into (`delta` 1) or out of (`delta` -1) its place's figures.
async fn count_rating(
    tx: &mut PgConnection,
    names: &Names<'_>,
    envelope: &Envelope,
    place_id: Uuid,
    rating: i16,
    delta: i32,
) -> Result<(), ProjectionError> {
    let stars = stars_column(envelope, rating)?;
    let ratings = names.ratings;
    sqlx::query(&format!(
        "INSERT INTO {ratings} (place_id, review_count, rating_sum, {stars}) VALUES ($1, $2, $3, $2) \
         ON CONFLICT (place_id) DO UPDATE SET \
           review_count = {ratings}.review_count + $2, \
           rating_sum = {ratings}.rating_sum + $3, \
           {stars} = {ratings}.{stars} + $2"
    ))
    .bind(place_id)
    .bind(delta)
    .bind(i64::from(delta) * i64::from(rating))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[async_trait]
impl TransactionalProjection for ReviewsProjection {
    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let names = Names {
            reviews: tables.name(REVIEWS),
            marks: tables.name(HELPFUL_MARKS),
            ratings: tables.name(PLACE_RATINGS),
        };
        for envelope in events {
            let event: ReviewEvent = serde_json::from_str(envelope.payload.get())
                .map_err(|e| undecodable(envelope, e))?;
            let id = envelope
                .aggregate_uuid()
                .ok_or_else(|| undecodable(envelope, "review id is not a UUID"))?;
            apply_one(&mut *tx, &names, envelope, id, event).await?;
        }
        Ok(())
    }

    async fn has_applied(
        &self,
        connection: &mut PgConnection,
        write: &Write,
    ) -> Result<bool, ProjectionError> {
        let Some(id) = write.stream_of(AGGREGATE_TYPE) else {
            return Ok(true);
        };
        Ok(write
            .versioned_row_reached(connection, REVIEWS, "review_id", id)
            .await?)
    }
}

async fn apply_one(
    tx: &mut PgConnection,
    names: &Names<'_>,
    envelope: &Envelope,
    id: Uuid,
    event: ReviewEvent,
) -> Result<(), ProjectionError> {
    let version = envelope.sequence as i64;
    let reviews = names.reviews;
    let standing: Option<Standing> = sqlx::query_as(&format!(
        "SELECT place_id, rating, deleted, hidden, version FROM {reviews} \
         WHERE review_id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    if standing.as_ref().is_some_and(|s| s.version >= version) {
        return Ok(());
    }
    if let ReviewEvent::ReviewCreated {
        place_id,
        author_id,
        rating,
        content,
        created_at,
    } = event
    {
        // Written again after a deletion: the earlier review's rating is out already.
        if let Some(earlier) = standing.as_ref().filter(|s| s.counted()) {
            count_rating(tx, names, envelope, earlier.place_id, earlier.rating, -1).await?;
        }
        sqlx::query(&format!(
            "INSERT INTO {reviews} (review_id, place_id, author_id, rating, content, media, \
               helpful_count, created_at, updated_at, deleted, version) \
             VALUES ($1, $2, $3, $4, $5, '[]', 0, $6, $6, false, $7) \
             ON CONFLICT (review_id) DO UPDATE SET place_id = $2, author_id = $3, rating = $4, \
               content = $5, media = '[]', helpful_count = 0, created_at = $6, updated_at = $6, \
               deleted = false, hidden = false, hidden_reason = NULL, version = $7"
        ))
        .bind(id)
        .bind(place_id)
        .bind(author_id)
        .bind(i16::from(rating))
        .bind(&content)
        .bind(created_at)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        clear_marks(tx, names, id).await?;
        return count_rating(tx, names, envelope, place_id, i16::from(rating), 1).await;
    }
    let Some(standing) = standing else {
        return Err(undecodable(envelope, "an event for a review never created"));
    };
    match event {
        ReviewEvent::ReviewCreated { .. } => unreachable!("handled above"),
        ReviewEvent::ReviewUpdated {
            rating,
            content,
            updated_at,
        } => {
            if standing.counted() {
                count_rating(tx, names, envelope, standing.place_id, standing.rating, -1).await?;
                count_rating(tx, names, envelope, standing.place_id, i16::from(rating), 1).await?;
            }
            sqlx::query(&format!(
                "UPDATE {reviews} SET rating = $2, content = $3, updated_at = $4, version = $5 \
                 WHERE review_id = $1"
            ))
            .bind(id)
            .bind(i16::from(rating))
            .bind(&content)
            .bind(updated_at)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        }
        ReviewEvent::ReviewDeleted { deleted_at } => {
            if standing.counted() {
                count_rating(tx, names, envelope, standing.place_id, standing.rating, -1).await?;
            }
            clear_marks(tx, names, id).await?;
            sqlx::query(&format!(
                "UPDATE {reviews} SET deleted = true, media = '[]', helpful_count = 0, \
                 updated_at = $2, version = $3 WHERE review_id = $1"
            ))
            .bind(id)
            .bind(deleted_at)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        }
        ReviewEvent::ReviewMediaAdded { media, .. } => {
            sqlx::query(&format!(
                "UPDATE {reviews} SET media = media || jsonb_build_array($2::jsonb), version = $3 \
                 WHERE review_id = $1"
            ))
            .bind(id)
            .bind(Json(&media))
            .bind(version)
            .execute(&mut *tx)
            .await?;
        }
        ReviewEvent::ReviewMediaRemoved { media_id, .. } => {
            sqlx::query(&format!(
                "UPDATE {reviews} SET version = $3, media = COALESCE((SELECT jsonb_agg(item ORDER BY n) \
                   FROM jsonb_array_elements(media) WITH ORDINALITY AS m(item, n) \
                   WHERE item->>'mediaId' <> $2::text), '[]') \
                 WHERE review_id = $1"
            ))
            .bind(id)
            .bind(media_id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        }
        ReviewEvent::ReviewHidden { reason, .. } => {
            if standing.counted() {
                count_rating(tx, names, envelope, standing.place_id, standing.rating, -1).await?;
            }
            sqlx::query(&format!(
                "UPDATE {reviews} SET hidden = true, hidden_reason = $2, version = $3 \
                 WHERE review_id = $1"
            ))
            .bind(id)
            .bind(reason)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        }
        ReviewEvent::ReviewMarkedHelpful { user_id, .. } => {
            let marks = names.marks;
            sqlx::query(&format!(
                "INSERT INTO {marks} (review_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            ))
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "UPDATE {reviews} SET helpful_count = \
                   (SELECT count(*) FROM {marks} WHERE review_id = $1), version = $2 \
                 WHERE review_id = $1"
            ))
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

async fn clear_marks(
    tx: &mut PgConnection,
    names: &Names<'_>,
    id: Uuid,
) -> Result<(), ProjectionError> {
    let marks = names.marks;
    sqlx::query(&format!("DELETE FROM {marks} WHERE review_id = $1"))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// One review as the read side shows it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReviewRow {
    pub review_id: Uuid,
    pub place_id: Uuid,
    pub author_id: Uuid,
    pub rating: i16,
    pub content: String,
    pub media: Json<Vec<ReviewMedia>>,
    pub helpful_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Hidden by a moderator: shown to its author (with the reason) and staff only.
    pub hidden: bool,
    pub hidden_reason: Option<String>,
}
