//! People: profiles (`user`, `me`, `updateUser`, `deleteUser`), follows (`followUser`,
//! `unfollowUser`, requests, `followers`, `following`) and administration (`assignRole`,
//! `banUser`, `unbanUser`). Every read is cut to what the caller may see; a person the caller
//! may not see looks exactly like one that does not exist.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use wayfarer_commands::CommandOutcome;
use wayfarer_domain::UserCommand;
use wayfarer_projections::user::read::{self, Relation};
use wayfarer_projections::user::{pg, search, UserRow};

use super::context::{caller, require_caller, state};
use super::paging::{
    check_search_text, check_search_window, decode_cursor, decode_offset, encode_cursor,
    offset_cursor, page_size,
};
use super::people_types::{FollowPayload, Role, UpdateUserInput, User, UserPayload};
use super::resolve::resolve;
use super::types::Position;
use crate::auth::accounts;
use crate::error::{ApiError, ApiResult};
use crate::people::commands::{self as people, run};
use crate::people::{ProfileAccess, Viewer};
use crate::state::ApiState;

fn not_found() -> ApiError {
    ApiError::NotFound("user not found".to_owned())
}

/// One person as `viewer` may see them, or `None` if hidden.
async fn view_of(
    api: &ApiState,
    row: UserRow,
    viewer: &Viewer,
    relation: Option<read::FollowStatus>,
) -> ApiResult<Option<User>> {
    let access = ProfileAccess::decide(&row, viewer, relation);
    if access == ProfileAccess::Hidden {
        return Ok(None);
    }
    let is_self = viewer.user_id == Some(row.user_id);
    let email = if is_self {
        accounts::email_of(&api.pool, row.user_id).await?
    } else {
        None
    };
    Ok(Some(User {
        row,
        access,
        is_self,
        is_staff: viewer.is_staff(),
        follow_status: relation.into(),
        email,
    }))
}

/// Reads one person as the caller may see them; with `after`, once the model has that write.
pub async fn read_user(
    ctx: &Context<'_>,
    user_id: Uuid,
    after: Option<Position>,
) -> ApiResult<Option<User>> {
    let api = state(ctx);
    if let Some(position) = after {
        api.read_your_write(&[pg::NAME], position.0).await?;
    }
    let Some(row) = read::find(&api.pool, user_id).await? else {
        return Ok(None);
    };
    let viewer = Viewer::of(&api.pool, caller(ctx)).await?;
    let relation = match viewer.user_id {
        Some(me) if me != user_id => read::follow_status(&api.pool, user_id, me).await?,
        _ => None,
    };
    view_of(api, row, &viewer, relation).await
}

/// A page of people related to `user_id`, each cut to what the caller may see.
async fn related(
    ctx: &Context<'_>,
    user_id: Uuid,
    relation: Relation,
    first: Option<i32>,
    after: Option<String>,
    after_position: Option<Position>,
) -> ApiResult<Connection<String, User, EmptyFields, EmptyFields>> {
    let api = state(ctx);
    let size = page_size(first)?;
    let cursor = after.as_deref().map(decode_cursor).transpose()?;
    let person = read_user(ctx, user_id, after_position)
        .await?
        .ok_or_else(not_found)?;
    if person.access != ProfileAccess::Full {
        return Err(ApiError::Forbidden(
            "this person's connections are private".to_owned(),
        ));
    }
    let viewer = Viewer::of(&api.pool, caller(ctx)).await?;
    let mut rows =
        read::related_page(&api.pool, user_id, relation, cursor, size as i64 + 1).await?;
    let has_next = rows.len() > size;
    rows.truncate(size);
    let ids: Vec<Uuid> = rows.iter().map(|r| r.user.user_id).collect();
    let statuses = statuses_of(api, &viewer, &ids).await?;
    let mut connection = Connection::new(cursor.is_some(), has_next);
    for related in rows {
        let (since, id) = (related.since, related.user.user_id);
        let status = statuses.get(&id).copied();
        if let Some(user) = view_of(api, related.user, &viewer, status).await? {
            connection
                .edges
                .push(Edge::new(encode_cursor(since, id), user));
        }
    }
    Ok(connection)
}

