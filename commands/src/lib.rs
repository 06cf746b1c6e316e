//! Command handling: load an aggregate from the PostgreSQL event store, let the pure domain
//! decide, append the resulting events with optimistic concurrency. One generic
//! [`CommandHandler`] serves every aggregate that implements `wayfarer_domain::Aggregate`.
//!
//! Nothing here publishes to Kafka: the relay tails the store, so an append that committed is
//! never lost and one that did not commit is never published.

mod error;
mod group_commit;
mod handler;
pub mod idempotency;
mod position;
pub mod snapshot;
mod sqlstate;
pub mod store;

pub use error::{CommandError, RejectionKind, StoreError};
pub use handler::{CommandHandler, CommandRequest};
pub use idempotency::IdempotencyClaim;
pub use position::CommandOutcome;
