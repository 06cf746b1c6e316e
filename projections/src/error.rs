/// Failures of a projection batch. Every variant is retryable by redelivering the batch: the
/// projection's writes are either rolled back or version-guarded.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("opensearch: {0}")]
    OpenSearch(String),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis pool: {0}")]
    RedisPool(String),
    /// A worker task of the projection panicked or was cancelled.
    #[error("projection task failed: {0}")]
    TaskFailed(#[from] tokio::task::JoinError),
    /// A projection was handed prepared events of another type than it prepares (a bug).
    #[error("prepared events of an unexpected type")]
    Prepared,
    /// The search index behind an alias does not exist yet (being built from the store).
    #[error("search index {0} is not built yet")]
    IndexMissing(String),
    /// An event payload that does not match the published schema (a poison message).
    #[error("undecodable event at position {position}: {reason}")]
    Undecodable { position: i64, reason: String },
    /// The vault for personal data could not be set up (a bad master key).
    #[error("vault: {0}")]
    Vault(String),
    /// An aggregate's events arrived with a hole: the read model cannot apply them yet.
    #[error("gap in aggregate {aggregate_id}: have version {have}, got sequence {got}")]
    Gap {
        aggregate_id: uuid::Uuid,
        have: u64,
        got: u64,
    },
}

impl ProjectionError {
    /// The event at `position` cannot be applied as it is (a poison event).
    pub fn undecodable(position: i64, reason: impl ToString) -> Self {
        ProjectionError::Undecodable {
            position,
            reason: reason.to_string(),
        }
    }

    /// A failure to open the personal data of the event at `position`: a database failure is
    /// retried; a value that does not open (tampered, malformed) is a poison event.
    pub fn from_vault(error: wayfarer_vault::VaultError, position: i64) -> Self {
        match error {
            wayfarer_vault::VaultError::Postgres(error) => ProjectionError::Postgres(error),
            other => ProjectionError::Undecodable {
                position,
                reason: other.to_string(),
            },
        }
    }
}

impl From<opensearch::Error> for ProjectionError {
    fn from(error: opensearch::Error) -> Self {
        ProjectionError::OpenSearch(error.to_string())
    }
}

impl From<deadpool_redis::PoolError> for ProjectionError {
    fn from(error: deadpool_redis::PoolError) -> Self {
        ProjectionError::RedisPool(error.to_string())
    }
}

impl ProjectionError {
    /// Whether the failure lies in the event itself (it would fail again however often it is
    /// retried): undecodable, or data the store refuses (SQLSTATE classes 22 and 23). Anything
    /// else is a service away or failing, which a retry may cure, and never dead-letters.
    pub fn is_poison(&self) -> bool {
        match self {
            ProjectionError::Undecodable { .. } => true,
            ProjectionError::Postgres(error) => error
                .as_database_error()
                .and_then(|db| db.code())
                .is_some_and(|code| code.starts_with("22") || code.starts_with("23")),
            _ => false,
        }
    }
}
