//! Create, Update and Delete of the itinerary itself.

use super::*;

fn retitled(title: &str) -> ItineraryDetails {
    ItineraryDetails {
        title: title.to_owned(),
        ..trip_details()
    }
}

fn created_with(details: ItineraryDetails) -> ItineraryEvent {
    ItineraryEvent::ItineraryCreated {
        itinerary_id: ITINERARY_ID,
        owner_id: OWNER,
        details,
        status: ItineraryStatus::Draft,
        created_at: now(),
    }
}

fn updated(details: ItineraryDetails) -> ItineraryEvent {
    ItineraryEvent::ItineraryUpdated {
        details,
        updated_at: now(),
    }
}

// ---- Create ----------------------------------------------------------------------------------

#[test]
fn creating_an_itinerary_records_it_with_the_actor_as_owner_and_a_trimmed_title() {
    let details = NewItineraryDetails {
        title: "  Lisbon in June \t".to_owned(),
        ..new_trip()
    };
    let state = given([]).when(create(details)).then_expect(vec![created()]);
    assert!(state.is_created());
    assert_eq!(state.owner_id(), Some(OWNER));
    assert_eq!(state.id(), Some(ITINERARY_ID));
    assert_eq!(state.details(), Some(&trip_details()));
    assert_eq!(state.version(), 1);
}

#[test]
fn creating_with_an_expected_version_of_zero_is_accepted() {
    let command = ItineraryCommand::Create {
        context: owner().expecting_version(0),
        itinerary_id: ITINERARY_ID,
        details: new_trip(),
    };
    given([]).when(command).then_expect(vec![created()]);
}

#[test]
fn creating_with_an_expected_version_other_than_zero_is_rejected() {
    let command = ItineraryCommand::Create {
        context: owner().expecting_version(1),
        itinerary_id: ITINERARY_ID,
        details: new_trip(),
    };
    given([])
        .when(command)
        .then_reject(ItineraryError::VersionMismatch {
            expected: 1,
            actual: 0,
        });
}

#[test]
fn creating_an_itinerary_that_already_exists_is_rejected() {
    given([created()])
        .when(create(new_trip()))
        .then_reject(ItineraryError::AlreadyExists);
}

#[test]
fn creating_over_a_deleted_itinerary_is_rejected_as_already_existing() {
    given([created(), deleted()])
        .when(create(new_trip()))
        .then_reject(ItineraryError::AlreadyExists);
}

#[test]
fn a_title_of_120_characters_is_accepted() {
    let title = "t".repeat(120);
    let details = NewItineraryDetails {
        title: title.clone(),
        ..new_trip()
    };
    given([])
        .when(create(details))
        .then_expect(vec![created_with(retitled(&title))]);
}

#[test]
fn a_title_of_121_characters_is_rejected() {
    let details = NewItineraryDetails {
        title: "t".repeat(121),
        ..new_trip()
    };
    given([])
        .when(create(details))
        .then_reject(ItineraryError::Invalid(ValueError::InvalidTitle));
}

#[test]
fn a_whitespace_only_title_is_rejected() {
    let details = NewItineraryDetails {
        title: " \t \n".to_owned(),
        ..new_trip()
    };
    given([])
        .when(create(details))
        .then_reject(ItineraryError::Invalid(ValueError::InvalidTitle));
}

#[test]
fn a_lower_case_base_currency_is_rejected() {
    let details = NewItineraryDetails {
        base_currency: "eur".to_owned(),
        ..new_trip()
    };
    given([])
        .when(create(details))
        .then_reject(ItineraryError::Invalid(ValueError::InvalidCurrency));
}

#[test]
fn a_trip_ending_before_it_starts_is_rejected() {
    let details = NewItineraryDetails {
        start_date: june(7),
        end_date: june(1),
        ..new_trip()
    };
    given([])
        .when(create(details))
        .then_reject(ItineraryError::Invalid(ValueError::DatesOutOfOrder));
}

#[test]
fn a_trip_of_367_days_is_rejected() {
    let details = NewItineraryDetails {
        start_date: date(2028, 1, 1),
        end_date: date(2029, 1, 1),
        ..new_trip()
    };
    given([])
        .when(create(details))
        .then_reject(ItineraryError::Invalid(ValueError::TripTooLong));
}

// ---- Update ----------------------------------------------------------------------------------

#[test]
fn updating_records_the_full_merged_details() {
    let patch = ItineraryPatch {
        title: Some(" Lisbon and Sintra ".to_owned()),
        end_date: Some(june(9)),
        visibility: Some(Visibility::Public),
        ..ItineraryPatch::default()
    };
    let expected = ItineraryDetails {
        title: "Lisbon and Sintra".to_owned(),
        end_date: june(9),
        visibility: Visibility::Public,
        ..trip_details()
    };
    let state = given([created()])
        .when(update(patch))
        .then_expect(vec![updated(expected.clone())]);
    assert_eq!(state.details(), Some(&expected));
    assert_eq!(state.version(), 2);
}

