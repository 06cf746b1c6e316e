//! Events of the Comment aggregate (topic `wayfarer.comment`): one comment on a post, or a
//! reply to another comment of the same post, to any depth.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Aggregate type name, used in the store and in the topic name.
pub const AGGREGATE_TYPE: &str = "comment";

/// Current schema version of every comment event.
///
/// - `1.0`: the first published version.
pub const EVENT_VERSION: &str = "1.0";

/// Everything that can happen to a comment. Past tense; internally tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum CommentEvent {
    /// `addComment`: on `postId`, replying to `parentCommentId` when there is one.
    CommentAdded {
        post_id: Uuid,
        parent_comment_id: Option<Uuid>,
        author_id: Uuid,
        /// The post's author and the parent comment's (told of the comment).
        post_author_id: Uuid,
        parent_author_id: Option<Uuid>,
        content: String,
        added_at: DateTime<Utc>,
    },
    CommentUpdated {
        content: String,
        updated_at: DateTime<Utc>,
    },
    /// `deleteComment`: the text goes; the thread keeps the comment's place as "deleted".
    CommentDeleted {
        deleted_by: Uuid,
        deleted_at: DateTime<Utc>,
    },
    /// `hideComment`, by the post's author or a moderator: only the comment's author still
    /// sees it, with the reason.
    CommentHidden {
        hidden_by: Uuid,
        /// Hidden by a moderator (then only staff show it again), not the post's author.
        #[serde(default)]
        by_moderator: bool,
        reason: Option<String>,
        hidden_at: DateTime<Utc>,
    },
    CommentUnhidden {
        unhidden_by: Uuid,
        unhidden_at: DateTime<Utc>,
    },
}

impl crate::EventContract for CommentEvent {
    const AGGREGATE_TYPE: &'static str = AGGREGATE_TYPE;
    const VERSION: &'static str = EVENT_VERSION;
    const EVENT_TYPES: &'static [&'static str] = &[
        "CommentAdded",
        "CommentUpdated",
        "CommentDeleted",
        "CommentHidden",
        "CommentUnhidden",
    ];

    fn event_type(&self) -> &'static str {
        match self {
            CommentEvent::CommentAdded { .. } => "CommentAdded",
            CommentEvent::CommentUpdated { .. } => "CommentUpdated",
            CommentEvent::CommentDeleted { .. } => "CommentDeleted",
            CommentEvent::CommentHidden { .. } => "CommentHidden",
            CommentEvent::CommentUnhidden { .. } => "CommentUnhidden",
        }
    }
}
