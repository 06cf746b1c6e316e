use wayfarer_domain::itinerary::{ErrorKind, ItineraryError};

/// Why a command did not produce events. Nothing is stored in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The domain refused the command; `kind` tells the caller how to react.
    #[error("{0}")]
    Rejected(#[from] ItineraryError),
    /// Another command changed the aggregate concurrently and retries were exhausted (or the
    /// caller pinned a version). Reload and retry.
    #[error("the itinerary was changed concurrently; reload and retry")]
    Conflict,
    /// The event store could not be reached or answered with an error. Retry later.
    #[error("event store unavailable: {0}")]
    Store(String),
}

/// How a rejection maps onto API error classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionKind {
    NotFound,
    Forbidden,
    Conflict,
    Validation,
    Unavailable,
}

impl CommandError {
    pub fn kind(&self) -> RejectionKind {
        match self {
            CommandError::Rejected(error) => match error.kind() {
                ErrorKind::NotFound => RejectionKind::NotFound,
                ErrorKind::Forbidden => RejectionKind::Forbidden,
                ErrorKind::Conflict => RejectionKind::Conflict,
                ErrorKind::Validation => RejectionKind::Validation,
            },
            CommandError::Conflict => RejectionKind::Conflict,
            CommandError::Store(_) => RejectionKind::Unavailable,
        }
    }
}
