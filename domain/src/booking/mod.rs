//! The Booking aggregate: a flight, hotel or activity booked with a supplier and paid from a
//! wallet. A person requests it (and may cancel it once confirmed, or move it to another
//! itinerary); the booking process records every step in order:
//!
//! ```text
//! Requested → Reserved → FundsHeld → SupplierConfirmed → Confirmed
//!     │           │           │               │               └→ CancellationRequested → Cancelled | Refunded
//!     └───────────┴───────────┴───────────────┴→ Failed (with the compensations that ran)
//! ```
//!
//! A step recorded twice changes nothing (the process may repeat itself after a crash); a
//! step out of order is a conflict the process reads as "someone else moved on".

#[cfg(test)]
mod tests;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;
use wayfarer_schemas::booking::{BookedOffer, BookingKind, CancellationTerms};
use wayfarer_schemas::{BookingEvent, MoneyAmount};

use crate::aggregate::{Aggregate, DomainError, ErrorKind};
use crate::values::CurrencyCode;

/// The most travellers one booking names.
pub const MAX_TRAVELLERS: usize = 9;

/// Who acts on a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingActor {
    /// A person (the API's caller).
    Person(Uuid),
    /// The booking process (sagas).
    Payments,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingContext {
    pub actor: BookingActor,
    pub now: DateTime<Utc>,
}

/// Where a booking stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BookingStatus {
    /// Nothing yet (no booking under this id).
    #[default]
    Absent,
    Requested,
    Reserved,
    FundsHeld,
    SupplierConfirmed,
    Confirmed,
    CancellationRequested,
    Cancelled,
    Refunded,
    Failed,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Absent => "ABSENT",
            BookingStatus::Requested => "REQUESTED",
            BookingStatus::Reserved => "RESERVED",
            BookingStatus::FundsHeld => "FUNDS_HELD",
            BookingStatus::SupplierConfirmed => "SUPPLIER_CONFIRMED",
            BookingStatus::Confirmed => "CONFIRMED",
            BookingStatus::CancellationRequested => "CANCELLATION_REQUESTED",
            BookingStatus::Cancelled => "CANCELLED",
            BookingStatus::Refunded => "REFUNDED",
            BookingStatus::Failed => "FAILED",
        }
    }

    /// Still on its way to confirmation (the process may fail it).
    pub fn in_progress(self) -> bool {
        matches!(
            self,
            BookingStatus::Requested
                | BookingStatus::Reserved
                | BookingStatus::FundsHeld
                | BookingStatus::SupplierConfirmed
        )
    }

    /// Nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            BookingStatus::Cancelled | BookingStatus::Refunded | BookingStatus::Failed
        )
    }
}

/// What a person asks for (`bookFlight`, `bookHotel`, `bookActivity`); the API has checked
/// the offer's kind, the itinerary's access and the wallet.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingRequest {
    pub kind: BookingKind,
    pub supplier: String,
    pub offer_id: String,
    pub travellers: Vec<String>,
    pub itinerary_id: Option<Uuid>,
    pub wallet_currency: CurrencyCode,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BookingCommand {
    Request {
        context: BookingContext,
        request: BookingRequest,
    },
    RecordReservation {
        context: BookingContext,
        reservation_id: String,
        offer: BookedOffer,
        hold_expires_at: DateTime<Utc>,
        cancellation: CancellationTerms,
    },
    RecordFundsHeld {
        context: BookingContext,
        wallet_id: Uuid,
        hold_id: Uuid,
        amount: MoneyAmount,
        rate: Option<String>,
        rate_date: Option<NaiveDate>,
    },
    RecordSupplierConfirmation {
        context: BookingContext,
        confirmation_code: String,
    },
    /// The held funds were captured.
    RecordPayment { context: BookingContext },
    RecordItemAdded {
        context: BookingContext,
        itinerary_id: Uuid,
        item_id: Uuid,
    },
    RecordItemRemoved {
        context: BookingContext,
        itinerary_id: Uuid,
        item_id: Uuid,
    },
    /// The booking did not go ahead; `compensations` names what the process undid.
    Fail {
        context: BookingContext,
        reason: String,
        compensations: Vec<String>,
    },
    /// `cancelBooking`.
    Cancel { context: BookingContext },
    /// Cancelled with the supplier; `refund` went back to the wallet.
    RecordCancellation {
        context: BookingContext,
        refund: MoneyAmount,
    },
    /// `syncBookingWithItinerary`.
    LinkItinerary {
        context: BookingContext,
        itinerary_id: Uuid,
    },
}

