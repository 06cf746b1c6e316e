//! Restoring an earlier version: the changes that bring its content back, nothing rewritten.

use super::*;

fn past(history: &[ItineraryEvent], version: usize) -> Box<Itinerary> {
    Box::new(Itinerary::from_events(&history[..version]))
}

fn restore(context: CommandContext, version: u64, past: Box<Itinerary>) -> ItineraryCommand {
    ItineraryCommand::RestoreVersion {
        context,
        version,
        past,
    }
}

#[test]
fn restoring_brings_back_details_items_and_order_and_replaying_the_events_matches_the_past() {
    // v4: A, B, C. Then B is edited, C deleted, D added, the title changed, the order turned.
    let mut history = with_three_items();
    let item_d = Uuid::from_u128(0xa4);
    history.extend([
        ItineraryEvent::ItineraryItemUpdated {
            item_id: ITEM_B,
            details: item_details("Bakery"),
            updated_at: now(),
        },
        item_deleted(ITEM_C),
        item_added(item_d, "Sintra"),
        ItineraryEvent::ItineraryUpdated {
            details: ItineraryDetails {
                title: "Lisbon, changed".to_owned(),
                ..trip_details()
            },
            updated_at: now(),
        },
        ItineraryEvent::ItineraryItemsReordered {
            item_ids: vec![item_d, ITEM_B, ITEM_A],
            reordered_at: now(),
        },
    ]);
    let before = past(&history, 4);
    let result = given(history.clone())
        .when(restore(owner(), 4, before.clone()))
        .result()
        .clone();
    let events = result.expect("restored");
    assert_eq!(
        events[0],
        ItineraryEvent::ItineraryVersionRestored {
            version: 4,
            restored_at: now(),
        }
    );
    let mut state = Itinerary::from_events(&history);
    for event in &events {
        state.apply(event);
    }
    assert_eq!(state.details(), before.details());
    assert_eq!(state.item_ids(), vec![ITEM_A, ITEM_B, ITEM_C]);
    let items: Vec<_> = state.items().map(|(id, d)| (id, d.clone())).collect();
    let past_items: Vec<_> = before.items().map(|(id, d)| (id, d.clone())).collect();
    assert_eq!(items, past_items);
}

#[test]
fn restoring_keeps_the_current_visibility_and_refuses_what_is_not_an_earlier_version() {
    let mut history = with_three_items();
    history.push(ItineraryEvent::ItineraryUpdated {
        details: ItineraryDetails {
            title: "Public now".to_owned(),
            visibility: Visibility::Public,
            ..trip_details()
        },
        updated_at: now(),
    });
    let result = given(history.clone())
        .when(restore(owner(), 4, past(&history, 4)))
        .result()
        .clone()
        .expect("restored");
    assert!(result.iter().any(|event| matches!(
        event,
        ItineraryEvent::ItineraryUpdated { details, .. }
            if details.visibility == Visibility::Public && details.title == "Lisbon in June"
    )));
    given(history.clone())
        .when(restore(owner(), 5, past(&history, 5)))
        .then_reject(ItineraryError::NoSuchVersion(5));
    given(history.clone())
        .when(restore(owner(), 3, past(&history, 4)))
        .then_reject(ItineraryError::NoSuchVersion(3));
    // Nothing differs between v3 and v4 but the added item C; the current state has it.
    let unchanged = with_three_items();
    given(unchanged.clone())
        .when(restore(owner(), 4, past(&unchanged, 4)))
        .then_reject(ItineraryError::NoSuchVersion(4));
    given(history.clone())
        .when(restore(
            CommandContext::new(STRANGER, now()),
            4,
            past(&history, 4),
        ))
        .then_reject(ItineraryError::Forbidden);
}
