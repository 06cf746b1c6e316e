//! Events of the Booking aggregate (topic `wayfarer.booking`): a flight, hotel or activity
//! booked with a third-party supplier and paid from a wallet. The booking process (the
//! sagas) records each step as it happens: reserved with the supplier, funds held, confirmed
//! by the supplier, paid, added to the itinerary; or failed with a reason a person can read,
//! and the compensations that ran.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::itinerary::MoneyAmount;

/// Aggregate type name, used in the store and in the topic name.
pub const AGGREGATE_TYPE: &str = "booking";

/// Current schema version of every booking event.
///
/// - `1.0`: the first published version.
pub const EVENT_VERSION: &str = "1.0";

/// What is booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BookingKind {
    Flight,
    Hotel,
    Activity,
}

impl BookingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingKind::Flight => "FLIGHT",
            BookingKind::Hotel => "HOTEL",
            BookingKind::Activity => "ACTIVITY",
        }
    }
}

/// What the supplier reserved, as its reservation described it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookedOffer {
    /// E.g. "AX 212 Paris CDG → New York JFK", "Hotel Aurora, deluxe room".
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Where it happens (the destination of a flight).
    pub place_name: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// In the supplier's currency.
    pub price: MoneyAmount,
}

/// What the supplier gives back on cancellation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancellationTerms {
    /// Until then, cancelling refunds everything.
    pub free_cancellation_until: DateTime<Utc>,
    /// After it, this share of the price is refunded.
    pub refund_percent_after: u8,
}

/// Everything that can happen to a booking. Past tense; internally tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum BookingEvent {
    /// `bookFlight`, `bookHotel` or `bookActivity`: the booking process takes it from here.
    BookingRequested {
        owner_id: Uuid,
        kind: BookingKind,
        supplier: String,
        offer_id: String,
        travellers: Vec<String>,
        /// The itinerary the booking is added to once confirmed.
        itinerary_id: Option<Uuid>,
        /// The wallet that pays (the owner's, in this currency).
        wallet_currency: String,
        requested_at: DateTime<Utc>,
    },
    /// The supplier holds the offer until `hold_expires_at`.
    BookingReserved {
        reservation_id: String,
        offer: BookedOffer,
        hold_expires_at: DateTime<Utc>,
        cancellation: CancellationTerms,
        reserved_at: DateTime<Utc>,
    },
    /// The price is held on the wallet (converted at `rate`, one unit of the supplier's
    /// currency in the wallet's, on `rate_date`, when the currencies differ).
    BookingFundsHeld {
        wallet_id: Uuid,
        hold_id: Uuid,
        amount: MoneyAmount,
        rate: Option<String>,
        rate_date: Option<chrono::NaiveDate>,
        held_at: DateTime<Utc>,
    },
    /// The supplier confirmed the reservation.
    BookingSupplierConfirmed {
        confirmation_code: String,
        confirmed_at: DateTime<Utc>,
    },
    /// The held funds were captured: the booking is confirmed and paid.
    BookingConfirmed { confirmed_at: DateTime<Utc> },
    /// The booking was added to its itinerary as an item.
    BookingAddedToItinerary {
        itinerary_id: Uuid,
        item_id: Uuid,
        added_at: DateTime<Utc>,
    },
    /// `syncBookingWithItinerary`: the booking belongs to this itinerary from now on.
    BookingLinkedToItinerary {
        itinerary_id: Uuid,
        linked_at: DateTime<Utc>,
    },
    /// The item was removed from an itinerary (cancelled, or the booking moved elsewhere).
    BookingRemovedFromItinerary {
        itinerary_id: Uuid,
        item_id: Uuid,
        removed_at: DateTime<Utc>,
    },
    /// `cancelBooking` of a confirmed booking: the process cancels with the supplier and
    /// refunds by its policy.
    BookingCancellationRequested { requested_at: DateTime<Utc> },
    /// Cancelled with the supplier; `refund` (in the wallet's currency) went back to the
    /// wallet.
    BookingCancelled {
        refund: MoneyAmount,
        cancelled_at: DateTime<Utc>,
    },
    /// The booking did not go ahead: `reason` is for people; `compensations` names what was
    /// undone (the reservation cancelled, the funds released).
    BookingFailed {
        reason: String,
        compensations: Vec<String>,
        failed_at: DateTime<Utc>,
    },
}

impl crate::EventContract for BookingEvent {
    const AGGREGATE_TYPE: &'static str = AGGREGATE_TYPE;
    const VERSION: &'static str = EVENT_VERSION;
    const EVENT_TYPES: &'static [&'static str] = &[
        "BookingRequested",
        "BookingReserved",
        "BookingFundsHeld",
        "BookingSupplierConfirmed",
        "BookingConfirmed",
        "BookingAddedToItinerary",
        "BookingLinkedToItinerary",
        "BookingRemovedFromItinerary",
        "BookingCancellationRequested",
        "BookingCancelled",
        "BookingFailed",
    ];

    fn event_type(&self) -> &'static str {
        match self {
            BookingEvent::BookingRequested { .. } => "BookingRequested",
            BookingEvent::BookingReserved { .. } => "BookingReserved",
            BookingEvent::BookingFundsHeld { .. } => "BookingFundsHeld",
            BookingEvent::BookingSupplierConfirmed { .. } => "BookingSupplierConfirmed",
            BookingEvent::BookingConfirmed { .. } => "BookingConfirmed",
            BookingEvent::BookingAddedToItinerary { .. } => "BookingAddedToItinerary",
            BookingEvent::BookingLinkedToItinerary { .. } => "BookingLinkedToItinerary",
            BookingEvent::BookingRemovedFromItinerary { .. } => "BookingRemovedFromItinerary",
            BookingEvent::BookingCancellationRequested { .. } => "BookingCancellationRequested",
            BookingEvent::BookingCancelled { .. } => "BookingCancelled",
            BookingEvent::BookingFailed { .. } => "BookingFailed",
        }
    }
}
