//! The key that signs checkpoints, and the exact bytes a checkpoint's signature covers.

use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier};
use sha2::{Digest, Sha256};

use crate::chain::field;
use crate::AuditError;

pub use ed25519_dalek::VerifyingKey;

/// The Ed25519 key checkpoints are signed with (from the settings: 32 bytes of base64).
#[derive(Clone)]
pub struct CheckpointKey(SigningKey);

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CheckpointKey")
            .field(&crate::chain::hex(self.0.verifying_key().as_bytes()))
            .finish()
    }
}

impl CheckpointKey {
    pub fn from_base64(text: &str) -> Result<Self, AuditError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|error| AuditError::InvalidKey(error.to_string()))?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|bytes: Vec<u8>| AuditError::InvalidKey(format!("{} bytes", bytes.len())))?;
        Ok(Self(SigningKey::from_bytes(&seed)))
    }

    /// The public half, which auditors verify with.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.0.verifying_key()
    }

    pub(crate) fn sign(&self, signed: &SignedCheckpoint<'_>) -> Vec<u8> {
        self.0.sign(&signed.message()).to_bytes().to_vec()
    }
}

/// Parses a public key given as base64 (for auditors who hold only the public half).
pub fn verifying_key_from_base64(text: &str) -> Result<VerifyingKey, AuditError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|error| AuditError::InvalidKey(error.to_string()))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|bytes: Vec<u8>| AuditError::InvalidKey(format!("{} bytes", bytes.len())))?;
    VerifyingKey::from_bytes(&bytes).map_err(|error| AuditError::InvalidKey(error.to_string()))
}

/// Everything a checkpoint's signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedCheckpoint<'a> {
    pub checkpoint: i64,
    /// The signature of checkpoint `checkpoint - 1` (none for the first): removing or
    /// replacing a checkpoint breaks the chain of checkpoints.
    pub previous_signature: Option<&'a [u8]>,
    /// The last event covered, in commit order.
    pub tx_id: i64,
    pub global_position: i64,
    /// How many events the range since the previous checkpoint holds.
    pub events: i64,
    pub heads_digest: &'a [u8],
    pub signed_at_micros: i64,
}

impl SignedCheckpoint<'_> {
    fn message(&self) -> Vec<u8> {
        let mut message = b"wayfarer.checkpoint.v1".to_vec();
        message.extend(self.checkpoint.to_be_bytes());
        let previous = self.previous_signature.unwrap_or_default();
        message.extend((previous.len() as i64).to_be_bytes());
        message.extend(previous);
        message.extend(self.tx_id.to_be_bytes());
        message.extend(self.global_position.to_be_bytes());
        message.extend(self.events.to_be_bytes());
        message.extend(self.heads_digest);
        message.extend(self.signed_at_micros.to_be_bytes());
        message
    }

    /// Whether `signature` is `key`'s over exactly this checkpoint.
    pub fn verify(&self, key: &VerifyingKey, signature: &[u8]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        key.verify(&self.message(), &signature).is_ok()
    }
}

/// One stream's last event in a checkpoint's range.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Head {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub hash: Vec<u8>,
}

/// The digest of a checkpoint's heads, in (aggregate type, aggregate id) order.
pub fn heads_digest(heads: &[Head]) -> [u8; 32] {
    let mut sorted: Vec<&Head> = heads.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.aggregate_type, &a.aggregate_id).cmp(&(&b.aggregate_type, &b.aggregate_id))
    });
    let mut hasher = Sha256::new();
    for head in sorted {
        field(&mut hasher, &head.aggregate_type);
        field(&mut hasher, &head.aggregate_id);
        hasher.update(head.sequence.to_be_bytes());
        hasher.update(&head.hash);
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> CheckpointKey {
        CheckpointKey::from_base64(&base64::engine::general_purpose::STANDARD.encode([byte; 32]))
            .unwrap()
    }

    fn checkpoint(events: i64) -> SignedCheckpoint<'static> {
        SignedCheckpoint {
            checkpoint: 2,
            previous_signature: Some(&[7; 64]),
            tx_id: 900,
            global_position: 1234,
            events,
            heads_digest: &[1; 32],
            signed_at_micros: 42,
        }
    }

    #[test]
    fn a_signature_covers_every_field_and_only_its_key_verifies_it() {
        let signature = key(1).sign(&checkpoint(10));
        assert!(checkpoint(10).verify(&key(1).verifying_key(), &signature));
        assert!(!checkpoint(11).verify(&key(1).verifying_key(), &signature));
        assert!(!checkpoint(10).verify(&key(2).verifying_key(), &signature));
        assert!(!checkpoint(10).verify(&key(1).verifying_key(), &signature[..63]));
    }

    #[test]
    fn keys_that_are_not_32_bytes_of_base64_are_refused() {
        assert!(CheckpointKey::from_base64("c2hvcnQ=").is_err());
        assert!(CheckpointKey::from_base64("not base64!").is_err());
        assert!(verifying_key_from_base64("c2hvcnQ=").is_err());
    }

    #[test]
    fn the_heads_digest_does_not_depend_on_their_order() {
        let a = Head {
            aggregate_type: "user".into(),
            aggregate_id: "1".into(),
            sequence: 3,
            hash: vec![1; 32],
        };
        let b = Head {
            aggregate_type: "itinerary".into(),
            aggregate_id: "2".into(),
            sequence: 1,
            hash: vec![2; 32],
        };
        assert_eq!(
            heads_digest(&[a.clone(), b.clone()]),
            heads_digest(&[b.clone(), a.clone()])
        );
        let mut changed = a.clone();
        changed.sequence = 4;
        assert_ne!(heads_digest(&[a, b.clone()]), heads_digest(&[changed, b]));
    }
}