impl BookingCommand {
    fn context(&self) -> BookingContext {
        match self {
            BookingCommand::Request { context, .. }
            | BookingCommand::RecordReservation { context, .. }
            | BookingCommand::RecordFundsHeld { context, .. }
            | BookingCommand::RecordSupplierConfirmation { context, .. }
            | BookingCommand::RecordPayment { context }
            | BookingCommand::RecordItemAdded { context, .. }
            | BookingCommand::RecordItemRemoved { context, .. }
            | BookingCommand::Fail { context, .. }
            | BookingCommand::Cancel { context }
            | BookingCommand::RecordCancellation { context, .. }
            | BookingCommand::LinkItinerary { context, .. } => *context,
        }
    }

    /// Whether a person gives it (the others are the booking process's).
    fn is_personal(&self) -> bool {
        matches!(
            self,
            BookingCommand::Request { .. }
                | BookingCommand::Cancel { .. }
                | BookingCommand::LinkItinerary { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookingError {
    /// No such booking, or someone else's (hidden looks exactly like missing).
    #[error("booking not found")]
    NotFound,
    #[error("only the booking process records its steps")]
    PaymentsOnly,
    #[error("a booking already exists under this id")]
    AlreadyRequested,
    #[error("name between 1 and {MAX_TRAVELLERS} travellers, each with a name of at most 100 characters and no control characters")]
    InvalidTravellers,
    #[error("name a supplier and one of its offers")]
    MissingOffer,
    /// The step does not follow from where the booking stands (the process moved on, or the
    /// booking failed meanwhile).
    #[error("the booking is {}, so it cannot be {step}", status.as_str())]
    OutOfOrder {
        status: BookingStatus,
        step: &'static str,
    },
    /// Only a confirmed booking can be cancelled (one in progress finishes or fails first).
    #[error("only a confirmed booking can be cancelled; this one is {}", .0.as_str())]
    NotCancellable(BookingStatus),
    #[error(
        "held funds must be positive, in the booking's wallet currency, on the owner's wallet"
    )]
    InvalidHold,
    #[error("a refund is never negative and is in the booking's wallet currency")]
    InvalidRefund,
    #[error("a reason is required")]
    MissingReason,
}

impl DomainError for BookingError {
    fn kind(&self) -> ErrorKind {
        match self {
            BookingError::NotFound => ErrorKind::NotFound,
            BookingError::PaymentsOnly => ErrorKind::Forbidden,
            BookingError::AlreadyRequested
            | BookingError::OutOfOrder { .. }
            | BookingError::NotCancellable(_) => ErrorKind::Conflict,
            BookingError::InvalidTravellers
            | BookingError::MissingOffer
            | BookingError::InvalidHold
            | BookingError::InvalidRefund
            | BookingError::MissingReason => ErrorKind::Validation,
        }
    }
}

/// The funds held for a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldFunds {
    pub wallet_id: Uuid,
    pub hold_id: Uuid,
    pub amount: MoneyAmount,
}

/// The booking as the process and `events show` see it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    owner: Option<Uuid>,
    status: BookingStatus,
    kind: Option<BookingKind>,
    supplier: String,
    offer_id: String,
    travellers: Vec<String>,
    wallet_currency: String,
    /// The itinerary it belongs to (its item is added once confirmed).
    itinerary_id: Option<Uuid>,
    reservation_id: Option<String>,
    offer: Option<BookedOffer>,
    cancellation: Option<CancellationTerms>,
    hold_expires_at: Option<DateTime<Utc>>,
    funds: Option<HeldFunds>,
    confirmation_code: Option<String>,
    /// The item in an itinerary, while there is one.
    item: Option<(Uuid, Uuid)>,
    requested_at: Option<DateTime<Utc>>,
    /// How many times it was added to an itinerary (each item gets an id of its own).
    placements: u32,
}

