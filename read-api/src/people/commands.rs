//! Running user commands: registration (credentials row plus first event), commands of the
//! signed-in caller, and the account-side effects of deletion and bans.

use async_graphql::Context;
use sqlx::PgPool;
use uuid::Uuid;
use wayfarer_commands::{CommandOutcome, CommandRequest};
use wayfarer_domain::{UserCommand, UserContext};
use wayfarer_schemas::EventMetadata;

use super::access::Viewer;
use crate::auth::accounts::{self, IssuedTokens, Registration};
use crate::error::{ApiError, ApiResult};
use crate::graphql::resolve::{now, Invocation};
use crate::state::ApiState;

/// What registration returns: tokens, and the position of the person's first event (pass it as
/// `after` to read the new profile).
pub struct Registered {
    pub tokens: IssuedTokens,
    pub position: i64,
}

/// Creates the credentials row, then records the person's registration. If the event cannot
/// be stored the row is removed again, so an account never exists without its user.
pub async fn register(api: &ApiState, registration: Registration) -> ApiResult<Registered> {
    let account = accounts::create(&api.pool, &registration).await?;
    let user_id = account.user_id;
    let recorded = record_registration(api, user_id, &account.user_name).await;
    let outcome = match recorded {
        Ok(outcome) => outcome,
        Err(error) => {
            if let Err(cleanup) = remove_credentials(&api.pool, user_id).await {
                tracing::error!(%user_id, error = %cleanup, "orphaned account not removed");
            }
            return Err(error.into());
        }
    };
    let tokens = accounts::issue_new_family(&api.pool, &api.keys, &api.settings, account).await?;
    Ok(Registered {
        tokens,
        position: outcome.position,
    })
}

/// Runs a command on `user_id`'s aggregate with the person as its actor, outside any GraphQL
/// invocation (their registration, a change to their credentials).
async fn execute_as_self(
    api: &ApiState,
    user_id: Uuid,
    build: impl FnOnce(UserContext) -> UserCommand,
) -> Result<CommandOutcome, wayfarer_commands::CommandError<wayfarer_domain::UserError>> {
    let command_id = Uuid::now_v7();
    api.users
        .execute(CommandRequest {
            aggregate_id: user_id.to_string(),
            command: build(UserContext {
                actor: user_id,
                actor_role: wayfarer_schemas::Role::User,
                now: now(),
            }),
            metadata: EventMetadata {
                actor: Some(user_id),
                command_id,
                correlation_id: command_id,
                causation_id: command_id,
            },
            idempotency: None,
        })
        .await
}

/// Records the registration event of an account (the person is the actor).
async fn record_registration(
    api: &ApiState,
    user_id: Uuid,
    user_name: &str,
) -> Result<CommandOutcome, wayfarer_commands::CommandError<wayfarer_domain::UserError>> {
    execute_as_self(api, user_id, |context| UserCommand::Register {
        context,
        user_id,
        user_name: user_name.to_owned(),
    })
    .await
}

/// Records that `user_id`'s password was changed (for the security notice). The password is
/// already changed when this runs and stays changed should the record fail: that is logged,
/// and the person still has the answer to their own request.
pub async fn record_password_change(api: &ApiState, user_id: Uuid, by_reset: bool) {
    let recorded = execute_as_self(api, user_id, |context| UserCommand::RecordPasswordChange {
        context,
        by_reset,
    })
    .await;
    if let Err(error) = recorded {
        tracing::error!(%user_id, %error, "a password change was not recorded; no notice goes out");
    }
}

/// Records the registration of every account that has none yet (accounts created before
/// users were event-sourced). Returns how many were recorded.
pub async fn register_existing_accounts(api: &ApiState) -> ApiResult<usize> {
    #[derive(sqlx::FromRow)]
    struct Unregistered {
        user_id: Uuid,
        user_name: String,
    }
    let accounts: Vec<Unregistered> = sqlx::query_as(
        "SELECT a.user_id, a.user_name FROM accounts a WHERE NOT EXISTS \
         (SELECT 1 FROM events e WHERE e.aggregate_type = 'user' \
          AND e.aggregate_id = a.user_id::text)",
    )
    .fetch_all(&api.pool)
    .await?;
    for account in &accounts {
        record_registration(api, account.user_id, &account.user_name).await?;
    }
    Ok(accounts.len())
}

