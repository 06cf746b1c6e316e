//! The Wallet aggregate: one per person and currency (its id is
//! [`wayfarer_schemas::wallet_id`]). It keeps the balance and the holds on it, and enforces
//! the invariants money needs: the balance never goes negative, holds never exceed it, and
//! each operation (a top-up, a hold, a capture, a release, a refund) is applied once, by its
//! operation id, however often it is asked for.
//!
//! Who may do what: the owner tops up, withdraws (a top-up back to its card) and sets the
//! card; holds, captures, releases and
//! refunds belong to the booking process ([`WalletActor::Payments`]), which has checked the
//! booking is the owner's.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wayfarer_schemas::{PaymentMethodRef, WalletEvent};

use crate::aggregate::{Aggregate, DomainError, ErrorKind};
use crate::values::{CurrencyCode, MAX_AMOUNT_MINOR};

/// Who acts on a wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalletActor {
    /// A person (the API's caller).
    Person(Uuid),
    /// The booking and payment process (sagas): trusted with holds, captures, releases and
    /// refunds of any wallet.
    Payments,
}

/// Who asks, and when; and which wallet (its owner and currency), so the first command can
/// open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletContext {
    pub actor: WalletActor,
    pub owner: Uuid,
    pub currency: CurrencyCode,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WalletCommand {
    /// `topUpWallet`, once the gateway has taken the money (`payment_intent_id` proves it).
    Deposit {
        context: WalletContext,
        operation_id: Uuid,
        amount_minor: i64,
        payment_intent_id: String,
    },
    /// Sets money aside for a booking; `operation_id` becomes the hold's id.
    Hold {
        context: WalletContext,
        operation_id: Uuid,
        amount_minor: i64,
        booking_id: Option<Uuid>,
    },
    /// Pays a hold out in full.
    Capture {
        context: WalletContext,
        operation_id: Uuid,
        hold_id: Uuid,
    },
    /// Gives a hold back.
    Release {
        context: WalletContext,
        operation_id: Uuid,
        hold_id: Uuid,
    },
    /// Pays back (part of) what a booking captured.
    Refund {
        context: WalletContext,
        operation_id: Uuid,
        amount_minor: i64,
        booking_id: Uuid,
    },
    /// `refundPayment`: pays part or all of a top-up back to its card. Takes the money out
    /// first; the gateway's refund follows, keyed by `operation_id`.
    Withdraw {
        context: WalletContext,
        operation_id: Uuid,
        amount_minor: i64,
        payment_intent_id: String,
    },
    /// `updatePaymentMethod`: the card (as the gateway tokenised it) top-ups charge.
    UpdatePaymentMethod {
        context: WalletContext,
        payment_method: PaymentMethodRef,
    },
}

impl WalletCommand {
    fn context(&self) -> &WalletContext {
        match self {
            WalletCommand::Deposit { context, .. }
            | WalletCommand::Hold { context, .. }
            | WalletCommand::Capture { context, .. }
            | WalletCommand::Release { context, .. }
            | WalletCommand::Refund { context, .. }
            | WalletCommand::Withdraw { context, .. }
            | WalletCommand::UpdatePaymentMethod { context, .. } => context,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    /// Someone else's wallet, or a movement only the booking process makes.
    #[error("only the wallet's owner may do this")]
    NotOwner,
    #[error("only the booking process moves held money")]
    PaymentsOnly,
    /// The amount is zero, negative or beyond the largest amount a wallet holds.
    #[error("amounts are positive and at most {MAX_AMOUNT_MINOR} minor units")]
    InvalidAmount,
    /// Not enough available (unheld) money: top up first. Retrying unchanged fails again.
    #[error("insufficient funds: {available} available, {requested} requested")]
    InsufficientFunds { available: i64, requested: i64 },
    /// The balance would exceed the largest amount a wallet holds.
    #[error("the balance would exceed {MAX_AMOUNT_MINOR} minor units")]
    BalanceTooLarge,
    #[error("no such hold on this wallet")]
    UnknownHold,
    /// More than the booking paid (less what was already refunded).
    #[error(
        "refund exceeds what the booking paid: {refundable} refundable, {requested} requested"
    )]
    RefundExceedsPayment { refundable: i64, requested: i64 },
    /// The command names a wallet other than the one loaded (a bug in the caller).
    #[error("the command names another wallet")]
    WrongWallet,
    #[error("a gateway payment reference is required")]
    MissingPaymentReference,
    /// No top-up of this wallet was paid with this reference.
    #[error("no top-up of this wallet has this payment reference")]
    UnknownPayment,
    /// More than the top-up brought in (less what already went back to the card).
    #[error(
        "refund exceeds what the top-up paid in: {refundable} refundable, {requested} requested"
    )]
    WithdrawalExceedsPayment { refundable: i64, requested: i64 },
    /// The operation id was used for another movement (a bug in the caller: a repeat must
    /// ask for the same thing).
    #[error("operation {0} was used for a different movement")]
    OperationIdReused(Uuid),
}

