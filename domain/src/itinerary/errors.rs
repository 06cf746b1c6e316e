//! Why an itinerary command was refused, and how a caller should react to each reason.

use uuid::Uuid;

use crate::values::{
    DESCRIPTION_MAX_CHARS, LOCATION_NAME_MAX_CHARS, TITLE_MAX_CHARS, TRIP_MAX_DAYS,
};

use super::MAX_ITEMS;

/// Every reason the Itinerary aggregate refuses a command. Nothing was recorded when one of
/// these is returned, so a caller may always retry after fixing the cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItineraryError {
    /// The itinerary was never created. Report "not found" (HTTP 404); retrying will not help.
    #[error("itinerary not found")]
    NotFound,
    /// `Create` named an id that already has an itinerary (possibly a deleted one). Report a
    /// conflict; the client should pick a fresh id.
    #[error("itinerary already exists")]
    AlreadyExists,
    /// The itinerary has been deleted and accepts no further commands. Report a conflict
    /// (HTTP 409 or 410); retrying will not help.
    #[error("itinerary has been deleted")]
    Deleted,
    /// The actor is not the itinerary's owner, the only one who may change it. Report
    /// "forbidden" (HTTP 403) without revealing more.
    #[error("only the owner may change this itinerary")]
    Forbidden,
    /// The caller's `expected_version` is stale: someone else changed the itinerary first.
    /// Report a retryable conflict; the client should reload and try again.
    #[error("itinerary is at version {actual}, not the expected version {expected}")]
    VersionMismatch { expected: u64, actual: u64 },
    /// A title (of the itinerary or an item) is blank or too long after trimming. Report a
    /// validation error on the `title` field.
    #[error("title must be 1 to {TITLE_MAX_CHARS} characters long")]
    InvalidTitle,
    /// An item description is too long (or blank where one is required). Report a validation
    /// error on the `description` field.
    #[error("description must be at most {DESCRIPTION_MAX_CHARS} characters long")]
    InvalidDescription,
    /// A currency is not three upper-case ASCII letters (an ISO 4217 code such as `EUR`).
    /// Report a validation error on the currency field.
    #[error("currency must be a three-letter upper-case code such as EUR")]
    InvalidCurrency,
    /// A money amount is below zero. Report a validation error on the amount field.
    #[error("amount must not be negative")]
    NegativeAmount,
    /// A location's name is blank or too long, or its coordinates are out of range or not
    /// finite. Report a validation error on the `location` field.
    #[error(
        "location needs a name of 1 to {LOCATION_NAME_MAX_CHARS} characters, a latitude \
         within [-90, 90] and a longitude within [-180, 180]"
    )]
    InvalidLocation,
    /// The trip's end date is before its start date. Report a validation error on the dates.
    #[error("trip end date is before its start date")]
    DatesOutOfOrder,
    /// The trip lasts more days than allowed. Report a validation error on the dates.
    #[error("trip may last at most {TRIP_MAX_DAYS} days")]
    TripTooLong,
    /// An item ends at or before the moment it starts. Report a validation error on the
    /// item's times.
    #[error("item must end after it starts")]
    ItemEndsBeforeStart,
    /// An item starts or ends (by UTC date) outside the trip's dates. Report a validation
    /// error on the item's times; the client may widen the trip first.
    #[error("item must take place within the trip's dates")]
    ItemOutsideTrip,
    /// New trip dates would leave an existing item outside the trip. Report a validation
    /// error on the dates; the client must move or delete those items first.
    #[error("new trip dates would leave existing items outside the trip")]
    ItemsOutsideNewDates,
    /// No live item has this id (it never existed or was deleted). Report "not found".
    #[error("item {0} not found")]
    ItemNotFound(Uuid),
    /// An item with this id exists or existed (deleted ids are never reused). Report a
    /// conflict; the client should pick a fresh id.
    #[error("item {0} already exists")]
    DuplicateItem(Uuid),
    /// A new item order is not exactly the current items, each once. Report a validation
    /// error; the client should reload the items and resend the complete order.
    #[error("new item order must list every current item exactly once")]
    NotAPermutation,
    /// The itinerary already holds the maximum number of items. Report a validation error;
    /// the client must delete items before adding more.
    #[error("an itinerary may hold at most {MAX_ITEMS} items")]
    TooManyItems,
    /// The patch would leave everything as it is. Report a validation error (or treat as a
    /// no-op success); nothing was recorded.
    #[error("the change would leave everything as it is")]
    NothingToChange,
}

/// The coarse class of an [`ItineraryError`], for edges that map errors to status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The itinerary or item does not exist (HTTP 404).
    NotFound,
    /// The actor may not do this (HTTP 403).
    Forbidden,
    /// The command clashes with the current state (HTTP 409); a version mismatch is
    /// retryable after reloading.
    Conflict,
    /// The input is invalid (HTTP 400/422); retrying unchanged will fail again.
    Validation,
}

impl ItineraryError {
    /// Classifies the error once, so every edge maps it the same way.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ItineraryError::NotFound | ItineraryError::ItemNotFound(_) => ErrorKind::NotFound,
            ItineraryError::Forbidden => ErrorKind::Forbidden,
            ItineraryError::VersionMismatch { .. }
            | ItineraryError::AlreadyExists
            | ItineraryError::Deleted
            | ItineraryError::DuplicateItem(_) => ErrorKind::Conflict,
            ItineraryError::InvalidTitle
            | ItineraryError::InvalidDescription
            | ItineraryError::InvalidCurrency
            | ItineraryError::NegativeAmount
            | ItineraryError::InvalidLocation
            | ItineraryError::DatesOutOfOrder
            | ItineraryError::TripTooLong
            | ItineraryError::ItemEndsBeforeStart
            | ItineraryError::ItemOutsideTrip
            | ItineraryError::ItemsOutsideNewDates
            | ItineraryError::NotAPermutation
            | ItineraryError::TooManyItems
            | ItineraryError::NothingToChange => ErrorKind::Validation,
        }
    }
}
