//! Wallets (`wallet`, `walletTransactions`, `paymentHistory`): each wallet's balance and
//! holds and every movement of its money, in PostgreSQL, written with the checkpoint in one
//! transaction and guarded by the wallet's version (an event at or below it is skipped).

pub mod read;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;
use wayfarer_schemas::wallet::AGGREGATE_TYPE;
use wayfarer_schemas::WalletEvent;

use crate::projection::{Envelope, Projection, Tables, TransactionalProjection, Write};
use crate::ProjectionError;

pub const NAME: &str = "wallets";
pub const TABLES: &[&str] = &[WALLETS, TRANSACTIONS];
const WALLETS: &str = "wallets";
const TRANSACTIONS: &str = "wallet_transactions";

pub struct WalletsProjection;

impl Projection for WalletsProjection {
    fn name(&self) -> &'static str {
        NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &[AGGREGATE_TYPE]
    }
    fn fetch_wait(&self) -> Duration {
        Duration::from_millis(10)
    }
}

fn undecodable(envelope: &Envelope, reason: impl ToString) -> ProjectionError {
    ProjectionError::Undecodable {
        position: envelope.global_position,
        reason: reason.to_string(),
    }
}

/// A wallet as the model has it before an event.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Balance {
    owner_id: Uuid,
    currency: String,
    balance_minor: i64,
    held_minor: i64,
    version: i64,
}

/// One movement of money, as the history lists it.
struct Movement<'a> {
    kind: &'static str,
    operation_id: Uuid,
    amount_minor: i64,
    booking_id: Option<Uuid>,
    reference: Option<String>,
    at: &'a DateTime<Utc>,
}

/// How an event moves the balance and the holds, and the movement it lists.
fn movement(event: &WalletEvent) -> Option<(i64, i64, Movement<'_>)> {
    let listed = |kind, operation_id, amount_minor, booking_id, reference, at| Movement {
        kind,
        operation_id,
        amount_minor,
        booking_id,
        reference,
        at,
    };
    Some(match event {
        WalletEvent::WalletOpened { .. } | WalletEvent::PaymentMethodUpdated { .. } => return None,
        WalletEvent::FundsDeposited {
            operation_id,
            amount_minor,
            payment_intent_id,
            deposited_at,
        } => (
            *amount_minor,
            0,
            listed(
                "DEPOSIT",
                *operation_id,
                *amount_minor,
                None,
                Some(payment_intent_id.clone()),
                deposited_at,
            ),
        ),
        WalletEvent::FundsHeld {
            operation_id,
            amount_minor,
            booking_id,
            held_at,
        } => (
            0,
            *amount_minor,
            listed(
                "HOLD",
                *operation_id,
                *amount_minor,
                *booking_id,
                None,
                held_at,
            ),
        ),
        WalletEvent::HoldCaptured {
            operation_id,
            hold_id,
            amount_minor,
            booking_id,
            captured_at,
        } => (
            -amount_minor,
            -amount_minor,
            listed(
                "CAPTURE",
                *operation_id,
                *amount_minor,
                *booking_id,
                Some(hold_id.to_string()),
                captured_at,
            ),
        ),
        WalletEvent::HoldReleased {
            operation_id,
            hold_id,
            amount_minor,
            released_at,
        } => (
            0,
            -amount_minor,
            listed(
                "RELEASE",
                *operation_id,
                *amount_minor,
                None,
                Some(hold_id.to_string()),
                released_at,
            ),
        ),
        WalletEvent::FundsRefunded {
            operation_id,
            amount_minor,
            booking_id,
            refunded_at,
        } => (
            *amount_minor,
            0,
            listed(
                "REFUND",
                *operation_id,
                *amount_minor,
                *booking_id,
                None,
                refunded_at,
            ),
        ),
        WalletEvent::FundsWithdrawn {
            operation_id,
            amount_minor,
            payment_intent_id,
            withdrawn_at,
        } => (
            -amount_minor,
            0,
            listed(
                "WITHDRAWAL",
                *operation_id,
                *amount_minor,
                None,
                Some(payment_intent_id.clone()),
                withdrawn_at,
            ),
        ),
    })
}

