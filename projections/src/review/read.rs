//! Reading reviews from the live tables: one by id, a place's reviews in one of three orders,
//! places' ratings, and which reviews a person found helpful.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

pub use super::ReviewRow;

const COLUMNS: &str = "review_id, place_id, author_id, rating, content, media, helpful_count, \
     created_at, updated_at, hidden, hidden_reason";

/// How much the text match weighs in RELEVANCE against the other two terms (`ts_rank` of
/// one matching word is about 0.06, so a review that matches more of the text, or matches
/// it more often, moves up against a few helpful marks).
pub const TEXT_WEIGHT: f64 = 10.0;
/// RELEVANCE's recency term: a review this many days newer scores one point more, as much
/// as multiplying `1 + helpful` by e.
pub const RECENCY_DAYS: f64 = 180.0;

/// The search text `$2` as a query (web-search syntax: words, "phrases", or, -not).
const TEXT_QUERY: &str = "websearch_to_tsquery('simple', $2::text)";

/// RELEVANCE, for the search text `$2` (or none):
/// `10·ts_rank(content, text) + ln(1 + helpful) + created_at / 180 days`.
/// The recency term counts from the epoch rather than from now: at any one moment both order
/// reviews alike (they differ by a constant), and this one does not move between two pages.
fn relevance_sql() -> String {
    format!(
        "(CASE WHEN $2::text IS NULL THEN 0 \
           ELSE {TEXT_WEIGHT} * ts_rank(search, {TEXT_QUERY}) END \
         + ln(1 + helpful_count) \
         + extract(epoch FROM created_at)::float8 / ({RECENCY_DAYS} * 86400))::float8"
    )
}

/// The order of a place's reviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewOrder {
    /// Newest first.
    Date,
    /// Most stars first, then newest.
    Rating,
    /// Best match of the search text, most helpful and newest first (see [`relevance_sql`]).
    Relevance,
}

/// Where a page starts: after the review with these keys (of the same order).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReviewCursor {
    Date {
        created_at: DateTime<Utc>,
        review_id: Uuid,
    },
    Rating {
        rating: i16,
        created_at: DateTime<Utc>,
        review_id: Uuid,
    },
    Relevance {
        score: f64,
        review_id: Uuid,
    },
}

/// A review and the key it was ordered by.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RankedReview {
    #[sqlx(flatten)]
    pub review: ReviewRow,
    pub score: f64,
}

impl RankedReview {
    /// The cursor of a page that starts after this review.
    pub fn cursor(&self, order: ReviewOrder) -> ReviewCursor {
        let review = &self.review;
        match order {
            ReviewOrder::Date => ReviewCursor::Date {
                created_at: review.created_at,
                review_id: review.review_id,
            },
            ReviewOrder::Rating => ReviewCursor::Rating {
                rating: review.rating,
                created_at: review.created_at,
                review_id: review.review_id,
            },
            ReviewOrder::Relevance => ReviewCursor::Relevance {
                score: self.score,
                review_id: review.review_id,
            },
        }
    }
}

/// What `for_place` looks for.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceReviews {
    pub place_id: Uuid,
    pub order: ReviewOrder,
    /// Only reviews whose text matches this (in any order); RELEVANCE ranks by it too.
    pub text: Option<String>,
    pub after: Option<ReviewCursor>,
    pub limit: i64,
    /// Whose hidden reviews are listed too (their own), or everyone's (staff).
    pub hidden_shown: HiddenShown,
}

/// Which hidden reviews a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HiddenShown {
    /// Their author's own.
    OwnOf(Option<Uuid>),
    /// All (staff).
    All,
}

/// One standing review.
pub async fn find(pool: &PgPool, review_id: Uuid) -> Result<Option<ReviewRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM reviews WHERE review_id = $1 AND NOT deleted"
    ))
    .bind(review_id)
    .fetch_optional(pool)
    .await
}

/// The standing reviews among `ids`.
pub async fn find_many(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<ReviewRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM reviews WHERE review_id = ANY($1) AND NOT deleted"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await
}

