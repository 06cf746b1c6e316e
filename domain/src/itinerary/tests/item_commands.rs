//! AddItem and UpdateItem.

use super::*;

fn added(item_id: Uuid, details: ItemDetails) -> ItineraryEvent {
    ItineraryEvent::ItineraryItemAdded {
        item_id,
        details,
        added_at: now(),
    }
}

fn item_updated(item_id: Uuid, details: ItemDetails) -> ItineraryEvent {
    ItineraryEvent::ItineraryItemUpdated {
        item_id,
        details,
        updated_at: now(),
    }
}

fn lisbon_cathedral() -> LocationInput {
    LocationInput {
        name: " Sé de Lisboa ".to_owned(),
        lat: 38.7097,
        lon: -9.1334,
    }
}

fn euros(amount_minor: i64) -> MoneyInput {
    MoneyInput {
        amount_minor,
        currency: "EUR".to_owned(),
    }
}

/// A fully described item, as stored once validated.
fn cathedral_visit() -> ItemDetails {
    ItemDetails {
        title: "Cathedral".to_owned(),
        description: Some("Romanesque, 12th century".to_owned()),
        location: Some(wayfarer_schemas::Location {
            name: "Sé de Lisboa".to_owned(),
            lat: 38.7097,
            lon: -9.1334,
        }),
        estimated_cost: Some(wayfarer_schemas::MoneyAmount {
            amount_minor: 500,
            currency: "EUR".to_owned(),
        }),
        ..item_details("Cathedral")
    }
}

fn with_cathedral() -> Vec<ItineraryEvent> {
    vec![created(), added(ITEM_A, cathedral_visit())]
}

// ---- AddItem ---------------------------------------------------------------------------------

#[test]
fn adding_an_item_appends_it_after_the_existing_items() {
    let state = given([created(), item_added(ITEM_A, "Tram 28")])
        .when(add_item(ITEM_B, new_item("Fado night")))
        .then_expect(vec![item_added(ITEM_B, "Fado night")]);
    assert_eq!(state.item_ids(), vec![ITEM_A, ITEM_B]);
    assert_eq!(state.item(ITEM_B), Some(&item_details("Fado night")));
}

#[test]
fn adding_a_fully_described_item_records_its_validated_details() {
    let details = NewItemDetails {
        title: "  Cathedral ".to_owned(),
        description: Some(" Romanesque, 12th century ".to_owned()),
        location: Some(lisbon_cathedral()),
        estimated_cost: Some(euros(500)),
        ..new_item("Cathedral")
    };
    given([created()])
        .when(add_item(ITEM_A, details))
        .then_expect(vec![added(ITEM_A, cathedral_visit())]);
}

#[test]
fn an_item_spanning_the_first_to_the_last_day_of_the_trip_is_accepted() {
    let details = NewItemDetails {
        start_time: at(june(1), 0, 0),
        end_time: at(june(7), 23, 59),
        ..new_item("Whole trip")
    };
    let expected = ItemDetails {
        start_time: at(june(1), 0, 0),
        end_time: at(june(7), 23, 59),
        ..item_details("Whole trip")
    };
    given([created()])
        .when(add_item(ITEM_A, details))
        .then_expect(vec![added(ITEM_A, expected)]);
}

#[test]
fn an_item_on_the_day_before_the_trip_is_rejected() {
    let details = NewItemDetails {
        start_time: at(date(2026, 5, 31), 22, 0),
        end_time: at(date(2026, 5, 31), 23, 0),
        ..new_item("Airport")
    };
    given([created()])
        .when(add_item(ITEM_A, details))
        .then_reject(ItineraryError::ItemOutsideTrip);
}

#[test]
fn an_item_ending_after_the_last_day_of_the_trip_is_rejected() {
    let details = NewItemDetails {
        start_time: at(june(7), 23, 0),
        end_time: at(june(8), 0, 30),
        ..new_item("Late flight")
    };
    given([created()])
        .when(add_item(ITEM_A, details))
        .then_reject(ItineraryError::ItemOutsideTrip);
}

#[test]
fn an_item_ending_exactly_when_it_starts_is_rejected() {
    let details = NewItemDetails {
        start_time: at(june(2), 9, 0),
        end_time: at(june(2), 9, 0),
        ..new_item("Blink")
    };
    given([created()])
        .when(add_item(ITEM_A, details))
        .then_reject(ItineraryError::Invalid(ValueError::EndsBeforeStart));
}

#[test]
fn an_item_ending_before_it_starts_is_rejected() {
    let details = NewItemDetails {
        start_time: at(june(2), 11, 0),
        end_time: at(june(2), 9, 0),
        ..new_item("Backwards")
    };
    given([created()])
        .when(add_item(ITEM_A, details))
        .then_reject(ItineraryError::Invalid(ValueError::EndsBeforeStart));
}

#[test]
fn adding_an_item_with_the_id_of_an_existing_item_is_rejected() {
    given([created(), item_added(ITEM_A, "Tram 28")])
        .when(add_item(ITEM_A, new_item("Again")))
        .then_reject(ItineraryError::DuplicateItem(ITEM_A));
}

#[test]
fn adding_an_item_with_the_id_of_a_deleted_item_is_rejected() {
    given([
        created(),
        item_added(ITEM_A, "Tram 28"),
        item_deleted(ITEM_A),
    ])
    .when(add_item(ITEM_A, new_item("Again")))
    .then_reject(ItineraryError::DuplicateItem(ITEM_A));
}

fn with_full_itinerary() -> Vec<ItineraryEvent> {
    let items = (0..MAX_ITEMS as u128).map(|n| item_added(Uuid::from_u128(0x10_000 + n), "Stop"));
    std::iter::once(created()).chain(items).collect()
}

