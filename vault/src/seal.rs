//! The pure part: keys, and sealing or opening the `"personal"` values of a JSON payload.
//!
//! A sealed value is `{"subject": "<uuid>", "sealed": "<base64 of nonce ‖ ciphertext>"}`; the
//! subject's id is the additional authenticated data, so a sealed value cannot be moved to
//! another person.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// The key under which personal data sits in a payload (at any depth).
pub const PERSONAL: &str = "personal";
const NONCE_BYTES: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the master key must be 32 bytes in base64")]
    BadMasterKey,
    #[error("a sealed value is malformed")]
    Malformed,
    #[error("a sealed value does not open with its key (tampered, or the wrong key)")]
    Tampered,
    #[error("personal data cannot be serialised: {0}")]
    Json(#[from] serde_json::Error),
}

/// One person's data key.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl DataKey {
    pub fn generate() -> Self {
        let key = Aes256Gcm::generate_key(OsRng);
        Self(key.into())
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0))
    }
}

/// The key that wraps every data key (from the settings).
#[derive(Clone)]
pub struct MasterKey(DataKey);

impl MasterKey {
    /// From 32 bytes in base64.
    pub fn from_base64(text: &str) -> Result<Self, SealError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| SealError::BadMasterKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SealError::BadMasterKey)?;
        Ok(Self(DataKey(key)))
    }

    /// A data key, encrypted for storage (bound to its subject).
    pub fn wrap(&self, key: &DataKey, subject: Uuid) -> Vec<u8> {
        encrypt(&self.0, &key.0, subject)
    }

    pub fn unwrap(&self, wrapped: &[u8], subject: Uuid) -> Result<DataKey, SealError> {
        let bytes = decrypt(&self.0, wrapped, subject)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SealError::Malformed)?;
        Ok(DataKey(key))
    }
}

fn encrypt(key: &DataKey, plaintext: &[u8], subject: Uuid) -> Vec<u8> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ciphertext = key
        .cipher()
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: subject.as_bytes(),
            },
        )
        .expect("AES-GCM encryption of an in-memory buffer cannot fail");
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&ciphertext);
    sealed
}

fn decrypt(key: &DataKey, sealed: &[u8], subject: Uuid) -> Result<Vec<u8>, SealError> {
    if sealed.len() < NONCE_BYTES {
        return Err(SealError::Malformed);
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
    key.cipher()
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: subject.as_bytes(),
            },
        )
        .map_err(|_| SealError::Tampered)
}

/// The subject and ciphertext of a sealed value.
fn as_sealed(value: &Value) -> Option<(Uuid, &str)> {
    let object = value.as_object()?;
    let subject = Uuid::parse_str(object.get("subject")?.as_str()?).ok()?;
    let sealed = object.get("sealed")?.as_str()?;
    (object.len() == 2).then_some((subject, sealed))
}

/// Visits every value under a `"personal"` key.
fn each_personal(
    value: &mut Value,
    visit: &mut dyn FnMut(&mut Value) -> Result<(), SealError>,
) -> Result<(), SealError> {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == PERSONAL {
                    visit(child)?;
                } else {
                    each_personal(child, visit)?;
                }
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter_mut()
            .try_for_each(|item| each_personal(item, visit)),
        _ => Ok(()),
    }
}

/// Seals every `"personal"` value of `payload` for `subject` (null values stay null).
pub fn seal_payload(payload: &mut Value, subject: Uuid, key: &DataKey) -> Result<(), SealError> {
    each_personal(payload, &mut |personal| {
        if personal.is_null() || as_sealed(personal).is_some() {
            return Ok(());
        }
        let plaintext = serde_json::to_vec(personal)?;
        let sealed = STANDARD.encode(encrypt(key, &plaintext, subject));
        *personal = json!({ "subject": subject, "sealed": sealed });
        Ok(())
    })
}

/// Visits every value under a `"personal"` key, read-only.
fn each_personal_ref<'v>(value: &'v Value, visit: &mut dyn FnMut(&'v Value)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == PERSONAL {
                    visit(child);
                } else {
                    each_personal_ref(child, visit);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| each_personal_ref(item, visit)),
        _ => {}
    }
}

/// Whether `payload` holds personal data not sealed yet.
pub fn has_open_personal_data(payload: &Value) -> bool {
    let mut found = false;
    each_personal_ref(payload, &mut |personal| {
        found |= !personal.is_null() && as_sealed(personal).is_none();
    });
    found
}

/// Whether a stored payload may hold sealed values (a cheap test on the text, before parsing).
pub fn may_hold_sealed(payload: &str) -> bool {
    payload.contains("\"sealed\"")
}

/// The people whose sealed data `payload` holds.
pub fn sealed_subjects(payload: &Value) -> Vec<Uuid> {
    let mut subjects = Vec::new();
    each_personal_ref(payload, &mut |personal| {
        if let Some((subject, _)) = as_sealed(personal) {
            if !subjects.contains(&subject) {
                subjects.push(subject);
            }
        }
    });
    subjects
}

/// Opens every sealed `"personal"` value of `payload` with `key_of(subject)`; a subject without
/// a key (forgotten) leaves an empty object: the data is erased.
pub fn open_payload(
    payload: &mut Value,
    key_of: &dyn Fn(Uuid) -> Option<DataKey>,
) -> Result<(), SealError> {
    each_personal(payload, &mut |personal| {
        let Some((subject, sealed)) = as_sealed(personal) else {
            return Ok(());
        };
        let opened = match key_of(subject) {
            Some(key) => {
                let bytes = STANDARD.decode(sealed).map_err(|_| SealError::Malformed)?;
                serde_json::from_slice(&decrypt(&key, &bytes, subject)?)?
            }
            None => Value::Object(Map::new()),
        };
        *personal = opened;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_personal_data_opens_with_its_key_only_and_erases_without_it() {
        let ada = Uuid::from_u128(1);
        let key = DataKey::generate();
        let mut payload = json!({
            "type": "UserProfileUpdated",
            "profile": { "personal": { "firstName": "Ada" }, "privacy": "PUBLIC" }
        });
        seal_payload(&mut payload, ada, &key).unwrap();
        let text = payload.to_string();
        assert!(!text.contains("Ada"), "{text}");
        assert_eq!(sealed_subjects(&payload), vec![ada]);
        assert_eq!(payload["profile"]["privacy"], "PUBLIC");

        let mut opened = payload.clone();
        open_payload(&mut opened, &|_| Some(key.clone())).unwrap();
        assert_eq!(opened["profile"]["personal"]["firstName"], "Ada");

        let mut erased = payload.clone();
        open_payload(&mut erased, &|_| None).unwrap();
        assert_eq!(erased["profile"]["personal"], json!({}));

        let mut wrong = payload.clone();
        assert!(open_payload(&mut wrong, &|_| Some(DataKey::generate())).is_err());
    }

    #[test]
    fn a_wrapped_key_unwraps_for_its_subject_only() {
        let master = MasterKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        let key = DataKey::generate();
        let wrapped = master.wrap(&key, Uuid::from_u128(1));
        assert_eq!(
            master.unwrap(&wrapped, Uuid::from_u128(1)).unwrap().0,
            key.0
        );
        assert!(master.unwrap(&wrapped, Uuid::from_u128(2)).is_err());
        assert!(MasterKey::from_base64("short").is_err());
    }
}
