//! The User aggregate: a person's registration, profile, role, ban and followers.
//!
//! Credentials are not here (they stay in the accounts table); follow requests are decided by
//! the person being followed, so their list of followers is consistent with their privacy.

mod commands;
mod decide;
mod errors;
pub mod profile;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::aggregate::Aggregate;

pub use commands::{UserCommand, UserContext};
pub use errors::UserError;
pub use profile::{ProfileError, ProfilePatch, SocialLinksPatch, UserName};
pub use wayfarer_schemas::{Privacy, Role, UserEvent, UserProfile};

/// A ban in force until `until` (for good when `None`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ban {
    pub until: Option<DateTime<Utc>>,
}

impl Ban {
    pub fn in_force_at(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| until > now)
    }
}

/// One person, rebuilt from their events. `Default` is "not yet registered". Serialised for
/// auditors' views of past states (`events as-of`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    id: Option<Uuid>,
    user_name: String,
    profile: UserProfile,
    role: Role,
    ban: Option<Ban>,
    deleted: bool,
    forgotten: bool,
    followers: BTreeSet<Uuid>,
    requests: BTreeSet<Uuid>,
    version: u64,
}

impl User {
    pub fn id(&self) -> Option<Uuid> {
        self.id
    }
    pub fn version(&self) -> u64 {
        self.version
    }
    pub fn user_name(&self) -> &str {
        &self.user_name
    }
    pub fn profile(&self) -> &UserProfile {
        &self.profile
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn is_deleted(&self) -> bool {
        self.deleted
    }
    pub fn is_forgotten(&self) -> bool {
        self.forgotten
    }
    pub fn is_banned_at(&self, now: DateTime<Utc>) -> bool {
        self.ban.as_ref().is_some_and(|ban| ban.in_force_at(now))
    }
    pub fn followers(&self) -> &BTreeSet<Uuid> {
        &self.followers
    }
    pub fn follow_requests(&self) -> &BTreeSet<Uuid> {
        &self.requests
    }
}

impl Aggregate for User {
    const TYPE: &'static str = wayfarer_schemas::user::AGGREGATE_TYPE;
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;

    fn decide(&self, command: UserCommand) -> Result<Vec<UserEvent>, UserError> {
        self.decide_command(command)
    }

    fn apply(&mut self, event: &UserEvent) {
        self.version += 1;
        match event {
            UserEvent::UserRegistered {
                user_id, user_name, ..
            } => {
                self.id = Some(*user_id);
                self.user_name = user_name.clone();
            }
            UserEvent::UserProfileUpdated { profile, .. } => self.profile = profile.clone(),
            UserEvent::UserNameChanged { user_name, .. } => self.user_name = user_name.clone(),
            UserEvent::UserDeleted { .. } => {
                self.deleted = true;
                self.profile = UserProfile::default();
            }
            UserEvent::UserForgotten { .. } => {
                self.deleted = true;
                self.forgotten = true;
                self.profile = UserProfile::default();
            }
            UserEvent::UserRoleAssigned { role, .. } => self.role = *role,
            UserEvent::UserBanned { until, .. } => self.ban = Some(Ban { until: *until }),
            UserEvent::UserUnbanned { .. } => self.ban = None,
            UserEvent::FollowRequested { follower_id, .. } => {
                self.requests.insert(*follower_id);
            }
            UserEvent::FollowerAdded { follower_id, .. } => {
                self.requests.remove(follower_id);
                self.followers.insert(*follower_id);
            }
            UserEvent::FollowRequestDeclined { follower_id, .. } => {
                self.requests.remove(follower_id);
            }
            UserEvent::FollowerRemoved { follower_id, .. } => {
                self.requests.remove(follower_id);
                self.followers.remove(follower_id);
            }
            UserEvent::PasswordChanged { .. } => {}
        }
    }

    fn expected_version(_: &UserCommand) -> Option<u64> {
        None
    }

    fn creates_new(command: &UserCommand) -> bool {
        matches!(command, UserCommand::Register { .. })
    }
}
