//! Events of the Itinerary aggregate (topic `wayfarer.itinerary`).

use std::collections::BTreeMap;

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
///   collaboration, item comments, restored versions, expenses and budgets.
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

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
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

/// Digits after the decimal point in a currency's minor unit (ISO 4217): none for the yen,
/// the won and the Icelandic króna, two for the other currencies Wayfarer quotes.
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "ISK" => 0,
        _ => 2,
    }
}

impl MoneyAmount {
    /// For people: `45.00 EUR`, `1200 JPY`.
    pub fn display(&self) -> String {
        let digits = minor_digits(&self.currency) as usize;
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let text = format!(
            "{:0>width$}",
            self.amount_minor.unsigned_abs(),
            width = digits + 1
        );
        let (whole, fraction) = text.split_at(text.len() - digits);
        if fraction.is_empty() {
            format!("{sign}{whole} {}", self.currency)
        } else {
            format!("{sign}{whole}.{fraction} {}", self.currency)
        }
    }
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

/// How an expense was shared among people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SplitMethod {
    /// The same part each.
    Equally,
    /// In proportion to whole-number shares.
    Shares,
    /// Exact amounts each.
    Exact,
}

impl SplitMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SplitMethod::Equally => "EQUALLY",
            SplitMethod::Shares => "SHARES",
            SplitMethod::Exact => "EXACT",
        }
    }
}

/// An expense as recorded: what was paid, by whom, and who owes which part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpenseDetails {
    pub amount: MoneyAmount,
    pub category: Category,
    pub description: Option<String>,
    /// The day it was spent (its exchange rate is that day's).
    pub date: NaiveDate,
    pub paid_by: Uuid,
    pub split_method: SplitMethod,
    /// What was asked, per person: 1 each (EQUALLY), the share (SHARES) or the exact part
    /// in minor units (EXACT).
    pub split_inputs: BTreeMap<Uuid, i64>,
    /// Each person's part in minor units of `amount`'s currency; they add up to the amount.
    pub parts: BTreeMap<Uuid, i64>,
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
    ExpenseAdded {
        expense_id: Uuid,
        item_id: Uuid,
        details: ExpenseDetails,
        added_by: Uuid,
        added_at: DateTime<Utc>,
    },
    /// The expense's details replaced whole.
    ExpenseUpdated {
        expense_id: Uuid,
        details: ExpenseDetails,
        updated_at: DateTime<Utc>,
    },
    ExpenseDeleted {
        expense_id: Uuid,
        deleted_at: DateTime<Utc>,
    },
    /// The budget of a category, in the itinerary's base currency; `None` clears it.
    BudgetSet {
        category: Category,
        amount: Option<MoneyAmount>,
        set_at: DateTime<Utc>,
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
        "ExpenseAdded",
        "ExpenseUpdated",
        "ExpenseDeleted",
        "BudgetSet",
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
            ItineraryEvent::ExpenseAdded { .. } => "ExpenseAdded",
            ItineraryEvent::ExpenseUpdated { .. } => "ExpenseUpdated",
            ItineraryEvent::ExpenseDeleted { .. } => "ExpenseDeleted",
            ItineraryEvent::BudgetSet { .. } => "BudgetSet",
        }
    }
}
