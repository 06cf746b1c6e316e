//! Store errors classified once, by SQLSTATE and constraint name (never by message text).

/// What a failed statement means for the commands in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Unique violation on the stream key `(aggregate_type, aggregate_id, sequence)`: another
    /// writer took this sequence (an optimistic-concurrency clash).
    StreamClash,
    /// Unique violation on the idempotency keys: a request with the same key got there first.
    KeyTaken,
    /// Deadlock or serialization failure: nothing was written; the same statement may succeed
    /// when run again.
    Retryable,
    /// The data itself was refused (integrity or data exception classes 22 and 23): it belongs
    /// to the command(s) whose rows were in the statement.
    Refused {
        sqlstate: String,
        constraint: Option<String>,
    },
    /// Anything else: connection lost, server away. Nothing can be said about the data.
    Unavailable,
}

pub(crate) const EVENTS_KEY: &str = "events_pkey";
pub(crate) const IDEMPOTENCY_KEY: &str = "command_idempotency_pkey";

pub(crate) fn classify(error: &sqlx::Error) -> Failure {
    let Some(db) = error.as_database_error() else {
        return Failure::Unavailable;
    };
    let Some(code) = db.code() else {
        return Failure::Unavailable;
    };
    let constraint = db.constraint().map(str::to_owned);
    match code.as_ref() {
        "23505" if constraint.as_deref() == Some(EVENTS_KEY) => Failure::StreamClash,
        "23505" if constraint.as_deref() == Some(IDEMPOTENCY_KEY) => Failure::KeyTaken,
        "40P01" | "40001" => Failure::Retryable,
        sqlstate if sqlstate.starts_with("22") || sqlstate.starts_with("23") => Failure::Refused {
            sqlstate: sqlstate.to_owned(),
            constraint,
        },
        _ => Failure::Unavailable,
    }
}