impl DomainError for WalletError {
    fn kind(&self) -> ErrorKind {
        match self {
            WalletError::NotOwner | WalletError::PaymentsOnly => ErrorKind::Forbidden,
            WalletError::UnknownHold | WalletError::UnknownPayment => ErrorKind::NotFound,
            WalletError::InsufficientFunds { .. }
            | WalletError::BalanceTooLarge
            | WalletError::OperationIdReused(_) => ErrorKind::Conflict,
            WalletError::InvalidAmount
            | WalletError::RefundExceedsPayment { .. }
            | WalletError::WithdrawalExceedsPayment { .. }
            | WalletError::WrongWallet
            | WalletError::MissingPaymentReference => ErrorKind::Validation,
        }
    }
}

/// One hold on the balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    pub amount_minor: i64,
    pub booking_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wallet {
    /// `None` until the wallet's first event.
    owner: Option<Uuid>,
    currency: String,
    /// Everything in the wallet, held or not.
    balance_minor: i64,
    /// Open holds by id.
    holds: BTreeMap<Uuid, Hold>,
    /// Captured minus refunded, per booking: what a refund may still give back.
    refundable: BTreeMap<Uuid, i64>,
    /// Deposited minus withdrawn, per top-up (its gateway payment): what may still go back
    /// to its card.
    deposits: BTreeMap<String, i64>,
    /// Every operation applied, with what it did, so a repeated one changes nothing and an
    /// id reused for another movement is refused.
    operations: BTreeMap<Uuid, String>,
    payment_method: Option<PaymentMethodRef>,
}

impl Wallet {
    pub fn owner(&self) -> Option<Uuid> {
        self.owner
    }

    pub fn balance_minor(&self) -> i64 {
        self.balance_minor
    }

    pub fn held_minor(&self) -> i64 {
        self.holds.values().map(|hold| hold.amount_minor).sum()
    }

    /// What may be held or spent: the balance less the holds.
    pub fn available_minor(&self) -> i64 {
        self.balance_minor - self.held_minor()
    }

    pub fn hold(&self, hold_id: Uuid) -> Option<&Hold> {
        self.holds.get(&hold_id)
    }

    pub fn payment_method(&self) -> Option<&PaymentMethodRef> {
        self.payment_method.as_ref()
    }

    /// What of the top-up paid with `payment_intent_id` may still go back to its card
    /// (`None` for a payment that is not one of this wallet's top-ups).
    pub fn withdrawable_minor(&self, payment_intent_id: &str) -> Option<i64> {
        self.deposits.get(payment_intent_id).copied()
    }

    /// Whether `operation_id` has been applied.
    pub fn has_applied(&self, operation_id: Uuid) -> bool {
        self.operations.contains_key(&operation_id)
    }

    fn record(&mut self, operation_id: Uuid, movement: String) {
        self.operations.insert(operation_id, movement);
    }

