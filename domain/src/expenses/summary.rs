//! An itinerary's money at a glance (the seed's `getExpensesSummary`): totals by category and
//! by currency, everything converted to the base currency at each expense's day's rate,
//! budgets with over-budget flags, each person's balance and the fewest transfers that
//! settle everyone. Pure: the expenses, budgets and rate table are given.
//!
//! Each expense is converted once, as a whole; its parts are then re-apportioned over the
//! converted amount by the split rounding rule, so balances in the base currency still add
//! up to exactly zero.

use std::collections::BTreeMap;

use uuid::Uuid;
use wayfarer_schemas::{Category, ExpenseDetails};

use super::rates::{RateError, RateTable};
use super::{apportion, balances, settle_up, Balance, Transfer};

/// A category's spending against its budget, in the base currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryTotal {
    pub category: Category,
    pub spent: i64,
    pub budget: Option<i64>,
}

impl CategoryTotal {
    pub fn over_budget(&self) -> bool {
        self.budget.is_some_and(|budget| self.spent > budget)
    }

    /// What is left of the budget (negative once over it).
    pub fn remaining(&self) -> Option<i64> {
        self.budget.map(|budget| budget - self.spent)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub base_currency: String,
    /// Everything spent, in the base currency.
    pub total: i64,
    /// Every category that has spending or a budget, in category order.
    pub by_category: Vec<CategoryTotal>,
    /// What was spent in each currency, unconverted.
    pub by_currency: BTreeMap<String, i64>,
    pub balances: BTreeMap<Uuid, Balance>,
    pub settle_up: Vec<Transfer>,
}

/// A budget as set: an amount in the currency that was the base one at the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub amount_minor: i64,
    pub currency: String,
}

