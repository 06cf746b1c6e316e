//! Given/when/then for adding a place, and the duplicate rules.

use chrono::TimeZone;

use super::*;
use crate::testing::given;

const ADA: Uuid = Uuid::from_u128(1);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn flore() -> NewPlace {
    NewPlace {
        name: "  Café de Flore ".into(),
        category: PlaceCategory::Cafe,
        latitude: 48.85404,
        longitude: 2.33257,
        address: Some("172 Boulevard Saint-Germain, Paris".into()),
        catalogue_ref: None,
    }
}

fn add(actor: PlaceActor, place: NewPlace) -> PlaceCommand {
    PlaceCommand::Add {
        actor,
        now: now(),
        place,
    }
}

fn added() -> PlaceEvent {
    PlaceEvent::PlaceAdded {
        name: "Café de Flore".into(),
        category: PlaceCategory::Cafe,
        latitude: 48.85404,
        longitude: 2.33257,
        address: Some("172 Boulevard Saint-Germain, Paris".into()),
        catalogue_ref: None,
        added_by: Some(ADA),
        added_at: now(),
    }
}

#[test]
fn a_person_adds_a_place_once() {
    let place = given::<Place>([])
        .when(add(PlaceActor::Person(ADA), flore()))
        .then_expect(vec![added()]);
    assert_eq!(place.name(), Some("Café de Flore"));
    given::<Place>([added()])
        .when(add(PlaceActor::Person(ADA), flore()))
        .then_reject(PlaceError::AlreadyExists);
}

#[test]
fn names_coordinates_and_addresses_are_checked() {
    for (name, lat, lon) in [
        ("", 48.0, 2.0),
        (&"x".repeat(201), 48.0, 2.0),
        ("Flore", 91.0, 2.0),
        ("Flore", 48.0, -180.5),
        ("Flore", f64::NAN, 2.0),
    ] {
        let place = NewPlace {
            name: name.into(),
            latitude: lat,
            longitude: lon,
            ..flore()
        };
        given::<Place>([])
            .when(add(PlaceActor::Person(ADA), place))
            .then_reject(PlaceError::Invalid(ValueError::InvalidLocation));
    }
    let control = NewPlace {
        name: "Flore\u{0}".into(),
        ..flore()
    };
    given::<Place>([])
        .when(add(PlaceActor::Person(ADA), control))
        .then_reject(PlaceError::Invalid(ValueError::ControlCharacter {
            field: "location name",
        }));
    for address in ["x".repeat(301), "line\nbreak".to_owned()] {
        let place = NewPlace {
            address: Some(address),
            ..flore()
        };
        given::<Place>([])
            .when(add(PlaceActor::Person(ADA), place))
            .then_reject(PlaceError::InvalidAddress);
    }
}

#[test]
fn only_the_import_names_a_catalogue_row() {
    let city = NewPlace {
        name: "Paris".into(),
        category: PlaceCategory::City,
        latitude: 48.85341,
        longitude: 2.3488,
        address: None,
        catalogue_ref: Some("geonames:2988507".into()),
    };
    given::<Place>([])
        .when(add(PlaceActor::Person(ADA), city.clone()))
        .then_reject(PlaceError::CatalogueOnly);
    let events = given::<Place>([])
        .when(add(PlaceActor::Catalogue, city))
        .then_expect(vec![PlaceEvent::PlaceAdded {
            name: "Paris".into(),
            category: PlaceCategory::City,
            latitude: 48.85341,
            longitude: 2.3488,
            address: None,
            catalogue_ref: Some("geonames:2988507".into()),
            added_by: None,
            added_at: now(),
        }]);
    assert!(events.exists());
}

#[test]
fn one_name_at_one_spot_is_one_place() {
    assert_eq!(normalized_name("  Café de   FLORE!"), "cafe de flore");
    assert_eq!(
        added_place_id("Café de Flore", 48.85404, 2.33257),
        added_place_id("cafe de flore", 48.85409, 2.33251)
    );
    assert_ne!(
        added_place_id("Café de Flore", 48.85404, 2.33257),
        added_place_id("Les Deux Magots", 48.85404, 2.33257)
    );
    assert_ne!(
        added_place_id("Café de Flore", 48.85404, 2.33257),
        added_place_id("Café de Flore", 48.86404, 2.33257)
    );
}
