//! Events of the Template aggregate (topic `wayfarer.template`): itineraries saved to the
//! public template library, for anyone to start a trip from.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::itinerary::{Category, Location, MoneyAmount};

/// Aggregate type name, used in the store and in the topic name.
pub const AGGREGATE_TYPE: &str = "template";

/// Current schema version of every template event.
///
/// - `1.0`: the first published version.
pub const EVENT_VERSION: &str = "1.0";

/// What kind of trip a template is, for browsing the library.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TripCategory {
    CityBreak,
    Culture,
    FoodAndDrink,
    Nature,
    Adventure,
    Beach,
    RoadTrip,
    Family,
    Other,
}

impl TripCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            TripCategory::CityBreak => "CITY_BREAK",
            TripCategory::Culture => "CULTURE",
            TripCategory::FoodAndDrink => "FOOD_AND_DRINK",
            TripCategory::Nature => "NATURE",
            TripCategory::Adventure => "ADVENTURE",
            TripCategory::Beach => "BEACH",
            TripCategory::RoadTrip => "ROAD_TRIP",
            TripCategory::Family => "FAMILY",
            TripCategory::Other => "OTHER",
        }
    }
}

/// An item of a template: its times as offsets from the trip's first day (00:00 UTC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateItem {
    pub title: String,
    pub description: Option<String>,
    pub start_offset_minutes: i64,
    pub duration_minutes: i64,
    pub location: Option<Location>,
    pub category: Category,
    pub estimated_cost: Option<MoneyAmount>,
}

/// Everything a template holds, fixed when it is saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateDetails {
    pub title: String,
    pub description: Option<String>,
    pub category: TripCategory,
    /// The trip's length in days.
    pub days: u32,
    pub base_currency: String,
    pub items: Vec<TemplateItem>,
}

/// Everything that can happen to a template. Past tense; internally tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum TemplateEvent {
    /// An itinerary's owner saved it to the library (expenses and people are not copied).
    TemplateSaved {
        template_id: Uuid,
        source_itinerary_id: Uuid,
        author_id: Uuid,
        details: TemplateDetails,
        saved_at: DateTime<Utc>,
    },
    /// An admin put it among the library's featured templates.
    TemplateFeatured {
        featured_by: Uuid,
        featured_at: DateTime<Utc>,
    },
    TemplateUnfeatured {
        unfeatured_by: Uuid,
        unfeatured_at: DateTime<Utc>,
    },
    /// Its author or an admin took it out of the library.
    TemplateDeleted { deleted_at: DateTime<Utc> },
}

impl crate::EventContract for TemplateEvent {
    const AGGREGATE_TYPE: &'static str = AGGREGATE_TYPE;
    const VERSION: &'static str = EVENT_VERSION;
    const EVENT_TYPES: &'static [&'static str] = &[
        "TemplateSaved",
        "TemplateFeatured",
        "TemplateUnfeatured",
        "TemplateDeleted",
    ];

    fn event_type(&self) -> &'static str {
        match self {
            TemplateEvent::TemplateSaved { .. } => "TemplateSaved",
            TemplateEvent::TemplateFeatured { .. } => "TemplateFeatured",
            TemplateEvent::TemplateUnfeatured { .. } => "TemplateUnfeatured",
            TemplateEvent::TemplateDeleted { .. } => "TemplateDeleted",
        }
    }
}
