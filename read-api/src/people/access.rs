//! What a viewer may see of a person, and whether a caller may act at all.
//!
//! - A deleted person is seen by no one; a banned one only by moderators and admins.
//! - The person, moderators and admins see everything.
//! - Others see everything of a PUBLIC profile, everything of a FOLLOWERS_ONLY profile if they
//!   are an approved follower, and otherwise the user name and picture only.

use std::collections::HashMap;

use chrono::Utc;
use sqlx::PgPool;
use uuid::Uuid;
use wayfarer_projections::user::read::{self, CallerStanding};
use wayfarer_projections::user::{FollowStatus, UserRow};
use wayfarer_schemas::{Privacy, Role};

use crate::error::{ApiError, ApiResult};

/// Who is looking: nobody, or a signed-in person with their role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: Option<Uuid>,
    pub role: Role,
}

impl Viewer {
    pub const ANONYMOUS: Viewer = Viewer {
        user_id: None,
        role: Role::User,
    };

    /// The caller with the role the read model gives them (a person the model does not know
    /// yet, just registered, is a plain user).
    pub async fn of(pool: &PgPool, caller: Option<Uuid>) -> ApiResult<Self> {
        let Some(user_id) = caller else {
            return Ok(Self::ANONYMOUS);
        };
        let role = match read::standing(pool, user_id).await? {
            Some(CallerStanding {
                role_is_admin: true,
                ..
            }) => Role::Admin,
            Some(CallerStanding {
                role_is_moderator: true,
                ..
            }) => Role::Moderator,
            _ => Role::User,
        };
        Ok(Self {
            user_id: Some(user_id),
            role,
        })
    }

    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Moderator)
    }
}

/// How much of a profile a viewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProfileAccess {
    /// Nothing: the person looks missing.
    Hidden,
    /// The user name and picture.
    Limited,
    /// Everything public about them: names, bio, links, preferences, counts.
    Full,
}

impl ProfileAccess {
    /// Decides from the person's row and the viewer's relation to them.
    pub fn decide(row: &UserRow, viewer: &Viewer, relation: Option<FollowStatus>) -> Self {
        let is_self = viewer.user_id == Some(row.user_id);
        if row.deleted {
            return ProfileAccess::Hidden;
        }
        if is_self || viewer.is_staff() {
            return ProfileAccess::Full;
        }
        if row.is_banned_at(Utc::now()) {
            return ProfileAccess::Hidden;
        }
        match row.privacy() {
            Privacy::Public => ProfileAccess::Full,
            Privacy::FollowersOnly if relation == Some(FollowStatus::Approved) => {
                ProfileAccess::Full
            }
            Privacy::FollowersOnly | Privacy::Private => ProfileAccess::Limited,
        }
    }
}

/// Refuses a caller whose account is banned (`FORBIDDEN`) or closed (`UNAUTHENTICATED`): their
/// tokens stop working from the next request.
pub async fn check_standing(pool: &PgPool, user_id: Uuid) -> ApiResult<()> {
    match read::standing(pool, user_id).await? {
        Some(standing) if standing.deleted => Err(ApiError::Unauthenticated),
        Some(standing) if standing.banned => {
            Err(ApiError::Forbidden("this account is banned".to_owned()))
        }
        _ => Ok(()),
    }
}

/// Whether `viewer` may see the content of each of `owners` (their public itineraries): the
/// owner always; nobody but the owner once they closed their account; staff everything else;
/// others nothing of a banned person, and otherwise as the owner's privacy says (PUBLIC: all,
/// FOLLOWERS_ONLY: approved followers, PRIVATE: nobody). A person the model does not know yet
/// (just registered) counts as public.
pub async fn content_visible(
    pool: &PgPool,
    owners: &[Uuid],
    viewer: &Viewer,
) -> ApiResult<HashMap<Uuid, bool>> {
    let facts = read::owner_facts(pool, owners, viewer.user_id).await?;
    let mut visible: HashMap<Uuid, bool> = owners.iter().map(|owner| (*owner, true)).collect();
    for owner in facts {
        let allowed = if viewer.user_id == Some(owner.user_id) {
            true
        } else if owner.deleted {
            false
        } else if viewer.is_staff() {
            true
        } else if owner.banned {
            false
        } else {
            match Privacy::parse(&owner.privacy).unwrap_or(Privacy::Private) {
                Privacy::Public => true,
                Privacy::FollowersOnly => owner.follow.as_deref() == Some("APPROVED"),
                Privacy::Private => false,
            }
        };
        visible.insert(owner.user_id, allowed);
    }
    Ok(visible)
}
