//! Erasure on an append-only log (crypto-shredding). Whatever identifies a person sits under a
//! `"personal"` key in an event's payload. The store and Kafka only ever see it sealed with
//! that person's own data key (AES-256-GCM), and the data keys are kept wrapped by a master key
//! in `user_keys`. Forgetting a person destroys their key: every copy of their personal data, in
//! the log, on every topic and in every replay, becomes unreadable. Readers then see it as
//! erased (an empty object), and the log stays append-only.

mod seal;
mod store;

pub use seal::{
    has_open_personal_data, may_hold_sealed, open_payload, seal_payload, sealed_subjects, DataKey,
    MasterKey, SealError,
};
pub use store::{Vault, VaultError};