impl Booking {
    pub fn owner(&self) -> Option<Uuid> {
        self.owner
    }
    pub fn status(&self) -> BookingStatus {
        self.status
    }
    pub fn kind(&self) -> Option<BookingKind> {
        self.kind
    }
    pub fn supplier(&self) -> &str {
        &self.supplier
    }
    pub fn offer_id(&self) -> &str {
        &self.offer_id
    }
    pub fn travellers(&self) -> &[String] {
        &self.travellers
    }
    pub fn wallet_currency(&self) -> &str {
        &self.wallet_currency
    }
    pub fn itinerary_id(&self) -> Option<Uuid> {
        self.itinerary_id
    }
    pub fn reservation_id(&self) -> Option<&str> {
        self.reservation_id.as_deref()
    }
    pub fn offer(&self) -> Option<&BookedOffer> {
        self.offer.as_ref()
    }
    pub fn cancellation(&self) -> Option<&CancellationTerms> {
        self.cancellation.as_ref()
    }
    pub fn hold_expires_at(&self) -> Option<DateTime<Utc>> {
        self.hold_expires_at
    }
    pub fn funds(&self) -> Option<&HeldFunds> {
        self.funds.as_ref()
    }
    pub fn confirmation_code(&self) -> Option<&str> {
        self.confirmation_code.as_deref()
    }
    /// The itinerary and item the booking shows as, while it does.
    pub fn item(&self) -> Option<(Uuid, Uuid)> {
        self.item
    }
    pub fn requested_at(&self) -> Option<DateTime<Utc>> {
        self.requested_at
    }
    /// How many times the booking was added to an itinerary so far.
    pub fn placements(&self) -> u32 {
        self.placements
    }

    fn out_of_order(&self, step: &'static str) -> BookingError {
        BookingError::OutOfOrder {
            status: self.status,
            step,
        }
    }

    /// `Ok(true)` when the step is to be recorded now, `Ok(false)` when it already was.
    fn step(
        &self,
        from: BookingStatus,
        done: bool,
        step: &'static str,
    ) -> Result<bool, BookingError> {
        if done {
            return Ok(false);
        }
        if self.status != from {
            return Err(self.out_of_order(step));
        }
        Ok(true)
    }

