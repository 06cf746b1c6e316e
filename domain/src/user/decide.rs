//! Decide: each user command checked against the current state, returning its events.

use uuid::Uuid;
use wayfarer_schemas::{Privacy, Role, UserEvent};

use super::profile::UserName;
use super::{User, UserCommand, UserContext, UserError};

/// Longest ban reason, in characters.
pub const BAN_REASON_MAX_CHARS: usize = 500;

impl User {
    pub(super) fn decide_command(&self, command: UserCommand) -> Result<Vec<UserEvent>, UserError> {
        match command {
            UserCommand::Register {
                context,
                user_id,
                user_name,
            } => {
                if self.id.is_some() {
                    return Err(UserError::AlreadyRegistered);
                }
                if context.actor != user_id {
                    return Err(UserError::Forbidden("people register themselves"));
                }
                Ok(vec![UserEvent::UserRegistered {
                    user_id,
                    user_name: UserName::parse(&user_name)?.into_inner(),
                    registered_at: context.now,
                }])
            }
            UserCommand::RecordPasswordChange { context, by_reset } => {
                self.own_account(&context)?;
                Ok(vec![UserEvent::PasswordChanged {
                    by_reset,
                    changed_at: context.now,
                }])
            }
            UserCommand::Update { context, patch } => {
                self.own_account(&context)?;
                let mut events = Vec::new();
                if let Some(name) = patch.user_name()? {
                    if name.as_str() != self.user_name {
                        events.push(UserEvent::UserNameChanged {
                            user_name: name.into_inner(),
                            changed_at: context.now,
                        });
                    }
                }
                let profile = patch.apply_to(&self.profile)?;
                let becomes_public =
                    profile.privacy == Privacy::Public && self.profile.privacy != Privacy::Public;
                if profile != self.profile {
                    events.push(UserEvent::UserProfileUpdated {
                        profile,
                        updated_at: context.now,
                    });
                }
                if becomes_public {
                    // Nothing left to approve: pending requests become follows.
                    events.extend(self.requests.iter().map(|follower_id| {
                        UserEvent::FollowerAdded {
                            follower_id: *follower_id,
                            followed_at: context.now,
                        }
                    }));
                }
                if events.is_empty() {
                    return Err(UserError::NothingToChange);
                }
                Ok(events)
            }
            UserCommand::Delete { context } => {
                self.own_account(&context)?;
                Ok(vec![UserEvent::UserDeleted {
                    deleted_at: context.now,
                }])
            }
            UserCommand::Forget { context } => {
                if self.id.is_none() {
                    return Err(UserError::NotFound);
                }
                if context.actor_role != Role::Admin {
                    self.visible_to(&context)?;
                    return Err(UserError::Forbidden("only admins may do this"));
                }
                if self.forgotten {
                    return Ok(vec![]);
                }
                if self.role == Role::Admin {
                    return Err(UserError::CannotForgetAdmin);
                }
                Ok(vec![UserEvent::UserForgotten {
                    forgotten_by: context.actor,
                    forgotten_at: context.now,
                }])
            }
            UserCommand::AssignRole {
                context,
                role,
                other_admins,
            } => {
                self.admin_acting_on_someone(&context)?;
                if role == self.role {
                    return Ok(vec![]);
                }
                if self.role == Role::Admin && other_admins == 0 {
                    return Err(UserError::LastAdmin);
                }
                Ok(vec![UserEvent::UserRoleAssigned {
                    role,
                    assigned_by: context.actor,
                    assigned_at: context.now,
                }])
            }
            UserCommand::Ban {
                context,
                reason,
                until,
            } => {
                self.admin_acting_on_someone(&context)?;
                if context.actor == self.id.unwrap_or_default() || self.role == Role::Admin {
                    return Err(UserError::CannotBanAdmin);
                }
                let reason = reason.trim();
                if reason.is_empty() || reason.chars().count() > BAN_REASON_MAX_CHARS {
                    return Err(UserError::InvalidBan(
                        "a ban needs a reason of 1 to 500 characters",
                    ));
                }
                if reason.chars().any(char::is_control) {
                    return Err(UserError::InvalidBan(
                        "a ban reason must not contain control characters",
                    ));
                }
                if until.is_some_and(|until| until <= context.now) {
                    return Err(UserError::InvalidBan("a ban must end in the future"));
                }
                Ok(vec![UserEvent::UserBanned {
                    reason: reason.to_owned(),
                    until,
                    banned_by: context.actor,
                    banned_at: context.now,
                }])
            }
            UserCommand::Unban { context } => {
                self.admin_acting_on_someone(&context)?;
                if self.ban.is_none() {
                    return Ok(vec![]);
                }
                Ok(vec![UserEvent::UserUnbanned {
                    unbanned_by: context.actor,
                    unbanned_at: context.now,
                }])
            }
            UserCommand::Follow { context } => {
                self.visible_to(&context)?;
                let follower_id = context.actor;
                if Some(follower_id) == self.id {
                    return Err(UserError::CannotFollowSelf);
                }
                if self.followers.contains(&follower_id) || self.requests.contains(&follower_id) {
                    return Ok(vec![]);
                }
                Ok(vec![if self.profile.privacy == Privacy::Public {
                    UserEvent::FollowerAdded {
                        follower_id,
                        followed_at: context.now,
                    }
                } else {
                    UserEvent::FollowRequested {
                        follower_id,
                        requested_at: context.now,
                    }
                }])
            }
            UserCommand::Unfollow { context } => {
                self.visible_to(&context)?;
                let follower_id = context.actor;
                if Some(follower_id) == self.id {
                    return Err(UserError::CannotFollowSelf);
                }
                let follows =
                    self.followers.contains(&follower_id) || self.requests.contains(&follower_id);
                Ok(if follows {
                    vec![UserEvent::FollowerRemoved {
                        follower_id,
                        removed_at: context.now,
                    }]
                } else {
                    vec![]
                })
            }
            UserCommand::ApproveFollowRequest {
                context,
                follower_id,
            } => {
                self.own_account(&context)?;
                self.pending(follower_id)?;
                Ok(vec![UserEvent::FollowerAdded {
                    follower_id,
                    followed_at: context.now,
                }])
            }
            UserCommand::DeclineFollowRequest {
                context,
                follower_id,
            } => {
                self.own_account(&context)?;
                self.pending(follower_id)?;
                Ok(vec![UserEvent::FollowRequestDeclined {
                    follower_id,
                    declined_at: context.now,
                }])
            }
        }
    }

