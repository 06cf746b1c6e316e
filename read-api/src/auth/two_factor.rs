//! Two-factor sign-in with TOTP (RFC 6238, 6 digits, 30 s steps, SHA-1 as authenticator apps
//! expect) and single-use recovery codes. The secret is a credential: it stays in its own
//! table, never in an event. A code is accepted once: the step it belongs to is remembered
//! and no code of that step or an earlier one is accepted again.

use rand::Rng;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use totp_rs::{Algorithm, Secret, TOTP};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

const ISSUER: &str = "Wayfarer";
const STEP_SECONDS: u64 = 30;
/// Codes of the neighbouring steps are accepted too (clocks drift).
const SKEW_STEPS: i64 = 1;
/// Recovery codes handed out when two-factor sign-in is confirmed.
const RECOVERY_CODES: usize = 10;
/// Recovery codes use this alphabet (no 0/O or 1/I to misread).
const RECOVERY_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// What `enableTwoFactor` hands out: the secret for an authenticator app.
#[derive(Debug, Clone)]
pub struct Setup {
    pub otpauth_uri: String,
    pub secret: String,
}

#[derive(sqlx::FromRow)]
struct StoredSecret {
    secret: Vec<u8>,
    confirmed: bool,
    last_step: i64,
}

fn totp(secret: Vec<u8>, account: &str) -> ApiResult<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        SKEW_STEPS as u8,
        STEP_SECONDS,
        secret,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .map_err(ApiError::internal)
}

fn invalid_code() -> ApiError {
    ApiError::Validation("the code is not valid".to_owned())
}

fn hash_recovery_code(code: &str) -> Vec<u8> {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    Sha256::digest(normalized.as_bytes()).to_vec()
}

fn new_recovery_code() -> String {
    let mut rng = rand::rng();
    let mut code = String::with_capacity(11);
    for i in 0..10 {
        if i == 5 {
            code.push('-');
        }
        code.push(RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())] as char);
    }
    code
}

async fn stored(connection: &mut PgConnection, user_id: Uuid) -> ApiResult<Option<StoredSecret>> {
    Ok(sqlx::query_as(
        "SELECT secret, confirmed_at IS NOT NULL AS confirmed, last_step FROM two_factor \
         WHERE user_id = $1 FOR UPDATE",
    )
    .bind(user_id)
    .fetch_optional(connection)
    .await?)
}

