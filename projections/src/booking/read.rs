//! Reading bookings from the live table.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BookingRow {
    pub booking_id: Uuid,
    pub owner_id: Uuid,
    pub kind: String,
    pub supplier: String,
    pub offer_id: String,
    pub travellers: Json<Vec<String>>,
    pub status: String,
    pub itinerary_id: Option<Uuid>,
    pub item_id: Option<Uuid>,
    pub reservation_id: Option<String>,
    pub title: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub place_name: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub price_minor: Option<i64>,
    pub price_currency: Option<String>,
    pub wallet_currency: String,
    pub paid_minor: Option<i64>,
    pub rate: Option<String>,
    pub rate_date: Option<NaiveDate>,
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub free_cancellation_until: Option<DateTime<Utc>>,
    pub refund_percent_after: Option<i32>,
    pub confirmation_code: Option<String>,
    pub failure_reason: Option<String>,
    pub compensations: Json<Vec<String>>,
    pub refund_minor: Option<i64>,
    pub requested_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// `owner`'s booking `id` (someone else's is `None`, as a missing one).
pub async fn find(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<Option<BookingRow>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM bookings WHERE booking_id = $1 AND owner_id = $2")
        .bind(id)
        .bind(owner)
        .fetch_optional(pool)
        .await
}

/// Where a page of bookings starts: after this one (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingCursor {
    pub requested_at: DateTime<Utc>,
    pub booking_id: Uuid,
}

/// A page of `owner`'s bookings, newest first, in the given statuses (all when empty).
pub async fn of_owner(
    pool: &PgPool,
    owner: Uuid,
    statuses: &[String],
    after: Option<BookingCursor>,
    limit: i64,
) -> Result<Vec<BookingRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT * FROM bookings WHERE owner_id = $1 \
         AND (cardinality($2::text[]) = 0 OR status = ANY($2)) \
         AND ($3::timestamptz IS NULL OR (requested_at, booking_id) < ($3, $4)) \
         ORDER BY requested_at DESC, booking_id DESC LIMIT $5",
    )
    .bind(owner)
    .bind(statuses)
    .bind(after.map(|c| c.requested_at))
    .bind(after.map(|c| c.booking_id))
    .bind(limit)
    .fetch_all(pool)
    .await
}
