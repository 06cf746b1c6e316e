//! Expenses and budgets: split among members exactly, refused when they do not add up.

use std::collections::BTreeMap;

use super::*;
use crate::expenses::{Split, SplitError};
use crate::itinerary::ExpenseInput;

const MATE: Uuid = Uuid::from_u128(0xe1);
const VIEWER: Uuid = Uuid::from_u128(0x71);
const EXPENSE: Uuid = Uuid::from_u128(0xee);

fn trip_with_mates() -> Vec<ItineraryEvent> {
    let mut history = with_three_items();
    for (user, level) in [(MATE, AccessLevel::Edit), (VIEWER, AccessLevel::View)] {
        history.push(ItineraryEvent::CollaboratorInvited {
            user_id: user,
            access_level: level,
            invited_by: OWNER,
            invited_at: now(),
        });
        history.push(ItineraryEvent::InvitationAccepted {
            user_id: user,
            accepted_at: now(),
        });
    }
    history
}

fn dinner(split: Split) -> ExpenseInput {
    ExpenseInput {
        amount_minor: 10_000,
        currency: "EUR".to_owned(),
        category: Category::Dining,
        description: Some("Dinner".to_owned()),
        date: june(2),
        paid_by: OWNER,
        split,
    }
}

fn add(context: CommandContext, input: ExpenseInput) -> ItineraryCommand {
    ItineraryCommand::AddExpense {
        context,
        expense_id: EXPENSE,
        item_id: ITEM_A,
        input,
    }
}

#[test]
fn an_expense_is_split_exactly_among_members_with_the_leftover_cent_assigned_by_rule() {
    let state = given(trip_with_mates())
        .when(add(
            owner(),
            dinner(Split::Equally(vec![OWNER, MATE, VIEWER])),
        ))
        .result()
        .clone()
        .expect("added");
    let ItineraryEvent::ExpenseAdded { details, .. } = &state[0] else {
        panic!("{state:?}")
    };
    // 100.00 in three: 33.34 to the first in id order, 33.33 to the others.
    assert_eq!(details.parts.values().sum::<i64>(), 10_000);
    assert_eq!(details.parts[&OWNER], 3_334);
    assert_eq!(details.parts[&VIEWER], 3_333);
    assert_eq!(details.split_method, wayfarer_schemas::SplitMethod::Equally);
}

#[test]
fn expenses_are_refused_for_bad_money_outsiders_and_bad_splits() {
    let cases: Vec<(ExpenseInput, ItineraryError)> = vec![
        (
            ExpenseInput {
                amount_minor: 0,
                ..dinner(Split::Equally(vec![OWNER]))
            },
            ItineraryError::ZeroExpense,
        ),
        (
            ExpenseInput {
                currency: "euro".to_owned(),
                ..dinner(Split::Equally(vec![OWNER]))
            },
            ItineraryError::Invalid(ValueError::InvalidCurrency),
        ),
        (
            dinner(Split::Equally(vec![OWNER, STRANGER])),
            ItineraryError::NotAMember(STRANGER),
        ),
        (
            ExpenseInput {
                paid_by: STRANGER,
                ..dinner(Split::Equally(vec![OWNER]))
            },
            ItineraryError::NotAMember(STRANGER),
        ),
        (
            dinner(Split::Exact(BTreeMap::from([
                (OWNER, 5_000),
                (MATE, 4_000),
            ]))),
            ItineraryError::BadSplit(SplitError::ExactSumMismatch {
                sum: 9_000,
                amount: 10_000,
            }),
        ),
        (
            ExpenseInput {
                date: date(2030, 1, 1),
                ..dinner(Split::Equally(vec![OWNER]))
            },
            ItineraryError::ExpenseDateOutOfRange,
        ),
    ];
    for (input, expected) in cases {
        given(trip_with_mates())
            .when(add(owner(), input))
            .then_reject(expected);
    }
    given(trip_with_mates())
        .when(add(
            CommandContext::new(VIEWER, now()),
            dinner(Split::Equally(vec![OWNER])),
        ))
        .then_reject(ItineraryError::Forbidden);
}

#[test]
fn expenses_are_updated_and_deleted_once_and_budgets_set_and_cleared() {
    let mut history = trip_with_mates();
    let added = given(history.clone())
        .when(add(owner(), dinner(Split::Equally(vec![OWNER, MATE]))))
        .result()
        .clone()
        .unwrap();
    history.extend(added);
    given(history.clone())
        .when(add(owner(), dinner(Split::Equally(vec![OWNER]))))
        .then_reject(ItineraryError::DuplicateExpense(EXPENSE));
    let shares = Split::Shares(BTreeMap::from([(OWNER, 1), (MATE, 3)]));
    let updated = given(history.clone())
        .when(ItineraryCommand::UpdateExpense {
            context: CommandContext::new(MATE, now()),
            expense_id: EXPENSE,
            input: dinner(shares),
        })
        .result()
        .clone()
        .unwrap();
    let ItineraryEvent::ExpenseUpdated { details, .. } = &updated[0] else {
        panic!()
    };
    assert_eq!(details.parts[&MATE], 7_500);
    given(history.clone())
        .when(ItineraryCommand::UpdateExpense {
            context: owner(),
            expense_id: EXPENSE,
            input: dinner(Split::Equally(vec![OWNER, MATE])),
        })
        .then_reject(ItineraryError::NothingToChange);
    let state = given(history.clone())
        .when(ItineraryCommand::DeleteExpense {
            context: owner(),
            expense_id: EXPENSE,
        })
        .then_expect(vec![ItineraryEvent::ExpenseDeleted {
            expense_id: EXPENSE,
            deleted_at: now(),
        }]);
    assert!(state.expenses()[&EXPENSE].deleted);
    let budget = |amount_minor| ItineraryCommand::SetBudget {
        context: owner(),
        category: Category::Dining,
        amount_minor,
    };
    let state = given(history.clone())
        .when(budget(Some(30_000)))
        .then_expect(vec![ItineraryEvent::BudgetSet {
            category: Category::Dining,
            amount: Some(wayfarer_schemas::MoneyAmount {
                amount_minor: 30_000,
                currency: "EUR".to_owned(),
            }),
            set_at: now(),
        }]);
    assert_eq!(state.budgets()[&Category::Dining].amount_minor, 30_000);
    given(history.clone())
        .when(budget(None))
        .then_reject(ItineraryError::NothingToChange);
    given(history)
        .when(budget(Some(-1)))
        .then_reject(ItineraryError::Invalid(ValueError::NegativeAmount));
}
