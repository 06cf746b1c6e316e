//! Reviews of places: `createReview` (one per person and place), `updateReview`,
//! `deleteReview`, `addReviewMedia`, `removeReviewMedia`, `markReviewHelpful`, `review` and
//! `reviewsForPlace` (the seed's `getReviewsForPlace`: by date, rating or relevance).
//!
//! A review is seen by whoever may see its author's content (a banned, closed or private
//! author's reviews look missing to others); a place's rating counts every standing review.

use std::collections::{HashMap, HashSet};

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use wayfarer_commands::CommandOutcome;
use wayfarer_domain::{ReviewCommand, ReviewContext};
use wayfarer_projections::review::read::{
    self, HiddenShown, PlaceRatingRow, PlaceReviews, RankedReview, ReviewCursor, ReviewOrder,
};
use wayfarer_projections::review::{ReviewRow, NAME};
use wayfarer_schemas::review::review_id;

use super::context::{caller, state};
use super::paging::{check_search_text, cursor_text, encode_opaque, page_size};
use super::people::read_user;
use super::people_types::User;
use super::resolve::{resolve, Invocation};
use super::types::Position;
use crate::error::{ApiError, ApiResult};
use crate::people::access::{content_visible, Viewer};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::review::MediaType")]
pub enum MediaType {
    Photo,
    Video,
}

/// The order of `reviewsForPlace`.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum ReviewSort {
    /// Newest first.
    #[default]
    Date,
    /// Most stars first, then newest.
    Rating,
    /// Best first by `10 × text match + ln(1 + helpful marks) − age in days / 180`: the text
    /// match is PostgreSQL's `ts_rank` of the review against `query` (0 without one), and
    /// half a year of age weighs as much as e times the helpful marks.
    Relevance,
}

impl From<ReviewSort> for ReviewOrder {
    fn from(sort: ReviewSort) -> Self {
        match sort {
            ReviewSort::Date => ReviewOrder::Date,
            ReviewSort::Rating => ReviewOrder::Rating,
            ReviewSort::Relevance => ReviewOrder::Relevance,
        }
    }
}

/// A photo or video of a review.
#[derive(SimpleObject)]
pub struct ReviewMedia {
    pub id: Uuid,
    pub url: String,
    #[graphql(name = "type")]
    pub media_type: MediaType,
    pub caption: Option<String>,
}

/// One person's review of one place.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Review {
    pub id: Uuid,
    pub place_id: Uuid,
    pub author_id: Uuid,
    /// 1 to 5 stars.
    pub rating: i32,
    pub content: String,
    pub media: Vec<ReviewMedia>,
    /// How many people marked it helpful.
    pub helpful_count: i32,
    /// Whether the caller marked it helpful (`null` when signed out).
    pub marked_helpful_by_me: Option<bool>,
    pub created_at: DateTime<Utc>,
    /// When its stars or text last changed (`createdAt` if never).
    pub updated_at: DateTime<Utc>,
    /// Hidden by a moderator: only its author and staff see it.
    pub hidden: bool,
    /// Why, when the moderator said.
    pub hidden_reason: Option<String>,
}

#[ComplexObject]
impl Review {
    /// The author as the caller may see them.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        resolve(read_user(ctx, self.author_id, None)).await
    }
}

impl Review {
    fn from_row(row: ReviewRow, marked_helpful_by_me: Option<bool>) -> Self {
        Self {
            id: row.review_id,
            place_id: row.place_id,
            author_id: row.author_id,
            rating: i32::from(row.rating),
            content: row.content,
            media: row
                .media
                .0
                .into_iter()
                .map(|m| ReviewMedia {
                    id: m.media_id,
                    url: m.url,
                    media_type: m.media_type.into(),
                    caption: m.caption,
                })
                .collect(),
            helpful_count: row.helpful_count,
            marked_helpful_by_me,
            created_at: row.created_at,
            updated_at: row.updated_at,
            hidden: row.hidden,
            hidden_reason: row.hidden_reason,
        }
    }
}

/// How many reviews gave a place this many stars.
#[derive(SimpleObject)]
pub struct StarCount {
    pub stars: i32,
    pub count: i32,
}

/// A place's figures over its standing reviews.
#[derive(SimpleObject)]
pub struct PlaceRating {
    /// The mean of the stars; `null` before the first review.
    pub average: Option<f64>,
    pub count: i32,
    /// 1 to 5 stars, each with its count (zeros included).
    pub histogram: Vec<StarCount>,
}

impl Default for PlaceRating {
    fn default() -> Self {
        PlaceRatingRow::default().into()
    }
}

