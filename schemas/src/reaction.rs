//! Events of the Reaction aggregate (topic `wayfarer.reaction`): one person's reaction to one
//! post, comment or itinerary. Its id is [`reaction_id`], so each person has at most one
//! reaction per target.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Aggregate type name, used in the store and in the topic name.
pub const AGGREGATE_TYPE: &str = "reaction";

/// Current schema version of every reaction event.
///
/// - `1.0`: the first published version.
pub const EVENT_VERSION: &str = "1.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReactionType {
    Like,
    Love,
    Haha,
    Wow,
    Sad,
    Angry,
}

impl ReactionType {
    pub const ALL: [ReactionType; 6] = [
        ReactionType::Like,
        ReactionType::Love,
        ReactionType::Haha,
        ReactionType::Wow,
        ReactionType::Sad,
        ReactionType::Angry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReactionType::Like => "LIKE",
            ReactionType::Love => "LOVE",
            ReactionType::Haha => "HAHA",
            ReactionType::Wow => "WOW",
            ReactionType::Sad => "SAD",
            ReactionType::Angry => "ANGRY",
        }
    }
}

/// What can be reacted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReactionTarget {
    Post,
    Comment,
    Itinerary,
}

impl ReactionTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            ReactionTarget::Post => "POST",
            ReactionTarget::Comment => "COMMENT",
            ReactionTarget::Itinerary => "ITINERARY",
        }
    }
}

/// Everything that can happen to a reaction. Past tense; internally tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum ReactionEvent {
    /// `addReaction`: also when the person reacted before and removed it, or reacted with
    /// another type (`previous` names it: the new type replaces it).
    ReactionAdded {
        target_type: ReactionTarget,
        target_id: Uuid,
        user_id: Uuid,
        /// Whose post or comment, or whose itinerary (told of the reaction).
        target_owner_id: Uuid,
        reaction: ReactionType,
        previous: Option<ReactionType>,
        added_at: DateTime<Utc>,
    },
    /// `removeReaction`.
    ReactionRemoved {
        reaction: ReactionType,
        removed_at: DateTime<Utc>,
    },
}

impl crate::EventContract for ReactionEvent {
    const AGGREGATE_TYPE: &'static str = AGGREGATE_TYPE;
    const VERSION: &'static str = EVENT_VERSION;
    const EVENT_TYPES: &'static [&'static str] = &["ReactionAdded", "ReactionRemoved"];

    fn event_type(&self) -> &'static str {
        match self {
            ReactionEvent::ReactionAdded { .. } => "ReactionAdded",
            ReactionEvent::ReactionRemoved { .. } => "ReactionRemoved",
        }
    }
}

/// Names reaction ids (version 5).
const REACTION_NAMESPACE: Uuid = Uuid::from_u128(0x5c1e_93a7_2b4d_4f08_b6e2_7d3a_9c0f_1e24);

/// The id of `user`'s reaction to a target: one per person and target.
pub fn reaction_id(target_type: ReactionTarget, target_id: Uuid, user: Uuid) -> Uuid {
    Uuid::new_v5(
        &REACTION_NAMESPACE,
        format!("{}/{target_id}/{user}", target_type.as_str()).as_bytes(),
    )
}
