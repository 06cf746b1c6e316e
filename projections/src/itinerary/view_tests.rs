use chrono::{NaiveDate, TimeZone, Utc};
use uuid::Uuid;
use wayfarer_schemas::{
    Category, EventContract, EventEnvelope, EventMetadata, ItemDetails, ItineraryDetails,
    ItineraryEvent, ItineraryStatus, Visibility,
};

use super::{ApplyOutcome, ItineraryView};
use crate::event::ItineraryEnvelope;

fn envelope(id: Uuid, sequence: u64, payload: ItineraryEvent) -> ItineraryEnvelope {
    EventEnvelope {
        event_id: Uuid::new_v4(),
        aggregate_type: "itinerary".into(),
        aggregate_id: id.to_string(),
        sequence,
        global_position: sequence as i64 * 10,
        event_type: payload.event_type().into(),
        event_version: "1.0".into(),
        occurred_at: Utc::now(),
        metadata: EventMetadata::for_new_command(None, Uuid::nil()),
        payload,
    }
}

fn created(id: Uuid, owner: Uuid, visibility: Visibility) -> ItineraryEnvelope {
    let details = ItineraryDetails {
        title: "Alps".into(),
        start_date: NaiveDate::from_ymd_opt(2027, 2, 1).unwrap(),
        end_date: NaiveDate::from_ymd_opt(2027, 2, 7).unwrap(),
        visibility,
        base_currency: "CHF".into(),
    };
    let created_at = Utc::now();
    envelope(
        id,
        1,
        ItineraryEvent::ItineraryCreated {
            itinerary_id: id,
            owner_id: owner,
            details,
            status: ItineraryStatus::Draft,
            created_at,
        },
    )
}

fn added(id: Uuid, sequence: u64, item_id: Uuid, title: &str) -> ItineraryEnvelope {
    let start = Utc.with_ymd_and_hms(2027, 2, 2, 9, 0, 0).unwrap();
    let details = ItemDetails {
        title: title.into(),
        description: None,
        start_time: start,
        end_time: start + chrono::Duration::hours(1),
        location: None,
        category: Category::Activity,
        estimated_cost: None,
    };
    envelope(
        id,
        sequence,
        ItineraryEvent::ItineraryItemAdded {
            item_id,
            details,
            added_at: start,
        },
    )
}

#[test]
fn a_stream_folds_into_items_in_the_owners_order() {
    let (id, a, b) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let reorder = envelope(
        id,
        4,
        ItineraryEvent::ItineraryItemsReordered {
            item_ids: vec![b, a],
            reordered_at: Utc::now(),
        },
    );
    let events = [
        created(id, Uuid::new_v4(), Visibility::Public),
        added(id, 2, a, "A"),
        added(id, 3, b, "B"),
        reorder,
    ];
    let view = ItineraryView::fold(&events).unwrap();
    assert_eq!(view.version, 4);
    assert_eq!(view.last_position, 40);
    assert_eq!(
        view.items
            .iter()
            .map(|i| i.title.as_str())
            .collect::<Vec<_>>(),
        ["B", "A"]
    );
}

#[test]
fn a_redelivered_event_is_ignored_and_a_skipped_one_is_reported_as_a_gap() {
    let (id, a) = (Uuid::new_v4(), Uuid::new_v4());
    let mut view = ItineraryView::start(&created(id, Uuid::new_v4(), Visibility::Public)).unwrap();
    assert_eq!(view.apply(&added(id, 2, a, "A")), ApplyOutcome::Applied);
    let before = view.clone();
    assert_eq!(
        view.apply(&added(id, 2, a, "A")),
        ApplyOutcome::AlreadyApplied
    );
    assert_eq!(
        view.apply(&created(id, Uuid::new_v4(), Visibility::Public)),
        ApplyOutcome::AlreadyApplied
    );
    assert_eq!(
        view.apply(&added(id, 5, Uuid::new_v4(), "late")),
        ApplyOutcome::Gap
    );
    assert_eq!(view, before, "neither changed the view");
}

#[test]
fn only_a_creation_at_sequence_one_starts_a_view() {
    let id = Uuid::new_v4();
    assert!(ItineraryView::start(&added(id, 2, Uuid::new_v4(), "A")).is_none());
    let mut late_creation = created(id, Uuid::new_v4(), Visibility::Public);
    late_creation.sequence = 3;
    assert!(ItineraryView::start(&late_creation).is_none());
}

#[test]
fn private_and_deleted_itineraries_are_visible_to_the_right_people() {
    let (id, owner, stranger) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let private = ItineraryView::start(&created(id, owner, Visibility::Private)).unwrap();
    assert!(private.visible_to(Some(owner)));
    assert!(!private.visible_to(Some(stranger)));
    assert!(!private.visible_to(None));
    let mut public = ItineraryView::start(&created(id, owner, Visibility::Public)).unwrap();
    assert!(public.visible_to(None));
    public.apply(&envelope(
        id,
        2,
        ItineraryEvent::ItineraryDeleted {
            deleted_at: Utc::now(),
        },
    ));
    assert!(public.deleted);
    assert!(
        !public.visible_to(Some(owner)),
        "deleted is gone for everyone"
    );
}