impl From<PlaceRatingRow> for PlaceRating {
    fn from(row: PlaceRatingRow) -> Self {
        Self {
            average: row.average(),
            count: row.review_count,
            histogram: row
                .histogram()
                .into_iter()
                .zip(1..)
                .map(|(count, stars)| StarCount { stars, count })
                .collect(),
        }
    }
}

/// The ratings of `places`, each (with no reviews: a count of 0).
pub async fn place_ratings(
    ctx: &Context<'_>,
    places: &[Uuid],
) -> ApiResult<HashMap<Uuid, PlaceRating>> {
    let found = read::ratings(&state(ctx).pool, places).await?;
    let mut ratings: HashMap<Uuid, PlaceRatingRow> = places
        .iter()
        .map(|id| (*id, PlaceRatingRow::none(*id)))
        .collect();
    ratings.extend(found.into_iter().map(|row| (row.place_id, row)));
    Ok(ratings
        .into_iter()
        .map(|(id, row)| (id, row.into()))
        .collect())
}

#[derive(InputObject)]
pub struct CreateReviewInput {
    pub place_id: Uuid,
    /// 1 to 5 stars.
    pub rating: i32,
    /// 1 to 5,000 characters; lines allowed.
    pub content: String,
}

#[derive(InputObject)]
pub struct UpdateReviewInput {
    pub rating: i32,
    pub content: String,
}

#[derive(InputObject)]
pub struct ReviewMediaInput {
    /// An http(s) URL of at most 2,048 bytes.
    pub url: String,
    #[graphql(name = "type")]
    pub media_type: MediaType,
    /// At most 300 characters on one line.
    pub caption: Option<String>,
}

/// What a review mutation wrote.
#[derive(SimpleObject)]
pub struct ReviewPayload {
    pub review_id: Uuid,
    /// The media item `addReviewMedia` added.
    pub media_id: Option<Uuid>,
    /// Pass as `afterPosition` to read this write.
    pub position: Position,
    pub replayed: bool,
}

impl ReviewPayload {
    fn new(review_id: Uuid, outcome: CommandOutcome) -> Self {
        Self {
            review_id,
            media_id: None,
            position: Position(outcome.position),
            replayed: outcome.replayed,
        }
    }
}

/// Stars as the domain takes them (anything out of range is its `InvalidRating`).
fn stars(rating: i32) -> u8 {
    u8::try_from(rating).unwrap_or(0)
}

fn missing() -> ApiError {
    ApiError::NotFound("review not found".into())
}

/// Whether a hidden review shows to the viewer: to its author and staff only.
fn hidden_shown_to(row: &ReviewRow, viewer: &Viewer) -> bool {
    !row.hidden || viewer.user_id == Some(row.author_id) || viewer.is_staff()
}

/// Whether the viewer may see `author`'s reviews.
async fn author_visible(ctx: &Context<'_>, viewer: &Viewer, author: Uuid) -> ApiResult<bool> {
    let shown = content_visible(&state(ctx).pool, &[author], viewer).await?;
    Ok(shown.get(&author).copied().unwrap_or(true))
}

/// Runs a command on a review the caller can see; one they cannot see (deleted, never
/// written, or by an author hidden from them) is `NOT_FOUND`, as the domain would say for a
/// review that does not exist.
async fn review_command(
    ctx: &Context<'_>,
    invocation: Invocation,
    review: Uuid,
    build: impl FnOnce(ReviewContext) -> ReviewCommand,
) -> ApiResult<ReviewPayload> {
    let api = state(ctx);
    let stored = api
        .reviews
        .stored_state(&review.to_string())
        .await
        .map_err(ApiError::internal)?;
    let written = stored.written().ok_or_else(missing)?;
    let viewer = Viewer::of(&api.pool, Some(invocation.actor)).await?;
    if written.author_id != invocation.actor
        && !viewer.is_staff()
        && (written.hidden || !author_visible(ctx, &viewer, written.author_id).await?)
    {
        return Err(missing());
    }
    // Moderators remove reviews through `resolveFlag` (recorded as a decision), not here.
    let context = ReviewContext {
        actor: invocation.actor,
        actor_is_moderator: false,
        now: invocation.now,
    };
    let outcome = invocation
        .execute(&api.reviews, review, build(context))
        .await?;
    Ok(ReviewPayload::new(review, outcome))
}

fn encode_review_cursor(cursor: ReviewCursor) -> String {
    encode_opaque(&match cursor {
        ReviewCursor::Date {
            created_at,
            review_id,
        } => format!("date|{}|{review_id}", created_at.to_rfc3339()),
        ReviewCursor::Rating {
            rating,
            created_at,
            review_id,
        } => format!("rating|{rating}|{}|{review_id}", created_at.to_rfc3339()),
        ReviewCursor::Relevance { score, review_id } => format!("relevance|{score}|{review_id}"),
    })
}

