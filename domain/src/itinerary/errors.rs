//! Why an itinerary command was refused, and how a caller should react to each reason.

use uuid::Uuid;

use crate::aggregate::{DomainError, ErrorKind};
use crate::values::ValueError;

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
    /// The actor is not the itinerary's owner, the only one who may change it, and may see
    /// that it exists (it is public). Report "forbidden" (HTTP 403) without revealing more.
    /// A private or deleted itinerary is `NotFound` to anyone but its owner.
    #[error("only the owner may change this itinerary")]
    Forbidden,
    /// The caller's `expected_version` is stale: someone else changed the itinerary first.
    /// Report a retryable conflict; the client should reload and try again.
    #[error("itinerary is at version {actual}, not the expected version {expected}")]
    VersionMismatch { expected: u64, actual: u64 },
    /// A field's value is invalid; the inner error names the field. Report a validation
    /// error on that field.
    #[error(transparent)]
    Invalid(#[from] ValueError),
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

impl DomainError for ItineraryError {
    fn kind(&self) -> ErrorKind {
        match self {
            ItineraryError::NotFound | ItineraryError::ItemNotFound(_) => ErrorKind::NotFound,
            ItineraryError::Forbidden => ErrorKind::Forbidden,
            ItineraryError::VersionMismatch { .. }
            | ItineraryError::AlreadyExists
            | ItineraryError::Deleted
            | ItineraryError::DuplicateItem(_) => ErrorKind::Conflict,
            ItineraryError::Invalid(_)
            | ItineraryError::ItemOutsideTrip
            | ItineraryError::ItemsOutsideNewDates
            | ItineraryError::NotAPermutation
            | ItineraryError::TooManyItems
            | ItineraryError::NothingToChange => ErrorKind::Validation,
        }
    }
}
