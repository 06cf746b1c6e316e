//! Tamper evidence for the event store: hash-chained streams, signed checkpoints of the
//! store's heads, and the verification that proves the store intact or names what changed.
//!
//! - [`chain`]: the canonical content of an event and its chained hash (pure). The store
//!   computes the same hash in the appending transaction (migration `0013_hash_chain`); this
//!   module recomputes it independently.
//! - [`signing`]: the Ed25519 key that signs checkpoints, and what exactly a signature covers.
//! - [`checkpoint`]: taking a signed checkpoint of everything committed since the last one.
//! - [`verify`]: walking the store in commit order against the chains and every checkpoint.
//!
//! What it proves: an event edited, removed, reordered or inserted in a stream breaks that
//! stream's chain; a stream rewritten and re-hashed consistently, truncated, or an event
//! inserted into a signed range no longer matches the signed heads. What it cannot prove:
//! changes to events newer than the last checkpoint that keep the chains consistent, or the
//! removal of the newest checkpoints themselves; publish each checkpoint's signature outside
//! the database (`events verify` prints the latest) to anchor those too.

pub mod chain;
pub mod checkpoint;
pub mod signing;
pub mod verify;

mod error;

pub use error::AuditError;
pub use signing::{CheckpointKey, VerifyingKey};