/// A cursor of `order`; one from another order, or not ours, is `VALIDATION`.
fn decode_review_cursor(cursor: &str, order: ReviewOrder) -> ApiResult<ReviewCursor> {
    let text = cursor_text(cursor)?;
    let invalid = || ApiError::Validation("invalid cursor for this sort".into());
    let parts: Vec<&str> = text.split('|').collect();
    let time = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| invalid())
    };
    let id = |text: &str| Uuid::parse_str(text).map_err(|_| invalid());
    match (order, parts.as_slice()) {
        (ReviewOrder::Date, ["date", at, review]) => Ok(ReviewCursor::Date {
            created_at: time(at)?,
            review_id: id(review)?,
        }),
        (ReviewOrder::Rating, ["rating", rating, at, review]) => Ok(ReviewCursor::Rating {
            rating: rating.parse().map_err(|_| invalid())?,
            created_at: time(at)?,
            review_id: id(review)?,
        }),
        (ReviewOrder::Relevance, ["relevance", score, review]) => {
            let score: f64 = score.parse().map_err(|_| invalid())?;
            if !score.is_finite() {
                return Err(invalid());
            }
            Ok(ReviewCursor::Relevance {
                score,
                review_id: id(review)?,
            })
        }
        _ => Err(invalid()),
    }
}

/// The reviews among `ids` the caller may see (standing, by an author not hidden from them).
pub async fn visible_reviews(ctx: &Context<'_>, ids: &[Uuid]) -> ApiResult<HashMap<Uuid, Review>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let api = state(ctx);
    let rows = read::find_many(&api.pool, ids).await?;
    let viewer = Viewer::of(&api.pool, caller(ctx)).await?;
    let authors: Vec<Uuid> = rows.iter().map(|r| r.author_id).collect();
    let shown = content_visible(&api.pool, &authors, &viewer).await?;
    let rows: Vec<ReviewRow> = rows
        .into_iter()
        .filter(|r| hidden_shown_to(r, &viewer))
        .filter(|r| shown.get(&r.author_id).copied().unwrap_or(true))
        .collect();
    let marks = marks_of(ctx, &rows.iter().collect::<Vec<_>>()).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let marked = marks.as_ref().map(|m| m.contains(&row.review_id));
            (row.review_id, Review::from_row(row, marked))
        })
        .collect())
}

/// The caller's helpful marks among `rows` (`None` when signed out).
async fn marks_of(ctx: &Context<'_>, rows: &[&ReviewRow]) -> ApiResult<Option<HashSet<Uuid>>> {
    let Some(me) = caller(ctx) else {
        return Ok(None);
    };
    let ids: Vec<Uuid> = rows.iter().map(|r| r.review_id).collect();
    let marked = read::marked_helpful_by(&state(ctx).pool, me, &ids).await?;
    Ok(Some(marked.into_iter().collect()))
}

#[derive(Default)]
pub struct ReviewQuery;