/// The position of the person's latest event, if they have any.
async fn last_position(pool: &sqlx::PgPool, user_id: Uuid) -> ApiResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT max(global_position) FROM events \
         WHERE aggregate_type = 'user' AND aggregate_id = $1",
    )
    .bind(user_id.to_string())
    .fetch_one(pool)
    .await?)
}

async fn search_people(
    ctx: &Context<'_>,
    query: String,
    first: Option<i32>,
    after: Option<String>,
    after_position: Option<Position>,
) -> ApiResult<Connection<String, User, EmptyFields, EmptyFields>> {
    let api = state(ctx);
    let size = page_size(first)?;
    let from = decode_offset(after)?;
    check_search_window(from, size)?;
    check_search_text(&query)?;
    if query.trim().is_empty() {
        return Err(ApiError::Validation("query must not be blank".into()));
    }
    if let Some(position) = after_position {
        api.read_your_write(&[pg::NAME, search::NAME], position.0)
            .await?;
    }
    let page = search::search(
        &api.opensearch,
        &api.names.users_alias(),
        query.trim(),
        from,
        size as u64,
    )
    .await?;
    let viewer = Viewer::of(&api.pool, caller(ctx)).await?;
    let rows = read::find_many(&api.pool, &page.ids).await?;
    let statuses = statuses_of(api, &viewer, &page.ids).await?;
    let has_next = from + (page.ids.len() as u64) < page.total;
    let mut connection = Connection::new(from > 0, has_next);
    for (index, row) in rows.into_iter().enumerate() {
        let status = statuses.get(&row.user_id).copied();
        // The model decides visibility: the index may trail a ban or a deletion.
        if let Some(user) = view_of(api, row, &viewer, status).await? {
            connection
                .edges
                .push(Edge::new(offset_cursor(from + index as u64), user));
        }
    }
    Ok(connection)
}

/// The viewer's relation to each of `ids` (none for an anonymous viewer).
async fn statuses_of(
    api: &ApiState,
    viewer: &Viewer,
    ids: &[Uuid],
) -> ApiResult<std::collections::HashMap<Uuid, read::FollowStatus>> {
    Ok(match viewer.user_id {
        Some(me) => read::follow_statuses(&api.pool, me, ids).await?,
        None => Default::default(),
    })
}

/// Waits until the people model has the write (roles and bans are read from it).
async fn settle(api: &ApiState, outcome: &CommandOutcome) -> ApiResult<()> {
    if let Some(position) = written(outcome) {
        api.read_your_write(&[pg::NAME], position.0).await?;
    }
    Ok(())
}

fn written(outcome: &CommandOutcome) -> Option<Position> {
    (outcome.position > 0).then_some(Position(outcome.position))
}

fn user_payload(user_id: Uuid, outcome: CommandOutcome) -> UserPayload {
    UserPayload {
        user_id,
        position: written(&outcome),
        replayed: outcome.replayed,
    }
}

/// Which side of a follow the caller is on.
enum Side {
    /// The caller follows (or stops following) `other`: the command goes to `other`.
    Follower,
    /// The caller answers `other`'s request: the command goes to the caller.
    Followed,
}

/// Runs a follow command and answers where the follower stands once the model has the write.
async fn follow_change(
    ctx: &Context<'_>,
    idempotency_key: Option<Uuid>,
    other: Uuid,
    side: Side,
    build: impl FnOnce(wayfarer_domain::UserContext) -> UserCommand,
) -> ApiResult<FollowPayload> {
    let api = state(ctx);
    let me = require_caller(ctx)?;
    let (followee, follower) = match side {
        Side::Follower => (other, me),
        Side::Followed => (me, other),
    };
    let outcome = run(ctx, api, idempotency_key, followee, |context| {
        Ok(build(context))
    })
    .await?;
    let position = written(&outcome);
    if let Some(position) = position {
        api.read_your_write(&[pg::NAME], position.0).await?;
    }
    let status = read::follow_status(&api.pool, followee, follower).await?;
    Ok(FollowPayload {
        user_id: other,
        position,
        status: status.into(),
        replayed: outcome.replayed,
    })
}