/// Summarises `expenses` in `base_currency`. A budget set in another currency (the base
/// currency changed since) is converted at the table's latest rate.
pub fn summarize(
    base_currency: &str,
    expenses: &[ExpenseDetails],
    budgets: &BTreeMap<Category, Budget>,
    table: &RateTable,
) -> Result<Summary, RateError> {
    let mut total = 0i64;
    let mut spent: BTreeMap<Category, i64> = BTreeMap::new();
    let mut by_currency: BTreeMap<String, i64> = BTreeMap::new();
    let mut converted_expenses = Vec::with_capacity(expenses.len());
    for expense in expenses {
        let (converted, _) = table.convert(
            expense.amount.amount_minor,
            &expense.amount.currency,
            base_currency,
            expense.date,
        )?;
        total = total.checked_add(converted).ok_or(RateError::Overflow)?;
        let category = spent.entry(expense.category).or_default();
        *category = category.checked_add(converted).ok_or(RateError::Overflow)?;
        let currency = by_currency
            .entry(expense.amount.currency.clone())
            .or_default();
        *currency = currency
            .checked_add(expense.amount.amount_minor)
            .ok_or(RateError::Overflow)?;
        let parts = apportion(converted, &expense.parts).unwrap_or_default();
        converted_expenses.push((expense.paid_by, converted, parts));
    }
    // The total fits, so no one's paid or owed sum can overflow.
    let balances = balances(
        converted_expenses
            .iter()
            .map(|(payer, amount, parts)| (*payer, *amount, parts)),
    );
    let nets: BTreeMap<Uuid, i64> = balances.iter().map(|(p, b)| (*p, b.net())).collect();
    let mut categories: Vec<Category> = spent.keys().chain(budgets.keys()).copied().collect();
    categories.sort();
    categories.dedup();
    let latest = table
        .last_day()
        .ok_or(RateError::TooEarly(chrono::NaiveDate::MIN))?;
    let mut by_category = Vec::with_capacity(categories.len());
    for category in categories {
        let budget = match budgets.get(&category) {
            Some(budget) => Some(
                table
                    .convert(budget.amount_minor, &budget.currency, base_currency, latest)?
                    .0,
            ),
            None => None,
        };
        by_category.push(CategoryTotal {
            category,
            spent: spent.get(&category).copied().unwrap_or(0),
            budget,
        });
    }
    Ok(Summary {
        base_currency: base_currency.to_owned(),
        total,
        by_category,
        by_currency,
        settle_up: settle_up(&nets),
        balances,
    })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use proptest::prelude::*;
    use wayfarer_schemas::{MoneyAmount, SplitMethod};

    use super::super::rates::shipped;
    use super::super::{split, Split};
    use super::*;

    fn person(n: u8) -> Uuid {
        Uuid::from_bytes([n; 16])
    }

    fn expense(amount: i64, currency: &str, paid_by: Uuid, among: &[Uuid]) -> ExpenseDetails {
        let parts = split(amount, &Split::Equally(among.to_vec())).unwrap();
        ExpenseDetails {
            amount: MoneyAmount {
                amount_minor: amount,
                currency: currency.to_owned(),
            },
            category: Category::Dining,
            description: None,
            date: NaiveDate::from_ymd_opt(2020, 1, 28).unwrap(),
            paid_by,
            split_method: SplitMethod::Equally,
            split_inputs: among.iter().map(|p| (*p, 1)).collect(),
            parts,
        }
    }

    #[test]
    fn a_trip_in_two_currencies_is_summed_in_the_base_one_and_settled() {
        let (ana, ben, cy) = (person(1), person(2), person(3));
        let expenses = [
            expense(9_000, "EUR", ana, &[ana, ben, cy]),
            // 110.05 USD = 100.00 EUR on 2020-01-28.
            expense(11_005, "USD", ben, &[ana, ben]),
        ];
        let budgets = BTreeMap::from([(
            Category::Dining,
            Budget {
                amount_minor: 15_000,
                currency: "EUR".into(),
            },
        )]);
        let summary = summarize("EUR", &expenses, &budgets, &shipped()).unwrap();
        assert_eq!(summary.total, 19_000);
        assert_eq!(summary.by_currency["USD"], 11_005);
        let dining = &summary.by_category[0];
        assert_eq!(dining.spent, 19_000);
        assert!(dining.over_budget());
        assert_eq!(dining.remaining(), Some(-4_000));
        // Ana paid 90, owes 30 + 50; Ben paid 100, owes 30 + 50; Cy owes 30.
        assert_eq!(summary.balances[&ana].net(), 1_000);
        assert_eq!(summary.balances[&ben].net(), 2_000);
        assert_eq!(summary.balances[&cy].net(), -3_000);
        assert_eq!(summary.settle_up.len(), 2);
    }

    proptest! {
        /// Whatever the currencies, converted balances sum to zero and the plan settles
        /// everyone.
        #[test]
        fn converted_balances_sum_to_zero_and_the_plan_settles_them(
            rows in prop::collection::vec((1i64..10_000_000, 0usize..4, 0u8..5, 1usize..5), 1..30)
        ) {
            let currencies = ["EUR", "USD", "JPY", "GBP"];
            let people: Vec<Uuid> = (0..5).map(person).collect();
            let expenses: Vec<ExpenseDetails> = rows
                .iter()
                .map(|(amount, currency, payer, among)| {
                    expense(*amount, currencies[*currency], people[*payer as usize], &people[..*among])
                })
                .collect();
            let summary = summarize("EUR", &expenses, &BTreeMap::new(), &shipped()).unwrap();
            let nets: i64 = summary.balances.values().map(Balance::net).sum();
            prop_assert_eq!(nets, 0);
            let mut after: BTreeMap<Uuid, i64> =
                summary.balances.iter().map(|(p, b)| (*p, b.net())).collect();
            for transfer in &summary.settle_up {
                *after.get_mut(&transfer.from).unwrap() += transfer.amount;
                *after.get_mut(&transfer.to).unwrap() -= transfer.amount;
            }
            prop_assert!(after.values().all(|net| *net == 0));
            let by_category: i64 = summary.by_category.iter().map(|c| c.spent).sum();
            prop_assert_eq!(by_category, summary.total);
        }
    }
}