    /// Registered and not deleted.
    fn registered(&self) -> Result<Uuid, UserError> {
        match self.id {
            Some(id) if !self.deleted => Ok(id),
            _ => Err(UserError::NotFound),
        }
    }

    /// The actor is this person.
    fn own_account(&self, context: &UserContext) -> Result<(), UserError> {
        let id = self.registered()?;
        if context.actor != id {
            self.visible_to(context)?;
            return Err(UserError::Forbidden("only the person may do this"));
        }
        Ok(())
    }

    /// Someone the actor may see: a banned person is hidden from all but admins.
    fn visible_to(&self, context: &UserContext) -> Result<(), UserError> {
        let id = self.registered()?;
        let hidden = self.is_banned_at(context.now)
            && context.actor != id
            && context.actor_role != Role::Admin;
        if hidden {
            return Err(UserError::NotFound);
        }
        Ok(())
    }

    /// An admin acting on another person, or on themselves where allowed.
    fn admin_acting_on_someone(&self, context: &UserContext) -> Result<(), UserError> {
        self.visible_to(context)?;
        if context.actor_role != Role::Admin {
            return Err(UserError::Forbidden("only admins may do this"));
        }
        Ok(())
    }

    fn pending(&self, follower_id: Uuid) -> Result<(), UserError> {
        if self.requests.contains(&follower_id) {
            Ok(())
        } else {
            Err(UserError::NoFollowRequest)
        }
    }
}
