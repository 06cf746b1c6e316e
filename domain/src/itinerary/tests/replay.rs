//! Events as facts: they survive JSON, and applying them rebuilds the expected state.

use super::*;

/// Handles each command in turn against the state so far, applying what it emits.
fn run(commands: Vec<ItineraryCommand>) -> (Itinerary, Vec<ItineraryEvent>) {
    let mut state = Itinerary::default();
    let mut history = Vec::new();
    for command in commands {
        let events = state
            .decide(command)
            .expect("every step of the story is accepted");
        for event in events {
            state.apply(&event);
            history.push(event);
        }
    }
    (state, history)
}

/// A story that uses every command once, ending with the itinerary deleted.
fn full_story() -> Vec<ItineraryCommand> {
    vec![
        create(new_trip()),
        add_item(ITEM_A, new_item("Tram 28")),
        add_item(ITEM_B, new_item("Pastéis de Belém")),
        add_item(ITEM_C, new_item("Fado night")),
        update(ItineraryPatch {
            visibility: Some(Visibility::Public),
            ..ItineraryPatch::default()
        }),
        update_item(
            ITEM_A,
            ItemPatch {
                estimated_cost: Some(Some(MoneyInput {
                    amount_minor: 300,
                    currency: "EUR".to_owned(),
                })),
                ..ItemPatch::default()
            },
        ),
        delete_item(ITEM_B),
        reorder(vec![ITEM_C, ITEM_A]),
        ItineraryCommand::Delete { context: owner() },
    ]
}

#[test]
fn every_kind_of_event_round_trips_through_json() {
    let (_, history) = run(full_story());
    let mut kinds: Vec<&str> = history.iter().map(ItineraryEvent::event_type).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds.len(), 7, "the story emits every kind of event");
    for event in &history {
        let json = serde_json::to_string(event).expect("events serialize");
        let back: ItineraryEvent = serde_json::from_str(&json).expect("events deserialize");
        assert_eq!(&back, event, "{json}");
    }
}

#[test]
fn applying_the_emitted_events_rebuilds_the_expected_state() {
    let (state, history) = run(full_story());
    assert_eq!(state.version(), 9);
    assert_eq!(state.item_ids(), vec![ITEM_C, ITEM_A]);
    assert!(state.is_deleted());
    assert_eq!(
        state.details().map(|details| details.visibility),
        Some(Visibility::Public)
    );
    let cost = state
        .item(ITEM_A)
        .and_then(|item| item.estimated_cost.clone());
    assert_eq!(cost.map(|cost| cost.amount_minor), Some(300));
    assert_eq!(Itinerary::from_events(&history), state);
}

#[test]
fn the_state_round_trips_through_json_as_a_snapshot() {
    let (state, _) = run(full_story());
    let json = serde_json::to_string(&state).expect("state serializes");
    let back: Itinerary = serde_json::from_str(&json).expect("state deserializes");
    assert_eq!(back, state);
    assert_eq!(
        back.decide(create(new_trip())),
        Err(ItineraryError::AlreadyExists)
    );
}

#[test]
fn a_new_itinerary_is_not_created_and_at_version_zero() {
    let state = Itinerary::default();
    assert!(!state.is_created());
    assert!(!state.is_deleted());
    assert_eq!(state.version(), 0);
    assert_eq!(state.owner_id(), None);
    assert_eq!(state.details(), None);
    assert!(state.item_ids().is_empty());
}

#[test]
fn applying_a_reorder_that_does_not_fit_the_items_never_fails() {
    let mut state = Itinerary::from_events(&with_three_items());
    state.apply(&ItineraryEvent::ItineraryItemsReordered {
        item_ids: vec![UNKNOWN_ITEM, ITEM_C, ITEM_C],
        reordered_at: now(),
    });
    assert_eq!(state.item_ids(), vec![ITEM_C, ITEM_A, ITEM_B]);
    assert_eq!(state.version(), 5);
}

#[test]
fn applying_events_about_unknown_items_never_fails() {
    let mut state = Itinerary::from_events(&[created()]);
    state.apply(&ItineraryEvent::ItineraryItemUpdated {
        item_id: UNKNOWN_ITEM,
        details: item_details("Ghost"),
        updated_at: now(),
    });
    state.apply(&item_deleted(UNKNOWN_ITEM));
    assert!(state.item_ids().is_empty());
    assert_eq!(state.version(), 3);
    given([created(), item_deleted(UNKNOWN_ITEM)])
        .when(add_item(UNKNOWN_ITEM, new_item("Ghost")))
        .then_reject(ItineraryError::DuplicateItem(UNKNOWN_ITEM));
}

fn every_error() -> Vec<(ItineraryError, ErrorKind)> {
    use ErrorKind::{Conflict, Forbidden, NotFound, Validation};
    vec![
        (ItineraryError::NotFound, NotFound),
        (ItineraryError::ItemNotFound(ITEM_A), NotFound),
        (ItineraryError::Forbidden, Forbidden),
        (
            ItineraryError::VersionMismatch {
                expected: 1,
                actual: 2,
            },
            Conflict,
        ),
        (ItineraryError::AlreadyExists, Conflict),
        (ItineraryError::Deleted, Conflict),
        (ItineraryError::DuplicateItem(ITEM_A), Conflict),
        (
            ItineraryError::Invalid(ValueError::InvalidTitle),
            Validation,
        ),
        (
            ItineraryError::Invalid(ValueError::InvalidDescription),
            Validation,
        ),
        (
            ItineraryError::Invalid(ValueError::InvalidCurrency),
            Validation,
        ),
        (
            ItineraryError::Invalid(ValueError::NegativeAmount),
            Validation,
        ),
        (
            ItineraryError::Invalid(ValueError::InvalidLocation),
            Validation,
        ),
        (
            ItineraryError::Invalid(ValueError::DatesOutOfOrder),
            Validation,
        ),
        (ItineraryError::Invalid(ValueError::TripTooLong), Validation),
        (
            ItineraryError::Invalid(ValueError::EndsBeforeStart),
            Validation,
        ),
        (ItineraryError::ItemOutsideTrip, Validation),
        (ItineraryError::ItemsOutsideNewDates, Validation),
        (ItineraryError::NotAPermutation, Validation),
        (ItineraryError::TooManyItems, Validation),
        (ItineraryError::NothingToChange, Validation),
    ]
}

#[test]
fn each_error_is_classified_into_its_kind() {
    for (error, kind) in every_error() {
        assert_eq!(error.kind(), kind, "{error:?}");
    }
}

#[test]
fn error_messages_start_in_lower_case() {
    for (error, _) in every_error() {
        let message = error.to_string();
        let first = message.chars().next().expect("message is not empty");
        assert!(first.is_lowercase(), "{message}");
    }
    assert_eq!(
        ItineraryError::Invalid(ValueError::DatesOutOfOrder).to_string(),
        "end date is before the start date"
    );
}
