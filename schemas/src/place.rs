//! Events of the Place aggregate (topic `wayfarer.place`): the place catalogue that reviews,
//! tags and "near me" refer to. The cities and airports of the shipped extracts are added by
//! the catalogue import; people add the rest.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Aggregate type name, used in the store and in the topic name.
pub const AGGREGATE_TYPE: &str = "place";

/// Current schema version of every place event.
///
/// - `1.0`: the first published version.
pub const EVENT_VERSION: &str = "1.0";

/// What kind of place it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlaceCategory {
    City,
    Airport,
    Restaurant,
    Cafe,
    Bar,
    Hotel,
    Museum,
    Attraction,
    Park,
    Beach,
    Shop,
    Station,
    Other,
}

impl PlaceCategory {
    pub const ALL: [PlaceCategory; 13] = [
        PlaceCategory::City,
        PlaceCategory::Airport,
        PlaceCategory::Restaurant,
        PlaceCategory::Cafe,
        PlaceCategory::Bar,
        PlaceCategory::Hotel,
        PlaceCategory::Museum,
        PlaceCategory::Attraction,
        PlaceCategory::Park,
        PlaceCategory::Beach,
        PlaceCategory::Shop,
        PlaceCategory::Station,
        PlaceCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlaceCategory::City => "CITY",
            PlaceCategory::Airport => "AIRPORT",
            PlaceCategory::Restaurant => "RESTAURANT",
            PlaceCategory::Cafe => "CAFE",
            PlaceCategory::Bar => "BAR",
            PlaceCategory::Hotel => "HOTEL",
            PlaceCategory::Museum => "MUSEUM",
            PlaceCategory::Attraction => "ATTRACTION",
            PlaceCategory::Park => "PARK",
            PlaceCategory::Beach => "BEACH",
            PlaceCategory::Shop => "SHOP",
            PlaceCategory::Station => "STATION",
            PlaceCategory::Other => "OTHER",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|category| category.as_str() == text)
    }
}

/// Everything that can happen to a place. Past tense; internally tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum PlaceEvent {
    /// A place joined the catalogue: from the shipped extracts (`catalogue_ref` names its row,
    /// `geonames:<id>` or `iata:<code>`, and `added_by` is absent), or added by a person.
    PlaceAdded {
        name: String,
        category: PlaceCategory,
        latitude: f64,
        longitude: f64,
        address: Option<String>,
        catalogue_ref: Option<String>,
        added_by: Option<Uuid>,
        added_at: DateTime<Utc>,
    },
}

impl crate::EventContract for PlaceEvent {
    const AGGREGATE_TYPE: &'static str = AGGREGATE_TYPE;
    const VERSION: &'static str = EVENT_VERSION;
    const EVENT_TYPES: &'static [&'static str] = &["PlaceAdded"];

    fn event_type(&self) -> &'static str {
        match self {
            PlaceEvent::PlaceAdded { .. } => "PlaceAdded",
        }
    }
}

/// A name as duplicates are compared: case, accents of the common Latin letters and runs of
/// spaces and punctuation do not count ("Café de Flore" and "cafe de  flore" are one name).
pub fn normalized_name(name: &str) -> String {
    let folded: String = name
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Names the ids of catalogue places (version 5), so an import repeated anywhere gives each
/// city and airport the id it had.
const CATALOGUE_NAMESPACE: Uuid = Uuid::from_u128(0x5b1d_7e2a_0c44_4f6e_9a31_d2e8_b7c4_1f90);

/// The id of the catalogue place `catalogue_ref` (`geonames:<id>`, `iata:<code>`).
pub fn catalogue_place_id(catalogue_ref: &str) -> Uuid {
    Uuid::new_v5(&CATALOGUE_NAMESPACE, catalogue_ref.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_read_back_from_their_names() {
        for category in PlaceCategory::ALL {
            assert_eq!(PlaceCategory::parse(category.as_str()), Some(category));
        }
        assert_eq!(PlaceCategory::parse("city"), None);
        assert_ne!(
            catalogue_place_id("iata:CDG"),
            catalogue_place_id("iata:ORY")
        );
    }
}
