//! Expenses and budgets (`expensesForItinerary`, `expensesSummary`): a PostgreSQL model of its
//! own, written in the runner's transaction, idempotent by stream version ([`stream_guard`],
//! `itinerary_expense_streams`). Amounts stay in their own currencies; conversion to the
//! base currency happens when a summary is read, at each expense's day's rate.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use wayfarer_schemas::{ExpenseDetails, ItineraryEvent};

use super::stream_guard;
use crate::event::ItineraryEnvelope;
use crate::projection::Tables;

/// Projection name, used for checkpoints, consumer groups and the CLI.
pub const NAME: &str = "itinerary_expenses";
pub const TABLES: &[&str] = &[EXPENSES, BUDGETS, STREAMS];
const EXPENSES: &str = "itinerary_expense_view";
const BUDGETS: &str = "itinerary_budget_view";
const STREAMS: &str = "itinerary_expense_streams";

/// One live expense.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExpenseRow {
    pub expense_id: Uuid,
    pub itinerary_id: Uuid,
    pub item_id: Uuid,
    pub details: Json<ExpenseDetails>,
    pub added_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub position: i64,
}

/// One category's budget, in minor units of `currency` (the base currency when it was set).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BudgetRow {
    pub category: String,
    pub amount_minor: i64,
    pub currency: String,
}

/// The model; registered as [`stream_guard::Guarded`]`(ItineraryExpensesModel)`.
pub struct ItineraryExpensesModel;

/// The registered projection.
pub type ItineraryExpensesProjection = stream_guard::Guarded<ItineraryExpensesModel>;

#[async_trait]
impl stream_guard::GuardedModel for ItineraryExpensesModel {
    const NAME: &'static str = NAME;
    const TABLES: &'static [&'static str] = TABLES;
    const STREAMS: &'static str = STREAMS;

    async fn apply_event(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        id: Uuid,
        envelope: &ItineraryEnvelope,
    ) -> Result<(), sqlx::Error> {
        let (expenses, budgets) = (tables.name(EXPENSES), tables.name(BUDGETS));
        match &envelope.payload {
            ItineraryEvent::ExpenseAdded {
                expense_id,
                item_id,
                details,
                added_by,
                added_at,
            } => {
                sqlx::query(&format!(
                    "INSERT INTO {expenses} (expense_id, itinerary_id, item_id, details, added_by, \
                     created_at, updated_at, position) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) \
                     ON CONFLICT (expense_id) DO NOTHING"
                ))
                .bind(expense_id)
                .bind(id)
                .bind(item_id)
                .bind(Json(details))
                .bind(added_by)
                .bind(added_at)
                .bind(envelope.global_position)
                .execute(&mut *tx)
                .await?;
            }
            ItineraryEvent::ExpenseUpdated {
                expense_id,
                details,
                updated_at,
            } => {
                sqlx::query(&format!(
                    "UPDATE {expenses} SET details = $2, updated_at = $3 WHERE expense_id = $1"
                ))
                .bind(expense_id)
                .bind(Json(details))
                .bind(updated_at)
                .execute(&mut *tx)
                .await?;
            }
            ItineraryEvent::ExpenseDeleted { expense_id, .. } => {
                sqlx::query(&format!("DELETE FROM {expenses} WHERE expense_id = $1"))
                    .bind(expense_id)
                    .execute(&mut *tx)
                    .await?;
            }
            ItineraryEvent::BudgetSet {
                category, amount, ..
            } => match amount {
                Some(amount) => {
                    sqlx::query(&format!(
                        "INSERT INTO {budgets} (itinerary_id, category, amount_minor, currency) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (itinerary_id, category) \
                         DO UPDATE SET amount_minor = excluded.amount_minor, \
                         currency = excluded.currency"
                    ))
                    .bind(id)
                    .bind(category.as_str())
                    .bind(amount.amount_minor)
                    .bind(&amount.currency)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query(&format!(
                        "DELETE FROM {budgets} WHERE itinerary_id = $1 AND category = $2"
                    ))
                    .bind(id)
                    .bind(category.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
            },
            _ => {}
        }
        Ok(())
    }
}

/// A page of an itinerary's expenses, newest day first (then latest added), after a store
/// position cursor of the previous page's last one.
pub async fn page(
    pool: &PgPool,
    itinerary_id: Uuid,
    after: Option<(NaiveDate, i64)>,
    limit: i64,
) -> Result<Vec<ExpenseRow>, sqlx::Error> {
    let (after_date, after_position) = after.unzip();
    sqlx::query_as(
        "SELECT expense_id, itinerary_id, item_id, details, added_by, created_at, updated_at, \
         position FROM itinerary_expense_view WHERE itinerary_id = $1 \
         AND ($2::date IS NULL OR ((details->>'date')::date, position) < ($2, $3)) \
         ORDER BY (details->>'date')::date DESC, position DESC LIMIT $4",
    )
    .bind(itinerary_id)
    .bind(after_date)
    .bind(after_position)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Every live expense of an itinerary (for its summary).
pub async fn all(pool: &PgPool, itinerary_id: Uuid) -> Result<Vec<ExpenseDetails>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Details {
        details: Json<ExpenseDetails>,
    }
    let rows: Vec<Details> =
        sqlx::query_as("SELECT details FROM itinerary_expense_view WHERE itinerary_id = $1")
            .bind(itinerary_id)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().map(|row| row.details.0).collect())
}

/// The budgets of an itinerary, by category name.
pub async fn budgets(
    pool: &PgPool,
    itinerary_id: Uuid,
) -> Result<BTreeMap<String, BudgetRow>, sqlx::Error> {
    let rows: Vec<BudgetRow> = sqlx::query_as(
        "SELECT category, amount_minor, currency FROM itinerary_budget_view \
         WHERE itinerary_id = $1",
    )
    .bind(itinerary_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.category.clone(), row))
        .collect())
}
