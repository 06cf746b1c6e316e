use chrono::{NaiveDate, TimeZone};
use wayfarer_schemas::{Category, ItemDetails, ItineraryDetails, ItineraryEvent, ItineraryStatus};

use super::*;
use crate::testing::given;

const OWNER: Uuid = Uuid::from_u128(1);
const OTHER: Uuid = Uuid::from_u128(2);
const ADMIN: Uuid = Uuid::from_u128(3);
const TEMPLATE: Uuid = Uuid::from_u128(0x7e);
const TRIP: Uuid = Uuid::from_u128(0x10);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()
}

fn context(actor: Uuid) -> TemplateContext {
    TemplateContext {
        actor,
        actor_is_admin: actor == ADMIN,
        now: now(),
    }
}

fn trip(visibility: Visibility, with_item: bool) -> Itinerary {
    let start = NaiveDate::from_ymd_opt(2027, 5, 1).unwrap();
    let mut events = vec![ItineraryEvent::ItineraryCreated {
        itinerary_id: TRIP,
        owner_id: OWNER,
        details: ItineraryDetails {
            title: "Porto long weekend".into(),
            start_date: start,
            end_date: start + chrono::Days::new(2),
            visibility,
            base_currency: "EUR".into(),
        },
        status: ItineraryStatus::Draft,
        created_at: now(),
    }];
    if with_item {
        events.push(ItineraryEvent::ItineraryItemAdded {
            item_id: Uuid::from_u128(0xa),
            details: ItemDetails {
                title: "Port cellars".into(),
                description: None,
                start_time: Utc.with_ymd_and_hms(2027, 5, 2, 15, 30, 0).unwrap(),
                end_time: Utc.with_ymd_and_hms(2027, 5, 2, 17, 0, 0).unwrap(),
                location: None,
                category: Category::Dining,
                estimated_cost: None,
            },
            added_at: now(),
        });
    }
    Itinerary::from_events(&events)
}

fn save(actor: Uuid, source: Itinerary) -> TemplateCommand {
    TemplateCommand::Save {
        context: context(actor),
        template_id: TEMPLATE,
        source: Box::new(source),
        category: TripCategory::CityBreak,
        description: Some("Cellars and tiles".into()),
    }
}

fn saved() -> TemplateEvent {
    let result = given::<Template>([])
        .when(save(OWNER, trip(Visibility::Public, true)))
        .result()
        .clone();
    result.unwrap().remove(0)
}

#[test]
fn saving_copies_items_as_offsets_from_the_first_day() {
    let TemplateEvent::TemplateSaved {
        details, author_id, ..
    } = saved()
    else {
        panic!()
    };
    assert_eq!(author_id, OWNER);
    assert_eq!(details.days, 3);
    // May 2 15:30 is 1 day and 15.5 hours after May 1 00:00.
    assert_eq!(
        details.items[0].start_offset_minutes,
        24 * 60 + 15 * 60 + 30
    );
    assert_eq!(details.items[0].duration_minutes, 90);
}

#[test]
fn only_the_owner_saves_and_a_private_itinerary_stays_hidden() {
    given::<Template>([])
        .when(save(OTHER, trip(Visibility::Private, true)))
        .then_reject(TemplateError::ItineraryNotFound);
    given::<Template>([])
        .when(save(OTHER, trip(Visibility::Public, true)))
        .then_reject(TemplateError::Forbidden);
    given::<Template>([])
        .when(save(OWNER, trip(Visibility::Public, false)))
        .then_reject(TemplateError::NoItems);
    given::<Template>([saved()])
        .when(save(OWNER, trip(Visibility::Public, true)))
        .then_reject(TemplateError::AlreadyExists);
}

#[test]
fn admins_feature_and_authors_or_admins_delete() {
    given::<Template>([saved()])
        .when(TemplateCommand::Feature {
            context: context(OWNER),
        })
        .then_reject(TemplateError::Forbidden);
    let featured = TemplateEvent::TemplateFeatured {
        featured_by: ADMIN,
        featured_at: now(),
    };
    given::<Template>([saved()])
        .when(TemplateCommand::Feature {
            context: context(ADMIN),
        })
        .then_expect(vec![featured.clone()]);
    given::<Template>([saved(), featured.clone()])
        .when(TemplateCommand::Feature {
            context: context(ADMIN),
        })
        .then_reject(TemplateError::NothingToChange);
    given::<Template>([saved(), featured])
        .when(TemplateCommand::Unfeature {
            context: context(ADMIN),
        })
        .then_expect(vec![TemplateEvent::TemplateUnfeatured {
            unfeatured_by: ADMIN,
            unfeatured_at: now(),
        }]);
    given::<Template>([saved()])
        .when(TemplateCommand::Delete {
            context: context(OTHER),
        })
        .then_reject(TemplateError::Forbidden);
    for actor in [OWNER, ADMIN] {
        given::<Template>([saved()])
            .when(TemplateCommand::Delete {
                context: context(actor),
            })
            .then_expect(vec![TemplateEvent::TemplateDeleted { deleted_at: now() }]);
    }
    given::<Template>([
        saved(),
        TemplateEvent::TemplateDeleted { deleted_at: now() },
    ])
    .when(TemplateCommand::Feature {
        context: context(ADMIN),
    })
    .then_reject(TemplateError::NotFound);
}
