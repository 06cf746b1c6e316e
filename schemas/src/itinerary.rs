//! Events of the Itinerary aggregate (topic `wayfarer.itinerary`).

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Aggregate type name, used in the store and in the topic name.
pub const AGGREGATE_TYPE: &str = "itinerary";

/// Current schema version of every itinerary event.
pub const EVENT_VERSION: &str = "1.0";

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
    ];

    fn event_type(&self) -> &'static str {
        match self {
            ItineraryEvent::ItineraryCreated { .. } => "ItineraryCreated",
            ItineraryEvent::ItineraryUpdated { .. } => "ItineraryUpdated",
            ItineraryEvent::ItineraryDeleted { .. } => "ItineraryDeleted",
            ItineraryEvent::ItineraryItemAdded { .. } => "ItineraryItemAdded",
            ItineraryEvent::ItineraryItemUpdated { .. } => "ItineraryItemUpdated",
            ItineraryEvent::ItineraryItemDeleted { .. } => "ItineraryItemDeleted",
            ItineraryEvent::ItineraryItemsReordered { .. } => "ItineraryItemsReordered",
        }
    }
}
