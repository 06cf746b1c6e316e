//! Read models built from the event log, one module per model and store.
//!
//! Every projection here is idempotent on (aggregate id, sequence): an event at or below the
//! stored version is skipped, so redelivery and replays never change a result. The PostgreSQL
//! projection writes its rows and its consumer checkpoint in one transaction; OpenSearch and
//! Redis writes are guarded by the aggregate version.

pub mod booking;
pub mod checkpoint;
pub mod dead_letters;
pub mod error;
pub mod event;
pub mod feed;
pub mod itinerary;
pub mod moderation;
pub mod names;
pub mod notification;
pub mod place;
pub mod post;
pub mod projection;
pub mod review;
pub mod status;
pub mod store;
pub mod template;
pub mod user;
pub mod wallet;

pub use error::ProjectionError;
pub use names::Names;
pub use projection::{
    DocumentProjection, Envelope, MultiStreamProjection, Prepared, Projection, ProjectionRegistry,
    Registered, Tables, TransactionalProjection, Write,
};
