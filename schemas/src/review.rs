//! Events of the Review aggregate (topic `wayfarer.review`): one person's review of one
//! place, 1 to 5 stars with text and media, and who found it helpful.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Aggregate type name, used in the store and in the topic name.
pub const AGGREGATE_TYPE: &str = "review";

/// Current schema version of every review event.
///
/// - `1.0`: the first published version.
pub const EVENT_VERSION: &str = "1.0";

/// What a media item of a review is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MediaType {
    Photo,
    Video,
}

/// A photo or video of a review, by URL (uploads come later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewMedia {
    pub media_id: Uuid,
    pub url: String,
    pub media_type: MediaType,
    pub caption: Option<String>,
}

/// Everything that can happen to a review. Past tense; internally tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum ReviewEvent {
    /// `createReview`: also after the author deleted an earlier review of the place.
    ReviewCreated {
        place_id: Uuid,
        author_id: Uuid,
        rating: u8,
        content: String,
        created_at: DateTime<Utc>,
    },
    /// `updateReview`: the rating and text as they are now.
    ReviewUpdated {
        rating: u8,
        content: String,
        updated_at: DateTime<Utc>,
    },
    /// `deleteReview`: its media and helpful marks go with it.
    ReviewDeleted { deleted_at: DateTime<Utc> },
    ReviewMediaAdded {
        media: ReviewMedia,
        added_at: DateTime<Utc>,
    },
    ReviewMediaRemoved {
        media_id: Uuid,
        removed_at: DateTime<Utc>,
    },
    /// `markReviewHelpful`: once per person, never by the author.
    ReviewMarkedHelpful {
        user_id: Uuid,
        marked_at: DateTime<Utc>,
    },
    /// A moderator hid it (`resolveFlag` with HIDE): only its author still sees it, with
    /// the reason; the place's figures leave it out.
    ReviewHidden {
        hidden_by: Uuid,
        reason: Option<String>,
        hidden_at: DateTime<Utc>,
    },
}

impl crate::EventContract for ReviewEvent {
    const AGGREGATE_TYPE: &'static str = AGGREGATE_TYPE;
    const VERSION: &'static str = EVENT_VERSION;
    const EVENT_TYPES: &'static [&'static str] = &[
        "ReviewCreated",
        "ReviewUpdated",
        "ReviewDeleted",
        "ReviewMediaAdded",
        "ReviewMediaRemoved",
        "ReviewMarkedHelpful",
        "ReviewHidden",
    ];

    fn event_type(&self) -> &'static str {
        match self {
            ReviewEvent::ReviewCreated { .. } => "ReviewCreated",
            ReviewEvent::ReviewUpdated { .. } => "ReviewUpdated",
            ReviewEvent::ReviewDeleted { .. } => "ReviewDeleted",
            ReviewEvent::ReviewMediaAdded { .. } => "ReviewMediaAdded",
            ReviewEvent::ReviewMediaRemoved { .. } => "ReviewMediaRemoved",
            ReviewEvent::ReviewMarkedHelpful { .. } => "ReviewMarkedHelpful",
            ReviewEvent::ReviewHidden { .. } => "ReviewHidden",
        }
    }
}

/// Names review ids (version 5).
const REVIEW_NAMESPACE: Uuid = Uuid::from_u128(0x8d2f_4a61_3c7e_4b95_a0d8_6e1f_2b3c_4d5e);

/// The id of `author`'s review of `place`: one review per person and place, whoever asks and
/// however often.
pub fn review_id(place: Uuid, author: Uuid) -> Uuid {
    Uuid::new_v5(&REVIEW_NAMESPACE, format!("{place}/{author}").as_bytes())
}