#[Object]
impl ReviewQuery {
    /// One review, or `null` if there is none, it was deleted, or its author is hidden from
    /// the caller.
    async fn review(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Option<Review>> {
        resolve(async move {
            let api = state(ctx);
            if let Some(position) = after_position {
                api.read_your_write(&[NAME], position.0).await?;
            }
            let Some(row) = read::find(&api.pool, id).await? else {
                return Ok(None);
            };
            let viewer = Viewer::of(&api.pool, caller(ctx)).await?;
            if !hidden_shown_to(&row, &viewer)
                || !author_visible(ctx, &viewer, row.author_id).await?
            {
                return Ok(None);
            }
            let marks = marks_of(ctx, &[&row]).await?;
            let marked = marks.map(|m| m.contains(&row.review_id));
            Ok(Some(Review::from_row(row, marked)))
        })
        .await
    }

    /// A place's reviews (the seed's `getReviewsForPlace`), newest first (DATE) when `sort`
    /// is left out. With
    /// `query` (words, "a phrase", `or`, `-word`), only the reviews whose text matches it, which
    /// RELEVANCE also ranks by. Reviews by authors hidden from the caller are left out.
    #[allow(clippy::too_many_arguments)]
    async fn reviews_for_place(
        &self,
        ctx: &Context<'_>,
        place_id: Uuid,
        sort: Option<ReviewSort>,
        query: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, Review, EmptyFields, EmptyFields>> {
        resolve(async move {
            let size = page_size(first)?;
            if let Some(text) = &query {
                check_search_text(text)?;
            }
            let order: ReviewOrder = sort.unwrap_or_default().into();
            let cursor = after
                .as_deref()
                .map(|c| decode_review_cursor(c, order))
                .transpose()?;
            let api = state(ctx);
            if let Some(position) = after_position {
                api.read_your_write(&[NAME], position.0).await?;
            }
            let viewer = Viewer::of(&api.pool, caller(ctx)).await?;
            let hidden_shown = if viewer.is_staff() {
                HiddenShown::All
            } else {
                HiddenShown::OwnOf(viewer.user_id)
            };
            let mut rows = read::for_place(
                &api.pool,
                &PlaceReviews {
                    place_id,
                    order,
                    text: query.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
                    after: cursor,
                    limit: size as i64 + 1,
                    hidden_shown,
                },
            )
            .await?;
            let has_next = rows.len() > size;
            rows.truncate(size);
            let authors: Vec<Uuid> = rows.iter().map(|r| r.review.author_id).collect();
            let shown = content_visible(&api.pool, &authors, &viewer).await?;
            let rows: Vec<RankedReview> = rows
                .into_iter()
                .filter(|r| shown.get(&r.review.author_id).copied().unwrap_or(true))
                .collect();
            let marks = marks_of(ctx, &rows.iter().map(|r| &r.review).collect::<Vec<_>>()).await?;
            let mut connection = Connection::new(after.is_some(), has_next);
            connection.edges.extend(rows.into_iter().map(|ranked| {
                let cursor = encode_review_cursor(ranked.cursor(order));
                let marked = marks.as_ref().map(|m| m.contains(&ranked.review.review_id));
                Edge::new(cursor, Review::from_row(ranked.review, marked))
            }));
            Ok(connection)
        })
        .await
    }
}

#[derive(Default)]
pub struct ReviewMutation;

#[Object]
impl ReviewMutation {
    /// Reviews a place of the catalogue: one review per person and place (a second is
    /// `CONFLICT`; update the first instead). Signed in, not banned.
    async fn create_review(
        &self,
        ctx: &Context<'_>,
        input: CreateReviewInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ReviewPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let api = state(ctx);
            let place = api
                .places
                .stored_state(&input.place_id.to_string())
                .await
                .map_err(ApiError::internal)?;
            if !place.exists() {
                return Err(ApiError::NotFound("place not found".into()));
            }
            let id = review_id(input.place_id, invocation.actor);
            let command = ReviewCommand::Create {
                context: ReviewContext {
                    actor: invocation.actor,
                    actor_is_moderator: false,
                    now: invocation.now,
                },
                place_id: input.place_id,
                rating: stars(input.rating),
                content: input.content,
            };
            let outcome = invocation.execute(&api.reviews, id, command).await?;
            Ok(ReviewPayload::new(id, outcome))
        })
        .await
    }

    /// Changes the stars and text of the caller's review.
    async fn update_review(
        &self,
        ctx: &Context<'_>,
        review_id: Uuid,
        input: UpdateReviewInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ReviewPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            review_command(ctx, invocation, review_id, |context| {
                ReviewCommand::Update {
                    context,
                    rating: stars(input.rating),
                    content: input.content,
                }
            })
            .await
        })
        .await
    }

    /// Deletes the caller's review, with its media and helpful marks; the place's figures
    /// leave it out. The place can be reviewed again.
    async fn delete_review(
        &self,
        ctx: &Context<'_>,
        review_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ReviewPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            review_command(ctx, invocation, review_id, |context| {
                ReviewCommand::Delete { context }
            })
            .await
        })
        .await
    }

    /// Adds a photo or video (by URL) to the caller's review: at most 10.
    async fn add_review_media(
        &self,
        ctx: &Context<'_>,
        review_id: Uuid,
        input: ReviewMediaInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ReviewPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let media_id = invocation.mint_id("review-media");
            let mut payload = review_command(ctx, invocation, review_id, |context| {
                ReviewCommand::AddMedia {
                    context,
                    media_id,
                    url: input.url,
                    media_type: input.media_type.into(),
                    caption: input.caption,
                }
            })
            .await?;
            payload.media_id = Some(media_id);
            Ok(payload)
        })
        .await
    }

    /// Takes a photo or video off the caller's review.
    async fn remove_review_media(
        &self,
        ctx: &Context<'_>,
        review_id: Uuid,
        media_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ReviewPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            review_command(ctx, invocation, review_id, |context| {
                ReviewCommand::RemoveMedia { context, media_id }
            })
            .await
        })
        .await
    }

    /// Marks someone else's review helpful: once per person (again changes nothing).
    async fn mark_review_helpful(
        &self,
        ctx: &Context<'_>,
        review_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ReviewPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            review_command(ctx, invocation, review_id, |context| {
                ReviewCommand::MarkHelpful { context }
            })
            .await
        })
        .await
    }
}
