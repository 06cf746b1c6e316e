//! Registration, login and refresh-token rotation.

use chrono::Utc;
use sqlx::PgPool;
use uuid::Uuid;

use super::tokens::{self, TokenKeys};
use super::{passwords, two_factor};
use crate::error::{ApiError, ApiResult};
use crate::state::ApiSettings;

/// A registered account as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user_id: Uuid,
    pub email: String,
    pub user_name: String,
    pub role: String,
}

/// Tokens handed to a client after register, login or refresh.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in_seconds: u64,
    pub account: Account,
}

/// Validated registration input.
pub struct Registration {
    pub email: String,
    pub password: String,
    pub user_name: String,
}

impl Registration {
    pub fn parse(email: &str, password: &str, user_name: &str) -> ApiResult<Self> {
        let email = parse_email(email)?;
        check_new_password(password)?;
        let user_name = wayfarer_domain::user::UserName::parse(user_name)
            .map_err(|error| ApiError::Validation(error.to_string()))?
            .into_inner();
        Ok(Self {
            email,
            password: password.to_owned(),
            user_name,
        })
    }
}

/// An email address as accounts store it (trimmed, lower case), or `VALIDATION`.
pub(crate) fn parse_email(email: &str) -> ApiResult<String> {
    let email = email.trim().to_lowercase();
    let valid_email = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.contains(|c: char| c.is_whitespace() || c.is_control());
    if !valid_email {
        return Err(ApiError::Validation("email is not a valid address".into()));
    }
    Ok(email)
}

/// The rule every new password follows.
pub(crate) fn check_new_password(password: &str) -> ApiResult<()> {
    if password.chars().count() < 8 || password.len() > 256 {
        return Err(ApiError::Validation(
            "password must have 8 to 256 characters".into(),
        ));
    }
    Ok(())
}

/// Stores the credentials of a new account (Argon2id hash). `CONFLICT` if the email or the
/// user name is taken.
pub async fn create(pool: &PgPool, registration: &Registration) -> ApiResult<Account> {
    let password = registration.password.clone();
    let hash = tokio::task::spawn_blocking(move || passwords::hash(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let user_id = Uuid::now_v7();
    let inserted = sqlx::query(
        "INSERT INTO accounts (user_id, email, user_name, password_hash) VALUES ($1, $2, $3, $4)",
    )
    .bind(user_id)
    .bind(&registration.email)
    .bind(&registration.user_name)
    .bind(&hash)
    .execute(pool)
    .await;
    if let Err(sqlx::Error::Database(db)) = &inserted {
        if db.code().as_deref() == Some("23505") {
            return Err(ApiError::Conflict(
                "email or userName is already registered".into(),
            ));
        }
    }
    inserted?;
    Ok(Account {
        user_id,
        email: registration.email.clone(),
        user_name: registration.user_name.clone(),
        role: "USER".into(),
    })
}

pub async fn login(
    pool: &PgPool,
    keys: &TokenKeys,
    settings: &ApiSettings,
    email: &str,
    password: &str,
    two_factor_code: Option<&str>,
) -> ApiResult<IssuedTokens> {
    let email = email.trim().to_lowercase();
    if email.len() > 254 || email.contains(char::is_control) {
        // No stored address can look like this (registration refuses it).
        return Err(ApiError::InvalidCredentials);
    }
    let row: Option<(Uuid, String, String, String, String)> = sqlx::query_as(
        "SELECT user_id, email, user_name, role, password_hash FROM accounts WHERE email = $1",
    )
    .bind(&email)
    .fetch_optional(pool)
    .await?;
    let stored = row
        .as_ref()
        .map(|r| r.4.clone())
        .unwrap_or_else(|| passwords::dummy_hash().to_owned());
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || passwords::verify(&password, &stored))
        .await
        .map_err(ApiError::internal)?;
    match row {
        Some((user_id, email, user_name, role, _)) if matches => {
            let mut tx = pool.begin().await?;
            two_factor::verify_sign_in(&mut tx, user_id, &email, two_factor_code).await?;
            let account = Account {
                user_id,
                email,
                user_name,
                role,
            };
            let issued = issue(&mut tx, keys, settings, account, Uuid::now_v7()).await?;
            tx.commit().await?;
            Ok(issued)
        }
        _ => Err(ApiError::InvalidCredentials),
    }
}

/// A signed-in account's credentials, for a password change.
#[derive(sqlx::FromRow)]
struct StoredCredentials {
    email: String,
    user_name: String,
    role: String,
    password_hash: String,
}

/// The email of an account (login throttling is keyed by it).
pub async fn email_of(pool: &PgPool, user_id: Uuid) -> ApiResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT email FROM accounts WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?,
    )
}

/// Refuses a new password that breaks the rule or equals the current one (checked before
/// anything counts as a sign-in attempt).
pub fn validate_password_change(current: &str, new: &str) -> ApiResult<()> {
    check_new_password(new)?;
    if current == new {
        return Err(ApiError::Validation(
            "the new password must differ from the current one".into(),
        ));
    }
    Ok(())
}

