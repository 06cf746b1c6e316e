//! Events of moderation: the community guidelines (topic `wayfarer.guidelines`, one stream)
//! and the moderation case of each flagged post, comment or review (topic
//! `wayfarer.moderation`, one stream per target, id [`case_id`]).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Aggregate type of a moderation case.
pub const CASE_AGGREGATE_TYPE: &str = "moderation";
/// Aggregate type of the community guidelines.
pub const GUIDELINES_AGGREGATE_TYPE: &str = "guidelines";

/// Current schema version of every moderation and guidelines event.
///
/// - `1.0`: the first published version.
pub const EVENT_VERSION: &str = "1.0";

/// The one stream of the community guidelines.
pub const GUIDELINES_ID: Uuid = Uuid::from_u128(0x6d0e_4c1a_9b3f_4e27_8a15_c9d2_e0f3_a471);

/// What can be flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FlagTarget {
    Post,
    Comment,
    Review,
}

impl FlagTarget {
    pub const ALL: [FlagTarget; 3] = [FlagTarget::Post, FlagTarget::Comment, FlagTarget::Review];

    pub fn as_str(self) -> &'static str {
        match self {
            FlagTarget::Post => "POST",
            FlagTarget::Comment => "COMMENT",
            FlagTarget::Review => "REVIEW",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// What a moderator decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ModerationAction {
    /// Nothing wrong: the flags are closed.
    Dismiss,
    /// Hidden from everyone but its author, who sees why.
    Hide,
    /// Deleted.
    Remove,
    /// Handed to the admins, who decide.
    Escalate,
}

impl ModerationAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ModerationAction::Dismiss => "DISMISS",
            ModerationAction::Hide => "HIDE",
            ModerationAction::Remove => "REMOVE",
            ModerationAction::Escalate => "ESCALATE",
        }
    }
}

/// One rule of the community guidelines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuidelineRule {
    /// Upper-case, e.g. `SPAM`: what flags cite.
    pub code: String,
    pub title: String,
    pub description: String,
}

/// Everything that can happen to the guidelines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum GuidelinesEvent {
    /// `updateGuidelines`: the whole rule set as of `version` (the first published is 2;
    /// version 1 is the built-in set).
    GuidelinesUpdated {
        version: u32,
        rules: Vec<GuidelineRule>,
        updated_by: Uuid,
        updated_at: DateTime<Utc>,
    },
}

impl crate::EventContract for GuidelinesEvent {
    const AGGREGATE_TYPE: &'static str = GUIDELINES_AGGREGATE_TYPE;
    const VERSION: &'static str = EVENT_VERSION;
    const EVENT_TYPES: &'static [&'static str] = &["GuidelinesUpdated"];

    fn event_type(&self) -> &'static str {
        match self {
            GuidelinesEvent::GuidelinesUpdated { .. } => "GuidelinesUpdated",
        }
    }
}

/// Everything that can happen to a moderation case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum ModerationEvent {
    /// `flagContent`: once per person and target, citing a rule of the guidelines in force.
    ContentFlagged {
        target_type: FlagTarget,
        target_id: Uuid,
        /// The content's author (told when it is hidden or removed).
        author_id: Uuid,
        flagged_by: Uuid,
        rule_code: String,
        guidelines_version: u32,
        reason: Option<String>,
        flagged_at: DateTime<Utc>,
    },
    /// `resolveFlag`: the open flags are decided (ESCALATE hands them to the admins).
    FlagsResolved {
        action: ModerationAction,
        resolved_by: Uuid,
        note: Option<String>,
        resolved_at: DateTime<Utc>,
    },
}

impl crate::EventContract for ModerationEvent {
    const AGGREGATE_TYPE: &'static str = CASE_AGGREGATE_TYPE;
    const VERSION: &'static str = EVENT_VERSION;
    const EVENT_TYPES: &'static [&'static str] = &["ContentFlagged", "FlagsResolved"];

    fn event_type(&self) -> &'static str {
        match self {
            ModerationEvent::ContentFlagged { .. } => "ContentFlagged",
            ModerationEvent::FlagsResolved { .. } => "FlagsResolved",
        }
    }
}

/// Names moderation case ids (version 5).
const CASE_NAMESPACE: Uuid = Uuid::from_u128(0x1b7c_5e2d_8f4a_4d63_a9e1_0c6b_3d8f_52a7);

/// The moderation case of one target: every flag of it gathers there.
pub fn case_id(target_type: FlagTarget, target_id: Uuid) -> Uuid {
    Uuid::new_v5(
        &CASE_NAMESPACE,
        format!("{}/{target_id}", target_type.as_str()).as_bytes(),
    )
}
