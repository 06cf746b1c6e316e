//! Command handling: load an aggregate from the PostgreSQL event store, let the pure domain
//! decide, append the resulting events with optimistic concurrency (cqrs-es + postgres-es).
//!
//! Nothing here publishes to Kafka: the relay tails the store, so an append that committed is
//! never lost and one that did not commit is never published.

mod error;
mod group_commit;
mod itinerary;
mod position;
pub mod store;

pub use error::{CommandError, RejectionKind};
pub use itinerary::{ItineraryAggregate, ItineraryCommandHandler, StoredItineraryEvent};
pub use position::CommandOutcome;
