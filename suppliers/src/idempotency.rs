//! Idempotency keys: a retried write returns what the first attempt created.
//!
//! A caller that timed out cannot know whether its write happened; it retries with the same
//! `Idempotency-Key` and gets the same resource back instead of a duplicate. A key is
//! remembered per target and operation together with a fingerprint of the request, so the
//! same key with a different request is refused (`IDEMPOTENCY_KEY_REUSED`) rather than
//! silently answered with someone else's result. Only successful writes are remembered: a
//! refused request (sold out, declined) may be retried with the same key.
//!
//! Keys live as long as the simulator (no expiry): it is a sandbox, and restarts reset it.

use std::collections::HashMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The writes that take an idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Reserve,
    Confirm,
    CreatePaymentIntent,
    CreateRefund,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Scope {
    target: String,
    operation: Operation,
    key: String,
}

#[derive(Debug, Clone)]
struct Remembered {
    fingerprint: Fingerprint,
    resource_id: String,
}

/// SHA-256 of a request's canonical JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn of<T: Serialize>(request: &T) -> Self {
        // Serialising our own request structs cannot fail (no maps with non-string keys).
        let json = serde_json::to_vec(request).unwrap_or_default();
        Self(Sha256::digest(json).into())
    }
}

#[derive(Debug, Default)]
pub struct IdempotencyStore {
    remembered: HashMap<Scope, Remembered>,
}

impl IdempotencyStore {
    /// The resource a previous identical request created, `None` for a new key, or
    /// `IdempotencyKeyReused` when the key came with a different request.
    pub fn recall(
        &self,
        target: &str,
        operation: Operation,
        key: &str,
        fingerprint: Fingerprint,
    ) -> Result<Option<&str>, ApiError> {
        let scope = Scope {
            target: target.to_owned(),
            operation,
            key: key.to_owned(),
        };
        match self.remembered.get(&scope) {
            None => Ok(None),
            Some(remembered) if remembered.fingerprint == fingerprint => {
                Ok(Some(&remembered.resource_id))
            }
            Some(_) => Err(ApiError::IdempotencyKeyReused),
        }
    }

    pub fn remember(
        &mut self,
        target: &str,
        operation: Operation,
        key: &str,
        fingerprint: Fingerprint,
        resource_id: &str,
    ) {
        let scope = Scope {
            target: target.to_owned(),
            operation,
            key: key.to_owned(),
        };
        self.remembered.insert(
            scope,
            Remembered {
                fingerprint,
                resource_id: resource_id.to_owned(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_and_request_recall_the_resource_and_another_request_is_refused() {
        let mut store = IdempotencyStore::default();
        let first = Fingerprint::of(&serde_json::json!({"offerId": "a"}));
        let other = Fingerprint::of(&serde_json::json!({"offerId": "b"}));
        assert_eq!(
            store.recall("skyhop", Operation::Reserve, "k1", first),
            Ok(None)
        );
        store.remember("skyhop", Operation::Reserve, "k1", first, "res_1");
        assert_eq!(
            store.recall("skyhop", Operation::Reserve, "k1", first),
            Ok(Some("res_1"))
        );
        assert_eq!(
            store.recall("skyhop", Operation::Reserve, "k1", other),
            Err(ApiError::IdempotencyKeyReused)
        );
    }

    #[test]
    fn keys_are_scoped_by_target_and_operation() {
        let mut store = IdempotencyStore::default();
        let request = Fingerprint::of(&"same");
        store.remember("skyhop", Operation::Reserve, "k1", request, "res_1");
        assert_eq!(
            store.recall("aerolux", Operation::Reserve, "k1", request),
            Ok(None)
        );
        assert_eq!(
            store.recall("skyhop", Operation::Confirm, "k1", request),
            Ok(None)
        );
    }
}
