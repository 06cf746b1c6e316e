//! The place catalogue import: every city and airport of the shipped extracts becomes a Place
//! (`PlaceAdded`, by the catalogue), under an id derived from its row, so the import can run
//! on every start (`wayfarer dev`, `wayfarer places import`) and adds each place once.

use futures::StreamExt;
use sqlx::PgPool;
use uuid::Uuid;
use wayfarer_commands::{CommandError, CommandHandler, CommandRequest};
use wayfarer_domain::place::{NewPlace, PlaceActor, PlaceCommand, PlaceError};
use wayfarer_domain::Place;
use wayfarer_schemas::{catalogue_place_id, EventMetadata, PlaceCategory};
use wayfarer_suppliers::ReferenceData;

/// Places added at once: the import shares its pool with whatever else the process runs.
const IMPORT_CONCURRENCY: usize = 4;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: usize,
    /// Already in the catalogue (an earlier import).
    pub present: usize,
}

/// The catalogue's places, with their rows' references.
fn catalogue() -> Vec<NewPlace> {
    let data = ReferenceData::bundled();
    let cities = data.cities().map(|city| NewPlace {
        name: city.name.clone(),
        category: PlaceCategory::City,
        latitude: city.latitude,
        longitude: city.longitude,
        address: Some(city.country.clone()),
        catalogue_ref: Some(format!("geonames:{}", city.geonameid)),
    });
    let airports = data.airports().map(|airport| NewPlace {
        name: format!("{} ({})", airport.name, airport.iata),
        category: PlaceCategory::Airport,
        latitude: airport.latitude,
        longitude: airport.longitude,
        address: Some(format!("{}, {}", airport.city, airport.country)),
        catalogue_ref: Some(format!("iata:{}", airport.iata)),
    });
    cities.chain(airports).collect()
}

/// Adds every catalogue place not yet added.
pub async fn import_places(pool: &PgPool) -> Result<ImportReport, CommandError<PlaceError>> {
    let handler = CommandHandler::<Place>::new(pool.clone());
    let outcomes: Vec<Result<bool, CommandError<PlaceError>>> = futures::stream::iter(catalogue())
        .map(|place| {
            let handler = &handler;
            async move {
                let reference = place.catalogue_ref.clone().unwrap_or_default();
                let place_id = catalogue_place_id(&reference);
                let command_id = Uuid::new_v5(&place_id, b"catalogue-import");
                let added = handler
                    .execute(CommandRequest {
                        aggregate_id: place_id.to_string(),
                        command: PlaceCommand::Add {
                            actor: PlaceActor::Catalogue,
                            now: chrono::Utc::now(),
                            place,
                        },
                        metadata: EventMetadata {
                            actor: None,
                            command_id,
                            correlation_id: command_id,
                            causation_id: command_id,
                        },
                        idempotency: None,
                    })
                    .await;
                match added {
                    Ok(_) => Ok(true),
                    Err(CommandError::Rejected(PlaceError::AlreadyExists)) => Ok(false),
                    Err(error) => Err(error),
                }
            }
        })
        .buffer_unordered(IMPORT_CONCURRENCY)
        .collect()
        .await;
    let mut report = ImportReport::default();
    for outcome in outcomes {
        if outcome? {
            report.added += 1;
        } else {
            report.present += 1;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_holds_every_city_and_airport_once() {
        let places = catalogue();
        let mut references: Vec<&str> = places
            .iter()
            .filter_map(|p| p.catalogue_ref.as_deref())
            .collect();
        references.sort_unstable();
        references.dedup();
        assert_eq!(references.len(), places.len());
        assert!(references.contains(&"geonames:2988507"), "Paris");
        assert!(references.contains(&"iata:CDG"));
    }
}