#[async_trait]
impl TransactionalProjection for WalletsProjection {
    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let wallets = tables.name(WALLETS);
        let transactions = tables.name(TRANSACTIONS);
        for envelope in events {
            let event: WalletEvent = serde_json::from_str(envelope.payload.get())
                .map_err(|e| undecodable(envelope, e))?;
            let id = envelope
                .aggregate_uuid()
                .ok_or_else(|| undecodable(envelope, "wallet id is not a UUID"))?;
            let version = envelope.sequence as i64;
            if let WalletEvent::WalletOpened {
                owner_id,
                currency,
                opened_at,
            } = &event
            {
                sqlx::query(&format!(
                    "INSERT INTO {wallets} (wallet_id, owner_id, currency, opened_at, \
                     updated_at, version) VALUES ($1, $2, $3, $4, $4, $5) \
                     ON CONFLICT (wallet_id) DO NOTHING"
                ))
                .bind(id)
                .bind(owner_id)
                .bind(currency)
                .bind(opened_at)
                .bind(version)
                .execute(&mut *tx)
                .await?;
                continue;
            }
            let balance: Option<Balance> = sqlx::query_as(&format!(
                "SELECT owner_id, currency, balance_minor, held_minor, version FROM {wallets} \
                 WHERE wallet_id = $1"
            ))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(balance) = balance.filter(|b| b.version < version) else {
                continue;
            };
            if let WalletEvent::PaymentMethodUpdated {
                payment_method,
                updated_at,
            } = &event
            {
                sqlx::query(&format!(
                    "UPDATE {wallets} SET payment_method = $2, updated_at = $3, version = $4 \
                     WHERE wallet_id = $1"
                ))
                .bind(id)
                .bind(Json(payment_method))
                .bind(updated_at)
                .bind(version)
                .execute(&mut *tx)
                .await?;
                continue;
            }
            let Some((balance_change, held_change, moved)) = movement(&event) else {
                continue;
            };
            // A release names its hold; the history lists it under the hold's booking.
            let booking_id = match (&event, moved.booking_id) {
                (WalletEvent::HoldReleased { hold_id, .. }, None) => sqlx::query_scalar(&format!(
                    "SELECT booking_id FROM {transactions} WHERE wallet_id = $1 \
                         AND operation_id = $2 AND kind = 'HOLD'"
                ))
                .bind(id)
                .bind(hold_id)
                .fetch_optional(&mut *tx)
                .await?
                .flatten(),
                (_, booking_id) => booking_id,
            };
            let balance_after = balance.balance_minor + balance_change;
            let held_after = balance.held_minor + held_change;
            sqlx::query(&format!(
                "INSERT INTO {transactions} (wallet_id, sequence, owner_id, operation_id, kind, \
                 amount_minor, currency, booking_id, reference, balance_after_minor, \
                 available_after_minor, occurred_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (wallet_id, sequence) DO NOTHING"
            ))
            .bind(id)
            .bind(version)
            .bind(balance.owner_id)
            .bind(moved.operation_id)
            .bind(moved.kind)
            .bind(moved.amount_minor)
            .bind(&balance.currency)
            .bind(booking_id)
            .bind(&moved.reference)
            .bind(balance_after)
            .bind(balance_after - held_after)
            .bind(moved.at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "UPDATE {wallets} SET balance_minor = $2, held_minor = $3, updated_at = $4, \
                 version = $5 WHERE wallet_id = $1"
            ))
            .bind(id)
            .bind(balance_after)
            .bind(held_after)
            .bind(moved.at)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }

    async fn has_applied(
        &self,
        connection: &mut PgConnection,
        write: &Write,
    ) -> Result<bool, ProjectionError> {
        let Some(id) = write.stream_of(AGGREGATE_TYPE) else {
            return Ok(true);
        };
        let version: Option<i64> =
            sqlx::query_scalar("SELECT version FROM wallets WHERE wallet_id = $1")
                .bind(id)
                .fetch_optional(&mut *connection)
                .await?;
        Ok(version.is_some_and(|v| v >= write.sequence as i64))
    }
}