#[test]
fn adding_the_501st_item_is_rejected() {
    given(with_full_itinerary())
        .when(add_item(ITEM_A, new_item("One too many")))
        .then_reject(ItineraryError::TooManyItems);
}

#[test]
fn deleting_an_item_of_a_full_itinerary_makes_room_for_another() {
    let mut history = with_full_itinerary();
    history.push(item_deleted(Uuid::from_u128(0x10_000)));
    let state = given(history)
        .when(add_item(ITEM_A, new_item("Fits again")))
        .then_expect(vec![item_added(ITEM_A, "Fits again")]);
    assert_eq!(state.item_ids().len(), MAX_ITEMS);
}

#[test]
fn adding_an_item_with_invalid_fields_is_rejected_with_the_matching_error() {
    let cases = [
        (
            NewItemDetails {
                title: "  ".to_owned(),
                ..new_item("x")
            },
            ItineraryError::Invalid(ValueError::InvalidTitle),
        ),
        (
            NewItemDetails {
                description: Some("d".repeat(2001)),
                ..new_item("Long story")
            },
            ItineraryError::Invalid(ValueError::InvalidDescription),
        ),
        (
            NewItemDetails {
                location: Some(LocationInput {
                    lat: 91.0,
                    ..lisbon_cathedral()
                }),
                ..new_item("Off the map")
            },
            ItineraryError::Invalid(ValueError::InvalidLocation),
        ),
        (
            NewItemDetails {
                estimated_cost: Some(euros(-1)),
                ..new_item("Refund")
            },
            ItineraryError::Invalid(ValueError::NegativeAmount),
        ),
        (
            NewItemDetails {
                estimated_cost: Some(MoneyInput {
                    amount_minor: 100,
                    currency: "€".to_owned(),
                }),
                ..new_item("Symbol")
            },
            ItineraryError::Invalid(ValueError::InvalidCurrency),
        ),
    ];
    for (details, error) in cases {
        given([created()])
            .when(add_item(ITEM_A, details))
            .then_reject(error);
    }
}

// ---- UpdateItem ------------------------------------------------------------------------------

#[test]
fn updating_an_item_records_its_full_merged_details() {
    let patch = ItemPatch {
        title: Some("Cathedral and cloister".to_owned()),
        end_time: Some(at(june(2), 12, 0)),
        category: Some(Category::Activity),
        ..ItemPatch::default()
    };
    let expected = ItemDetails {
        title: "Cathedral and cloister".to_owned(),
        end_time: at(june(2), 12, 0),
        category: Category::Activity,
        ..cathedral_visit()
    };
    let state = given(with_cathedral())
        .when(update_item(ITEM_A, patch))
        .then_expect(vec![item_updated(ITEM_A, expected.clone())]);
    assert_eq!(state.item(ITEM_A), Some(&expected));
}

#[test]
fn updating_an_item_with_explicit_nones_clears_those_details() {
    let patch = ItemPatch {
        description: Some(None),
        location: Some(None),
        estimated_cost: Some(None),
        ..ItemPatch::default()
    };
    given(with_cathedral())
        .when(update_item(ITEM_A, patch))
        .then_expect(vec![item_updated(ITEM_A, item_details("Cathedral"))]);
}

#[test]
fn updating_an_unknown_item_is_rejected() {
    given(with_cathedral())
        .when(update_item(UNKNOWN_ITEM, ItemPatch::default()))
        .then_reject(ItineraryError::ItemNotFound(UNKNOWN_ITEM));
}

#[test]
fn updating_a_deleted_item_is_rejected() {
    let mut history = with_cathedral();
    history.push(item_deleted(ITEM_A));
    let patch = ItemPatch {
        title: Some("Revived".to_owned()),
        ..ItemPatch::default()
    };
    given(history)
        .when(update_item(ITEM_A, patch))
        .then_reject(ItineraryError::ItemNotFound(ITEM_A));
}

#[test]
fn an_empty_item_update_is_rejected_as_changing_nothing() {
    given(with_cathedral())
        .when(update_item(ITEM_A, ItemPatch::default()))
        .then_reject(ItineraryError::NothingToChange);
}

#[test]
fn an_item_update_repeating_the_current_details_is_rejected_as_changing_nothing() {
    let patch = ItemPatch {
        title: Some(" Cathedral ".to_owned()),
        location: Some(Some(lisbon_cathedral())),
        estimated_cost: Some(Some(euros(500))),
        category: Some(Category::Sightseeing),
        ..ItemPatch::default()
    };
    given(with_cathedral())
        .when(update_item(ITEM_A, patch))
        .then_reject(ItineraryError::NothingToChange);
}

#[test]
fn moving_an_item_outside_the_trip_is_rejected() {
    let patch = ItemPatch {
        start_time: Some(at(june(8), 9, 0)),
        end_time: Some(at(june(8), 10, 0)),
        ..ItemPatch::default()
    };
    given(with_cathedral())
        .when(update_item(ITEM_A, patch))
        .then_reject(ItineraryError::ItemOutsideTrip);
}

#[test]
fn moving_an_items_start_past_its_end_is_rejected() {
    let patch = ItemPatch {
        start_time: Some(at(june(2), 11, 0)),
        ..ItemPatch::default()
    };
    given(with_cathedral())
        .when(update_item(ITEM_A, patch))
        .then_reject(ItineraryError::Invalid(ValueError::EndsBeforeStart));
}

#[test]
fn an_item_update_with_a_121_character_title_is_rejected() {
    let patch = ItemPatch {
        title: Some("t".repeat(121)),
        ..ItemPatch::default()
    };
    given(with_cathedral())
        .when(update_item(ITEM_A, patch))
        .then_reject(ItineraryError::Invalid(ValueError::InvalidTitle));
}
