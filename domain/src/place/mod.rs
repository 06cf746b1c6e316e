//! The Place aggregate: one place of the catalogue (a city, an airport, a café someone added).
//! A place is added once and then referred to by reviews, posts and "near me"; its id is
//! chosen by the caller (derived from the catalogue row, or from the name and where it is, so
//! that two people adding the same café at the same moment add it once).

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;
pub use wayfarer_schemas::place::normalized_name;
use wayfarer_schemas::{PlaceCategory, PlaceEvent};

use crate::aggregate::{Aggregate, DomainError, ErrorKind};
use crate::values::{check_text, Lines, Location, ValueError};

/// The longest address kept, in characters.
pub const ADDRESS_MAX_CHARS: usize = 300;

/// Who adds a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceActor {
    /// A signed-in person (the API has checked they are not banned).
    Person(Uuid),
    /// The catalogue import of the shipped extracts.
    Catalogue,
}

/// A place as someone asks to add it (checked by [`Place::decide`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlace {
    pub name: String,
    pub category: PlaceCategory,
    pub latitude: f64,
    pub longitude: f64,
    pub address: Option<String>,
    /// The catalogue row it comes from (`geonames:<id>`, `iata:<code>`), for the import only.
    pub catalogue_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PlaceCommand {
    Add {
        actor: PlaceActor,
        now: DateTime<Utc>,
        place: NewPlace,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    /// The place exists already (the same catalogue row, or the same name at the same spot).
    #[error("this place is in the catalogue already")]
    AlreadyExists,
    #[error("an address is at most {ADDRESS_MAX_CHARS} characters on one line")]
    InvalidAddress,
    /// Only the catalogue import names catalogue rows.
    #[error("only the catalogue import adds catalogue places")]
    CatalogueOnly,
    #[error(transparent)]
    Invalid(#[from] ValueError),
}

impl DomainError for PlaceError {
    fn kind(&self) -> ErrorKind {
        match self {
            PlaceError::AlreadyExists => ErrorKind::Conflict,
            PlaceError::CatalogueOnly => ErrorKind::Forbidden,
            PlaceError::InvalidAddress | PlaceError::Invalid(_) => ErrorKind::Validation,
        }
    }
}

/// A place, once added.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Place {
    added: Option<Added>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Added {
    name: String,
    category: PlaceCategory,
    latitude: f64,
    longitude: f64,
}

impl Place {
    pub fn exists(&self) -> bool {
        self.added.is_some()
    }

    pub fn name(&self) -> Option<&str> {
        self.added.as_ref().map(|a| a.name.as_str())
    }

    pub fn category(&self) -> Option<PlaceCategory> {
        self.added.as_ref().map(|a| a.category)
    }

    /// Latitude and longitude.
    pub fn coordinates(&self) -> Option<(f64, f64)> {
        self.added.as_ref().map(|a| (a.latitude, a.longitude))
    }
}

fn address(input: Option<&str>) -> Result<Option<String>, PlaceError> {
    let Some(text) = input.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > ADDRESS_MAX_CHARS
        || check_text(text, Lines::Single, "address").is_err()
    {
        return Err(PlaceError::InvalidAddress);
    }
    Ok(Some(text.to_owned()))
}

impl Aggregate for Place {
    const TYPE: &'static str = wayfarer_schemas::place::AGGREGATE_TYPE;
    type Command = PlaceCommand;
    type Event = PlaceEvent;
    type Error = PlaceError;

    fn decide(&self, command: PlaceCommand) -> Result<Vec<PlaceEvent>, PlaceError> {
        let PlaceCommand::Add { actor, now, place } = command;
        if self.exists() {
            return Err(PlaceError::AlreadyExists);
        }
        let added_by = match (actor, &place.catalogue_ref) {
            (PlaceActor::Person(_), Some(_)) => return Err(PlaceError::CatalogueOnly),
            (PlaceActor::Person(person), None) => Some(person),
            (PlaceActor::Catalogue, _) => None,
        };
        let location = Location::new(&place.name, place.latitude, place.longitude)?;
        Ok(vec![PlaceEvent::PlaceAdded {
            name: location.name().to_owned(),
            category: place.category,
            latitude: location.lat(),
            longitude: location.lon(),
            address: address(place.address.as_deref())?,
            catalogue_ref: place.catalogue_ref,
            added_by,
            added_at: now,
        }])
    }

    fn apply(&mut self, event: &PlaceEvent) {
        match event {
            PlaceEvent::PlaceAdded {
                name,
                category,
                latitude,
                longitude,
                ..
            } => {
                self.added = Some(Added {
                    name: name.clone(),
                    category: *category,
                    latitude: *latitude,
                    longitude: *longitude,
                });
            }
        }
    }

    fn expected_version(_command: &PlaceCommand) -> Option<u64> {
        None
    }
}

/// Names the ids of places people add (version 5).
const ADDED_NAMESPACE: Uuid = Uuid::from_u128(0x2c7e_91d0_5f3a_4b6c_8e1d_0a9b_7c6d_5e4f);

/// About 110 m of latitude: places of one name closer than a cell or two are one place.
const CELL_DEGREES: f64 = 0.001;

/// The id a person's place gets: derived from its normalized name and the ~110 m cell it
/// falls in, so two people adding the same place at the same moment add it once (the API
/// also looks for the same name in the neighbouring cells first).
pub fn added_place_id(name: &str, latitude: f64, longitude: f64) -> Uuid {
    let cell = |degrees: f64| (degrees / CELL_DEGREES).floor() as i64;
    let key = format!(
        "{}/{}/{}",
        normalized_name(name),
        cell(latitude),
        cell(longitude)
    );
    Uuid::new_v5(&ADDED_NAMESPACE, key.as_bytes())
}
