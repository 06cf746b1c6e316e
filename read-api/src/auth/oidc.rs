//! Access tokens from external identity providers (OpenID Connect: Keycloak, social logins):
//! RS256 tokens of configured issuers, checked against each issuer's JWKS. Keys are cached
//! and fetched again when a token names an unknown `kid` (a key rotation), at most once per
//! issuer a second so that forged `kid`s cannot make us hammer the provider.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// One trusted issuer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OidcIssuer {
    /// The `iss` its tokens carry.
    pub issuer: String,
    /// The `aud` our tokens must carry.
    pub audience: String,
    /// Where its signing keys are published.
    pub jwks_url: String,
}

/// The least time between two key fetches of one issuer.
const REFETCH_AFTER: Duration = Duration::from_secs(1);
/// Keys are fetched again after this long even if no token names an unknown one, so a key
/// the provider withdrew stops working here too.
const KEYS_TRUSTED_FOR: Duration = Duration::from_secs(3600);
/// Clock skew allowed on `exp` and `nbf`, in seconds.
const LEEWAY_SECS: u64 = 5;

/// What a verified external token says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExternalClaims {
    #[serde(rename = "iss")]
    pub issuer: String,
    #[serde(rename = "sub")]
    pub subject: String,
    #[serde(rename = "exp")]
    pub expires_at: i64,
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
    pub preferred_username: Option<String>,
}

#[derive(Deserialize)]
struct UnverifiedIssuer {
    iss: String,
}

struct CachedKeys {
    keys: JwkSet,
    /// When `keys` were fetched (they are trusted for [`KEYS_TRUSTED_FOR`]).
    fetched_at: Instant,
    /// The last fetch, whether or not it worked (for the rate limit).
    attempted_at: Instant,
}

/// Verifies external tokens; one per API process.
pub struct OidcVerifier {
    issuers: Vec<OidcIssuer>,
    http: reqwest::Client,
    keys: Mutex<HashMap<String, CachedKeys>>,
}

impl OidcVerifier {
    pub fn new(issuers: Vec<OidcIssuer>) -> Self {
        Self {
            issuers,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .no_proxy()
                .build()
                .expect("a plain HTTP client builds"),
            keys: Mutex::default(),
        }
    }

    /// The claims of a valid RS256 token of a configured issuer; `None` for anything else.
    pub async fn verify(&self, token: &str) -> Option<ExternalClaims> {
        let header = decode_header(token).ok()?;
        if header.alg != Algorithm::RS256 {
            return None;
        }
        let kid = header.kid?;
        let issuer = self.issuer_of(token)?;
        let key = match self.cached_key(&issuer.issuer, &kid) {
            Some(key) => key,
            None => {
                self.refresh(issuer).await;
                self.cached_key(&issuer.issuer, &kid)?
            }
        };
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&issuer.issuer]);
        validation.set_audience(&[&issuer.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        decode::<ExternalClaims>(token, &key, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// The configured issuer the token claims to come from (checked again by the signature).
    fn issuer_of(&self, token: &str) -> Option<&OidcIssuer> {
        let payload = token.split('.').nth(1)?;
        let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let claimed: UnverifiedIssuer = serde_json::from_slice(&bytes).ok()?;
        self.issuers
            .iter()
            .find(|known| known.issuer == claimed.iss)
    }

    fn cached_key(&self, issuer: &str, kid: &str) -> Option<DecodingKey> {
        let keys = self.keys.lock().expect("jwks cache lock");
        let cached = keys.get(issuer)?;
        if cached.fetched_at.elapsed() > KEYS_TRUSTED_FOR {
            return None;
        }
        let jwk = cached.keys.find(kid)?;
        DecodingKey::from_jwk(jwk).ok()
    }

    /// Fetches the issuer's keys unless that was done a moment ago.
    async fn refresh(&self, issuer: &OidcIssuer) {
        let recent = self
            .keys
            .lock()
            .expect("jwks cache lock")
            .get(&issuer.issuer)
            .is_some_and(|cached| cached.attempted_at.elapsed() < REFETCH_AFTER);
        if recent {
            return;
        }
        let fetched = async {
            self.http
                .get(&issuer.jwks_url)
                .send()
                .await?
                .error_for_status()?
                .json::<JwkSet>()
                .await
        }
        .await;
        match fetched {
            Ok(keys) => {
                self.keys.lock().expect("jwks cache lock").insert(
                    issuer.issuer.clone(),
                    CachedKeys {
                        keys,
                        fetched_at: Instant::now(),
                        attempted_at: Instant::now(),
                    },
                );
            }
            Err(error) => {
                tracing::warn!(issuer = %issuer.issuer, %error, "JWKS not fetched");
                // Count the attempt, so a provider that is down is not asked on every token.
                let mut keys = self.keys.lock().expect("jwks cache lock");
                let cached = keys
                    .entry(issuer.issuer.clone())
                    .or_insert_with(|| CachedKeys {
                        // No keys: nothing verifies until a fetch works.
                        keys: JwkSet { keys: Vec::new() },
                        fetched_at: Instant::now(),
                        attempted_at: Instant::now(),
                    });
                cached.attempted_at = Instant::now();
            }
        }
    }
}
