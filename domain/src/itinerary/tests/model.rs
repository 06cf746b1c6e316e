//! Property-based model test: random command sequences, checked after every step.
//!
//! Whatever is asked, in whatever order: folding the emitted events gives the state, the
//! invariants always hold, and a rejection emits nothing and changes nothing.

use proptest::prelude::*;

use super::*;

const ITEM_IDS: [Uuid; 4] = [ITEM_A, ITEM_B, ITEM_C, UNKNOWN_ITEM];

fn actor() -> impl Strategy<Value = Uuid> + Clone {
    prop_oneof![4 => Just(OWNER), 1 => Just(STRANGER)]
}

fn title() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z ]{1,20}",
        1 => Just(String::new()),
        1 => Just("Nul\u{0}title".to_owned()),
        1 => Just("x".repeat(crate::values::TITLE_MAX_CHARS + 1)),
    ]
}

fn day() -> impl Strategy<Value = u32> {
    1u32..=9
}

fn money() -> impl Strategy<Value = Option<MoneyInput>> {
    prop_oneof![
        2 => Just(None),
        3 => (0i64..100_000).prop_map(|amount| Some(MoneyInput { amount_minor: amount, currency: "EUR".into() })),
        1 => Just(Some(MoneyInput { amount_minor: -5, currency: "EUR".into() })),
        1 => Just(Some(MoneyInput { amount_minor: i64::MAX, currency: "EUR".into() })),
    ]
}

fn item_input() -> impl Strategy<Value = NewItemDetails> {
    (title(), day(), 1u32..4, money()).prop_map(|(title, day, hours, estimated_cost)| {
        NewItemDetails {
            title,
            description: None,
            start_time: at(june(day), 9, 0),
            end_time: at(june(day), 9 + hours, 0),
            location: None,
            category: Category::Dining,
            estimated_cost,
        }
    })
}

fn context_of(actor: Uuid) -> CommandContext {
    CommandContext::new(actor, now())
}

fn command() -> impl Strategy<Value = ItineraryCommand> {
    let context = actor().prop_map(context_of);
    prop_oneof![
        (context.clone(), title(), day(), day()).prop_map(|(context, title, start, end)| {
            ItineraryCommand::Create {
                context,
                itinerary_id: ITINERARY_ID,
                details: NewItineraryDetails {
                    title,
                    start_date: june(start),
                    end_date: june(end),
                    visibility: Visibility::Private,
                    base_currency: "EUR".into(),
                },
            }
        }),
        (
            context.clone(),
            proptest::option::of(title()),
            proptest::option::of(day())
        )
            .prop_map(|(context, title, end)| ItineraryCommand::Update {
                context,
                details: ItineraryPatch {
                    title,
                    end_date: end.map(june),
                    visibility: Some(Visibility::Public),
                    ..ItineraryPatch::default()
                },
            }),
        (context.clone(), 0..ITEM_IDS.len(), item_input()).prop_map(|(context, item, details)| {
            ItineraryCommand::AddItem {
                context,
                item_id: ITEM_IDS[item],
                details,
            }
        }),
        (
            context.clone(),
            0..ITEM_IDS.len(),
            proptest::option::of(title())
        )
            .prop_map(|(context, item, title)| ItineraryCommand::UpdateItem {
                context,
                item_id: ITEM_IDS[item],
                details: ItemPatch {
                    title,
                    ..ItemPatch::default()
                },
            }),
        (context.clone(), 0..ITEM_IDS.len()).prop_map(|(context, item)| {
            ItineraryCommand::DeleteItem {
                context,
                item_id: ITEM_IDS[item],
            }
        }),
        (
            context.clone(),
            Just(ITEM_IDS.to_vec()).prop_shuffle(),
            0..=ITEM_IDS.len()
        )
            .prop_map(|(context, ids, keep)| ItineraryCommand::ReorderItems {
                context,
                item_ids: ids[..keep].to_vec(),
            }),
        context.prop_map(|context| ItineraryCommand::Delete { context }),
    ]
}

/// What must hold of every state the aggregate can reach.
fn assert_invariants(state: &Itinerary, history: &[ItineraryEvent]) {
    assert_eq!(state.version(), history.len() as u64);
    assert_eq!(*state, Itinerary::from_events(history), "fold of the log");
    let ids = state.item_ids();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "item ids are unique");
    assert!(ids.len() <= MAX_ITEMS);
    if let Some(details) = state.details() {
        assert!(details.start_date <= details.end_date);
        assert!(!details.title.contains('\u{0}'));
        for (_, item) in state.items() {
            assert!(item.start_time < item.end_time);
            assert!(details.start_date <= item.start_time.date_naive());
            assert!(item.end_time.date_naive() <= details.end_date);
            if let Some(cost) = &item.estimated_cost {
                assert!((0..=crate::values::MAX_AMOUNT_MINOR).contains(&cost.amount_minor));
            }
        }
    } else {
        assert!(ids.is_empty(), "nothing exists before creation");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_command_sequence_keeps_the_log_and_the_invariants_consistent(
        commands in proptest::collection::vec(command(), 1..40)
    ) {
        let mut state = Itinerary::default();
        let mut history: Vec<ItineraryEvent> = Vec::new();
        for command in commands {
            let before = state.clone();
            let was_deleted = state.is_deleted();
            match state.decide(command) {
                Ok(events) => {
                    prop_assert!(!was_deleted, "a deleted itinerary accepts nothing");
                    prop_assert_eq!(events.len(), 1);
                    for event in &events {
                        state.apply(event);
                    }
                    history.extend(events);
                }
                Err(_) => prop_assert_eq!(&state, &before, "a rejection changes nothing"),
            }
            assert_invariants(&state, &history);
        }
    }
}
