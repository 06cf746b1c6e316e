//! Bookings (`booking`, `myBookings`): each booking as its owner sees it, in PostgreSQL,
//! written with the checkpoint in one transaction and guarded by the booking's version (an
//! event at or below it is skipped). The live projector announces each change of status
//! (`pg_notify` on [`CHANNEL`], delivered only if the transaction commits) for
//! `bookingStatusChanged`; a rebuild announces nothing.

pub mod read;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;
use wayfarer_schemas::booking::AGGREGATE_TYPE;
use wayfarer_schemas::BookingEvent;

use crate::projection::{Envelope, Projection, Tables, TransactionalProjection, Write};
use crate::ProjectionError;

pub const NAME: &str = "bookings";
pub const TABLES: &[&str] = &[BOOKINGS];
const BOOKINGS: &str = "bookings";
/// Where status changes are announced: `<schema>:<owner>:<booking id>:<status>`.
pub const CHANNEL: &str = "wayfarer_booking_status";

pub struct BookingsProjection;

impl Projection for BookingsProjection {
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

fn undecodable(envelope: &Envelope, reason: impl ToString) -> ProjectionError {
    ProjectionError::Undecodable {
        position: envelope.global_position,
        reason: reason.to_string(),
    }
}

/// The columns an event sets (besides version and time), as `column = $n` from `$3` on, and
/// the status it moves the booking to.
struct Change {
    set: Vec<(&'static str, Value)>,
    status: Option<&'static str>,
    at: DateTime<Utc>,
}

/// A value bound to one column.
enum Value {
    Text(Option<String>),
    Uuid(Option<Uuid>),
    Int(Option<i64>),
    Float(Option<f64>),
    Time(Option<DateTime<Utc>>),
    Date(Option<chrono::NaiveDate>),
    Json(serde_json::Value),
}

fn change(event: &BookingEvent) -> Option<Change> {
    use Value::*;
    let (set, status, at) = match event {
        BookingEvent::BookingRequested { .. } => return None,
        BookingEvent::BookingReserved {
            reservation_id,
            offer,
            hold_expires_at,
            cancellation,
            reserved_at,
        } => (
            vec![
                ("reservation_id", Text(Some(reservation_id.clone()))),
                ("title", Text(Some(offer.title.clone()))),
                ("starts_at", Time(Some(offer.starts_at))),
                ("ends_at", Time(Some(offer.ends_at))),
                ("place_name", Text(offer.place_name.clone())),
                ("latitude", Float(offer.latitude)),
                ("longitude", Float(offer.longitude)),
                ("price_minor", Int(Some(offer.price.amount_minor))),
                ("price_currency", Text(Some(offer.price.currency.clone()))),
                ("hold_expires_at", Time(Some(*hold_expires_at))),
                (
                    "free_cancellation_until",
                    Time(Some(cancellation.free_cancellation_until)),
                ),
                (
                    "refund_percent_after",
                    Int(Some(i64::from(cancellation.refund_percent_after))),
                ),
            ],
            Some("RESERVED"),
            *reserved_at,
        ),
        BookingEvent::BookingFundsHeld {
            amount,
            rate,
            rate_date,
            held_at,
            ..
        } => (
            vec![
                ("paid_minor", Int(Some(amount.amount_minor))),
                ("rate", Text(rate.clone())),
                ("rate_date", Date(*rate_date)),
            ],
            Some("FUNDS_HELD"),
            *held_at,
        ),
        BookingEvent::BookingSupplierConfirmed {
            confirmation_code,
            confirmed_at,
        } => (
            vec![("confirmation_code", Text(Some(confirmation_code.clone())))],
            Some("SUPPLIER_CONFIRMED"),
            *confirmed_at,
        ),
        BookingEvent::BookingConfirmed { confirmed_at } => {
            (vec![], Some("CONFIRMED"), *confirmed_at)
        }
        BookingEvent::BookingAddedToItinerary {
            item_id, added_at, ..
        } => (vec![("item_id", Uuid(Some(*item_id)))], None, *added_at),
        BookingEvent::BookingLinkedToItinerary {
            itinerary_id,
            linked_at,
        } => (
            vec![("itinerary_id", Uuid(Some(*itinerary_id)))],
            None,
            *linked_at,
        ),
        BookingEvent::BookingRemovedFromItinerary { removed_at, .. } => {
            (vec![("item_id", Uuid(None))], None, *removed_at)
        }
        BookingEvent::BookingCancellationRequested { requested_at } => {
            (vec![], Some("CANCELLATION_REQUESTED"), *requested_at)
        }
        BookingEvent::BookingCancelled {
            refund,
            cancelled_at,
        } => (
            vec![("refund_minor", Int(Some(refund.amount_minor)))],
            Some(if refund.amount_minor > 0 {
                "REFUNDED"
            } else {
                "CANCELLED"
            }),
            *cancelled_at,
        ),
        BookingEvent::BookingFailed {
            reason,
            compensations,
            failed_at,
        } => (
            vec![
                ("failure_reason", Text(Some(reason.clone()))),
                ("compensations", Json(serde_json::json!(compensations))),
            ],
            Some("FAILED"),
            *failed_at,
        ),
    };
    Some(Change { set, status, at })
}

async fn apply_change(
    tx: &mut PgConnection,
    table: &str,
    id: Uuid,
    version: i64,
    change: Change,
) -> Result<Option<Uuid>, ProjectionError> {
    let mut assignments = vec![
        "version = $2".to_owned(),
        "updated_at = $3".to_owned(),
        "status = COALESCE($4, status)".to_owned(),
    ];
    for (n, (column, _)) in change.set.iter().enumerate() {
        assignments.push(format!("{column} = ${}", n + 5));
    }
    let sql = format!(
        "UPDATE {table} SET {} WHERE booking_id = $1 AND version < $2 RETURNING owner_id",
        assignments.join(", ")
    );
    let mut query = sqlx::query_scalar::<_, Uuid>(&sql)
        .bind(id)
        .bind(version)
        .bind(change.at)
        .bind(change.status);
    for (_, value) in change.set {
        query = match value {
            Value::Text(v) => query.bind(v),
            Value::Uuid(v) => query.bind(v),
            Value::Int(v) => query.bind(v),
            Value::Float(v) => query.bind(v),
            Value::Time(v) => query.bind(v),
            Value::Date(v) => query.bind(v),
            Value::Json(v) => query.bind(Json(v)),
        };
    }
    Ok(query.fetch_optional(&mut *tx).await?)
}

#[async_trait]
impl TransactionalProjection for BookingsProjection {
    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let bookings = tables.name(BOOKINGS);
        for envelope in events {
            let event: BookingEvent = serde_json::from_str(envelope.payload.get())
                .map_err(|e| undecodable(envelope, e))?;
            let id = envelope
                .aggregate_uuid()
                .ok_or_else(|| undecodable(envelope, "booking id is not a UUID"))?;
            let version = envelope.sequence as i64;
            let (owner, status) = if let BookingEvent::BookingRequested {
                owner_id,
                kind,
                supplier,
                offer_id,
                travellers,
                itinerary_id,
                wallet_currency,
                requested_at,
            } = &event
            {
                let inserted = sqlx::query(&format!(
                    "INSERT INTO {bookings} (booking_id, owner_id, kind, supplier, offer_id, \
                     travellers, status, itinerary_id, wallet_currency, requested_at, \
                     updated_at, version) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'REQUESTED', $7, $8, $9, $9, $10) \
                     ON CONFLICT (booking_id) DO NOTHING"
                ))
                .bind(id)
                .bind(owner_id)
                .bind(kind.as_str())
                .bind(supplier)
                .bind(offer_id)
                .bind(Json(travellers))
                .bind(itinerary_id)
                .bind(wallet_currency)
                .bind(requested_at)
                .bind(version)
                .execute(&mut *tx)
                .await?;
                (
                    (inserted.rows_affected() == 1).then_some(*owner_id),
                    "REQUESTED",
                )
            } else {
                let Some(change) = change(&event) else {
                    continue;
                };
                let status = change.status;
                let owner = apply_change(tx, bookings, id, version, change).await?;
                match status {
                    Some(status) => (owner, status),
                    None => continue,
                }
            };
            if let (Some(owner), false) = (owner, tables.is_replay()) {
                sqlx::query("SELECT pg_notify($1, current_schema() || ':' || $2)")
                    .bind(CHANNEL)
                    .bind(format!("{owner}:{id}:{status}"))
                    .execute(&mut *tx)
                    .await?;
            }
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
        let version: Option<i64> =
            sqlx::query_scalar("SELECT version FROM bookings WHERE booking_id = $1")
                .bind(id)
                .fetch_optional(&mut *connection)
                .await?;
        Ok(version.is_some_and(|v| v >= write.sequence as i64))
    }
}