    fn decide_request(
        &self,
        now: DateTime<Utc>,
        owner: Uuid,
        request: BookingRequest,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        if self.owner.is_some() {
            return Err(BookingError::AlreadyRequested);
        }
        if request.supplier.trim().is_empty() || request.offer_id.trim().is_empty() {
            return Err(BookingError::MissingOffer);
        }
        let travellers: Vec<String> = request
            .travellers
            .iter()
            .map(|name| name.trim().to_owned())
            .collect();
        if travellers.is_empty()
            || travellers.len() > MAX_TRAVELLERS
            || travellers.iter().any(|name| {
                name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control)
            })
        {
            return Err(BookingError::InvalidTravellers);
        }
        Ok(vec![BookingEvent::BookingRequested {
            owner_id: owner,
            kind: request.kind,
            supplier: request.supplier,
            offer_id: request.offer_id,
            travellers,
            itinerary_id: request.itinerary_id,
            wallet_currency: request.wallet_currency.into_inner(),
            requested_at: now,
        }])
    }

    fn decide_step(&self, command: BookingCommand) -> Result<Vec<BookingEvent>, BookingError> {
        let now = command.context().now;
        let event = match command {
            BookingCommand::RecordReservation {
                reservation_id,
                offer,
                hold_expires_at,
                cancellation,
                ..
            } => {
                if !self.step(
                    BookingStatus::Requested,
                    self.reservation_id.as_deref() == Some(reservation_id.as_str()),
                    "reserved",
                )? {
                    return Ok(Vec::new());
                }
                BookingEvent::BookingReserved {
                    reservation_id,
                    offer,
                    hold_expires_at,
                    cancellation,
                    reserved_at: now,
                }
            }
            BookingCommand::RecordFundsHeld {
                wallet_id,
                hold_id,
                amount,
                rate,
                rate_date,
                ..
            } => {
                let done = self.funds.as_ref().is_some_and(|f| f.hold_id == hold_id);
                if !self.step(BookingStatus::Reserved, done, "paid for")? {
                    return Ok(Vec::new());
                }
                // The owner's wallet in the booking's currency pays, and no other.
                let owners_wallet = self
                    .owner
                    .map(|owner| wayfarer_schemas::wallet_id(owner, &self.wallet_currency));
                if amount.amount_minor <= 0
                    || amount.currency != self.wallet_currency
                    || owners_wallet != Some(wallet_id)
                {
                    return Err(BookingError::InvalidHold);
                }
                BookingEvent::BookingFundsHeld {
                    wallet_id,
                    hold_id,
                    amount,
                    rate,
                    rate_date,
                    held_at: now,
                }
            }
            BookingCommand::RecordSupplierConfirmation {
                confirmation_code, ..
            } => {
                let done = self.confirmation_code.is_some();
                if !self.step(BookingStatus::FundsHeld, done, "confirmed by the supplier")? {
                    return Ok(Vec::new());
                }
                BookingEvent::BookingSupplierConfirmed {
                    confirmation_code,
                    confirmed_at: now,
                }
            }
            BookingCommand::RecordPayment { .. } => {
                let done =
                    self.status >= BookingStatus::Confirmed && self.status != BookingStatus::Failed;
                if !self.step(BookingStatus::SupplierConfirmed, done, "confirmed")? {
                    return Ok(Vec::new());
                }
                BookingEvent::BookingConfirmed { confirmed_at: now }
            }
            BookingCommand::RecordItemAdded {
                itinerary_id,
                item_id,
                ..
            } => {
                if self.item == Some((itinerary_id, item_id)) {
                    return Ok(Vec::new());
                }
                if self.status != BookingStatus::Confirmed
                    || self.itinerary_id != Some(itinerary_id)
                    || self.item.is_some()
                {
                    return Err(self.out_of_order("added to the itinerary"));
                }
                BookingEvent::BookingAddedToItinerary {
                    itinerary_id,
                    item_id,
                    added_at: now,
                }
            }
            BookingCommand::RecordItemRemoved {
                itinerary_id,
                item_id,
                ..
            } => {
                if self.item != Some((itinerary_id, item_id)) {
                    return Ok(Vec::new());
                }
                BookingEvent::BookingRemovedFromItinerary {
                    itinerary_id,
                    item_id,
                    removed_at: now,
                }
            }
            BookingCommand::Fail {
                reason,
                compensations,
                ..
            } => {
                if self.status == BookingStatus::Failed {
                    return Ok(Vec::new());
                }
                if !self.status.in_progress() {
                    return Err(self.out_of_order("failed"));
                }
                if reason.trim().is_empty() {
                    return Err(BookingError::MissingReason);
                }
                BookingEvent::BookingFailed {
                    reason,
                    compensations,
                    failed_at: now,
                }
            }
            BookingCommand::RecordCancellation { refund, .. } => {
                if matches!(
                    self.status,
                    BookingStatus::Cancelled | BookingStatus::Refunded
                ) {
                    return Ok(Vec::new());
                }
                if self.status != BookingStatus::CancellationRequested {
                    return Err(self.out_of_order("cancelled"));
                }
                if refund.amount_minor < 0 || refund.currency != self.wallet_currency {
                    return Err(BookingError::InvalidRefund);
                }
                BookingEvent::BookingCancelled {
                    refund,
                    cancelled_at: now,
                }
            }
            BookingCommand::Request { .. }
            | BookingCommand::Cancel { .. }
            | BookingCommand::LinkItinerary { .. } => return Err(BookingError::PaymentsOnly),
        };
        Ok(vec![event])
    }

    fn decide_personal(
        &self,
        owner: Uuid,
        command: BookingCommand,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        match command {
            BookingCommand::Request { context, request } => {
                self.decide_request(context.now, owner, request)
            }
            _ if self.owner != Some(owner) => Err(BookingError::NotFound),
            BookingCommand::Cancel { context } => match self.status {
                BookingStatus::CancellationRequested
                | BookingStatus::Cancelled
                | BookingStatus::Refunded => Ok(Vec::new()),
                BookingStatus::Confirmed => Ok(vec![BookingEvent::BookingCancellationRequested {
                    requested_at: context.now,
                }]),
                status => Err(BookingError::NotCancellable(status)),
            },
            BookingCommand::LinkItinerary {
                context,
                itinerary_id,
            } => {
                if self.itinerary_id == Some(itinerary_id) {
                    return Ok(Vec::new());
                }
                if self.status.is_final() || self.status == BookingStatus::CancellationRequested {
                    return Err(self.out_of_order("moved to another itinerary"));
                }
                Ok(vec![BookingEvent::BookingLinkedToItinerary {
                    itinerary_id,
                    linked_at: context.now,
                }])
            }
            _ => Err(BookingError::PaymentsOnly),
        }
    }
}

