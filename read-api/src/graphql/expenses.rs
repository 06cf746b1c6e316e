//! Budget and expenses (the seed's Expense and CurrencyService): expenses on items split
//! among the itinerary's members, budgets per category, the summary in the base currency with
//! balances and a settle-up plan, and exchange rates. Money is integer minor units
//! throughout. Expenses are for members only: anyone else gets `null`, as for a missing
//! itinerary.

use std::collections::BTreeMap;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;
use wayfarer_domain::expenses::summary::{summarize, Budget};
use wayfarer_domain::expenses::Split;
use wayfarer_domain::itinerary::{ExpenseInput as DomainExpense, ItineraryCommand};
use wayfarer_projections::itinerary::expenses;
use wayfarer_schemas::ExpenseDetails;

use super::context::{caller, state};
use super::mutation::{run, ItineraryPayload};
use super::paging::{day_cursor, decode_day_cursor, page_size};
use super::query::read_itinerary;
use super::resolve::{resolve, Invocation};
use super::types::{Category, Money, Position};
use crate::error::{ApiError, ApiResult};

/// Most people one expense is split among.
const MAX_PARTICIPANTS: usize = 100;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::SplitMethod")]
pub enum SplitMethod {
    /// The same part each (leftover minor units by the rounding rule).
    Equally,
    /// In proportion to each participant's `share`.
    Shares,
    /// Each participant's `amountMinor`; they must add up to the amount.
    Exact,
}

#[derive(InputObject)]
pub struct SplitParticipantInput {
    pub user_id: Uuid,
    /// For SHARES: a whole number of shares.
    pub share: Option<u32>,
    /// For EXACT: this person's part in minor units.
    pub amount_minor: Option<i64>,
}

#[derive(InputObject)]
pub struct SplitInput {
    pub method: SplitMethod,
    #[graphql(validator(min_items = 1, max_items = 100))]
    pub participants: Vec<SplitParticipantInput>,
}

#[derive(InputObject)]
pub struct ExpenseInput {
    /// A positive amount in minor units of an ISO 4217 currency with an exchange rate.
    pub amount_minor: i64,
    pub currency: String,
    pub category: Category,
    pub description: Option<String>,
    /// The day it was spent; it is converted at that day's rate.
    pub date: NaiveDate,
    /// An owner or accepted collaborator.
    pub paid_by: Uuid,
    pub split: SplitInput,
}

impl ExpenseInput {
    /// The domain's input, after the checks the schema cannot express.
    fn into_domain(self) -> ApiResult<DomainExpense> {
        let participants = self.split.participants;
        debug_assert!(participants.len() <= MAX_PARTICIPANTS);
        let missing = |what: &str| {
            ApiError::Validation(format!("every participant of this split needs {what}"))
        };
        let split = match self.split.method {
            SplitMethod::Equally => {
                Split::Equally(participants.iter().map(|p| p.user_id).collect())
            }
            SplitMethod::Shares => Split::Shares(unique(
                participants
                    .iter()
                    .map(|p| {
                        p.share
                            .map(|s| (p.user_id, s))
                            .ok_or_else(|| missing("a share"))
                    })
                    .collect::<ApiResult<Vec<_>>>()?,
            )?),
            SplitMethod::Exact => Split::Exact(unique(
                participants
                    .iter()
                    .map(|p| {
                        p.amount_minor
                            .map(|a| (p.user_id, a))
                            .ok_or_else(|| missing("an amountMinor"))
                    })
                    .collect::<ApiResult<Vec<_>>>()?,
            )?),
        };
        Ok(DomainExpense {
            amount_minor: self.amount_minor,
            currency: self.currency,
            category: self.category.into(),
            description: self.description,
            date: self.date,
            paid_by: self.paid_by,
            split,
        })
    }
}

/// A participant list as a map, refusing anyone listed twice.
fn unique<T>(pairs: Vec<(Uuid, T)>) -> ApiResult<BTreeMap<Uuid, T>> {
    let mut map = BTreeMap::new();
    for (user, value) in pairs {
        if map.insert(user, value).is_some() {
            return Err(ApiError::Validation(format!(
                "{user} is listed more than once"
            )));
        }
    }
    Ok(map)
}