#[test]
fn updating_an_itinerary_that_was_never_created_is_rejected() {
    given([])
        .when(update(ItineraryPatch::default()))
        .then_reject(ItineraryError::NotFound);
}

#[test]
fn an_empty_update_is_rejected_as_changing_nothing() {
    given([created()])
        .when(update(ItineraryPatch::default()))
        .then_reject(ItineraryError::NothingToChange);
}

#[test]
fn an_update_repeating_the_current_details_is_rejected_as_changing_nothing() {
    let patch = ItineraryPatch {
        title: Some("  Lisbon in June ".to_owned()),
        start_date: Some(june(1)),
        end_date: Some(june(7)),
        visibility: Some(Visibility::Private),
        base_currency: Some("EUR".to_owned()),
    };
    given([created()])
        .when(update(patch))
        .then_reject(ItineraryError::NothingToChange);
}

#[test]
fn an_update_shrinking_the_dates_past_an_existing_item_is_rejected() {
    // The item takes place on June 2; the trip would start on June 3.
    let patch = ItineraryPatch {
        start_date: Some(june(3)),
        ..ItineraryPatch::default()
    };
    given([created(), item_added(ITEM_A, "Tram 28")])
        .when(update(patch))
        .then_reject(ItineraryError::ItemsOutsideNewDates);
}

#[test]
fn an_update_shrinking_the_dates_around_the_existing_items_is_accepted() {
    let patch = ItineraryPatch {
        start_date: Some(june(2)),
        end_date: Some(june(2)),
        ..ItineraryPatch::default()
    };
    let expected = ItineraryDetails {
        start_date: june(2),
        end_date: june(2),
        ..trip_details()
    };
    given([created(), item_added(ITEM_A, "Tram 28")])
        .when(update(patch))
        .then_expect(vec![updated(expected)]);
}

#[test]
fn an_update_shrinking_the_dates_past_a_deleted_item_is_accepted() {
    let patch = ItineraryPatch {
        start_date: Some(june(3)),
        ..ItineraryPatch::default()
    };
    let expected = ItineraryDetails {
        start_date: june(3),
        ..trip_details()
    };
    given([
        created(),
        item_added(ITEM_A, "Tram 28"),
        item_deleted(ITEM_A),
    ])
    .when(update(patch))
    .then_expect(vec![updated(expected)]);
}

#[test]
fn an_update_with_a_whitespace_only_title_is_rejected() {
    let patch = ItineraryPatch {
        title: Some("   ".to_owned()),
        ..ItineraryPatch::default()
    };
    given([created()])
        .when(update(patch))
        .then_reject(ItineraryError::Invalid(ValueError::InvalidTitle));
}

#[test]
fn an_update_moving_the_start_past_the_end_is_rejected() {
    let patch = ItineraryPatch {
        start_date: Some(june(8)),
        ..ItineraryPatch::default()
    };
    given([created()])
        .when(update(patch))
        .then_reject(ItineraryError::Invalid(ValueError::DatesOutOfOrder));
}

#[test]
fn an_update_making_the_trip_too_long_is_rejected() {
    let patch = ItineraryPatch {
        end_date: Some(date(2027, 6, 2)),
        ..ItineraryPatch::default()
    };
    given([created()])
        .when(update(patch))
        .then_reject(ItineraryError::Invalid(ValueError::TripTooLong));
}

#[test]
fn an_update_with_an_invalid_base_currency_is_rejected() {
    let patch = ItineraryPatch {
        base_currency: Some("EURO".to_owned()),
        ..ItineraryPatch::default()
    };
    given([created()])
        .when(update(patch))
        .then_reject(ItineraryError::Invalid(ValueError::InvalidCurrency));
}

// ---- Delete ----------------------------------------------------------------------------------

#[test]
fn deleting_an_itinerary_records_its_deletion() {
    let state = given(with_three_items())
        .when(ItineraryCommand::Delete { context: owner() })
        .then_expect(vec![deleted()]);
    assert!(state.is_deleted());
    assert_eq!(state.version(), 5);
}

#[test]
fn deleting_an_itinerary_that_was_never_created_is_rejected() {
    given([])
        .when(ItineraryCommand::Delete { context: owner() })
        .then_reject(ItineraryError::NotFound);
}

#[test]
fn deleting_an_itinerary_twice_is_rejected() {
    given([created(), deleted()])
        .when(ItineraryCommand::Delete { context: owner() })
        .then_reject(ItineraryError::Deleted);
}