/// A page of a place's standing reviews (those matching the text, if any) in `search.order`,
/// after the cursor. A cursor of
/// another order is the caller's to refuse; here it matches nothing.
pub async fn for_place(
    pool: &PgPool,
    search: &PlaceReviews,
) -> Result<Vec<RankedReview>, sqlx::Error> {
    let text = search.text.as_deref();
    // $1 place, $2 text, $3 limit, then the cursor's keys (sqlx sends every parameter's type,
    // so an order may leave some unused).
    let (score, order, after) = match search.order {
        ReviewOrder::Date => (
            "0::float8".to_owned(),
            "created_at DESC, review_id DESC",
            "(created_at, review_id) < ($4, $6)",
        ),
        ReviewOrder::Rating => (
            "0::float8".to_owned(),
            "rating DESC, created_at DESC, review_id DESC",
            "(rating, created_at, review_id) < ($5, $4, $6)",
        ),
        ReviewOrder::Relevance => (
            relevance_sql(),
            "score DESC, review_id DESC",
            "(score, review_id) < ($7, $6)",
        ),
    };
    let (created_at, rating, review_id, after_score) = match search.after {
        Some(ReviewCursor::Date {
            created_at,
            review_id,
        }) if search.order == ReviewOrder::Date => (Some(created_at), None, Some(review_id), None),
        Some(ReviewCursor::Rating {
            rating,
            created_at,
            review_id,
        }) if search.order == ReviewOrder::Rating => {
            (Some(created_at), Some(rating), Some(review_id), None)
        }
        Some(ReviewCursor::Relevance { score, review_id })
            if search.order == ReviewOrder::Relevance =>
        {
            (None, None, Some(review_id), Some(score))
        }
        Some(_) => return Ok(Vec::new()),
        None => (None, None, None, None),
    };
    let filter = if search.after.is_some() {
        after
    } else {
        "true"
    };
    sqlx::query_as(&format!(
        "SELECT * FROM (SELECT {COLUMNS}, {score} AS score FROM reviews \
           WHERE place_id = $1 AND NOT deleted \
             AND (NOT hidden OR author_id = $8 OR $9) \
             AND ($2::text IS NULL OR search @@ {TEXT_QUERY})) ranked \
         WHERE {filter} ORDER BY {order} LIMIT $3"
    ))
    .bind(search.place_id)
    .bind(text)
    .bind(search.limit)
    .bind(created_at)
    .bind(rating)
    .bind(review_id)
    .bind(after_score)
    .bind(match search.hidden_shown {
        HiddenShown::OwnOf(reader) => reader,
        HiddenShown::All => None,
    })
    .bind(search.hidden_shown == HiddenShown::All)
    .fetch_all(pool)
    .await
}

/// A place's figures over its standing reviews.
#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct PlaceRatingRow {
    pub place_id: Uuid,
    pub review_count: i32,
    pub rating_sum: i64,
    pub stars_1: i32,
    pub stars_2: i32,
    pub stars_3: i32,
    pub stars_4: i32,
    pub stars_5: i32,
}

impl PlaceRatingRow {
    /// No reviews yet.
    pub fn none(place_id: Uuid) -> Self {
        Self {
            place_id,
            ..Self::default()
        }
    }

    /// The mean of the stars, when there are any.
    pub fn average(&self) -> Option<f64> {
        (self.review_count > 0).then(|| self.rating_sum as f64 / f64::from(self.review_count))
    }

    /// Reviews with 1, 2, 3, 4 and 5 stars.
    pub fn histogram(&self) -> [i32; 5] {
        [
            self.stars_1,
            self.stars_2,
            self.stars_3,
            self.stars_4,
            self.stars_5,
        ]
    }
}

/// The figures of each of `places` that has reviews.
pub async fn ratings(pool: &PgPool, places: &[Uuid]) -> Result<Vec<PlaceRatingRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT place_id, review_count, rating_sum, stars_1, stars_2, stars_3, stars_4, stars_5 \
         FROM place_ratings WHERE place_id = ANY($1)",
    )
    .bind(places)
    .fetch_all(pool)
    .await
}

/// Which of `reviews` `user_id` marked helpful.
pub async fn marked_helpful_by(
    pool: &PgPool,
    user_id: Uuid,
    reviews: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT review_id FROM review_helpful_marks WHERE user_id = $1 AND review_id = ANY($2)",
    )
    .bind(user_id)
    .bind(reviews)
    .fetch_all(pool)
    .await
}