    /// The opening event, for a wallet that has none yet.
    fn opening(&self, context: &WalletContext) -> Option<WalletEvent> {
        self.owner.is_none().then(|| WalletEvent::WalletOpened {
            owner_id: context.owner,
            currency: context.currency.as_str().to_owned(),
            opened_at: context.now,
        })
    }

    fn check_wallet(&self, context: &WalletContext) -> Result<(), WalletError> {
        match self.owner {
            Some(owner) if owner != context.owner || self.currency != context.currency.as_str() => {
                Err(WalletError::WrongWallet)
            }
            _ => Ok(()),
        }
    }

    fn decide_movement(&self, command: WalletCommand) -> Result<Vec<WalletEvent>, WalletError> {
        let now = command.context().now;
        let event = match command {
            WalletCommand::Deposit {
                operation_id,
                amount_minor,
                payment_intent_id,
                ..
            } => {
                check_amount(amount_minor)?;
                if payment_intent_id.trim().is_empty() {
                    return Err(WalletError::MissingPaymentReference);
                }
                if self.balance_minor + amount_minor > MAX_AMOUNT_MINOR {
                    return Err(WalletError::BalanceTooLarge);
                }
                WalletEvent::FundsDeposited {
                    operation_id,
                    amount_minor,
                    payment_intent_id,
                    deposited_at: now,
                }
            }
            WalletCommand::Hold {
                operation_id,
                amount_minor,
                booking_id,
                ..
            } => {
                check_amount(amount_minor)?;
                let available = self.available_minor();
                if amount_minor > available {
                    return Err(WalletError::InsufficientFunds {
                        available,
                        requested: amount_minor,
                    });
                }
                WalletEvent::FundsHeld {
                    operation_id,
                    amount_minor,
                    booking_id,
                    held_at: now,
                }
            }
            WalletCommand::Capture {
                operation_id,
                hold_id,
                ..
            } => {
                let hold = self.holds.get(&hold_id).ok_or(WalletError::UnknownHold)?;
                WalletEvent::HoldCaptured {
                    operation_id,
                    hold_id,
                    amount_minor: hold.amount_minor,
                    booking_id: hold.booking_id,
                    captured_at: now,
                }
            }
            WalletCommand::Release {
                operation_id,
                hold_id,
                ..
            } => {
                let hold = self.holds.get(&hold_id).ok_or(WalletError::UnknownHold)?;
                WalletEvent::HoldReleased {
                    operation_id,
                    hold_id,
                    amount_minor: hold.amount_minor,
                    released_at: now,
                }
            }
            WalletCommand::Refund {
                operation_id,
                amount_minor,
                booking_id,
                ..
            } => {
                check_amount(amount_minor)?;
                let refundable = self.refundable.get(&booking_id).copied().unwrap_or(0);
                if amount_minor > refundable {
                    return Err(WalletError::RefundExceedsPayment {
                        refundable,
                        requested: amount_minor,
                    });
                }
                if self.balance_minor + amount_minor > MAX_AMOUNT_MINOR {
                    return Err(WalletError::BalanceTooLarge);
                }
                WalletEvent::FundsRefunded {
                    operation_id,
                    amount_minor,
                    booking_id: Some(booking_id),
                    refunded_at: now,
                }
            }
            WalletCommand::Withdraw {
                operation_id,
                amount_minor,
                payment_intent_id,
                ..
            } => {
                check_amount(amount_minor)?;
                let refundable = self
                    .withdrawable_minor(&payment_intent_id)
                    .ok_or(WalletError::UnknownPayment)?;
                if amount_minor > refundable {
                    return Err(WalletError::WithdrawalExceedsPayment {
                        refundable,
                        requested: amount_minor,
                    });
                }
                let available = self.available_minor();
                if amount_minor > available {
                    return Err(WalletError::InsufficientFunds {
                        available,
                        requested: amount_minor,
                    });
                }
                WalletEvent::FundsWithdrawn {
                    operation_id,
                    amount_minor,
                    payment_intent_id,
                    withdrawn_at: now,
                }
            }
            WalletCommand::UpdatePaymentMethod { payment_method, .. } => {
                if self.payment_method.as_ref() == Some(&payment_method) {
                    return Ok(Vec::new());
                }
                WalletEvent::PaymentMethodUpdated {
                    payment_method,
                    updated_at: now,
                }
            }
        };
        Ok(vec![event])
    }
}

