//! Applying user events to the `users` and `user_follows` tables.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;
use wayfarer_schemas::UserEvent;

use wayfarer_vault::Vault;

use crate::projection::{Envelope, Tables};
use crate::ProjectionError;

/// Projection name, used for checkpoints, consumer groups and the CLI.
pub const NAME: &str = "users";
/// The tables the model lives in.
pub const TABLES: &[&str] = &[USERS, FOLLOWS];
pub(crate) const USERS: &str = "users";
pub(crate) const FOLLOWS: &str = "user_follows";

fn undecodable(envelope: &Envelope, reason: impl ToString) -> ProjectionError {
    ProjectionError::Undecodable {
        position: envelope.global_position,
        reason: reason.to_string(),
    }
}

/// Applies one event unless the person's row shows it applied already. Every event but the
/// registration first moves the row's version forward (the guard); its other effects follow
/// only if that happened.
pub async fn apply_event(
    tx: &mut PgConnection,
    tables: &Tables,
    vault: &Vault,
    envelope: &Envelope,
) -> Result<(), ProjectionError> {
    // Personal data arrives sealed; a forgotten person's opens as erased.
    let payload = vault
        .open(&mut *tx, envelope.payload.get())
        .await
        .map_err(|error| ProjectionError::from_vault(error, envelope.global_position))?;
    let event: UserEvent = serde_json::from_str(&payload).map_err(|e| undecodable(envelope, e))?;
    let user_id = Uuid::parse_str(&envelope.aggregate_id)
        .map_err(|_| undecodable(envelope, "user id is not a UUID"))?;
    let users = tables.name(USERS);
    let follows = tables.name(FOLLOWS);
    let sequence = envelope.sequence as i64;
    let at = envelope.occurred_at;
    if let UserEvent::UserRegistered {
        user_name,
        registered_at,
        ..
    } = &event
    {
        sqlx::query(&format!(
            "INSERT INTO {users} (user_id, user_name, profile, privacy, role, registered_at, \
             updated_at, version) VALUES ($1, $2, $3, 'PUBLIC', 'USER', $4, $4, $5) \
             ON CONFLICT (user_id) DO NOTHING"
        ))
        .bind(user_id)
        .bind(user_name)
        .bind(sqlx::types::Json(wayfarer_schemas::UserProfile::default()))
        .bind(registered_at)
        .bind(sequence)
        .execute(&mut *tx)
        .await?;
        return Ok(());
    }
    let advanced = sqlx::query(&format!(
        "UPDATE {users} SET version = $2, updated_at = $3 WHERE user_id = $1 AND version < $2"
    ))
    .bind(user_id)
    .bind(sequence)
    .bind(at)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if advanced == 0 {
        return Ok(());
    }
    match event {
        UserEvent::UserRegistered { .. } | UserEvent::PasswordChanged { .. } => {}
        UserEvent::UserProfileUpdated { profile, .. } => {
            sqlx::query(&format!(
                "UPDATE {users} SET profile = $2, privacy = $3 WHERE user_id = $1"
            ))
            .bind(user_id)
            .bind(sqlx::types::Json(&profile))
            .bind(profile.privacy.as_str())
            .execute(&mut *tx)
            .await?;
        }
        UserEvent::UserNameChanged { user_name, .. } => {
            set(tx, users, user_id, "user_name = $2", user_name).await?;
        }
        UserEvent::UserDeleted { .. } | UserEvent::UserForgotten { .. } => {
            // Nothing of a closed account is kept for display; its follows go with it.
            sqlx::query(&format!(
                "UPDATE {users} SET deleted = true, profile = $2, privacy = 'PRIVATE' \
                 WHERE user_id = $1"
            ))
            .bind(user_id)
            .bind(sqlx::types::Json(wayfarer_schemas::UserProfile::default()))
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "DELETE FROM {follows} WHERE followee_id = $1 OR follower_id = $1"
            ))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        UserEvent::UserRoleAssigned { role, .. } => {
            set(tx, users, user_id, "role = $2", role.as_str()).await?;
        }
        UserEvent::UserBanned { reason, until, .. } => {
            sqlx::query(&format!(
                "UPDATE {users} SET banned = true, ban_reason = $2, banned_until = $3 \
                 WHERE user_id = $1"
            ))
            .bind(user_id)
            .bind(reason)
            .bind(until)
            .execute(&mut *tx)
            .await?;
        }
        UserEvent::UserUnbanned { .. } => {
            sqlx::query(&format!(
                "UPDATE {users} SET banned = false, ban_reason = NULL, banned_until = NULL \
                 WHERE user_id = $1"
            ))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        UserEvent::FollowRequested {
            follower_id,
            requested_at,
        } => follow(tx, follows, user_id, follower_id, "PENDING", requested_at).await?,
        UserEvent::FollowerAdded {
            follower_id,
            followed_at,
        } => follow(tx, follows, user_id, follower_id, "APPROVED", followed_at).await?,
        UserEvent::FollowRequestDeclined { follower_id, .. }
        | UserEvent::FollowerRemoved { follower_id, .. } => {
            sqlx::query(&format!(
                "DELETE FROM {follows} WHERE followee_id = $1 AND follower_id = $2"
            ))
            .bind(user_id)
            .bind(follower_id)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

async fn set(
    tx: &mut PgConnection,
    users: &str,
    user_id: Uuid,
    assignment: &str,
    value: impl AsRef<str>,
) -> Result<(), ProjectionError> {
    sqlx::query(&format!(
        "UPDATE {users} SET {assignment} WHERE user_id = $1"
    ))
    .bind(user_id)
    .bind(value.as_ref())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn follow(
    tx: &mut PgConnection,
    follows: &str,
    followee: Uuid,
    follower: Uuid,
    status: &str,
    since: DateTime<Utc>,
) -> Result<(), ProjectionError> {
    sqlx::query(&format!(
        "INSERT INTO {follows} (followee_id, follower_id, status, since) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (followee_id, follower_id) DO UPDATE SET status = excluded.status, \
         since = excluded.since"
    ))
    .bind(followee)
    .bind(follower)
    .bind(status)
    .bind(since)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