#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// One person as the caller may see them (`null` if there is no such person, or the
    /// caller may not see them).
    async fn user(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
        after: Option<Position>,
    ) -> async_graphql::Result<Option<User>> {
        resolve(read_user(ctx, user_id, after)).await
    }

    /// The signed-in person, with their email and settings.
    async fn me(&self, ctx: &Context<'_>, after: Option<Position>) -> async_graphql::Result<User> {
        resolve(async move {
            let user_id = require_caller(ctx)?;
            if let Some(me) = read_user(ctx, user_id, after).await? {
                return Ok(me);
            }
            // Signed in right after registering: wait for the model to know the person.
            let api = state(ctx);
            if let Some(position) = last_position(&api.pool, user_id).await? {
                api.read_your_write(&[pg::NAME], position).await?;
            }
            read_user(ctx, user_id, None)
                .await?
                .ok_or(ApiError::Unauthenticated)
        })
        .await
    }

    /// People who follow `userId`, oldest first (the seed's `getUserConnections`).
    async fn followers(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, User, EmptyFields, EmptyFields>> {
        resolve(related(
            ctx,
            user_id,
            Relation::Followers,
            first,
            after,
            after_position,
        ))
        .await
    }

    /// People `userId` follows, oldest first.
    async fn following(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, User, EmptyFields, EmptyFields>> {
        resolve(related(
            ctx,
            user_id,
            Relation::Following,
            first,
            after,
            after_position,
        ))
        .await
    }

    /// People whose user name matches `query`, or whose names, bio or interests match if
    /// their profile is public; each as the caller may see them. Banned and deleted people
    /// never appear. Paged by offset within the first 10,000 hits.
    async fn search_users(
        &self,
        ctx: &Context<'_>,
        query: String,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, User, EmptyFields, EmptyFields>> {
        resolve(search_people(ctx, query, first, after, after_position)).await
    }

    /// People waiting for the caller's approval to follow them, oldest first.
    async fn follow_requests(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, User, EmptyFields, EmptyFields>> {
        resolve(async move {
            let me = require_caller(ctx)?;
            related(ctx, me, Relation::Requests, first, after, after_position).await
        })
        .await
    }
}

#[derive(Default)]
pub struct PeopleMutation;

#[Object]
impl PeopleMutation {
    /// Changes the caller's profile. A new `userName` must be free (ignoring case).
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        input: UpdateUserInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<UserPayload> {
        resolve(async move {
            let api = state(ctx);
            let me = require_caller(ctx)?;
            let patch: wayfarer_domain::user::ProfilePatch = input.into();
            let new_name = patch
                .user_name()
                .map_err(|error| ApiError::Validation(error.to_string()))?;
            if let Some(name) = &new_name {
                people::reserve_user_name(&api.pool, me, name.as_str()).await?;
            }
            let outcome = run(ctx, api, idempotency_key, me, |context| {
                Ok(UserCommand::Update {
                    context,
                    patch: Box::new(patch),
                })
            })
            .await;
            if new_name.is_some() {
                // The reservation follows the stored profile, whatever happened: a refused
                // change, a replayed key or a concurrent rename.
                let stored = api
                    .users
                    .stored_state(&me.to_string())
                    .await
                    .map_err(ApiError::internal)?;
                people::reserve_user_name(&api.pool, me, stored.user_name()).await?;
            }
            Ok(user_payload(me, outcome?))
        })
        .await
    }

    /// Closes the caller's account: the profile disappears, follows end, the personal data
    /// in every event is made unreadable (the person's key is destroyed), the credentials are
    /// removed and every session and subscription stops.
    async fn delete_user(
        &self,
        ctx: &Context<'_>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<UserPayload> {
        resolve(async move {
            let api = state(ctx);
            let me = require_caller(ctx)?;
            let outcome = run(ctx, api, idempotency_key, me, |context| {
                Ok(UserCommand::Delete { context })
            })
            .await?;
            people::erase(api, me, &outcome).await?;
            Ok(user_payload(me, outcome))
        })
        .await
    }

    /// Erases `userId` (admins only; a GDPR request): as `deleteUser`, also for a person who
    /// closed their account already. Asking again finishes an erasure that was interrupted.
    async fn forget_user(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<UserPayload> {
        resolve(async move {
            let api = state(ctx);
            let outcome = run(ctx, api, idempotency_key, user_id, |context| {
                Ok(UserCommand::Forget { context })
            })
            .await?;
            people::erase(api, user_id, &outcome).await?;
            Ok(user_payload(user_id, outcome))
        })
        .await
    }

    /// Follows `userId`; a FOLLOWERS_ONLY or PRIVATE person is asked first (status PENDING).
    /// Following again is a no-op.
    async fn follow_user(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<FollowPayload> {
        resolve(follow_change(
            ctx,
            idempotency_key,
            user_id,
            Side::Follower,
            |context| UserCommand::Follow { context },
        ))
        .await
    }

    /// Stops following `userId`, or withdraws the request. A no-op if neither.
    async fn unfollow_user(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<FollowPayload> {
        resolve(follow_change(
            ctx,
            idempotency_key,
            user_id,
            Side::Follower,
            |context| UserCommand::Unfollow { context },
        ))
        .await
    }

    /// Lets `userId` follow the caller.
    async fn approve_follow_request(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<FollowPayload> {
        resolve(follow_change(
            ctx,
            idempotency_key,
            user_id,
            Side::Followed,
            |context| UserCommand::ApproveFollowRequest {
                context,
                follower_id: user_id,
            },
        ))
        .await
    }

    /// Refuses `userId`'s request to follow the caller.
    async fn decline_follow_request(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<FollowPayload> {
        resolve(follow_change(
            ctx,
            idempotency_key,
            user_id,
            Side::Followed,
            |context| UserCommand::DeclineFollowRequest {
                context,
                follower_id: user_id,
            },
        ))
        .await
    }

    /// Gives `userId` a role (admins only). The last admin keeps theirs.
    async fn assign_role(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
        role: Role,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<UserPayload> {
        resolve(async move {
            let api = state(ctx);
            // Role changes take turns (on every API node), each counting the admins only once
            // the previous change is in the model: two admins demoting each other at once
            // cannot leave none.
            let mut lock = api.pool.acquire().await?;
            sqlx::query("SELECT pg_advisory_lock(hashtext('wayfarer.roles'))")
                .execute(&mut *lock)
                .await?;
            let changed = async {
                let other_admins = read::other_admins(&api.pool, user_id).await?;
                let outcome = run(ctx, api, idempotency_key, user_id, |context| {
                    Ok(UserCommand::AssignRole {
                        context,
                        role: role.into(),
                        other_admins,
                    })
                })
                .await?;
                // Authorization reads roles from the model: the next request sees the new one.
                settle(api, &outcome).await?;
                Ok::<_, ApiError>(outcome)
            }
            .await;
            sqlx::query("SELECT pg_advisory_unlock(hashtext('wayfarer.roles'))")
                .execute(&mut *lock)
                .await?;
            Ok(user_payload(user_id, changed?))
        })
        .await
    }

    /// Bans `userId` (admins only) until `until`, or for good. From the next request their
    /// tokens stop working, their sessions and subscriptions end and they are hidden from
    /// everyone but staff.
    async fn ban_user(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
        #[graphql(validator(max_length = 500))] reason: String,
        until: Option<DateTime<Utc>>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<UserPayload> {
        resolve(async move {
            let api = state(ctx);
            let outcome = run(ctx, api, idempotency_key, user_id, |context| {
                Ok(UserCommand::Ban {
                    context,
                    reason,
                    until,
                })
            })
            .await?;
            // A repeated request changes nothing (the person may have been unbanned since).
            if !outcome.replayed {
                people::revoke_sessions(&api.pool, user_id).await?;
                // The next request of the banned person is checked against the model.
                settle(api, &outcome).await?;
                people::announce_access_revoked(api, user_id).await;
            }
            Ok(user_payload(user_id, outcome))
        })
        .await
    }

    /// Lifts `userId`'s ban (admins only). A no-op if there is none.
    async fn unban_user(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<UserPayload> {
        resolve(async move {
            let api = state(ctx);
            let outcome = run(ctx, api, idempotency_key, user_id, |context| {
                Ok(UserCommand::Unban { context })
            })
            .await?;
            // Their next request is checked against the model: it must show the lifted ban.
            settle(api, &outcome).await?;
            Ok(user_payload(user_id, outcome))
        })
        .await
    }
}