/// Whether the account signs in with a second factor.
pub async fn is_enabled(pool: &PgPool, user_id: Uuid) -> ApiResult<bool> {
    let enabled: Option<bool> =
        sqlx::query_scalar("SELECT confirmed_at IS NOT NULL FROM two_factor WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    Ok(enabled.unwrap_or(false))
}

/// Starts (or restarts) enrolment with a fresh secret. `CONFLICT` once it is confirmed.
pub async fn enable(pool: &PgPool, user_id: Uuid, account: &str) -> ApiResult<Setup> {
    let secret = Secret::generate_secret()
        .to_bytes()
        .map_err(ApiError::internal)?;
    let totp = totp(secret.clone(), account)?;
    let written = sqlx::query(
        "INSERT INTO two_factor (user_id, secret) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0, \
         created_at = now() WHERE two_factor.confirmed_at IS NULL",
    )
    .bind(user_id)
    .bind(&secret)
    .execute(pool)
    .await?
    .rows_affected();
    if written == 0 {
        return Err(ApiError::Conflict(
            "two-factor sign-in is on already; disable it first".to_owned(),
        ));
    }
    Ok(Setup {
        otpauth_uri: totp.get_url(),
        secret: totp.get_secret_base32(),
    })
}

/// The step of a valid code near `now` that is later than `last_step`, if any.
fn matching_step(totp: &TOTP, code: &str, last_step: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let now = chrono::Utc::now().timestamp();
    let current = now / STEP_SECONDS as i64;
    (current - SKEW_STEPS..=current + SKEW_STEPS)
        .filter(|step| *step > last_step)
        .find(|step| {
            let expected = totp.generate((*step as u64) * STEP_SECONDS);
            // Constant time: compare every byte.
            expected
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
        })
}

/// Confirms enrolment with a code from the app; returns the recovery codes (shown once).
pub async fn confirm(
    pool: &PgPool,
    user_id: Uuid,
    account: &str,
    code: &str,
) -> ApiResult<Vec<String>> {
    let mut tx = pool.begin().await?;
    let stored = stored(&mut tx, user_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("start with enableTwoFactor".to_owned()))?;
    if stored.confirmed {
        return Err(ApiError::Conflict(
            "two-factor sign-in is on already".to_owned(),
        ));
    }
    let step = matching_step(&totp(stored.secret, account)?, code, stored.last_step)
        .ok_or_else(invalid_code)?;
    sqlx::query("UPDATE two_factor SET confirmed_at = now(), last_step = $2 WHERE user_id = $1")
        .bind(user_id)
        .bind(step)
        .execute(&mut *tx)
        .await?;
    forget_recovery_codes(&mut tx, user_id).await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    for code in &codes {
        sqlx::query("INSERT INTO two_factor_recovery_codes (code_hash, user_id) VALUES ($1, $2)")
            .bind(hash_recovery_code(code))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(codes)
}

/// Checks the second factor of a sign-in (or of turning it off): a current code from the app,
/// or an unused recovery code, each accepted once. `Ok(false)` when the account has none.
async fn check(
    connection: &mut PgConnection,
    user_id: Uuid,
    account: &str,
    code: Option<&str>,
) -> ApiResult<bool> {
    let Some(stored) = stored(&mut *connection, user_id).await? else {
        return Ok(false);
    };
    if !stored.confirmed {
        return Ok(false);
    }
    let code = code.ok_or(ApiError::TwoFactorRequired)?;
    if let Some(step) = matching_step(&totp(stored.secret, account)?, code, stored.last_step) {
        sqlx::query("UPDATE two_factor SET last_step = $2 WHERE user_id = $1")
            .bind(user_id)
            .bind(step)
            .execute(&mut *connection)
            .await?;
        return Ok(true);
    }
    let used = sqlx::query(
        "UPDATE two_factor_recovery_codes SET used_at = now() \
         WHERE code_hash = $1 AND user_id = $2 AND used_at IS NULL",
    )
    .bind(hash_recovery_code(code))
    .bind(user_id)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if used == 1 {
        return Ok(true);
    }
    Err(ApiError::InvalidCredentials)
}

/// The second step of a sign-in: passes when the account has no second factor or `code` is
/// valid; `TwoFactorRequired` without a code, `InvalidCredentials` with a wrong one.
pub async fn verify_sign_in(
    connection: &mut PgConnection,
    user_id: Uuid,
    account: &str,
    code: Option<&str>,
) -> ApiResult<()> {
    check(connection, user_id, account, code).await.map(|_| ())
}

/// Turns two-factor sign-in off, with a current code or a recovery code.
pub async fn disable(pool: &PgPool, user_id: Uuid, account: &str, code: &str) -> ApiResult<()> {
    let mut tx = pool.begin().await?;
    match check(&mut tx, user_id, account, Some(code)).await {
        Ok(true) => {}
        Ok(false) => {
            return Err(ApiError::NotFound(
                "two-factor sign-in is not on".to_owned(),
            ))
        }
        Err(ApiError::InvalidCredentials) => return Err(invalid_code()),
        Err(error) => return Err(error),
    }
    sqlx::query("DELETE FROM two_factor WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    forget_recovery_codes(&mut tx, user_id).await?;
    tx.commit().await?;
    Ok(())
}

async fn forget_recovery_codes(connection: &mut PgConnection, user_id: Uuid) -> ApiResult<()> {
    sqlx::query("DELETE FROM two_factor_recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(connection)
        .await?;
    Ok(())
}
