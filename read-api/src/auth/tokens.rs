//! Short-lived JWT access tokens (HS256) and opaque refresh tokens.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use quick_cache::sync::Cache;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const ISSUER: &str = "wayfarer";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    iss: String,
    iat: i64,
    exp: i64,
}

/// Leeway for clock skew when checking expiry, in seconds.
const EXPIRY_LEEWAY_SECS: i64 = 5;
/// Verified tokens remembered (least recently used ones are evicted).
const VERIFIED_TOKENS: usize = 10_000;

/// Signing and verification keys derived from the configured secret, plus the tokens that
/// already verified. A client sends the same token with every request until it expires, and
/// checking its signature and claims again costs more CPU than parsing a cached GraphQL
/// document; a remembered token is exact (same text), and its expiry is still checked on
/// every use.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    verified: Arc<Cache<String, Verified>>,
}

/// What a verified token says: whose it is and until when (Unix seconds).
#[derive(Debug, Clone, Copy)]
struct Verified {
    user_id: Uuid,
    expires_at: i64,
}

impl TokenKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            verified: Arc::new(Cache::new(VERIFIED_TOKENS)),
        }
    }

    pub fn issue_access_token(&self, user_id: Uuid, ttl: Duration) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            iss: ISSUER.to_owned(),
            iat: now,
            exp: now + ttl.as_secs() as i64,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding cannot fail")
    }

    /// The user id of a valid, unexpired token.
    pub fn verify_access_token(&self, token: &str) -> Option<Uuid> {
        self.verify_access_token_with_expiry(token)
            .map(|(user_id, _)| user_id)
    }

    /// The user id of a valid, unexpired token and when it expires (Unix seconds).
    pub fn verify_access_token_with_expiry(&self, token: &str) -> Option<(Uuid, i64)> {
        let now = chrono::Utc::now().timestamp();
        if let Some(known) = self.verified.get(token) {
            return (known.expires_at >= now - EXPIRY_LEEWAY_SECS)
                .then_some((known.user_id, known.expires_at));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = EXPIRY_LEEWAY_SECS as u64;
        let claims = decode::<Claims>(token, &self.decoding, &validation)
            .ok()?
            .claims;
        self.verified.insert(
            token.to_owned(),
            Verified {
                user_id: claims.sub,
                expires_at: claims.exp,
            },
        );
        Some((claims.sub, claims.exp))
    }
}

/// A new random refresh token (returned to the client once) and its stored hash.
pub fn new_refresh_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

pub fn hash_refresh_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Reads `Bearer <token>` from an Authorization header value.
pub fn bearer(header: &str) -> Option<&str> {
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::from_secret(b"test secret, long enough for HS256")
    }

    fn token_with(keys: &TokenKeys, user_id: Uuid, expires_at: i64) -> String {
        let claims = Claims {
            sub: user_id,
            iss: ISSUER.to_owned(),
            iat: expires_at - 900,
            exp: expires_at,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).expect("encodes")
    }

    #[test]
    fn a_valid_token_verifies_every_time_it_is_sent() {
        let keys = keys();
        let user = Uuid::now_v7();
        let token = keys.issue_access_token(user, Duration::from_secs(900));
        assert_eq!(keys.verify_access_token(&token), Some(user));
        assert_eq!(keys.verify_access_token(&token), Some(user));
    }

    #[test]
    fn an_expired_or_tampered_token_never_verifies() {
        let keys = keys();
        let user = Uuid::now_v7();
        let expired = token_with(&keys, user, chrono::Utc::now().timestamp() - 60);
        assert_eq!(keys.verify_access_token(&expired), None);
        assert_eq!(keys.verify_access_token(&expired), None);
        let valid = keys.issue_access_token(user, Duration::from_secs(900));
        assert_eq!(keys.verify_access_token(&valid), Some(user));
        // Change one signature character well inside the last segment.
        let at = valid.len() - 10;
        let flipped = if valid.as_bytes()[at] == b'A' {
            "B"
        } else {
            "A"
        };
        let mut tampered = valid.clone();
        tampered.replace_range(at..=at, flipped);
        assert_eq!(keys.verify_access_token(&tampered), None);
        let other_keys = TokenKeys::from_secret(b"another secret, long enough too");
        assert_eq!(other_keys.verify_access_token(&valid), None);
    }

    #[test]
    fn a_remembered_token_stops_verifying_once_it_expires() {
        let keys = keys();
        let user = Uuid::now_v7();
        let token = keys.issue_access_token(user, Duration::from_secs(900));
        assert_eq!(keys.verify_access_token(&token), Some(user));
        // Fast-forward: the remembered entry now says the token expired a minute ago.
        keys.verified.insert(
            token.clone(),
            Verified {
                user_id: user,
                expires_at: chrono::Utc::now().timestamp() - 60,
            },
        );
        assert_eq!(keys.verify_access_token(&token), None);
    }
}