/// Refuses a currency the rate table does not quote (its expenses could not be summed).
async fn require_quoted(ctx: &Context<'_>, currency: &str) -> ApiResult<()> {
    let table = state(ctx).rates.table().await?;
    if table.quotes(currency) {
        Ok(())
    } else {
        Err(ApiError::Validation(format!(
            "currency {currency} has no exchange rate (see supportedCurrencies)"
        )))
    }
}

/// The itinerary if the caller is one of its members, else `None`.
async fn member_itinerary(
    ctx: &Context<'_>,
    itinerary_id: Uuid,
    after: Option<Position>,
) -> ApiResult<Option<super::types::Itinerary>> {
    let itinerary = read_itinerary(ctx, itinerary_id, after).await?;
    Ok(itinerary.filter(|i| i.0.membership(caller(ctx)).is_member()))
}

#[derive(Default)]
pub struct ExpenseMutation;

#[Object]
impl ExpenseMutation {
    /// Records an expense on an item (the seed's `addExpense`). The owner and EDIT
    /// collaborators; the payer and everyone in the split must be members. The payload's
    /// `expenseId` names it.
    async fn add_expense(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        item_id: Uuid,
        input: ExpenseInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            require_quoted(ctx, &input.currency).await?;
            let input = input.into_domain()?;
            let expense_id = invocation.mint_id("expense");
            let mut payload = run(
                ctx,
                invocation,
                itinerary_id,
                Some(item_id),
                None,
                |context| ItineraryCommand::AddExpense {
                    context,
                    expense_id,
                    item_id,
                    input,
                },
            )
            .await?;
            payload.expense_id = Some(expense_id);
            Ok(payload)
        })
        .await
    }

    /// Replaces an expense's details. The owner and EDIT collaborators.
    async fn update_expense(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        expense_id: Uuid,
        input: ExpenseInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            require_quoted(ctx, &input.currency).await?;
            let input = input.into_domain()?;
            let mut payload = run(ctx, invocation, itinerary_id, None, None, |context| {
                ItineraryCommand::UpdateExpense {
                    context,
                    expense_id,
                    input,
                }
            })
            .await?;
            payload.expense_id = Some(expense_id);
            Ok(payload)
        })
        .await
    }

    /// Deletes an expense. The owner and EDIT collaborators.
    async fn delete_expense(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        expense_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        let mut payload = super::mutation::command(ctx, itinerary_id, idempotency_key, |context| {
            ItineraryCommand::DeleteExpense {
                context,
                expense_id,
            }
        })
        .await?;
        payload.expense_id = Some(expense_id);
        Ok(payload)
    }

    /// Sets a category's budget in minor units of the base currency; `null` clears it. The
    /// owner and EDIT collaborators.
    async fn set_budget(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        category: Category,
        amount_minor: Option<i64>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        super::mutation::command(ctx, itinerary_id, idempotency_key, |context| {
            ItineraryCommand::SetBudget {
                context,
                category: category.into(),
                amount_minor,
            }
        })
        .await
    }
}

/// One person's part of an expense.
#[derive(SimpleObject)]
pub struct ExpensePart {
    pub user_id: Uuid,
    pub amount_minor: i64,
}

