//! Wallets and payments: the caller's wallets (one per currency), their history, top-ups
//! through the payment gateway (`topUpWallet`, and the seed's `processPayment`), top-ups paid
//! back to their card (`refundPayment`) and the card they charge. Holds, captures, releases and
//! refunds are the booking process's; people see them in the history.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use wayfarer_commands::CommandOutcome;
use wayfarer_domain::{CurrencyCode, WalletActor, WalletCommand, WalletContext};
use wayfarer_projections::wallet::read::{self, TransactionCursor, TransactionRow, WalletRow};
use wayfarer_projections::wallet::NAME;
use wayfarer_schemas::wallet_id;

use super::context::{require_caller, state};
use super::paging::{cursor_text, encode_opaque, page_size};
use super::resolve::{resolve, Invocation};
use super::types::{Money, Position};
use crate::error::{ApiError, ApiResult};
use crate::payments::{self, Charge};

/// The largest single top-up, in minor units (a guard against a typo, not a limit of the
/// wallet).
const MAX_TOP_UP_MINOR: i64 = 100_000_000;

/// A card as the gateway tokenised it.
#[derive(SimpleObject)]
pub struct PaymentMethod {
    /// The gateway's token (`pm_…`).
    pub token: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
}

/// A person's money in one currency.
#[derive(SimpleObject)]
pub struct Wallet {
    pub id: Uuid,
    pub currency: String,
    /// Everything in the wallet, held or not.
    pub balance: Money,
    /// Set aside for bookings in progress.
    pub held: Money,
    /// What may be spent: the balance less the holds.
    pub available: Money,
    pub payment_method: Option<PaymentMethod>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn money(amount_minor: i64, currency: &str) -> Money {
    Money {
        amount_minor,
        currency: currency.to_owned(),
    }
}

impl From<WalletRow> for Wallet {
    fn from(row: WalletRow) -> Self {
        Self {
            id: row.wallet_id,
            balance: money(row.balance_minor, &row.currency),
            held: money(row.held_minor, &row.currency),
            available: money(row.balance_minor - row.held_minor, &row.currency),
            payment_method: row.payment_method.map(|method| {
                let method = method.0;
                PaymentMethod {
                    token: method.token,
                    brand: method.brand,
                    last4: method.last4,
                    exp_month: method.exp_month,
                    exp_year: method.exp_year,
                }
            }),
            currency: row.currency,
            opened_at: row.opened_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum WalletTransactionKind {
    /// Money paid in through the gateway.
    Deposit,
    /// Money set aside for a booking.
    Hold,
    /// A hold paid out.
    Capture,
    /// A hold given back.
    Release,
    /// Money paid for a booking that came back.
    Refund,
    /// A top-up paid back to its card (`refundPayment`).
    Withdrawal,
}

impl WalletTransactionKind {
    fn as_str(self) -> &'static str {
        match self {
            WalletTransactionKind::Deposit => "DEPOSIT",
            WalletTransactionKind::Hold => "HOLD",
            WalletTransactionKind::Capture => "CAPTURE",
            WalletTransactionKind::Release => "RELEASE",
            WalletTransactionKind::Refund => "REFUND",
            WalletTransactionKind::Withdrawal => "WITHDRAWAL",
        }
    }

    fn parse(kind: &str) -> Self {
        match kind {
            "DEPOSIT" => WalletTransactionKind::Deposit,
            "HOLD" => WalletTransactionKind::Hold,
            "CAPTURE" => WalletTransactionKind::Capture,
            "RELEASE" => WalletTransactionKind::Release,
            "WITHDRAWAL" => WalletTransactionKind::Withdrawal,
            _ => WalletTransactionKind::Refund,
        }
    }
}

/// One movement of money.
#[derive(SimpleObject)]
pub struct WalletTransaction {
    pub wallet_id: Uuid,
    pub operation_id: Uuid,
    pub kind: WalletTransactionKind,
    pub amount: Money,
    pub booking_id: Option<Uuid>,
    /// The gateway's payment reference of a deposit, or of the deposit a withdrawal paid
    /// back.
    pub payment_reference: Option<String>,
    pub balance_after: Money,
    pub available_after: Money,
    pub occurred_at: DateTime<Utc>,
}

impl From<TransactionRow> for WalletTransaction {
    fn from(row: TransactionRow) -> Self {
        let kind = WalletTransactionKind::parse(&row.kind);
        Self {
            wallet_id: row.wallet_id,
            operation_id: row.operation_id,
            amount: money(row.amount_minor, &row.currency),
            booking_id: row.booking_id,
            payment_reference: matches!(
                kind,
                WalletTransactionKind::Deposit | WalletTransactionKind::Withdrawal
            )
            .then_some(row.reference)
            .flatten(),
            balance_after: money(row.balance_after_minor, &row.currency),
            available_after: money(row.available_after_minor, &row.currency),
            occurred_at: row.occurred_at,
            kind,
        }
    }
}

/// What a wallet mutation wrote.
#[derive(SimpleObject)]
pub struct WalletPayload {
    pub wallet_id: Uuid,
    /// Pass as `afterPosition` to read this write (`0` when nothing changed).
    pub position: Position,
    pub replayed: bool,
    /// The gateway's payment of a top-up.
    pub payment_reference: Option<String>,
}

fn payload(wallet: Uuid, outcome: CommandOutcome, reference: Option<String>) -> WalletPayload {
    WalletPayload {
        wallet_id: wallet,
        position: Position(outcome.position),
        replayed: outcome.replayed,
        payment_reference: reference,
    }
}

/// `processPayment`'s input: what to pay into which wallet, and from which card.
#[derive(InputObject)]
pub struct PaymentInput {
    /// The wallet's currency (one of `supportedCurrencies`).
    pub currency: String,
    pub amount_minor: i64,
    /// A gateway token (`pm_…`); without one, the wallet's card.
    pub payment_method: Option<String>,
}

/// A card payment into a wallet (the seed's `Payment`).
#[derive(SimpleObject)]
pub struct Payment {
    /// The gateway's reference (`pi_…`): name it to `refundPayment`.
    pub payment_reference: String,
    pub wallet_id: Uuid,
    pub amount: Money,
    /// Pass as `afterPosition` to read this write (`0` when nothing changed).
    pub position: Position,
    pub replayed: bool,
}

/// What `refundPayment` paid back.
#[derive(SimpleObject)]
pub struct PaymentRefund {
    /// The gateway's refund (`re_…`).
    pub refund_reference: String,
    pub payment_reference: String,
    pub wallet_id: Uuid,
    pub amount: Money,
    pub position: Position,
    pub replayed: bool,
}

/// What a top-up took: its wallet, the write and the gateway's payment.
struct Deposited {
    wallet_id: Uuid,
    outcome: CommandOutcome,
    payment_intent_id: String,
}

/// Charges the card and pays the money into the caller's wallet in `currency`: the work of
/// `topUpWallet` and `processPayment`.
async fn deposit(
    ctx: &Context<'_>,
    currency: &str,
    amount_minor: i64,
    payment_method: Option<String>,
    idempotency_key: Option<Uuid>,
) -> ApiResult<Deposited> {
    let invocation = Invocation::new(ctx, idempotency_key)?;
    let owner = invocation.actor;
    if idempotency_key.is_none() {
        return Err(ApiError::Validation(
            "a top-up needs an idempotencyKey, so that a retry is never charged twice".into(),
        ));
    }
    let code = wallet_currency(ctx, currency).await?;
    if amount_minor <= 0 || amount_minor > MAX_TOP_UP_MINOR {
        return Err(ApiError::Validation(format!(
            "a top-up is between 1 and {MAX_TOP_UP_MINOR} minor units"
        )));
    }
    let wallet = wallet_id(owner, code.as_str());
    let api = state(ctx);
    let card = match payment_method {
        Some(token) => token,
        // From the store, not the model: a card set a moment ago is the one charged.
        None => wayfarer_commands::store::load_as_of::<wayfarer_domain::Wallet>(
            &api.pool,
            None,
            &wallet.to_string(),
            None,
        )
        .await
        .map_err(ApiError::internal)?
        .aggregate
        .payment_method()
        .map(|method| method.token.clone())
        .ok_or_else(|| {
            ApiError::Validation("name a paymentMethod, or set the wallet's card first".into())
        })?,
    };
    let operation_id = invocation.mint_id("top-up");
    let taken = payments::charge(
        &api.gateway,
        Charge {
            operation_id,
            wallet_id: wallet,
            owner,
            amount_minor,
            currency: code.as_str(),
            payment_method: &card,
        },
    )
    .await?;
    let command = WalletCommand::Deposit {
        context: owners_context(&invocation, code),
        operation_id,
        amount_minor,
        payment_intent_id: taken.payment_intent_id.clone(),
    };
    let outcome = invocation.execute(&api.wallets, wallet, command).await?;
    Ok(Deposited {
        wallet_id: wallet,
        outcome,
        payment_intent_id: taken.payment_intent_id,
    })
}

/// The caller acting on their own wallet in `currency`.
fn owners_context(invocation: &Invocation, currency: CurrencyCode) -> WalletContext {
    WalletContext {
        actor: WalletActor::Person(invocation.actor),
        owner: invocation.actor,
        currency,
        now: invocation.now,
    }
}

fn currency(input: &str) -> ApiResult<CurrencyCode> {
    CurrencyCode::parse(input)
        .map_err(|_| ApiError::Validation("currency must be an ISO 4217 code such as EUR".into()))
}

/// A currency a wallet may hold: one the exchange-rate table quotes (`supportedCurrencies`),
/// so bookings priced in another can be converted into it.
pub(super) async fn wallet_currency(ctx: &Context<'_>, input: &str) -> ApiResult<CurrencyCode> {
    let code = currency(input)?;
    let table = state(ctx).rates.table().await?;
    if code.as_str() != wayfarer_domain::expenses::rates::EURO && !table.quotes(code.as_str()) {
        return Err(ApiError::Validation(format!(
            "wallets hold the currencies of supportedCurrencies, not {input}"
        )));
    }
    Ok(code)
}

async fn wait_for(ctx: &Context<'_>, after: Option<Position>) -> ApiResult<()> {
    if let Some(position) = after {
        state(ctx).read_your_write(&[NAME], position.0).await?;
    }
    Ok(())
}

fn encode_transaction_cursor(row: &TransactionRow) -> String {
    encode_opaque(&format!(
        "{}|{}|{}",
        row.occurred_at.to_rfc3339(),
        row.wallet_id,
        row.sequence
    ))
}

fn decode_transaction_cursor(cursor: &str) -> ApiResult<TransactionCursor> {
    let invalid = || ApiError::Validation("invalid cursor".into());
    let text = cursor_text(cursor)?;
    let mut parts = text.split('|');
    let (Some(at), Some(wallet), Some(sequence), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    Ok(TransactionCursor {
        occurred_at: DateTime::parse_from_rfc3339(at)
            .map_err(|_| invalid())?
            .with_timezone(&Utc),
        wallet_id: Uuid::parse_str(wallet).map_err(|_| invalid())?,
        sequence: sequence.parse().map_err(|_| invalid())?,
    })
}

/// A page of the caller's movements of money, newest first.
async fn transaction_page(
    ctx: &Context<'_>,
    currency_filter: Option<String>,
    kinds: &[&str],
    first: Option<i32>,
    after: Option<String>,
    after_position: Option<Position>,
) -> ApiResult<Connection<String, WalletTransaction, EmptyFields, EmptyFields>> {
    let user = require_caller(ctx)?;
    let size = page_size(first)?;
    if let Some(code) = &currency_filter {
        currency(code)?;
    }
    let cursor = after
        .as_deref()
        .map(decode_transaction_cursor)
        .transpose()?;
    wait_for(ctx, after_position).await?;
    let mut rows = read::transactions(
        &state(ctx).pool,
        user,
        currency_filter.as_deref(),
        kinds,
        cursor,
        size as i64 + 1,
    )
    .await?;
    let has_next = rows.len() > size;
    rows.truncate(size);
    let mut connection = Connection::new(cursor.is_some(), has_next);
    connection.edges.extend(
        rows.into_iter()
            .map(|row| Edge::new(encode_transaction_cursor(&row), row.into())),
    );
    Ok(connection)
}

#[derive(Default)]
pub struct WalletQuery;

#[Object]
impl WalletQuery {
    /// The caller's wallets, one per currency they have used.
    async fn wallets(
        &self,
        ctx: &Context<'_>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Vec<Wallet>> {
        resolve(async move {
            let user = require_caller(ctx)?;
            wait_for(ctx, after_position).await?;
            let rows = read::wallets_of(&state(ctx).pool, user).await?;
            Ok(rows.into_iter().map(Wallet::from).collect())
        })
        .await
    }

    /// The caller's wallet in `currency` (`null` until its first top-up or card).
    async fn wallet(
        &self,
        ctx: &Context<'_>,
        currency: String,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Option<Wallet>> {
        resolve(async move {
            let user = require_caller(ctx)?;
            let code = self::currency(&currency)?;
            wait_for(ctx, after_position).await?;
            let row = read::find(&state(ctx).pool, wallet_id(user, code.as_str())).await?;
            Ok(row.map(Wallet::from))
        })
        .await
    }

    /// Every movement of the caller's money (in one currency, or all), newest first.
    async fn wallet_transactions(
        &self,
        ctx: &Context<'_>,
        currency: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, WalletTransaction, EmptyFields, EmptyFields>>
    {
        resolve(transaction_page(
            ctx,
            currency,
            &[],
            first,
            after,
            after_position,
        ))
        .await
    }

    /// The caller's payments (the seed's `getPaymentHistory`): top-ups, bookings paid,
    /// refunds and top-ups paid back to their card, newest first.
    async fn payment_history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, WalletTransaction, EmptyFields, EmptyFields>>
    {
        let kinds = [
            WalletTransactionKind::Deposit.as_str(),
            WalletTransactionKind::Capture.as_str(),
            WalletTransactionKind::Refund.as_str(),
            WalletTransactionKind::Withdrawal.as_str(),
        ];
        resolve(transaction_page(
            ctx,
            None,
            &kinds,
            first,
            after,
            after_position,
        ))
        .await
    }
}

#[derive(Default)]
pub struct WalletMutation;

#[Object]
impl WalletMutation {
    /// Pays `amountMinor` into the caller's wallet in `currency`, charged through the
    /// payment gateway to `paymentMethod` (a token from the gateway's
    /// `POST /gateway/payment-methods`) or, without one, to the wallet's card. Opens the
    /// wallet on its first use. A declined card is `PAYMENT_DECLINED` (with `declineCode`);
    /// a gateway that does not answer is `UNAVAILABLE`: retry with the same
    /// `idempotencyKey` and the card is charged at most once. The key is required (a payment
    /// without one could not be retried safely); the currency is one of
    /// `supportedCurrencies`.
    async fn top_up_wallet(
        &self,
        ctx: &Context<'_>,
        currency: String,
        amount_minor: i64,
        payment_method: Option<String>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<WalletPayload> {
        resolve(async move {
            let done = deposit(
                ctx,
                &currency,
                amount_minor,
                payment_method,
                idempotency_key,
            )
            .await?;
            Ok(payload(
                done.wallet_id,
                done.outcome,
                Some(done.payment_intent_id),
            ))
        })
        .await
    }

    /// The seed's `processPayment`: takes a card payment into the caller's wallet, as
    /// `topUpWallet` does (the same checks, errors and `idempotencyKey` rule), and answers
    /// with the payment.
    async fn process_payment(
        &self,
        ctx: &Context<'_>,
        input: PaymentInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<Payment> {
        resolve(async move {
            let done = deposit(
                ctx,
                &input.currency,
                input.amount_minor,
                input.payment_method,
                idempotency_key,
            )
            .await?;
            Ok(Payment {
                payment_reference: done.payment_intent_id,
                wallet_id: done.wallet_id,
                amount: money(input.amount_minor, &input.currency),
                position: Position(done.outcome.position),
                replayed: done.outcome.replayed,
            })
        })
        .await
    }

    /// Pays `amountMinor` of a top-up (`paymentReference`, into the caller's wallet in
    /// `currency`) back to the card it came from. The money leaves the wallet first, then
    /// the gateway refunds it; a gateway that does not answer is `UNAVAILABLE`: retry with the
    /// same `idempotencyKey` (required) and the card is refunded once. At most what the
    /// top-up brought in, less what already went back (`VALIDATION`), and only from money
    /// not held for a booking (`CONFLICT`); a payment that is not one of the wallet's
    /// top-ups is `NOT_FOUND`.
    async fn refund_payment(
        &self,
        ctx: &Context<'_>,
        currency: String,
        payment_reference: String,
        amount_minor: i64,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<PaymentRefund> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let owner = invocation.actor;
            if idempotency_key.is_none() {
                return Err(ApiError::Validation(
                    "a refund needs an idempotencyKey, so that a retry is never paid twice".into(),
                ));
            }
            let code = wallet_currency(ctx, &currency).await?;
            payments::check_payment_reference(&payment_reference)?;
            let wallet = wallet_id(owner, code.as_str());
            let api = state(ctx);
            let operation_id = invocation.mint_id("withdrawal");
            let command = WalletCommand::Withdraw {
                context: owners_context(&invocation, code),
                operation_id,
                amount_minor,
                payment_intent_id: payment_reference.clone(),
            };
            let outcome = invocation.execute(&api.wallets, wallet, command).await?;
            let refund_reference =
                payments::refund(&api.gateway, operation_id, &payment_reference, amount_minor)
                    .await?;
            Ok(PaymentRefund {
                refund_reference,
                payment_reference,
                wallet_id: wallet,
                amount: money(amount_minor, &currency),
                position: Position(outcome.position),
                replayed: outcome.replayed,
            })
        })
        .await
    }

    /// Sets the card top-ups of the caller's wallet in `currency` are charged to:
    /// `paymentMethod` is a token from the gateway (the card number never reaches
    /// Wayfarer). A token the gateway never issued is `VALIDATION`.
    async fn update_payment_method(
        &self,
        ctx: &Context<'_>,
        currency: String,
        payment_method: String,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<WalletPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let owner = invocation.actor;
            let code = wallet_currency(ctx, &currency).await?;
            let api = state(ctx);
            let method = payments::payment_method(&api.gateway, &payment_method).await?;
            let wallet = wallet_id(owner, code.as_str());
            let command = WalletCommand::UpdatePaymentMethod {
                context: owners_context(&invocation, code),
                payment_method: method,
            };
            let outcome = invocation.execute(&api.wallets, wallet, command).await?;
            Ok(payload(wallet, outcome, None))
        })
        .await
    }
}
