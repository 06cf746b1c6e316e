//! People as GraphQL shows them: the profile (cut to what the viewer may see), its enums and
//! inputs, and the payloads of user mutations.

use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use wayfarer_domain::user::{ProfilePatch, SocialLinksPatch};
use wayfarer_projections::user::{read, FollowStatus as StoredFollowStatus, UserRow};

use super::context::state;
use super::resolve::resolve;
use super::types::{Category, Position};
use crate::error::ApiResult;
use crate::people::ProfileAccess;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::Privacy")]
pub enum Privacy {
    Public,
    FollowersOnly,
    Private,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::Role")]
pub enum Role {
    User,
    Moderator,
    Admin,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::BudgetLevel")]
pub enum BudgetLevel {
    Shoestring,
    Moderate,
    Comfort,
    Luxury,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::TravelPace")]
pub enum TravelPace {
    Relaxed,
    Balanced,
    Packed,
}

/// Where the viewer stands with a person.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum FollowStatus {
    /// Not following, no request open.
    None,
    /// A request waits for the person's approval.
    Pending,
    /// Following.
    Following,
}

impl From<Option<StoredFollowStatus>> for FollowStatus {
    fn from(status: Option<StoredFollowStatus>) -> Self {
        match status {
            None => FollowStatus::None,
            Some(StoredFollowStatus::Pending) => FollowStatus::Pending,
            Some(StoredFollowStatus::Approved) => FollowStatus::Following,
        }
    }
}

#[derive(SimpleObject, InputObject, Clone, Debug, Default)]
#[graphql(input_name = "TravelPreferencesInput")]
pub struct TravelPreferences {
    pub preferred_categories: Vec<Category>,
    pub budget_level: Option<BudgetLevel>,
    pub pace: Option<TravelPace>,
    /// Lower-case tags such as "hiking" (at most 20, each up to 32 characters).
    pub interests: Vec<String>,
}

impl From<wayfarer_schemas::TravelPreferences> for TravelPreferences {
    fn from(p: wayfarer_schemas::TravelPreferences) -> Self {
        Self {
            preferred_categories: p.preferred_categories.into_iter().map(Into::into).collect(),
            budget_level: p.budget_level.map(Into::into),
            pace: p.pace.map(Into::into),
            interests: p.interests,
        }
    }
}

impl From<TravelPreferences> for wayfarer_schemas::TravelPreferences {
    fn from(p: TravelPreferences) -> Self {
        Self {
            preferred_categories: p.preferred_categories.into_iter().map(Into::into).collect(),
            budget_level: p.budget_level.map(Into::into),
            pace: p.pace.map(Into::into),
            interests: p.interests,
        }
    }
}

#[derive(SimpleObject, InputObject, Clone, Debug)]
#[graphql(input_name = "NotificationSettingsInput")]
pub struct NotificationSettings {
    pub email: bool,
    pub push: bool,
    pub new_followers: bool,
    pub comments: bool,
    pub messages: bool,
}

impl From<wayfarer_schemas::NotificationSettings> for NotificationSettings {
    fn from(s: wayfarer_schemas::NotificationSettings) -> Self {
        Self {
            email: s.email,
            push: s.push,
            new_followers: s.new_followers,
            comments: s.comments,
            messages: s.messages,
        }
    }
}

impl From<NotificationSettings> for wayfarer_schemas::NotificationSettings {
    fn from(s: NotificationSettings) -> Self {
        Self {
            email: s.email,
            push: s.push,
            new_followers: s.new_followers,
            comments: s.comments,
            messages: s.messages,
        }
    }
}

/// Changes to the caller's profile: a field left out keeps its value; an empty text clears an
/// optional one. Links must be https links to their site.
#[derive(InputObject, Default)]
pub struct UpdateUserInput {
    pub user_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub bio: Option<String>,
    pub profile_pic_url: Option<String>,
    pub facebook_profile_link: Option<String>,
    pub instagram_profile_link: Option<String>,
    pub twitter_profile_link: Option<String>,
    pub github_profile_link: Option<String>,
    pub travel_preferences: Option<TravelPreferences>,
    pub notification_settings: Option<NotificationSettings>,
    pub privacy: Option<Privacy>,
}

impl From<UpdateUserInput> for ProfilePatch {
    fn from(input: UpdateUserInput) -> Self {
        Self {
            user_name: input.user_name,
            first_name: input.first_name,
            last_name: input.last_name,
            bio: input.bio,
            profile_pic_url: input.profile_pic_url,
            social_links: SocialLinksPatch {
                facebook: input.facebook_profile_link,
                instagram: input.instagram_profile_link,
                twitter: input.twitter_profile_link,
                github: input.github_profile_link,
            },
            travel_preferences: input.travel_preferences.map(Into::into),
            notification_settings: input.notification_settings.map(Into::into),
            privacy: input.privacy.map(Into::into),
        }
    }
}

/// A person as the viewer may see them. Fields the viewer may not see are `null`.
pub struct User {
    pub row: UserRow,
    pub access: ProfileAccess,
    /// The viewer is this person (email, notification settings and ban are theirs to see).
    pub is_self: bool,
    /// The viewer is a moderator or admin.
    pub is_staff: bool,
    pub follow_status: FollowStatus,
    /// Only for the person themselves.
    pub email: Option<String>,
}

impl User {
    fn full<T>(&self, value: impl FnOnce() -> T) -> Option<T> {
        (self.access == ProfileAccess::Full).then(value)
    }
}

#[Object]
impl User {
    async fn id(&self) -> Uuid {
        self.row.user_id
    }
    async fn user_name(&self) -> &str {
        &self.row.user_name
    }
    async fn profile_pic_url(&self) -> Option<&str> {
        self.row.profile.personal.profile_pic_url.as_deref()
    }
    /// False when only the user name and picture are shown (a private profile).
    async fn details_visible(&self) -> bool {
        self.access == ProfileAccess::Full
    }
    async fn first_name(&self) -> Option<&str> {
        self.full(|| self.row.profile.personal.first_name.as_deref())
            .flatten()
    }
    async fn last_name(&self) -> Option<&str> {
        self.full(|| self.row.profile.personal.last_name.as_deref())
            .flatten()
    }
    async fn bio(&self) -> Option<&str> {
        self.full(|| self.row.profile.personal.bio.as_deref())
            .flatten()
    }
    async fn facebook_profile_link(&self) -> Option<&str> {
        self.full(|| self.row.profile.personal.social_links.facebook.as_deref())
            .flatten()
    }
    async fn instagram_profile_link(&self) -> Option<&str> {
        self.full(|| self.row.profile.personal.social_links.instagram.as_deref())
            .flatten()
    }
    async fn twitter_profile_link(&self) -> Option<&str> {
        self.full(|| self.row.profile.personal.social_links.twitter.as_deref())
            .flatten()
    }
    async fn github_profile_link(&self) -> Option<&str> {
        self.full(|| self.row.profile.personal.social_links.github.as_deref())
            .flatten()
    }
    async fn travel_preferences(&self) -> Option<TravelPreferences> {
        self.full(|| self.row.profile.travel_preferences.clone().into())
    }
    /// The person's own settings (null for anyone else).
    async fn notification_settings(&self) -> Option<NotificationSettings> {
        self.is_self
            .then(|| self.row.profile.notification_settings.clone().into())
    }
    async fn privacy(&self) -> Privacy {
        self.row.privacy().into()
    }
    async fn role(&self) -> Option<Role> {
        self.full(|| self.row.role().into())
    }
    /// Open account, not banned.
    async fn is_active(&self) -> bool {
        !self.row.deleted && !self.row.is_banned_at(Utc::now())
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.full(|| self.row.registered_at)
    }
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.full(|| self.row.updated_at)
    }
    /// The person's email (only they see it).
    async fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }
    /// Whether the person signs in with a second factor (shown to them alone).
    async fn two_factor_enabled(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<bool>> {
        if !self.is_self {
            return Ok(None);
        }
        resolve(async move {
            crate::auth::two_factor::is_enabled(&state(ctx).pool, self.row.user_id)
                .await
                .map(Some)
        })
        .await
    }
    /// The viewer's relation to this person.
    async fn follow_status(&self) -> FollowStatus {
        self.follow_status
    }
    async fn follower_count(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i64>> {
        resolve(self.count(ctx, |counts| counts.followers)).await
    }
    async fn following_count(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i64>> {
        resolve(self.count(ctx, |counts| counts.following)).await
    }
    /// When the ban ends (null: no ban, or for good); seen by the person and staff.
    async fn banned_until(&self) -> Option<DateTime<Utc>> {
        (self.is_self || self.is_staff)
            .then_some(self.row.banned_until)
            .flatten()
    }
    /// Why the person is banned; seen by the person and staff.
    async fn ban_reason(&self) -> Option<&str> {
        (self.is_self || self.is_staff)
            .then_some(self.row.ban_reason.as_deref())
            .flatten()
    }
    async fn is_banned(&self) -> Option<bool> {
        (self.is_self || self.is_staff).then(|| self.row.is_banned_at(Utc::now()))
    }
}

impl User {
    async fn count(
        &self,
        ctx: &Context<'_>,
        pick: impl FnOnce(read::FollowCounts) -> i64,
    ) -> ApiResult<Option<i64>> {
        if self.access != ProfileAccess::Full {
            return Ok(None);
        }
        let counts = read::follow_counts(&state(ctx).pool, self.row.user_id).await?;
        Ok(Some(pick(counts)))
    }
}

/// What a user mutation wrote.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UserPayload {
    pub user_id: Uuid,
    /// Pass as `after` to a query to read this write (absent when nothing changed).
    pub position: Option<Position>,
    /// True when this answers a repeated request (same idempotency key and input).
    pub replayed: bool,
}

#[ComplexObject]
impl UserPayload {
    /// The person as of this write, as the caller may see them.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        resolve(super::people::read_user(ctx, self.user_id, self.position)).await
    }
}

/// What a follow mutation wrote, and where the caller now stands.
#[derive(SimpleObject)]
pub struct FollowPayload {
    /// The person followed, unfollowed, or whose request was answered.
    pub user_id: Uuid,
    /// Pass as `after` to a query to read this write (absent when nothing changed).
    pub position: Option<Position>,
    /// For follow and unfollow: the caller's relation to the person now. For answers to
    /// requests: the requester's relation to the caller now.
    pub status: FollowStatus,
    pub replayed: bool,
}