impl Aggregate for Booking {
    const TYPE: &'static str = wayfarer_schemas::booking::AGGREGATE_TYPE;
    type Command = BookingCommand;
    type Event = BookingEvent;
    type Error = BookingError;

    fn decide(&self, command: BookingCommand) -> Result<Vec<BookingEvent>, BookingError> {
        match command.context().actor {
            BookingActor::Person(person) if command.is_personal() => {
                self.decide_personal(person, command)
            }
            BookingActor::Person(person) => {
                // Hidden looks like missing: someone else's booking is not found.
                if self.owner != Some(person) {
                    return Err(BookingError::NotFound);
                }
                Err(BookingError::PaymentsOnly)
            }
            BookingActor::Payments if command.is_personal() => Err(BookingError::PaymentsOnly),
            BookingActor::Payments => {
                if self.owner.is_none() {
                    return Err(BookingError::NotFound);
                }
                self.decide_step(command)
            }
        }
    }

    fn apply(&mut self, event: &BookingEvent) {
        match event {
            BookingEvent::BookingRequested {
                owner_id,
                kind,
                supplier,
                offer_id,
                travellers,
                itinerary_id,
                wallet_currency,
                requested_at,
            } => {
                self.owner = Some(*owner_id);
                self.requested_at = Some(*requested_at);
                self.status = BookingStatus::Requested;
                self.kind = Some(*kind);
                self.supplier = supplier.clone();
                self.offer_id = offer_id.clone();
                self.travellers = travellers.clone();
                self.itinerary_id = *itinerary_id;
                self.wallet_currency = wallet_currency.clone();
            }
            BookingEvent::BookingReserved {
                reservation_id,
                offer,
                hold_expires_at,
                cancellation,
                ..
            } => {
                self.status = BookingStatus::Reserved;
                self.reservation_id = Some(reservation_id.clone());
                self.offer = Some(offer.clone());
                self.hold_expires_at = Some(*hold_expires_at);
                self.cancellation = Some(cancellation.clone());
            }
            BookingEvent::BookingFundsHeld {
                wallet_id,
                hold_id,
                amount,
                ..
            } => {
                self.status = BookingStatus::FundsHeld;
                self.funds = Some(HeldFunds {
                    wallet_id: *wallet_id,
                    hold_id: *hold_id,
                    amount: amount.clone(),
                });
            }
            BookingEvent::BookingSupplierConfirmed {
                confirmation_code, ..
            } => {
                self.status = BookingStatus::SupplierConfirmed;
                self.confirmation_code = Some(confirmation_code.clone());
            }
            BookingEvent::BookingConfirmed { .. } => self.status = BookingStatus::Confirmed,
            BookingEvent::BookingAddedToItinerary {
                itinerary_id,
                item_id,
                ..
            } => {
                self.item = Some((*itinerary_id, *item_id));
                self.placements += 1;
            }
            BookingEvent::BookingLinkedToItinerary { itinerary_id, .. } => {
                self.itinerary_id = Some(*itinerary_id)
            }
            BookingEvent::BookingRemovedFromItinerary { .. } => self.item = None,
            BookingEvent::BookingCancellationRequested { .. } => {
                self.status = BookingStatus::CancellationRequested
            }
            BookingEvent::BookingCancelled { refund, .. } => {
                self.status = if refund.amount_minor > 0 {
                    BookingStatus::Refunded
                } else {
                    BookingStatus::Cancelled
                }
            }
            BookingEvent::BookingFailed { .. } => self.status = BookingStatus::Failed,
        }
    }

    fn expected_version(_command: &BookingCommand) -> Option<u64> {
        None
    }

    fn creates_new(command: &BookingCommand) -> bool {
        matches!(command, BookingCommand::Request { .. })
    }
}
