//! Decide the money commands: expenses on items, split among the itinerary's members, and
//! budgets per category. The arithmetic is [`crate::expenses`]; who may is EDIT access.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wayfarer_schemas::{
    AccessLevel, Category, ExpenseDetails, ItineraryEvent, MoneyAmount, SplitMethod,
};

use super::access::{Needs, Standing};
use super::{CommandContext, Itinerary, ItineraryError};
use crate::expenses::{split, Split, SplitError};
use crate::values::{Description, Money};

/// Most expenses (deleted ones included) one itinerary may hold.
pub const MAX_EXPENSES: usize = 10_000;
/// How far before the trip starts or after it ends an expense may be dated (deposits, late
/// bills).
pub const EXPENSE_DATE_MARGIN_DAYS: u64 = 366;

/// An expense as a caller describes it, unvalidated.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpenseInput {
    pub amount_minor: i64,
    pub currency: String,
    pub category: Category,
    /// Blank counts as none.
    pub description: Option<String>,
    pub date: NaiveDate,
    pub paid_by: Uuid,
    pub split: Split,
}

/// An expense as the aggregate keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Expense {
    pub item_id: Uuid,
    pub details: ExpenseDetails,
    pub deleted: bool,
}

impl Itinerary {
    /// Expenses ever added, deleted ones included.
    pub fn expenses(&self) -> &BTreeMap<Uuid, Expense> {
        &self.expenses
    }

    /// Budgets per category, each in the base currency when it was set.
    pub fn budgets(&self) -> &BTreeMap<Category, MoneyAmount> {
        &self.budgets
    }

    /// Whether `user` is the owner or an accepted collaborator (someone money can be shared
    /// with).
    fn is_member_for_money(&self, user: Uuid) -> bool {
        matches!(
            self.standing_of(user),
            Standing::Owner | Standing::Collaborator(_)
        )
    }

    pub(super) fn decide_add_expense(
        &self,
        context: &CommandContext,
        expense_id: Uuid,
        item_id: Uuid,
        input: ExpenseInput,
    ) -> Result<ItineraryEvent, ItineraryError> {
        self.require(context, Needs::AtLeast(AccessLevel::Edit))?;
        if self.live_item(item_id).is_none() {
            return Err(ItineraryError::ItemNotFound(item_id));
        }
        if self.expenses.contains_key(&expense_id) {
            return Err(ItineraryError::DuplicateExpense(expense_id));
        }
        if self.expenses.len() >= MAX_EXPENSES {
            return Err(ItineraryError::TooManyExpenses);
        }
        Ok(ItineraryEvent::ExpenseAdded {
            expense_id,
            item_id,
            details: self.validated_expense(input)?,
            added_by: context.actor,
            added_at: context.now,
        })
    }

    pub(super) fn decide_update_expense(
        &self,
        context: &CommandContext,
        expense_id: Uuid,
        input: ExpenseInput,
    ) -> Result<ItineraryEvent, ItineraryError> {
        self.require(context, Needs::AtLeast(AccessLevel::Edit))?;
        let current = self.live_expense(expense_id)?;
        let details = self.validated_expense(input)?;
        if details == current.details {
            return Err(ItineraryError::NothingToChange);
        }
        Ok(ItineraryEvent::ExpenseUpdated {
            expense_id,
            details,
            updated_at: context.now,
        })
    }

    pub(super) fn decide_delete_expense(
        &self,
        context: &CommandContext,
        expense_id: Uuid,
    ) -> Result<ItineraryEvent, ItineraryError> {
        self.require(context, Needs::AtLeast(AccessLevel::Edit))?;
        self.live_expense(expense_id)?;
        Ok(ItineraryEvent::ExpenseDeleted {
            expense_id,
            deleted_at: context.now,
        })
    }

    pub(super) fn decide_set_budget(
        &self,
        context: &CommandContext,
        category: Category,
        amount_minor: Option<i64>,
    ) -> Result<ItineraryEvent, ItineraryError> {
        let details = self.require(context, Needs::AtLeast(AccessLevel::Edit))?;
        let amount = amount_minor
            .map(|amount_minor| {
                Money::try_from(crate::MoneyInput {
                    amount_minor,
                    currency: details.base_currency.clone(),
                })
            })
            .transpose()?;
        let amount: Option<MoneyAmount> = amount.map(Into::into);
        // The same figure in another currency (the base changed since) is a change.
        if amount.as_ref() == self.budgets.get(&category) {
            return Err(ItineraryError::NothingToChange);
        }
        Ok(ItineraryEvent::BudgetSet {
            category,
            amount,
            set_at: context.now,
        })
    }

    fn live_expense(&self, expense_id: Uuid) -> Result<&Expense, ItineraryError> {
        self.expenses
            .get(&expense_id)
            .filter(|expense| !expense.deleted)
            .ok_or(ItineraryError::ExpenseNotFound(expense_id))
    }

    /// Validates an expense field by field: amount, currency, description, date, who paid,
    /// then the split (everyone in it a member).
    fn validated_expense(&self, input: ExpenseInput) -> Result<ExpenseDetails, ItineraryError> {
        let money = Money::try_from(crate::MoneyInput {
            amount_minor: input.amount_minor,
            currency: input.currency,
        })?;
        if money.amount_minor() == 0 {
            return Err(ItineraryError::ZeroExpense);
        }
        let description = Description::parse_optional(input.description.as_deref())?;
        let details = self.details.as_ref().ok_or(ItineraryError::NotFound)?;
        let margin = Days::new(EXPENSE_DATE_MARGIN_DAYS);
        let earliest = details
            .start_date
            .checked_sub_days(margin)
            .unwrap_or(NaiveDate::MIN);
        let latest = details
            .end_date
            .checked_add_days(margin)
            .unwrap_or(NaiveDate::MAX);
        if input.date < earliest || input.date > latest {
            return Err(ItineraryError::ExpenseDateOutOfRange);
        }
        if !self.is_member_for_money(input.paid_by) {
            return Err(ItineraryError::NotAMember(input.paid_by));
        }
        let people: Vec<Uuid> = match &input.split {
            Split::Equally(people) => people.clone(),
            Split::Shares(shares) => shares.keys().copied().collect(),
            Split::Exact(parts) => parts.keys().copied().collect(),
        };
        if let Some(outsider) = people.iter().find(|p| !self.is_member_for_money(**p)) {
            return Err(ItineraryError::NotAMember(*outsider));
        }
        let parts = split(money.amount_minor(), &input.split).map_err(ItineraryError::BadSplit)?;
        let (split_method, split_inputs) = match input.split {
            Split::Equally(people) => (
                SplitMethod::Equally,
                people.into_iter().map(|p| (p, 1)).collect(),
            ),
            Split::Shares(shares) => (
                SplitMethod::Shares,
                shares.into_iter().map(|(p, s)| (p, i64::from(s))).collect(),
            ),
            Split::Exact(parts) => (SplitMethod::Exact, parts),
        };
        Ok(ExpenseDetails {
            amount: MoneyAmount::from(money),
            category: input.category,
            description: description.map(Description::into_inner),
            date: input.date,
            paid_by: input.paid_by,
            split_method,
            split_inputs,
            parts,
        })
    }
}

impl From<SplitError> for ItineraryError {
    fn from(error: SplitError) -> Self {
        ItineraryError::BadSplit(error)
    }
}
