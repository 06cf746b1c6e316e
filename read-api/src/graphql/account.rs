//! Accounts: registration, sign-in, passwords and token refresh. The profile is in
//! [`super::people`].

use async_graphql::{Context, Object};
use uuid::Uuid;

use super::context::{caller, require_caller, state};
use super::resolve::resolve;
use super::types::{AuthPayload, Position, TwoFactorSetup};
use crate::auth::accounts::{self, Registration};
use crate::auth::replay::{self, RequestKey};
use crate::auth::throttle::LoginAttempt;
use crate::auth::ClientAddress;
use crate::auth::{password_reset, two_factor};
use crate::error::ApiError;
use crate::people::access::check_standing;
use crate::people::commands as people;

/// The API state, the signed-in caller and their email (what account operations key on).
async fn signed_in_account<'a>(
    ctx: &Context<'a>,
) -> Result<(&'a crate::state::ApiState, uuid::Uuid, String), ApiError> {
    let api = state(ctx);
    let user_id = require_caller(ctx)?;
    let email = accounts::email_of(&api.pool, user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    Ok((api, user_id, email))
}

/// A guess of a two-factor code, counted like a sign-in attempt of the account.
fn code_attempt(ctx: &Context<'_>, api: &crate::state::ApiState, email: &str) -> LoginAttempt {
    let address = ctx.data_opt::<ClientAddress>().map(|a| a.0);
    LoginAttempt::new(&api.names.redis_prefix, email, address)
}

/// The person an answer with tokens belongs to (its key seals the stored answer).
fn signed_in(payload: &AuthPayload) -> Option<uuid::Uuid> {
    Some(payload.user.id)
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account and signs it in.
    async fn register(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        user_name: String,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<AuthPayload> {
        let api = state(ctx);
        let request = RequestKey::of(ctx, api, idempotency_key);
        resolve(replay::once(api, request, signed_in, async move {
            let registration = Registration::parse(&email, &password, &user_name)?;
            let registered = people::register(api, registration).await?;
            let mut payload = AuthPayload::from(registered.tokens);
            payload.position = Some(Position(registered.position));
            Ok(payload)
        }))
        .await
    }

    /// Signs in with email and password, and `twoFactorCode` (from the authenticator app, or
    /// a recovery code) if the account has two-factor sign-in: without it the answer is
    /// `UNAUTHENTICATED` with `extensions.twoFactorRequired`. Attempts are limited per account
    /// and per client address (`TOO_MANY_REQUESTS` with `extensions.retryAfter` in seconds).
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        two_factor_code: Option<String>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<AuthPayload> {
        let api = state(ctx);
        let request = RequestKey::of(ctx, api, idempotency_key);
        resolve(replay::once(api, request, signed_in, async move {
            let address = ctx.data_opt::<ClientAddress>().map(|a| a.0);
            let attempt = LoginAttempt::new(&api.names.redis_prefix, &email, address);
            attempt.admit(&api.redis).await?;
            let issued = accounts::login(
                &api.pool,
                &api.keys,
                &api.settings,
                &email,
                &password,
                two_factor_code.as_deref(),
            )
            .await?;
            attempt.succeeded(&api.redis).await;
            check_standing(&api.pool, issued.account.user_id).await?;
            Ok(issued.into())
        }))
        .await
    }

    /// Replaces the signed-in user's password. Every refresh token of the account is revoked
    /// (other sessions must sign in again); the answer carries tokens for this session.
    /// Wrong current passwords count against the same limits as `login`.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<AuthPayload> {
        let api = state(ctx);
        let request = RequestKey::of(ctx, api, idempotency_key);
        resolve(replay::once(api, request, signed_in, async move {
            let user_id = require_caller(ctx)?;
            accounts::validate_password_change(&current_password, &new_password)?;
            let email = accounts::email_of(&api.pool, user_id)
                .await?
                .ok_or(ApiError::Unauthenticated)?;
            let address = ctx.data_opt::<ClientAddress>().map(|a| a.0);
            let attempt = LoginAttempt::new(&api.names.redis_prefix, &email, address);
            attempt.admit(&api.redis).await?;
            let issued = accounts::change_password(
                &api.pool,
                &api.keys,
                &api.settings,
                user_id,
                &current_password,
                &new_password,
            )
            .await?;
            attempt.succeeded(&api.redis).await;
            crate::people::commands::record_password_change(api, user_id, false).await;
            Ok(issued.into())
        }))
        .await
    }

    /// Mails a single-use link (valid 30 minutes) that resets the password of the account
    /// with this email. Answers `true` whether or not such an account exists. At most three
    /// requests per address typed and ten per client in fifteen minutes (`TOO_MANY_REQUESTS`).
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        email: String,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<bool> {
        let api = state(ctx);
        let request = RequestKey::of(ctx, api, idempotency_key);
        resolve(replay::once(api, request, |_| None, async move {
            let address = ctx.data_opt::<ClientAddress>().map(|a| a.0);
            LoginAttempt::password_reset(&api.names.redis_prefix, &email, address)
                .admit(&api.redis)
                .await?;
            password_reset::request(&api.pool, &api.mailer, &email).await?;
            Ok(true)
        }))
        .await
    }

    /// Sets a new password with the token of a reset link (once, before it expires). Every
    /// refresh token of the account is revoked; sign in with the new password.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<bool> {
        let api = state(ctx);
        let request = RequestKey::of(ctx, api, idempotency_key);
        resolve(replay::once(api, request, |_| None, async move {
            let user_id = password_reset::reset(&api.pool, &token, &new_password).await?;
            crate::people::commands::record_password_change(api, user_id, true).await;
            Ok(true)
        }))
        .await
    }

    /// Starts two-factor sign-in: a fresh secret for an authenticator app (scan the otpauth
    /// URI). It takes effect with `confirmTwoFactor`; calling this again replaces an
    /// unconfirmed secret. `CONFLICT` while two-factor sign-in is on.
    async fn enable_two_factor(
        &self,
        ctx: &Context<'_>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<TwoFactorSetup> {
        let request = RequestKey::of(ctx, state(ctx), idempotency_key);
        let me = caller(ctx);
        resolve(replay::once(state(ctx), request, |_| me, async move {
            let (api, user_id, email) = signed_in_account(ctx).await?;
            let setup = two_factor::enable(&api.pool, user_id, &email).await?;
            Ok(TwoFactorSetup {
                otpauth_uri: setup.otpauth_uri,
                secret: setup.secret,
            })
        }))
        .await
    }

    /// Turns two-factor sign-in on with a code from the app. Answers ten single-use recovery
    /// codes, shown only this once.
    async fn confirm_two_factor(
        &self,
        ctx: &Context<'_>,
        code: String,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<Vec<String>> {
        let request = RequestKey::of(ctx, state(ctx), idempotency_key);
        let me = caller(ctx);
        resolve(replay::once(state(ctx), request, |_| me, async move {
            let (api, user_id, email) = signed_in_account(ctx).await?;
            // Codes are guesses like passwords: counted against the same limits.
            let attempt = code_attempt(ctx, api, &email);
            attempt.admit(&api.redis).await?;
            let codes = two_factor::confirm(&api.pool, user_id, &email, &code).await?;
            attempt.succeeded(&api.redis).await;
            Ok(codes)
        }))
        .await
    }

    /// Turns two-factor sign-in off, with a current code or a recovery code.
    async fn disable_two_factor(
        &self,
        ctx: &Context<'_>,
        code: String,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<bool> {
        let request = RequestKey::of(ctx, state(ctx), idempotency_key);
        resolve(replay::once(state(ctx), request, |_| None, async move {
            let (api, user_id, email) = signed_in_account(ctx).await?;
            let attempt = code_attempt(ctx, api, &email);
            attempt.admit(&api.redis).await?;
            two_factor::disable(&api.pool, user_id, &email, &code).await?;
            attempt.succeeded(&api.redis).await;
            Ok(true)
        }))
        .await
    }

    /// Exchanges a refresh token for a new access and refresh token (the old one is spent).
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<AuthPayload> {
        let api = state(ctx);
        let request = RequestKey::of(ctx, api, idempotency_key);
        resolve(replay::once(api, request, signed_in, async move {
            let issued =
                accounts::refresh(&api.pool, &api.keys, &api.settings, &refresh_token).await?;
            check_standing(&api.pool, issued.account.user_id).await?;
            Ok(issued.into())
        }))
        .await
    }
}
