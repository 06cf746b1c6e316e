//! A test's own OpenID Connect provider: a JWKS endpoint on a free port serving the public
//! halves of the test keys, and RS256 access tokens signed with them. Keys can be rotated in
//! while it runs.

use std::sync::{Arc, Mutex};

use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::oidc_keys::{EXPONENT, KEY_A_MODULUS, KEY_A_PEM, KEY_B_MODULUS, KEY_B_PEM};

/// One of the provider's two signing keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningKey {
    A,
    B,
}

impl SigningKey {
    pub fn kid(self) -> &'static str {
        match self {
            SigningKey::A => "test-key-a",
            SigningKey::B => "test-key-b",
        }
    }

    fn pem(self) -> &'static str {
        match self {
            SigningKey::A => KEY_A_PEM,
            SigningKey::B => KEY_B_PEM,
        }
    }

    fn jwk(self) -> Value {
        let modulus = match self {
            SigningKey::A => KEY_A_MODULUS,
            SigningKey::B => KEY_B_MODULUS,
        };
        json!({ "kty": "RSA", "kid": self.kid(), "use": "sig", "alg": "RS256", "n": modulus, "e": EXPONENT })
    }
}

/// A running provider.
pub struct IdentityProvider {
    pub issuer: String,
    pub jwks_url: String,
    published: Arc<Mutex<Vec<SigningKey>>>,
    shutdown: CancellationToken,
}

impl IdentityProvider {
    /// Serves a JWKS with `published` keys.
    pub async fn start(published: &[SigningKey]) -> Self {
        let published = Arc::new(Mutex::new(published.to_vec()));
        let keys = published.clone();
        let app = Router::new().route(
            "/jwks",
            get(move || {
                let keys = keys.clone();
                async move {
                    let keys = keys.lock().expect("published keys");
                    Json(json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() }))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await
        });
        Self {
            issuer: format!("http://{address}/realms/test"),
            jwks_url: format!("http://{address}/jwks"),
            published,
            shutdown,
        }
    }

    /// Publishes another key (a rotation).
    pub fn publish(&self, key: SigningKey) {
        self.published.lock().expect("published keys").push(key);
    }

    /// An access token for `subject`, with extra claims merged over the standard ones.
    pub fn token(&self, key: SigningKey, subject: &str, audience: &str, extra: Value) -> String {
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({
            "iss": self.issuer, "sub": subject, "aud": audience,
            "iat": now, "exp": now + 300,
        });
        if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
            claims.extend(extra.clone());
        }
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid().to_owned());
        encode(
            &header,
            &claims,
            &EncodingKey::from_rsa_pem(key.pem().as_bytes()).expect("a test key"),
        )
        .expect("a signed token")
    }
}

impl Drop for IdentityProvider {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