/// Runs one command on `user_id`'s aggregate for the signed-in caller, with their role.
pub async fn run(
    ctx: &Context<'_>,
    api: &ApiState,
    idempotency_key: Option<Uuid>,
    user_id: Uuid,
    build: impl FnOnce(UserContext) -> ApiResult<UserCommand>,
) -> ApiResult<CommandOutcome> {
    let invocation = Invocation::new(ctx, idempotency_key)?;
    let viewer = Viewer::of(&api.pool, Some(invocation.actor)).await?;
    let command = build(UserContext {
        actor: invocation.actor,
        actor_role: viewer.role,
        now: invocation.now,
    })?;
    invocation.execute(&api.users, user_id, command).await
}

/// Removes an account's credentials (email, password hash, sessions, reset links): after
/// `deleteUser` nobody can sign in as the person, and the email and user name are free.
pub async fn remove_credentials(pool: &PgPool, user_id: Uuid) -> ApiResult<()> {
    let mut tx = pool.begin().await?;
    for statement in [
        "DELETE FROM refresh_tokens WHERE user_id = $1",
        "DELETE FROM password_resets WHERE user_id = $1",
        "DELETE FROM accounts WHERE user_id = $1",
    ] {
        sqlx::query(statement)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Ends a person for good after their `UserDeleted` or `UserForgotten` event: their data key
/// is destroyed (their personal data in every event becomes unreadable), their credentials
/// removed, and, once the model shows it, every API node cuts their subscriptions.
/// Idempotent, so a failed step is finished by asking again.
pub async fn erase(api: &ApiState, user_id: Uuid, outcome: &CommandOutcome) -> ApiResult<()> {
    let mut connection = api.pool.acquire().await?;
    api.vault
        .forget(&mut connection, user_id)
        .await
        .map_err(ApiError::internal)?;
    drop(connection);
    remove_credentials(&api.pool, user_id).await?;
    if outcome.position > 0 {
        api.read_your_write(&[wayfarer_projections::user::pg::NAME], outcome.position)
            .await?;
    }
    announce_access_revoked(api, user_id).await;
    Ok(())
}

/// Revokes every refresh token of the person (a ban ends their sessions).
pub async fn revoke_sessions(pool: &PgPool, user_id: Uuid) -> ApiResult<()> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Tells every API node that the person's access ended: their open subscriptions close.
/// Subscriptions also look again on their own, so a lost message only delays the cut.
pub async fn announce_access_revoked(api: &ApiState, user_id: Uuid) {
    let channel = api.names.user_access_channel(user_id);
    let published: Result<(), ApiError> = async {
        let mut connection = api
            .redis
            .get()
            .await
            .map_err(|error| ApiError::Unavailable(error.to_string()))?;
        redis::cmd("PUBLISH")
            .arg(&channel)
            .arg("revoked")
            .query_async::<()>(&mut *connection)
            .await
            .map_err(|error| ApiError::Unavailable(error.to_string()))
    }
    .await;
    if let Err(error) = published {
        tracing::warn!(%user_id, %error, "access revocation not announced; subscriptions will notice on their next check");
    }
}

/// Reserves a new user name on the credentials row (unique ignoring case), before the event
/// that changes it. `CONFLICT` if someone else holds it.
pub async fn reserve_user_name(pool: &PgPool, user_id: Uuid, user_name: &str) -> ApiResult<()> {
    let updated = sqlx::query("UPDATE accounts SET user_name = $2 WHERE user_id = $1")
        .bind(user_id)
        .bind(user_name)
        .execute(pool)
        .await;
    match updated {
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("23505") => Err(
            ApiError::Conflict("this userName is already taken".to_owned()),
        ),
        other => {
            other?;
            Ok(())
        }
    }
}

/// Makes the account with `email` an admin, acting as the platform itself (the bootstrap of
/// the first admin, `wayfarer users create-admin`). Returns the person's id and the position
/// written (0 if they were admin already).
pub async fn promote_to_admin(api: &ApiState, email: &str) -> ApiResult<(Uuid, i64)> {
    let email = accounts::parse_email(email)?;
    let user_id: Uuid = sqlx::query_scalar("SELECT user_id FROM accounts WHERE email = $1")
        .bind(&email)
        .fetch_optional(&api.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no account has the email {email}")))?;
    register_existing_accounts(api).await?;
    let command_id = Uuid::now_v7();
    let outcome = api
        .users
        .execute(CommandRequest {
            aggregate_id: user_id.to_string(),
            command: UserCommand::AssignRole {
                context: UserContext {
                    actor: Uuid::nil(),
                    actor_role: wayfarer_schemas::Role::Admin,
                    now: now(),
                },
                role: wayfarer_schemas::Role::Admin,
                other_admins: 0,
            },
            metadata: EventMetadata {
                actor: None,
                command_id,
                correlation_id: command_id,
                causation_id: command_id,
            },
            idempotency: None,
        })
        .await?;
    Ok((user_id, outcome.position))
}

/// The person an external identity belongs to, provisioned on their first token: an account
/// that has no password (it signs in through its provider only), the provider's verified email
/// if it is free, a user name from `preferred_username` if it is valid and free, and the
/// registration event.
pub async fn provision_external(
    api: &ApiState,
    claims: &crate::auth::oidc::ExternalClaims,
) -> ApiResult<Uuid> {
    let known = "SELECT user_id FROM external_identities WHERE issuer = $1 AND subject = $2";
    if let Some(user_id) = sqlx::query_scalar(known)
        .bind(&claims.issuer)
        .bind(&claims.subject)
        .fetch_optional(&api.pool)
        .await?
    {
        return Ok(user_id);
    }
    let user_id = Uuid::now_v7();
    let short = &user_id.simple().to_string()[24..];
    let email = claims
        .email
        .as_deref()
        .filter(|_| claims.email_verified)
        .and_then(|email| accounts::parse_email(email).ok());
    let user_name = claims
        .preferred_username
        .as_deref()
        .and_then(|name| wayfarer_domain::user::UserName::parse(name).ok())
        .map(|name| name.into_inner());
    let mut tx = api.pool.begin().await?;
    // Taken email or name: fall back to ones nobody can hold.
    let free = |column: &'static str, value: Option<String>| {
        let pool = api.pool.clone();
        async move {
            let Some(value) = value else {
                return Ok::<_, ApiError>(None);
            };
            let taken: bool = sqlx::query_scalar(&format!(
                "SELECT EXISTS (SELECT 1 FROM accounts WHERE lower({column}) = lower($1))"
            ))
            .bind(&value)
            .fetch_one(&pool)
            .await?;
            Ok((!taken).then_some(value))
        }
    };
    let email = free("email", email)
        .await?
        .unwrap_or_else(|| format!("{user_id}@external.invalid"));
    let user_name = free("user_name", user_name)
        .await?
        .unwrap_or_else(|| format!("traveller-{short}"));
    sqlx::query(
        "INSERT INTO accounts (user_id, email, user_name, password_hash) VALUES ($1, $2, $3, '!')",
    )
    .bind(user_id)
    .bind(&email)
    .bind(&user_name)
    .execute(&mut *tx)
    .await?;
    let linked = sqlx::query(
        "INSERT INTO external_identities (issuer, subject, user_id) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&claims.issuer)
    .bind(&claims.subject)
    .bind(user_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if linked == 0 {
        // A concurrent first request provisioned this identity: use theirs.
        drop(tx);
        return sqlx::query_scalar(known)
            .bind(&claims.issuer)
            .bind(&claims.subject)
            .fetch_one(&api.pool)
            .await
            .map_err(Into::into);
    }
    tx.commit().await?;
    if let Err(error) = record_registration(api, user_id, &user_name).await {
        if let Err(cleanup) = remove_credentials(&api.pool, user_id).await {
            tracing::error!(%user_id, error = %cleanup, "orphaned external account not removed");
        }
        return Err(error.into());
    }
    Ok(user_id)
}

/// Finishes erasures that stopped half way (the event stored, then a failure before the key
/// was destroyed or the credentials removed): for every person the model shows as deleted,
/// destroys the key and removes the credentials. Idempotent; run at start-up and periodically.
pub async fn finish_erasures(pool: &PgPool, vault: &wayfarer_vault::Vault) -> ApiResult<usize> {
    let unfinished: Vec<Uuid> = sqlx::query_scalar(
        "SELECT u.user_id FROM users u WHERE u.deleted AND ( \
           EXISTS (SELECT 1 FROM accounts a WHERE a.user_id = u.user_id) OR \
           EXISTS (SELECT 1 FROM user_keys k WHERE k.subject = u.user_id \
                   AND k.wrapped_key IS NOT NULL))",
    )
    .fetch_all(pool)
    .await?;
    for user_id in &unfinished {
        let mut connection = pool.acquire().await?;
        vault
            .forget(&mut connection, *user_id)
            .await
            .map_err(ApiError::internal)?;
        drop(connection);
        remove_credentials(pool, *user_id).await?;
        tracing::info!(%user_id, "erasure finished");
    }
    Ok(unfinished.len())
}
