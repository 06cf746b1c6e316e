//! Events of the Post aggregate (topic `wayfarer.post`): a travel story with photos and
//! videos, tagged with an itinerary, a place, a location and hashtags, or a share of another
//! person's post.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::itinerary::Location;
use crate::review::MediaType;

/// Aggregate type name, used in the store and in the topic name.
pub const AGGREGATE_TYPE: &str = "post";

/// Current schema version of every post event.
///
/// - `1.0`: the first published version.
pub const EVENT_VERSION: &str = "1.0";

/// A photo or video of a post, by URL (uploads come later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostMedia {
    pub url: String,
    pub media_type: MediaType,
    pub caption: Option<String>,
}

/// What a post is about, beyond its text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostTags {
    pub itinerary_id: Option<Uuid>,
    /// A place of the catalogue.
    pub place_id: Option<Uuid>,
    /// A free location (a viewpoint, a trail) with its coordinates.
    pub location: Option<Location>,
    /// Lower-case, without `#`, in the order they first appear in the text.
    pub hashtags: Vec<String>,
}

/// Everything that can happen to a post. Past tense; internally tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum PostEvent {
    /// `createPost`, or `sharePost` when `sharedPostId` names the post shared (always an
    /// original, never a share).
    PostCreated {
        author_id: Uuid,
        content: String,
        media: Vec<PostMedia>,
        tags: PostTags,
        shared_post_id: Option<Uuid>,
        /// The shared post's author (told of the share).
        shared_post_author_id: Option<Uuid>,
        created_at: DateTime<Utc>,
    },
    /// `updatePost`: the text, media and tags as they are now.
    PostUpdated {
        content: String,
        media: Vec<PostMedia>,
        tags: PostTags,
        updated_at: DateTime<Utc>,
    },
    /// `deletePost`, by its author or a moderator (`deletedBy`).
    PostDeleted {
        deleted_by: Uuid,
        deleted_at: DateTime<Utc>,
    },
    /// A moderator hid it (`resolveFlag` with HIDE): only its author still sees it, with
    /// the reason.
    PostHidden {
        hidden_by: Uuid,
        reason: Option<String>,
        hidden_at: DateTime<Utc>,
    },
}

impl crate::EventContract for PostEvent {
    const AGGREGATE_TYPE: &'static str = AGGREGATE_TYPE;
    const VERSION: &'static str = EVENT_VERSION;
    const EVENT_TYPES: &'static [&'static str] =
        &["PostCreated", "PostUpdated", "PostDeleted", "PostHidden"];

    fn event_type(&self) -> &'static str {
        match self {
            PostEvent::PostCreated { .. } => "PostCreated",
            PostEvent::PostUpdated { .. } => "PostUpdated",
            PostEvent::PostDeleted { .. } => "PostDeleted",
            PostEvent::PostHidden { .. } => "PostHidden",
        }
    }
}
