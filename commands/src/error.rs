use wayfarer_domain::{DomainError, ErrorKind};

/// Why a command did not produce events. Nothing is stored in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: DomainError> {
    /// The domain refused the command; its `kind` tells the caller how to react.
    #[error("{0}")]
    Rejected(E),
    /// Another command changed the aggregate concurrently and the caller pinned a version, or
    /// the retries ran out under extreme contention. Reload and retry.
    #[error("the aggregate was changed concurrently; reload and retry")]
    Conflict,
    /// The idempotency key was used before with a different request. Use a fresh key for a
    /// new request; retrying this one unchanged will fail again.
    #[error("this idempotency key was already used for a different request")]
    IdempotencyKeyReused,
    /// The event store could not be reached or answered with an error. Retry later.
    #[error("event store unavailable: {0}")]
    Store(#[from] StoreError),
}

/// A failure of the event store itself (as opposed to a decision of the domain).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    /// A stored event does not decode into the aggregate's current contract.
    #[error("stored event of {aggregate_id} at sequence {sequence}: {source}")]
    Undecodable {
        aggregate_id: String,
        sequence: i64,
        #[source]
        source: wayfarer_schemas::DecodeError,
    },
    #[error("event could not be serialised: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The append statement failed for a reason that belongs to this command alone (a check
    /// constraint, a unique index other than the stream's key), identified by SQLSTATE.
    #[error("append refused by the store (SQLSTATE {sqlstate}{})", constraint.as_deref().map(|c| format!(", constraint {c}")).unwrap_or_default())]
    Refused {
        sqlstate: String,
        constraint: Option<String>,
    },
    #[error("the append writer stopped")]
    WriterStopped,
    /// Personal data could not be sealed or opened (or the person was forgotten).
    #[error("personal data: {0}")]
    Vault(#[from] wayfarer_vault::VaultError),
    /// The aggregate's events carry personal data but no vault was configured.
    #[error("{0} events carry personal data: the handler needs a vault")]
    NoVault(&'static str),
    /// Personal data belongs to a person, whose id is the aggregate id.
    #[error("aggregate id {0:?} is not a person's id")]
    NotAPerson(String),
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

impl<E: DomainError> CommandError<E> {
    pub fn kind(&self) -> RejectionKind {
        match self {
            CommandError::Rejected(error) => match error.kind() {
                ErrorKind::NotFound => RejectionKind::NotFound,
                ErrorKind::Forbidden => RejectionKind::Forbidden,
                ErrorKind::Conflict => RejectionKind::Conflict,
                ErrorKind::Validation => RejectionKind::Validation,
            },
            CommandError::Conflict | CommandError::IdempotencyKeyReused => RejectionKind::Conflict,
            CommandError::Store(_) => RejectionKind::Unavailable,
        }
    }
}
