//! Password reset by a single-use link sent by mail. The request answers the same whether or
//! not the address is known (the mail goes out in the background, so timing does not tell
//! either); a used reset revokes every refresh token of the account.

use std::time::Duration;

use chrono::Utc;
use sqlx::PgPool;
use uuid::Uuid;

use super::accounts::{check_new_password, parse_email, replace_password};
use super::mail::Mailer;
use super::{passwords, tokens};
use crate::error::{ApiError, ApiResult};

/// How long a reset link works.
pub const LINK_VALID_FOR: Duration = Duration::from_secs(30 * 60);

#[derive(sqlx::FromRow)]
struct ResetRow {
    user_id: Uuid,
    expires_at: chrono::DateTime<Utc>,
    used_at: Option<chrono::DateTime<Utc>>,
}

/// Starts a reset for `email` if an account has it: stores the link's hash and mails the link
/// in the background. Always answers the same.
pub async fn request(pool: &PgPool, mailer: &Mailer, email: &str) -> ApiResult<()> {
    let email = parse_email(email)?;
    let user_id: Option<Uuid> = sqlx::query_scalar("SELECT user_id FROM accounts WHERE email = $1")
        .bind(&email)
        .fetch_optional(pool)
        .await?;
    let Some(user_id) = user_id else {
        return Ok(());
    };
    let (token, hash) = tokens::new_refresh_token();
    let expires_at =
        Utc::now() + chrono::Duration::from_std(LINK_VALID_FOR).map_err(ApiError::internal)?;
    sqlx::query(
        "INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
    )
    .bind(&hash)
    .bind(user_id)
    .bind(expires_at)
    .execute(pool)
    .await?;
    let mailer = mailer.clone();
    tokio::spawn(async move {
        if let Err(error) = mailer
            .send_password_reset(&email, &token, LINK_VALID_FOR)
            .await
        {
            tracing::error!(%user_id, %error, "password reset mail not sent");
        }
    });
    Ok(())
}

/// Sets a new password with a reset link's token: once, before it expires. Every refresh token
/// of the account is revoked in the same transaction.
pub async fn reset(pool: &PgPool, token: &str, new_password: &str) -> ApiResult<Uuid> {
    check_new_password(new_password)?;
    let invalid = || ApiError::Validation("the reset link is invalid, used or expired".into());
    let hash = tokens::hash_refresh_token(token);
    let mut tx = pool.begin().await?;
    let row: ResetRow = sqlx::query_as(
        "SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(invalid)?;
    if row.used_at.is_some() || row.expires_at < Utc::now() {
        return Err(invalid());
    }
    let new_password = new_password.to_owned();
    let new_hash = tokio::task::spawn_blocking(move || passwords::hash(&new_password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    replace_password(&mut tx, row.user_id, &new_hash).await?;
    // This link and every other one still open for the account.
    sqlx::query(
        "UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(row.user_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row.user_id)
}