/// An expense as recorded.
#[derive(SimpleObject)]
pub struct Expense {
    pub id: Uuid,
    pub item_id: Uuid,
    pub amount: Money,
    pub category: Category,
    pub description: Option<String>,
    pub date: NaiveDate,
    pub paid_by: Uuid,
    pub split_method: SplitMethod,
    /// Each person's part, in the expense's currency; they add up to the amount.
    pub parts: Vec<ExpensePart>,
    pub added_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn parts(details: &ExpenseDetails) -> Vec<ExpensePart> {
    details
        .parts
        .iter()
        .map(|(user_id, amount_minor)| ExpensePart {
            user_id: *user_id,
            amount_minor: *amount_minor,
        })
        .collect()
}

impl From<expenses::ExpenseRow> for Expense {
    fn from(row: expenses::ExpenseRow) -> Self {
        let details = row.details.0;
        Self {
            id: row.expense_id,
            item_id: row.item_id,
            parts: parts(&details),
            amount: Money {
                amount_minor: details.amount.amount_minor,
                currency: details.amount.currency,
            },
            category: details.category.into(),
            description: details.description,
            date: details.date,
            paid_by: details.paid_by,
            split_method: details.split_method.into(),
            added_by: row.added_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A category's spending in the base currency, against its budget.
#[derive(SimpleObject)]
pub struct CategorySummary {
    pub category: Category,
    pub spent: Money,
    pub budget: Option<Money>,
    /// What is left of the budget (negative once over it).
    pub remaining: Option<Money>,
    pub over_budget: bool,
}

/// One person's standing, in the base currency.
#[derive(SimpleObject)]
pub struct PersonBalance {
    pub user_id: Uuid,
    pub paid: Money,
    /// Their parts of every expense.
    pub owed: Money,
    /// Paid minus owed: positive is owed to them.
    pub net: Money,
}

/// One payment of the settle-up plan.
#[derive(SimpleObject)]
pub struct SettlementTransfer {
    pub from_user_id: Uuid,
    pub to_user_id: Uuid,
    pub amount: Money,
}

/// The itinerary's money at a glance, in its base currency.
#[derive(SimpleObject)]
pub struct ExpensesSummary {
    pub base_currency: String,
    pub total: Money,
    pub by_category: Vec<CategorySummary>,
    /// What was spent in each currency, unconverted.
    pub by_currency: Vec<Money>,
    pub balances: Vec<PersonBalance>,
    /// The fewest transfers that settle everyone.
    pub settle_up: Vec<SettlementTransfer>,
    /// Where the exchange rates come from.
    pub rates_source: String,
}

/// A rate between two currencies.
#[derive(SimpleObject)]
pub struct ExchangeRate {
    pub from: String,
    pub to: String,
    /// One unit of `from` in `to`, to 6 decimals.
    pub rate: String,
    /// The business day whose reference rates were used.
    pub rate_date: NaiveDate,
    pub source: String,
}

impl ExchangeRate {
    fn of(
        quote: &wayfarer_domain::expenses::rates::Quote,
        from: String,
        to: String,
        source: String,
    ) -> Self {
        Self {
            rate: quote.to_decimal(6),
            rate_date: quote.rate_date,
            from,
            to,
            source,
        }
    }
}

/// An amount converted.
#[derive(SimpleObject)]
pub struct Conversion {
    pub amount: Money,
    pub rate: ExchangeRate,
}

#[derive(Default)]
pub struct ExpenseQuery;

fn rate_error(error: wayfarer_domain::expenses::rates::RateError) -> ApiError {
    ApiError::Validation(error.to_string())
}

#[Object]
impl ExpenseQuery {
    /// An itinerary's expenses, newest day first (the seed's `getExpensesForItinerary`).
    async fn expenses_for_itinerary(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Option<Connection<String, Expense, EmptyFields, EmptyFields>>> {
        resolve(async move {
            let api = state(ctx);
            let size = page_size(first)?;
            let cursor = after.as_deref().map(decode_day_cursor).transpose()?;
            if let Some(position) = after_position {
                api.read_your_write(&[expenses::NAME], position.0).await?;
            }
            if member_itinerary(ctx, itinerary_id, after_position)
                .await?
                .is_none()
            {
                return Ok(None);
            }
            let mut rows = expenses::page(&api.pool, itinerary_id, cursor, size as i64 + 1).await?;
            let has_next = rows.len() > size;
            rows.truncate(size);
            let mut connection = Connection::new(cursor.is_some(), has_next);
            connection
                .edges
                .extend(rows.into_iter().map(|row| {
                    Edge::new(day_cursor(row.details.0.date, row.position), row.into())
                }));
            Ok(Some(connection))
        })
        .await
    }

    /// Totals by category and currency in the base currency (each expense at its day's
    /// rate), budgets with over-budget flags, balances and the settle-up plan (the seed's
    /// `getExpensesSummary`).
    async fn expenses_summary(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Option<ExpensesSummary>> {
        resolve(async move {
            let api = state(ctx);
            if let Some(position) = after_position {
                api.read_your_write(&[expenses::NAME], position.0).await?;
            }
            let Some(itinerary) = member_itinerary(ctx, itinerary_id, after_position).await? else {
                return Ok(None);
            };
            let base = itinerary.0.base_currency.clone();
            let recorded = expenses::all(&api.pool, itinerary_id).await?;
            let budgets: BTreeMap<wayfarer_schemas::Category, Budget> =
                expenses::budgets(&api.pool, itinerary_id)
                    .await?
                    .into_values()
                    .filter_map(|row| {
                        let category =
                            serde_json::from_value(serde_json::Value::String(row.category)).ok()?;
                        Some((
                            category,
                            Budget {
                                amount_minor: row.amount_minor,
                                currency: row.currency,
                            },
                        ))
                    })
                    .collect();
            let table = api.rates.table().await?;
            let summary = summarize(&base, &recorded, &budgets, &table).map_err(rate_error)?;
            let money = |amount_minor: i64| Money {
                amount_minor,
                currency: base.clone(),
            };
            Ok(Some(ExpensesSummary {
                base_currency: base.clone(),
                total: money(summary.total),
                by_category: summary
                    .by_category
                    .iter()
                    .map(|c| CategorySummary {
                        category: c.category.into(),
                        spent: money(c.spent),
                        budget: c.budget.map(money),
                        remaining: c.remaining().map(money),
                        over_budget: c.over_budget(),
                    })
                    .collect(),
                by_currency: summary
                    .by_currency
                    .iter()
                    .map(|(currency, amount_minor)| Money {
                        amount_minor: *amount_minor,
                        currency: currency.clone(),
                    })
                    .collect(),
                balances: summary
                    .balances
                    .iter()
                    .map(|(user_id, b)| PersonBalance {
                        user_id: *user_id,
                        paid: money(b.paid),
                        owed: money(b.owed),
                        net: money(b.net()),
                    })
                    .collect(),
                settle_up: summary
                    .settle_up
                    .iter()
                    .map(|t| SettlementTransfer {
                        from_user_id: t.from,
                        to_user_id: t.to,
                        amount: money(t.amount),
                    })
                    .collect(),
                rates_source: api.rates.source(),
            }))
        })
        .await
    }

    /// The reference rate from one currency to another for a day (today without one).
    async fn exchange_rate(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
        date: Option<NaiveDate>,
    ) -> async_graphql::Result<ExchangeRate> {
        resolve(async move {
            let api = state(ctx);
            let table = api.rates.table().await?;
            let date = date.unwrap_or_else(|| Utc::now().date_naive());
            let quote = table.quote(&from, &to, date).map_err(rate_error)?;
            Ok(ExchangeRate::of(&quote, from, to, api.rates.source()))
        })
        .await
    }

    /// An amount in minor units of `from`, in minor units of `to` (rounded to the nearest
    /// minor unit, halves away from zero), at the rate of `date` (today without one).
    async fn convert_currency(
        &self,
        ctx: &Context<'_>,
        amount_minor: i64,
        from: String,
        to: String,
        date: Option<NaiveDate>,
    ) -> async_graphql::Result<Conversion> {
        resolve(async move {
            let api = state(ctx);
            if !(0..=wayfarer_domain::values::MAX_AMOUNT_MINOR).contains(&amount_minor) {
                return Err(ApiError::Validation(format!(
                    "amountMinor must be between 0 and {}",
                    wayfarer_domain::values::MAX_AMOUNT_MINOR
                )));
            }
            let table = api.rates.table().await?;
            let date = date.unwrap_or_else(|| Utc::now().date_naive());
            let (converted, quote) = table
                .convert(amount_minor, &from, &to, date)
                .map_err(rate_error)?;
            Ok(Conversion {
                amount: Money {
                    amount_minor: converted,
                    currency: to.clone(),
                },
                rate: ExchangeRate::of(&quote, from, to, api.rates.source()),
            })
        })
        .await
    }

    /// Every currency with an exchange rate, in alphabetical order.
    async fn supported_currencies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        resolve(async move { Ok(state(ctx).rates.table().await?.currencies()) }).await
    }
}
