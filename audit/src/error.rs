/// Why an audit operation could not run (what it found is a [`crate::verify::Finding`]).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("event store: {0}")]
    Postgres(#[from] sqlx::Error),
    /// The signing key setting is not 32 bytes of base64.
    #[error("the checkpoint signing key must be 32 bytes in base64 ({0})")]
    InvalidKey(String),
    /// `verify --aggregate` named a stream with no events.
    #[error("no events stored for aggregate {0:?}")]
    UnknownAggregate(String),
}
