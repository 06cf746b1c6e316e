//! Events of the Itinerary aggregate (topic `wayfarer.itinerary`).

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Aggregate type name, used in the store and in the topic name.
pub const AGGREGATE_TYPE: &str = "itinerary";

/// Current schema version of every itinerary event.
///
/// - `1.0`: the first published version.
/// - `2.0`: `ItineraryCreated` carries the itinerary's `status` (required). Stored `1.0`
///   events are upcast on read: an itinerary created before statuses existed is a `DRAFT`,
///   as every new one is. Added within 2.0 (compatible additions): status changes,
///   collaboration, item comments and restored versions.
pub const EVENT_VERSION: &str = "2.0";

/// Where an itinerary stands in its life (the seed's `Itinerary.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ItineraryStatus {
    Draft,
    Planned,
    Ongoing,
    Completed,
    Cancelled,
}

/// What a collaborator may do with an itinerary (the seed's `Collaboration.accessLevel`).
/// Ordered: each level may do everything the ones before it may.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccessLevel {
    /// Reads the itinerary.
    View,
    /// Reads, and comments on its items.
    Comment,
    /// Reads, comments, and changes the itinerary and its items.
    Edit,
}

impl AccessLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::View => "VIEW",
            AccessLevel::Comment => "COMMENT",
            AccessLevel::Edit => "EDIT",
        }
    }
}

impl ItineraryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItineraryStatus::Draft => "DRAFT",
            ItineraryStatus::Planned => "PLANNED",
            ItineraryStatus::Ongoing => "ONGOING",
            ItineraryStatus::Completed => "COMPLETED",
            ItineraryStatus::Cancelled => "CANCELLED",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Visibility {
    Public,
    Private,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    Sightseeing,
    Dining,
    Shopping,
    Accommodation,
    Transport,
    Activity,
    Other,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Sightseeing => "SIGHTSEEING",
            Category::Dining => "DINING",
            Category::Shopping => "SHOPPING",
            Category::Accommodation => "ACCOMMODATION",
            Category::Transport => "TRANSPORT",
            Category::Activity => "ACTIVITY",
            Category::Other => "OTHER",
        }
    }
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "PUBLIC",
            Visibility::Private => "PRIVATE",
        }
    }
}

/// A named place with WGS84 coordinates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

/// An amount of money in integer minor units (cents) of an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MoneyAmount {
    pub amount_minor: i64,
    pub currency: String,
}

/// The editable details of an itinerary, carried whole by create and update events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItineraryDetails {
    pub title: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub visibility: Visibility,
    pub base_currency: String,
}

/// The editable details of an itinerary item, carried whole by add and update events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemDetails {
    pub title: String,
    pub description: Option<String>,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub location: Option<Location>,
    pub category: Category,
    pub estimated_cost: Option<MoneyAmount>,
}

/// Everything that can happen to an itinerary. Past tense; internally tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum ItineraryEvent {
    ItineraryCreated {
        itinerary_id: Uuid,
        owner_id: Uuid,
        details: ItineraryDetails,
        /// Since version 2.0.
        status: ItineraryStatus,
        created_at: DateTime<Utc>,
    },
    ItineraryUpdated {
        details: ItineraryDetails,
        updated_at: DateTime<Utc>,
    },
    ItineraryDeleted {
        deleted_at: DateTime<Utc>,
    },
    /// The item is appended after the existing items.
    ItineraryItemAdded {
        item_id: Uuid,
        details: ItemDetails,
        added_at: DateTime<Utc>,
    },
    ItineraryItemUpdated {
        item_id: Uuid,
        details: ItemDetails,
        updated_at: DateTime<Utc>,
    },
    ItineraryItemDeleted {
        item_id: Uuid,
        deleted_at: DateTime<Utc>,
    },
    /// `item_ids` is the complete new order of the itinerary's items.
    ItineraryItemsReordered {
        item_ids: Vec<Uuid>,
        reordered_at: DateTime<Utc>,
    },
    ItineraryStatusChanged {
        status: ItineraryStatus,
        changed_at: DateTime<Utc>,
    },
    /// The owner invited someone; they collaborate once they accept.
    CollaboratorInvited {
        user_id: Uuid,
        access_level: AccessLevel,
        invited_by: Uuid,
        invited_at: DateTime<Utc>,
    },
    InvitationAccepted {
        user_id: Uuid,
        accepted_at: DateTime<Utc>,
    },
    InvitationDeclined {
        user_id: Uuid,
        declined_at: DateTime<Utc>,
    },
    /// The level of a collaborator, or of a pending invitation, changed.
    CollaboratorAccessUpdated {
        user_id: Uuid,
        access_level: AccessLevel,
        updated_at: DateTime<Utc>,
    },
    /// The owner removed a collaborator or withdrew an invitation.
    CollaboratorRemoved {
        user_id: Uuid,
        removed_at: DateTime<Utc>,
    },
    CollaboratorLeft {
        user_id: Uuid,
        left_at: DateTime<Utc>,
    },
    /// A collaborator became the owner; the previous owner stays on as an EDIT collaborator.
    OwnershipTransferred {
        previous_owner_id: Uuid,
        new_owner_id: Uuid,
        transferred_at: DateTime<Utc>,
    },
    /// A comment on an item, or a reply to one (`parent_comment_id`).
    ItemCommentAdded {
        comment_id: Uuid,
        item_id: Uuid,
        parent_comment_id: Option<Uuid>,
        author_id: Uuid,
        text: String,
        added_at: DateTime<Utc>,
    },
    ItemCommentEdited {
        comment_id: Uuid,
        text: String,
        edited_at: DateTime<Utc>,
    },
    /// The comment's text is gone; its replies stay, under a deleted parent.
    ItemCommentDeleted {
        comment_id: Uuid,
        deleted_at: DateTime<Utc>,
    },
    /// The events that follow, in the same commit, bring back the state of `version`.
    ItineraryVersionRestored {
        version: u64,
        restored_at: DateTime<Utc>,
    },
}