fn check_amount(amount_minor: i64) -> Result<(), WalletError> {
    if amount_minor <= 0 || amount_minor > MAX_AMOUNT_MINOR {
        return Err(WalletError::InvalidAmount);
    }
    Ok(())
}

/// The operation a command applies, and what it moves (the same text its event records).
fn operation_of(command: &WalletCommand) -> Option<(Uuid, String)> {
    Some(match command {
        WalletCommand::Deposit {
            operation_id,
            amount_minor,
            ..
        } => (*operation_id, movement::deposit(*amount_minor)),
        WalletCommand::Hold {
            operation_id,
            amount_minor,
            booking_id,
            ..
        } => (*operation_id, movement::hold(*amount_minor, *booking_id)),
        WalletCommand::Capture {
            operation_id,
            hold_id,
            ..
        } => (*operation_id, movement::capture(*hold_id)),
        WalletCommand::Release {
            operation_id,
            hold_id,
            ..
        } => (*operation_id, movement::release(*hold_id)),
        WalletCommand::Refund {
            operation_id,
            amount_minor,
            booking_id,
            ..
        } => (
            *operation_id,
            movement::refund(*amount_minor, Some(*booking_id)),
        ),
        WalletCommand::Withdraw {
            operation_id,
            amount_minor,
            payment_intent_id,
            ..
        } => (
            *operation_id,
            movement::withdrawal(*amount_minor, payment_intent_id),
        ),
        WalletCommand::UpdatePaymentMethod { .. } => return None,
    })
}

/// What an operation moved, as compared when its id comes again.
mod movement {
    use uuid::Uuid;

    fn of(booking: Option<Uuid>) -> String {
        booking.map(|b| b.to_string()).unwrap_or_default()
    }
    pub fn deposit(amount: i64) -> String {
        format!("deposit:{amount}")
    }
    pub fn hold(amount: i64, booking: Option<Uuid>) -> String {
        format!("hold:{amount}:{}", of(booking))
    }
    pub fn capture(hold: Uuid) -> String {
        format!("capture:{hold}")
    }
    pub fn release(hold: Uuid) -> String {
        format!("release:{hold}")
    }
    pub fn refund(amount: i64, booking: Option<Uuid>) -> String {
        format!("refund:{amount}:{}", of(booking))
    }
    pub fn withdrawal(amount: i64, payment: &str) -> String {
        format!("withdrawal:{amount}:{payment}")
    }
}

/// Whether `actor` may give `command` to a wallet of `owner`.
fn authorize(command: &WalletCommand, owner: Uuid) -> Result<(), WalletError> {
    let actor = command.context().actor;
    match command {
        WalletCommand::Withdraw { .. } => match actor {
            WalletActor::Person(person) if person == owner => Ok(()),
            _ => Err(WalletError::NotOwner),
        },
        WalletCommand::Deposit { .. } | WalletCommand::UpdatePaymentMethod { .. } => match actor {
            WalletActor::Person(person) if person == owner => Ok(()),
            // The process confirms top-ups the gateway reports by webhook.
            WalletActor::Payments if matches!(command, WalletCommand::Deposit { .. }) => Ok(()),
            _ => Err(WalletError::NotOwner),
        },
        WalletCommand::Hold { .. }
        | WalletCommand::Capture { .. }
        | WalletCommand::Release { .. }
        | WalletCommand::Refund { .. } => match actor {
            WalletActor::Payments => Ok(()),
            WalletActor::Person(_) => Err(WalletError::PaymentsOnly),
        },
    }
}

