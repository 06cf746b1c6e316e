//! What may be asked of a person's account, as unvalidated input from the API.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use wayfarer_schemas::Role;

use super::profile::ProfilePatch;

/// Who asks and when. The actor's role comes from the read model at the edge; the domain never
/// reads a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserContext {
    pub actor: Uuid,
    pub actor_role: Role,
    pub now: DateTime<Utc>,
}

/// Everything a caller may ask of one person's aggregate. Follow commands are sent to the
/// person being followed, who owns their list of followers.
#[derive(Debug, Clone, PartialEq)]
pub enum UserCommand {
    /// A new account: `context.actor` is the person registering.
    Register {
        context: UserContext,
        user_id: Uuid,
        user_name: String,
    },
    /// The person edits their profile (`updateUser`).
    Update {
        context: UserContext,
        patch: Box<ProfilePatch>,
    },
    /// The person closes their account (`deleteUser`).
    Delete { context: UserContext },
    /// An admin erases the person (`forgetUser`): closed, and their personal data made
    /// unreadable by destroying their key. Also allowed after the person closed their account.
    Forget { context: UserContext },
    /// An admin gives the person a role. `other_admins` counts the admins besides this person
    /// (from the read model), so the last admin is never demoted.
    AssignRole {
        context: UserContext,
        role: Role,
        other_admins: u64,
    },
    /// An admin bans the person until `until` (for good without it).
    Ban {
        context: UserContext,
        reason: String,
        until: Option<DateTime<Utc>>,
    },
    /// An admin lifts the person's ban.
    Unban { context: UserContext },
    /// `context.actor` follows this person, or asks to if the profile is not public.
    Follow { context: UserContext },
    /// `context.actor` stops following this person, or withdraws their request.
    Unfollow { context: UserContext },
    /// The person accepts `follower_id`'s request.
    ApproveFollowRequest {
        context: UserContext,
        follower_id: Uuid,
    },
    /// The person refuses `follower_id`'s request.
    DeclineFollowRequest {
        context: UserContext,
        follower_id: Uuid,
    },
    /// Records that the person's password was changed (the credentials live outside the
    /// store; this is the fact, for the security notice).
    RecordPasswordChange {
        context: UserContext,
        by_reset: bool,
    },
}

impl UserCommand {
    pub fn context(&self) -> &UserContext {
        match self {
            UserCommand::Register { context, .. }
            | UserCommand::Update { context, .. }
            | UserCommand::Delete { context }
            | UserCommand::Forget { context }
            | UserCommand::AssignRole { context, .. }
            | UserCommand::Ban { context, .. }
            | UserCommand::Unban { context }
            | UserCommand::Follow { context }
            | UserCommand::Unfollow { context }
            | UserCommand::ApproveFollowRequest { context, .. }
            | UserCommand::DeclineFollowRequest { context, .. }
            | UserCommand::RecordPasswordChange { context, .. } => context,
        }
    }
}