/// Replaces the password of `user_id` after checking the current one, revokes every refresh
/// token of the account (every other session must sign in again) and returns tokens of a
/// new family for the caller's session, all in one transaction.
pub async fn change_password(
    pool: &PgPool,
    keys: &TokenKeys,
    settings: &ApiSettings,
    user_id: Uuid,
    current: &str,
    new: &str,
) -> ApiResult<IssuedTokens> {
    validate_password_change(current, new)?;
    let mut tx = pool.begin().await?;
    let stored: StoredCredentials = sqlx::query_as(
        "SELECT email, user_name, role, password_hash FROM accounts WHERE user_id = $1 FOR UPDATE",
    )
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ApiError::Unauthenticated)?;
    let (current, new) = (current.to_owned(), new.to_owned());
    let stored_hash = stored.password_hash.clone();
    let new_hash = tokio::task::spawn_blocking(move || {
        passwords::verify(&current, &stored_hash).then(|| passwords::hash(&new))
    })
    .await
    .map_err(ApiError::internal)?
    .ok_or(ApiError::InvalidCredentials)?
    .map_err(ApiError::internal)?;
    replace_password(&mut tx, user_id, &new_hash).await?;
    let account = Account {
        user_id,
        email: stored.email,
        user_name: stored.user_name,
        role: stored.role,
    };
    let issued = issue(&mut tx, keys, settings, account, Uuid::now_v7()).await?;
    tx.commit().await?;
    Ok(issued)
}

/// Stores a new password hash and revokes every refresh token of the account (every session
/// must sign in again), in the caller's transaction.
pub(crate) async fn replace_password(
    tx: &mut sqlx::PgConnection,
    user_id: Uuid,
    password_hash: &str,
) -> ApiResult<()> {
    sqlx::query("UPDATE accounts SET password_hash = $2 WHERE user_id = $1")
        .bind(user_id)
        .bind(password_hash)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Exchanges a refresh token for a new pair. The old token is spent; presenting a spent token
/// again revokes its whole family, since only a thief or a replay would do that.
#[derive(sqlx::FromRow)]
struct StoredRefreshToken {
    user_id: Uuid,
    family_id: Uuid,
    expires_at: chrono::DateTime<Utc>,
    rotated_at: Option<chrono::DateTime<Utc>>,
    revoked_at: Option<chrono::DateTime<Utc>>,
}

pub async fn refresh(
    pool: &PgPool,
    keys: &TokenKeys,
    settings: &ApiSettings,
    refresh_token: &str,
) -> ApiResult<IssuedTokens> {
    let hash = tokens::hash_refresh_token(refresh_token);
    let mut tx = pool.begin().await?;
    let row: Option<StoredRefreshToken> = sqlx::query_as(
        "SELECT user_id, family_id, expires_at, rotated_at, revoked_at FROM refresh_tokens \
             WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(StoredRefreshToken {
        user_id,
        family_id,
        expires_at,
        rotated_at,
        revoked_at,
    }) = row
    else {
        return Err(ApiError::InvalidCredentials);
    };
    if rotated_at.is_some() || revoked_at.is_some() {
        sqlx::query("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL")
            .bind(family_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::warn!(user_id = %user_id, "refresh token reused; family revoked");
        return Err(ApiError::InvalidCredentials);
    }
    if expires_at < Utc::now() {
        return Err(ApiError::InvalidCredentials);
    }
    sqlx::query("UPDATE refresh_tokens SET rotated_at = now() WHERE token_hash = $1")
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
    // On the transaction's connection: a second pool connection per refresh, while the first
    // holds the token's lock, could exhaust the pool under concurrent refreshes.
    let account = find(&mut *tx, user_id)
        .await?
        .ok_or(ApiError::InvalidCredentials)?;
    // The successor is stored in the rotation's transaction: a concurrent replay of the old
    // token waits on its row lock, then finds it rotated and revokes the whole family,
    // this successor included.
    let issued = issue(&mut tx, keys, settings, account, family_id).await?;
    tx.commit().await?;
    Ok(issued)
}

pub async fn find(pool: impl sqlx::PgExecutor<'_>, user_id: Uuid) -> ApiResult<Option<Account>> {
    let row: Option<(Uuid, String, String, String)> =
        sqlx::query_as("SELECT user_id, email, user_name, role FROM accounts WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(user_id, email, user_name, role)| Account {
        user_id,
        email,
        user_name,
        role,
    }))
}

/// Tokens for a fresh sign-in: a new refresh-token family.
pub(crate) async fn issue_new_family(
    pool: &PgPool,
    keys: &TokenKeys,
    settings: &ApiSettings,
    account: Account,
) -> ApiResult<IssuedTokens> {
    let mut connection = pool.acquire().await?;
    issue(&mut connection, keys, settings, account, Uuid::now_v7()).await
}

async fn issue(
    connection: &mut sqlx::PgConnection,
    keys: &TokenKeys,
    settings: &ApiSettings,
    account: Account,
    family_id: Uuid,
) -> ApiResult<IssuedTokens> {
    let (refresh_token, hash) = tokens::new_refresh_token();
    let expires_at = Utc::now()
        + chrono::Duration::from_std(settings.refresh_token_ttl).map_err(ApiError::internal)?;
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&hash)
    .bind(account.user_id)
    .bind(family_id)
    .bind(expires_at)
    .execute(connection)
    .await?;
    Ok(IssuedTokens {
        access_token: keys.issue_access_token(account.user_id, settings.access_token_ttl),
        refresh_token,
        expires_in_seconds: settings.access_token_ttl.as_secs(),
        account,
    })
}
