//! Holding, confirming and cancelling what an offer sells.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Money;

/// One person on a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Traveller {
    pub name: String,
}

/// Body of `POST /suppliers/{s}/reservations`: the offer to hold and who travels (exactly
/// as many people as the offer was searched for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReserveRequest {
    pub offer_id: String,
    pub travellers: Vec<Traveller>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductKind {
    Flight,
    Hotel,
    Activity,
}

/// A reservation's life: `HELD` until confirmed, cancelled or its hold lapses (`EXPIRED`).
/// `CANCELLED` and `EXPIRED` are final; `CONFIRMED` can still be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReservationStatus {
    Held,
    Confirmed,
    Cancelled,
    Expired,
}

/// What cancelling a confirmed reservation gives back: everything before
/// `freeCancellationUntil`, `refundPercentAfter` percent (rounded down to the minor unit)
/// from then on. Cancelling a hold is always free: nothing was charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancellationPolicy {
    pub free_cancellation_until: DateTime<Utc>,
    pub refund_percent_after: u8,
}

/// What was reserved, for the customer's records (an itinerary item, a receipt): the
/// flight, stay or activity with its times and place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferSummary {
    /// E.g. "SK 212 Paris (CDG) → New York (JFK)", "Hotel Aurora, DELUXE room".
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Where it happens: the city (a flight's destination).
    pub place_name: String,
    pub latitude: f64,
    pub longitude: f64,
}

/// A reservation at a supplier, in its current state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    pub reservation_id: String,
    pub supplier: String,
    pub offer_id: String,
    pub kind: ProductKind,
    pub status: ReservationStatus,
    pub price: Money,
    pub summary: OfferSummary,
    pub travellers: Vec<Traveller>,
    pub created_at: DateTime<Utc>,
    pub hold_expires_at: DateTime<Utc>,
    pub cancellation_policy: CancellationPolicy,
    /// Set once confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_code: Option<String>,
    /// Set once cancelled (zero for a cancelled hold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<Money>,
}
