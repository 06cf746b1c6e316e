//! Reading wallets and their history from the live tables.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;
use wayfarer_schemas::PaymentMethodRef;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct WalletRow {
    pub wallet_id: Uuid,
    pub owner_id: Uuid,
    pub currency: String,
    pub balance_minor: i64,
    pub held_minor: i64,
    pub payment_method: Option<Json<PaymentMethodRef>>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TransactionRow {
    pub wallet_id: Uuid,
    pub sequence: i64,
    pub operation_id: Uuid,
    pub kind: String,
    pub amount_minor: i64,
    pub currency: String,
    pub booking_id: Option<Uuid>,
    pub reference: Option<String>,
    pub balance_after_minor: i64,
    pub available_after_minor: i64,
    pub occurred_at: DateTime<Utc>,
}

const WALLET_COLUMNS: &str = "wallet_id, owner_id, currency, balance_minor, held_minor, \
    payment_method, opened_at, updated_at";

/// `owner`'s wallets, by currency.
pub async fn wallets_of(pool: &PgPool, owner: Uuid) -> Result<Vec<WalletRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {WALLET_COLUMNS} FROM wallets WHERE owner_id = $1 ORDER BY currency"
    ))
    .bind(owner)
    .fetch_all(pool)
    .await
}

/// One wallet.
pub async fn find(pool: &PgPool, wallet_id: Uuid) -> Result<Option<WalletRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {WALLET_COLUMNS} FROM wallets WHERE wallet_id = $1"
    ))
    .bind(wallet_id)
    .fetch_optional(pool)
    .await
}

/// Where a page of history starts: after this movement (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionCursor {
    pub occurred_at: DateTime<Utc>,
    pub wallet_id: Uuid,
    pub sequence: i64,
}

/// A page of `owner`'s movements of money, newest first, in one currency or all.
pub async fn transactions(
    pool: &PgPool,
    owner: Uuid,
    currency: Option<&str>,
    kinds: &[&str],
    after: Option<TransactionCursor>,
    limit: i64,
) -> Result<Vec<TransactionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT wallet_id, sequence, operation_id, kind, amount_minor, currency, booking_id, \
         reference, balance_after_minor, available_after_minor, occurred_at \
         FROM wallet_transactions WHERE owner_id = $1 \
         AND ($2::text IS NULL OR currency = $2) \
         AND (cardinality($3::text[]) = 0 OR kind = ANY($3)) \
         AND ($4::timestamptz IS NULL OR (occurred_at, wallet_id, sequence) < ($4, $5, $6)) \
         ORDER BY occurred_at DESC, wallet_id DESC, sequence DESC LIMIT $7",
    )
    .bind(owner)
    .bind(currency)
    .bind(kinds)
    .bind(after.map(|c| c.occurred_at))
    .bind(after.map(|c| c.wallet_id))
    .bind(after.map(|c| c.sequence))
    .bind(limit)
    .fetch_all(pool)
    .await
}