impl Aggregate for Wallet {
    const TYPE: &'static str = wayfarer_schemas::wallet::AGGREGATE_TYPE;
    type Command = WalletCommand;
    type Event = WalletEvent;
    type Error = WalletError;

    // Busy wallets make long streams; the state is small.
    const SNAPSHOT_FORMAT: Option<&'static str> = Some("wallet-3");

    fn to_snapshot(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self).ok()
    }

    fn from_snapshot(snapshot: serde_json::Value) -> Option<Self> {
        serde_json::from_value(snapshot).ok()
    }

    fn decide(&self, command: WalletCommand) -> Result<Vec<WalletEvent>, WalletError> {
        let context = command.context().clone();
        self.check_wallet(&context)?;
        authorize(&command, context.owner)?;
        if let Some((operation, moves)) = operation_of(&command) {
            match self.operations.get(&operation) {
                Some(applied) if *applied == moves => return Ok(Vec::new()),
                Some(_) => return Err(WalletError::OperationIdReused(operation)),
                None => {}
            }
        }
        let movement = self.decide_movement(command)?;
        if movement.is_empty() {
            return Ok(movement);
        }
        Ok(self.opening(&context).into_iter().chain(movement).collect())
    }

    fn apply(&mut self, event: &WalletEvent) {
        match event {
            WalletEvent::WalletOpened {
                owner_id, currency, ..
            } => {
                self.owner = Some(*owner_id);
                self.currency = currency.clone();
            }
            WalletEvent::FundsDeposited {
                operation_id,
                amount_minor,
                payment_intent_id,
                ..
            } => {
                self.record(*operation_id, movement::deposit(*amount_minor));
                self.balance_minor += amount_minor;
                *self.deposits.entry(payment_intent_id.clone()).or_default() += amount_minor;
            }
            WalletEvent::FundsWithdrawn {
                operation_id,
                amount_minor,
                payment_intent_id,
                ..
            } => {
                self.record(
                    *operation_id,
                    movement::withdrawal(*amount_minor, payment_intent_id),
                );
                self.balance_minor -= amount_minor;
                *self.deposits.entry(payment_intent_id.clone()).or_default() -= amount_minor;
            }
            WalletEvent::FundsHeld {
                operation_id,
                amount_minor,
                booking_id,
                ..
            } => {
                self.record(*operation_id, movement::hold(*amount_minor, *booking_id));
                self.holds.insert(
                    *operation_id,
                    Hold {
                        amount_minor: *amount_minor,
                        booking_id: *booking_id,
                    },
                );
            }
            WalletEvent::HoldCaptured {
                operation_id,
                hold_id,
                amount_minor,
                booking_id,
                ..
            } => {
                self.record(*operation_id, movement::capture(*hold_id));
                self.holds.remove(hold_id);
                self.balance_minor -= amount_minor;
                if let Some(booking) = booking_id {
                    *self.refundable.entry(*booking).or_default() += amount_minor;
                }
            }
            WalletEvent::HoldReleased {
                operation_id,
                hold_id,
                ..
            } => {
                self.record(*operation_id, movement::release(*hold_id));
                self.holds.remove(hold_id);
            }
            WalletEvent::FundsRefunded {
                operation_id,
                amount_minor,
                booking_id,
                ..
            } => {
                self.record(*operation_id, movement::refund(*amount_minor, *booking_id));
                self.balance_minor += amount_minor;
                if let Some(booking) = booking_id {
                    *self.refundable.entry(*booking).or_default() -= amount_minor;
                }
            }
            WalletEvent::PaymentMethodUpdated { payment_method, .. } => {
                self.payment_method = Some(payment_method.clone());
            }
        }
    }

    fn expected_version(_command: &WalletCommand) -> Option<u64> {
        None
    }
}