impl crate::EventContract for ItineraryEvent {
    const AGGREGATE_TYPE: &'static str = AGGREGATE_TYPE;
    const VERSION: &'static str = EVENT_VERSION;
    const EVENT_TYPES: &'static [&'static str] = &[
        "ItineraryCreated",
        "ItineraryUpdated",
        "ItineraryDeleted",
        "ItineraryItemAdded",
        "ItineraryItemUpdated",
        "ItineraryItemDeleted",
        "ItineraryItemsReordered",
        "ItineraryStatusChanged",
        "CollaboratorInvited",
        "InvitationAccepted",
        "InvitationDeclined",
        "CollaboratorAccessUpdated",
        "CollaboratorRemoved",
        "CollaboratorLeft",
        "OwnershipTransferred",
        "ItemCommentAdded",
        "ItemCommentEdited",
        "ItemCommentDeleted",
        "ItineraryVersionRestored",
    ];

    /// `1.0` → `2.0`: `ItineraryCreated` gains `status`, `DRAFT` for itineraries created
    /// before statuses existed; the other events are unchanged.
    fn upcast(
        event_type: &str,
        version: &str,
        mut payload: serde_json::Value,
    ) -> Result<serde_json::Value, crate::DecodeError> {
        match version {
            "1.0" => {
                if event_type == "ItineraryCreated" {
                    if let Some(fields) = payload.as_object_mut() {
                        fields
                            .entry("status")
                            .or_insert_with(|| serde_json::json!("DRAFT"));
                    }
                }
                Ok(payload)
            }
            _ => Err(crate::DecodeError::UnknownVersion {
                event_type: event_type.to_owned(),
                version: version.to_owned(),
            }),
        }
    }

    fn event_type(&self) -> &'static str {
        match self {
            ItineraryEvent::ItineraryCreated { .. } => "ItineraryCreated",
            ItineraryEvent::ItineraryUpdated { .. } => "ItineraryUpdated",
            ItineraryEvent::ItineraryDeleted { .. } => "ItineraryDeleted",
            ItineraryEvent::ItineraryItemAdded { .. } => "ItineraryItemAdded",
            ItineraryEvent::ItineraryItemUpdated { .. } => "ItineraryItemUpdated",
            ItineraryEvent::ItineraryItemDeleted { .. } => "ItineraryItemDeleted",
            ItineraryEvent::ItineraryItemsReordered { .. } => "ItineraryItemsReordered",
            ItineraryEvent::ItineraryStatusChanged { .. } => "ItineraryStatusChanged",
            ItineraryEvent::CollaboratorInvited { .. } => "CollaboratorInvited",
            ItineraryEvent::InvitationAccepted { .. } => "InvitationAccepted",
            ItineraryEvent::InvitationDeclined { .. } => "InvitationDeclined",
            ItineraryEvent::CollaboratorAccessUpdated { .. } => "CollaboratorAccessUpdated",
            ItineraryEvent::CollaboratorRemoved { .. } => "CollaboratorRemoved",
            ItineraryEvent::CollaboratorLeft { .. } => "CollaboratorLeft",
            ItineraryEvent::OwnershipTransferred { .. } => "OwnershipTransferred",
            ItineraryEvent::ItemCommentAdded { .. } => "ItemCommentAdded",
            ItineraryEvent::ItemCommentEdited { .. } => "ItemCommentEdited",
            ItineraryEvent::ItemCommentDeleted { .. } => "ItemCommentDeleted",
            ItineraryEvent::ItineraryVersionRestored { .. } => "ItineraryVersionRestored",
        }
    }
}
