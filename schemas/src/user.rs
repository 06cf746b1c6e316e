//! Events of the User aggregate (topic `wayfarer.user`): registration, profile, roles, bans and
//! the person's followers. Emails and passwords never appear here: credentials live in their
//! own table and the log only knows user ids.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Category;

/// Aggregate type name, used in the store and in the topic name.
pub const AGGREGATE_TYPE: &str = "user";

/// Current schema version of every user event.
pub const EVENT_VERSION: &str = "1.0";

/// Who may see a person's profile details (and their public content).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Privacy {
    /// Everyone.
    #[default]
    Public,
    /// Approved followers; following needs the person's approval.
    FollowersOnly,
    /// The person alone; following needs approval too.
    Private,
}

impl Privacy {
    pub fn as_str(self) -> &'static str {
        match self {
            Privacy::Public => "PUBLIC",
            Privacy::FollowersOnly => "FOLLOWERS_ONLY",
            Privacy::Private => "PRIVATE",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "PUBLIC" => Some(Privacy::Public),
            "FOLLOWERS_ONLY" => Some(Privacy::FollowersOnly),
            "PRIVATE" => Some(Privacy::Private),
            _ => None,
        }
    }
}

/// What a person may do on the platform.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    #[default]
    User,
    Moderator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "USER",
            Role::Moderator => "MODERATOR",
            Role::Admin => "ADMIN",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "USER" => Some(Role::User),
            "MODERATOR" => Some(Role::Moderator),
            "ADMIN" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BudgetLevel {
    Shoestring,
    Moderate,
    Comfort,
    Luxury,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TravelPace {
    Relaxed,
    Balanced,
    Packed,
}

/// How a person likes to travel (used to personalise search and suggestions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TravelPreferences {
    pub preferred_categories: Vec<Category>,
    pub budget_level: Option<BudgetLevel>,
    pub pace: Option<TravelPace>,
    /// Lower-case tags such as "hiking" or "street-food".
    pub interests: Vec<String>,
}

/// Which notifications a person wants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationSettings {
    pub email: bool,
    pub push: bool,
    pub new_followers: bool,
    pub comments: bool,
    pub messages: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            email: true,
            push: true,
            new_followers: true,
            comments: true,
            messages: true,
        }
    }
}

/// Links to a person's profiles elsewhere (validated https URLs of each site).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SocialLinks {
    pub facebook: Option<String>,
    pub instagram: Option<String>,
    pub twitter: Option<String>,
    pub github: Option<String>,
}

/// What identifies a person. In the store and on Kafka it is sealed with the person's own key
/// (`{"subject", "sealed"}`); once they are forgotten it reads as empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct PersonalDetails {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub bio: Option<String>,
    pub profile_pic_url: Option<String>,
    pub social_links: SocialLinks,
}

/// A person's editable profile, carried whole by `UserProfileUpdated`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserProfile {
    pub personal: PersonalDetails,
    pub travel_preferences: TravelPreferences,
    pub notification_settings: NotificationSettings,
    pub privacy: Privacy,
}

/// Everything that can happen to a person. Past tense; internally tagged by `type`. Follow
/// events live on the stream of the person being followed, who decides on them.
// The profile makes one variant large; events are decided, stored and dropped one by one, so
// boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum UserEvent {
    UserRegistered {
        user_id: Uuid,
        user_name: String,
        registered_at: DateTime<Utc>,
    },
    UserProfileUpdated {
        profile: UserProfile,
        updated_at: DateTime<Utc>,
    },
    UserNameChanged {
        user_name: String,
        changed_at: DateTime<Utc>,
    },
    /// The person closed their account; nothing of it is shown any more.
    UserDeleted { deleted_at: DateTime<Utc> },
    /// An admin erased the person (a GDPR request): their key is destroyed, so their
    /// personal data in every event is unreadable.
    UserForgotten {
        forgotten_by: Uuid,
        forgotten_at: DateTime<Utc>,
    },
    UserRoleAssigned {
        role: Role,
        assigned_by: Uuid,
        assigned_at: DateTime<Utc>,
    },
    /// Banned until `until` (for good when absent).
    UserBanned {
        reason: String,
        until: Option<DateTime<Utc>>,
        banned_by: Uuid,
        banned_at: DateTime<Utc>,
    },
    UserUnbanned {
        unbanned_by: Uuid,
        unbanned_at: DateTime<Utc>,
    },
    /// `follower_id` asked to follow this person, who must approve.
    FollowRequested {
        follower_id: Uuid,
        requested_at: DateTime<Utc>,
    },
    /// `follower_id` follows this person (directly, or by an approved request).
    FollowerAdded {
        follower_id: Uuid,
        followed_at: DateTime<Utc>,
    },
    FollowRequestDeclined {
        follower_id: Uuid,
        declined_at: DateTime<Utc>,
    },
    /// `follower_id` stopped following, or withdrew their request.
    FollowerRemoved {
        follower_id: Uuid,
        removed_at: DateTime<Utc>,
    },
    /// The person's password was changed, by them (`changePassword`) or through a mailed
    /// reset link (`by_reset`). The password itself is never in an event.
    PasswordChanged {
        by_reset: bool,
        changed_at: DateTime<Utc>,
    },
}

impl crate::EventContract for UserEvent {
    const AGGREGATE_TYPE: &'static str = AGGREGATE_TYPE;
    const VERSION: &'static str = EVENT_VERSION;
    const PERSONAL_DATA: bool = true;
    const EVENT_TYPES: &'static [&'static str] = &[
        "UserRegistered",
        "UserProfileUpdated",
        "UserNameChanged",
        "UserDeleted",
        "UserForgotten",
        "UserRoleAssigned",
        "UserBanned",
        "UserUnbanned",
        "FollowRequested",
        "FollowerAdded",
        "FollowRequestDeclined",
        "FollowerRemoved",
        "PasswordChanged",
    ];

    fn event_type(&self) -> &'static str {
        match self {
            UserEvent::UserRegistered { .. } => "UserRegistered",
            UserEvent::UserProfileUpdated { .. } => "UserProfileUpdated",
            UserEvent::UserNameChanged { .. } => "UserNameChanged",
            UserEvent::UserDeleted { .. } => "UserDeleted",
            UserEvent::UserForgotten { .. } => "UserForgotten",
            UserEvent::UserRoleAssigned { .. } => "UserRoleAssigned",
            UserEvent::UserBanned { .. } => "UserBanned",
            UserEvent::UserUnbanned { .. } => "UserUnbanned",
            UserEvent::FollowRequested { .. } => "FollowRequested",
            UserEvent::FollowerAdded { .. } => "FollowerAdded",
            UserEvent::FollowRequestDeclined { .. } => "FollowRequestDeclined",
            UserEvent::FollowerRemoved { .. } => "FollowerRemoved",
            UserEvent::PasswordChanged { .. } => "PasswordChanged",
        }
    }
}
