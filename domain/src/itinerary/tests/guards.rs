//! The checks every command shares, in their order: existence, deletion, ownership, version.

use super::*;

#[test]
fn every_command_on_an_itinerary_that_was_never_created_is_rejected_as_not_found() {
    for command in every_command_but_create(owner()) {
        given([])
            .when(command)
            .then_reject(ItineraryError::NotFound);
    }
}

#[test]
fn a_deleted_itinerary_rejects_every_kind_of_command() {
    let mut history = with_three_items();
    history.push(deleted());
    for command in every_command_but_create(owner()) {
        given(history.clone())
            .when(command)
            .then_reject(ItineraryError::Deleted);
    }
    given(history)
        .when(create(new_trip()))
        .then_reject(ItineraryError::AlreadyExists);
}

#[test]
fn someone_other_than_the_owner_is_told_a_private_itinerary_does_not_exist() {
    for command in every_command_but_create(CommandContext::new(STRANGER, now())) {
        given(with_three_items())
            .when(command)
            .then_reject(ItineraryError::NotFound);
    }
}

#[test]
fn someone_other_than_the_owner_is_forbidden_every_kind_of_command_on_a_public_itinerary() {
    let mut history = with_three_items();
    history.push(made_public());
    for command in every_command_but_create(CommandContext::new(STRANGER, now())) {
        given(history.clone())
            .when(command)
            .then_reject(ItineraryError::Forbidden);
    }
}

fn made_public() -> ItineraryEvent {
    ItineraryEvent::ItineraryUpdated {
        details: ItineraryDetails {
            visibility: Visibility::Public,
            ..trip_details()
        },
        updated_at: now(),
    }
}

#[test]
fn a_stale_expected_version_rejects_every_kind_of_command() {
    for command in every_command_but_create(owner().expecting_version(3)) {
        given(with_three_items())
            .when(command)
            .then_reject(ItineraryError::VersionMismatch {
                expected: 3,
                actual: 4,
            });
    }
}

#[test]
fn the_current_expected_version_lets_every_kind_of_command_through() {
    for command in every_command_but_create(owner().expecting_version(4)) {
        let events = Itinerary::from_events(&with_three_items())
            .decide(command)
            .expect("command at the current version is accepted");
        assert_eq!(events.len(), 1);
    }
}

#[test]
fn a_deleted_itinerary_looks_missing_to_a_foreign_actor_even_when_it_was_public() {
    given([created(), made_public(), deleted()])
        .when(ItineraryCommand::Delete {
            context: CommandContext::new(STRANGER, now()),
        })
        .then_reject(ItineraryError::NotFound);
}

#[test]
fn a_foreign_actor_is_reported_before_a_stale_version() {
    given([created(), made_public()])
        .when(ItineraryCommand::Delete {
            context: CommandContext::new(STRANGER, now()).expecting_version(7),
        })
        .then_reject(ItineraryError::Forbidden);
}

#[test]
fn a_stale_version_is_reported_before_invalid_input() {
    let patch = ItineraryPatch {
        title: Some(String::new()),
        ..ItineraryPatch::default()
    };
    given([created()])
        .when(ItineraryCommand::Update {
            context: owner().expecting_version(0),
            details: patch,
        })
        .then_reject(ItineraryError::VersionMismatch {
            expected: 0,
            actual: 1,
        });
}
