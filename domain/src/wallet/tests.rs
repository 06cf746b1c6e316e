//! Given/when/then for every wallet command and rejection.

use chrono::TimeZone;

use super::*;
use crate::testing::given;

const ADA: Uuid = Uuid::from_u128(1);
const BEA: Uuid = Uuid::from_u128(2);
const TOP_UP: Uuid = Uuid::from_u128(0x10);
const HOLD: Uuid = Uuid::from_u128(0x20);
const CAPTURE: Uuid = Uuid::from_u128(0x30);
const RELEASE: Uuid = Uuid::from_u128(0x40);
const REFUND: Uuid = Uuid::from_u128(0x50);
const BOOKING: Uuid = Uuid::from_u128(0x60);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn as_actor(actor: WalletActor) -> WalletContext {
    WalletContext {
        actor,
        owner: ADA,
        currency: CurrencyCode::parse("EUR").unwrap(),
        now: now(),
    }
}

fn ada() -> WalletContext {
    as_actor(WalletActor::Person(ADA))
}

fn payments() -> WalletContext {
    as_actor(WalletActor::Payments)
}

fn opened() -> WalletEvent {
    WalletEvent::WalletOpened {
        owner_id: ADA,
        currency: "EUR".into(),
        opened_at: now(),
    }
}

fn deposited(amount_minor: i64) -> WalletEvent {
    WalletEvent::FundsDeposited {
        operation_id: TOP_UP,
        amount_minor,
        payment_intent_id: "pi_1".into(),
        deposited_at: now(),
    }
}

fn held(amount_minor: i64) -> WalletEvent {
    WalletEvent::FundsHeld {
        operation_id: HOLD,
        amount_minor,
        booking_id: Some(BOOKING),
        held_at: now(),
    }
}

fn captured(amount_minor: i64) -> WalletEvent {
    WalletEvent::HoldCaptured {
        operation_id: CAPTURE,
        hold_id: HOLD,
        amount_minor,
        booking_id: Some(BOOKING),
        captured_at: now(),
    }
}

fn deposit(context: WalletContext, amount_minor: i64) -> WalletCommand {
    WalletCommand::Deposit {
        context,
        operation_id: TOP_UP,
        amount_minor,
        payment_intent_id: "pi_1".into(),
    }
}

fn hold(amount_minor: i64) -> WalletCommand {
    WalletCommand::Hold {
        context: payments(),
        operation_id: HOLD,
        amount_minor,
        booking_id: Some(BOOKING),
    }
}

fn card() -> PaymentMethodRef {
    PaymentMethodRef {
        token: "pm_1".into(),
        brand: "visa".into(),
        last4: "4242".into(),
        exp_month: 12,
        exp_year: 2030,
    }
}

#[test]
fn the_first_top_up_opens_the_wallet() {
    let wallet = given::<Wallet>([])
        .when(deposit(ada(), 50_00))
        .then_expect(vec![opened(), deposited(50_00)]);
    assert_eq!(wallet.balance_minor(), 50_00);
    assert_eq!(wallet.available_minor(), 50_00);
}

#[test]
fn a_repeated_operation_changes_nothing() {
    given::<Wallet>([opened(), deposited(50_00)])
        .when(deposit(ada(), 50_00))
        .then_expect(vec![]);
    given::<Wallet>([opened(), deposited(50_00), held(20_00)])
        .when(hold(20_00))
        .then_expect(vec![]);
}

#[test]
fn only_the_owner_tops_up_or_sets_the_card_and_only_payments_move_held_money() {
    let bea = as_actor(WalletActor::Person(BEA));
    given::<Wallet>([opened()])
        .when(deposit(bea.clone(), 10_00))
        .then_reject(WalletError::NotOwner);
    given::<Wallet>([opened()])
        .when(WalletCommand::UpdatePaymentMethod {
            context: payments(),
            payment_method: card(),
        })
        .then_reject(WalletError::NotOwner);
    given::<Wallet>([opened(), deposited(50_00)])
        .when(WalletCommand::Hold {
            context: ada(),
            operation_id: HOLD,
            amount_minor: 10_00,
            booking_id: None,
        })
        .then_reject(WalletError::PaymentsOnly);
    // A top-up the gateway confirms by webhook is the process's to record.
    given::<Wallet>([opened()])
        .when(deposit(payments(), 10_00))
        .then_expect(vec![deposited(10_00)]);
}

#[test]
fn amounts_are_positive_and_bounded() {
    for amount in [0, -1, MAX_AMOUNT_MINOR + 1] {
        given::<Wallet>([opened()])
            .when(deposit(ada(), amount))
            .then_reject(WalletError::InvalidAmount);
        given::<Wallet>([opened(), deposited(50_00)])
            .when(hold(amount))
            .then_reject(WalletError::InvalidAmount);
    }
    given::<Wallet>([opened(), deposited(MAX_AMOUNT_MINOR)])
        .when(WalletCommand::Deposit {
            context: ada(),
            operation_id: Uuid::from_u128(0x11),
            amount_minor: 1,
            payment_intent_id: "pi_2".into(),
        })
        .then_reject(WalletError::BalanceTooLarge);
    given::<Wallet>([opened()])
        .when(WalletCommand::Deposit {
            context: ada(),
            operation_id: TOP_UP,
            amount_minor: 1,
            payment_intent_id: " ".into(),
        })
        .then_reject(WalletError::MissingPaymentReference);
}

#[test]
fn holds_never_exceed_the_available_balance() {
    given::<Wallet>([opened(), deposited(50_00)])
        .when(hold(50_01))
        .then_reject(WalletError::InsufficientFunds {
            available: 50_00,
            requested: 50_01,
        });
    let wallet = given::<Wallet>([opened(), deposited(50_00)])
        .when(hold(30_00))
        .then_expect(vec![held(30_00)]);
    assert_eq!(wallet.available_minor(), 20_00);
    given::<Wallet>([opened(), deposited(50_00), held(30_00)])
        .when(WalletCommand::Hold {
            context: payments(),
            operation_id: Uuid::from_u128(0x21),
            amount_minor: 20_01,
            booking_id: None,
        })
        .then_reject(WalletError::InsufficientFunds {
            available: 20_00,
            requested: 20_01,
        });
}

#[test]
fn a_capture_pays_the_hold_and_a_release_gives_it_back() {
    let wallet = given::<Wallet>([opened(), deposited(50_00), held(30_00)])
        .when(WalletCommand::Capture {
            context: payments(),
            operation_id: CAPTURE,
            hold_id: HOLD,
        })
        .then_expect(vec![captured(30_00)]);
    assert_eq!(
        (wallet.balance_minor(), wallet.available_minor()),
        (20_00, 20_00)
    );
    let wallet = given::<Wallet>([opened(), deposited(50_00), held(30_00)])
        .when(WalletCommand::Release {
            context: payments(),
            operation_id: RELEASE,
            hold_id: HOLD,
        })
        .then_expect(vec![WalletEvent::HoldReleased {
            operation_id: RELEASE,
            hold_id: HOLD,
            amount_minor: 30_00,
            released_at: now(),
        }]);
    assert_eq!(
        (wallet.balance_minor(), wallet.available_minor()),
        (50_00, 50_00)
    );
    // A captured hold is gone: releasing it is refused (and a repeated capture is a no-op).
    given::<Wallet>([opened(), deposited(50_00), held(30_00), captured(30_00)])
        .when(WalletCommand::Release {
            context: payments(),
            operation_id: RELEASE,
            hold_id: HOLD,
        })
        .then_reject(WalletError::UnknownHold);
    given::<Wallet>([opened(), deposited(50_00), held(30_00), captured(30_00)])
        .when(WalletCommand::Capture {
            context: payments(),
            operation_id: CAPTURE,
            hold_id: HOLD,
        })
        .then_expect(vec![]);
}

#[test]
fn refunds_give_back_at_most_what_the_booking_paid() {
    let history = [opened(), deposited(50_00), held(30_00), captured(30_00)];
    let refund = |operation_id, amount_minor| WalletCommand::Refund {
        context: payments(),
        operation_id,
        amount_minor,
        booking_id: BOOKING,
    };
    let wallet = given::<Wallet>(history.clone())
        .when(refund(REFUND, 20_00))
        .then_expect(vec![WalletEvent::FundsRefunded {
            operation_id: REFUND,
            amount_minor: 20_00,
            booking_id: Some(BOOKING),
            refunded_at: now(),
        }]);
    assert_eq!(wallet.balance_minor(), 40_00);
    let mut after = history.to_vec();
    after.push(WalletEvent::FundsRefunded {
        operation_id: REFUND,
        amount_minor: 20_00,
        booking_id: Some(BOOKING),
        refunded_at: now(),
    });
    given::<Wallet>(after)
        .when(refund(Uuid::from_u128(0x51), 10_01))
        .then_reject(WalletError::RefundExceedsPayment {
            refundable: 10_00,
            requested: 10_01,
        });
    given::<Wallet>([opened(), deposited(50_00)])
        .when(refund(REFUND, 1))
        .then_reject(WalletError::RefundExceedsPayment {
            refundable: 0,
            requested: 1,
        });
}

#[test]
fn the_card_is_recorded_only_when_it_changes() {
    let set = || WalletCommand::UpdatePaymentMethod {
        context: ada(),
        payment_method: card(),
    };
    let wallet = given::<Wallet>([]).when(set()).then_expect(vec![
        opened(),
        WalletEvent::PaymentMethodUpdated {
            payment_method: card(),
            updated_at: now(),
        },
    ]);
    assert_eq!(wallet.payment_method(), Some(&card()));
    given::<Wallet>([
        opened(),
        WalletEvent::PaymentMethodUpdated {
            payment_method: card(),
            updated_at: now(),
        },
    ])
    .when(set())
    .then_expect(vec![]);
}

#[test]
fn a_command_for_another_wallet_is_refused() {
    let mut usd = ada();
    usd.currency = CurrencyCode::parse("USD").unwrap();
    given::<Wallet>([opened()])
        .when(deposit(usd, 10_00))
        .then_reject(WalletError::WrongWallet);
}

#[test]
fn the_state_survives_a_snapshot() {
    let wallet = Wallet::from_events(&[opened(), deposited(50_00), held(30_00)]);
    let restored = Wallet::from_snapshot(wallet.to_snapshot().unwrap()).unwrap();
    assert_eq!(restored, wallet);
}

#[test]
fn an_operation_id_reused_for_another_movement_is_refused() {
    given::<Wallet>([opened(), deposited(50_00)])
        .when(deposit(ada(), 60_00))
        .then_reject(WalletError::OperationIdReused(TOP_UP));
    given::<Wallet>([opened(), deposited(50_00), held(20_00)])
        .when(hold(25_00))
        .then_reject(WalletError::OperationIdReused(HOLD));
    // The hold's id cannot capture it.
    given::<Wallet>([opened(), deposited(50_00), held(20_00)])
        .when(WalletCommand::Capture {
            context: payments(),
            operation_id: HOLD,
            hold_id: HOLD,
        })
        .then_reject(WalletError::OperationIdReused(HOLD));
}

#[test]
fn a_refund_never_takes_the_balance_past_its_limit() {
    let big = MAX_AMOUNT_MINOR - 10;
    given::<Wallet>([
        opened(),
        deposited(big),
        held(big),
        captured(big),
        WalletEvent::FundsDeposited {
            operation_id: Uuid::from_u128(0x12),
            amount_minor: MAX_AMOUNT_MINOR,
            payment_intent_id: "pi_2".into(),
            deposited_at: now(),
        },
    ])
    .when(WalletCommand::Refund {
        context: payments(),
        operation_id: REFUND,
        amount_minor: 1,
        booking_id: BOOKING,
    })
    .then_reject(WalletError::BalanceTooLarge);
}

const WITHDRAWAL: Uuid = Uuid::from_u128(0x70);

fn withdraw(context: WalletContext, amount_minor: i64, payment: &str) -> WalletCommand {
    WalletCommand::Withdraw {
        context,
        operation_id: WITHDRAWAL,
        amount_minor,
        payment_intent_id: payment.into(),
    }
}

fn withdrawn(amount_minor: i64) -> WalletEvent {
    WalletEvent::FundsWithdrawn {
        operation_id: WITHDRAWAL,
        amount_minor,
        payment_intent_id: "pi_1".into(),
        withdrawn_at: now(),
    }
}

#[test]
fn a_top_up_goes_back_to_its_card_at_most_once_and_only_from_unheld_money() {
    let wallet = given::<Wallet>([opened(), deposited(50_00)])
        .when(withdraw(ada(), 20_00, "pi_1"))
        .then_expect(vec![withdrawn(20_00)]);
    assert_eq!(wallet.balance_minor(), 30_00);
    assert_eq!(wallet.withdrawable_minor("pi_1"), Some(30_00));
    // Asked again (a retry): nothing more leaves; the same id for another amount is refused.
    given::<Wallet>([opened(), deposited(50_00), withdrawn(20_00)])
        .when(withdraw(ada(), 20_00, "pi_1"))
        .then_expect(vec![]);
    given::<Wallet>([opened(), deposited(50_00), withdrawn(20_00)])
        .when(withdraw(ada(), 10_00, "pi_1"))
        .then_reject(WalletError::OperationIdReused(WITHDRAWAL));
    // Never more than the top-up brought in.
    given::<Wallet>([opened(), deposited(50_00)])
        .when(withdraw(ada(), 50_01, "pi_1"))
        .then_reject(WalletError::WithdrawalExceedsPayment {
            refundable: 50_00,
            requested: 50_01,
        });
    // Only a payment that topped this wallet up.
    given::<Wallet>([opened(), deposited(50_00)])
        .when(withdraw(ada(), 10_00, "pi_other"))
        .then_reject(WalletError::UnknownPayment);
    // Held money stays for its booking; spent money is gone.
    given::<Wallet>([opened(), deposited(50_00), held(30_00)])
        .when(withdraw(ada(), 30_00, "pi_1"))
        .then_reject(WalletError::InsufficientFunds {
            available: 20_00,
            requested: 30_00,
        });
    given::<Wallet>([opened(), deposited(50_00), held(30_00), captured(30_00)])
        .when(withdraw(ada(), 20_00, "pi_1"))
        .then_expect(vec![withdrawn(20_00)]);
    for amount in [0, -1, MAX_AMOUNT_MINOR + 1] {
        given::<Wallet>([opened(), deposited(50_00)])
            .when(withdraw(ada(), amount, "pi_1"))
            .then_reject(WalletError::InvalidAmount);
    }
}

#[test]
fn only_the_owner_withdraws() {
    let bea = WalletContext {
        actor: WalletActor::Person(BEA),
        ..ada()
    };
    given::<Wallet>([opened(), deposited(50_00)])
        .when(withdraw(bea, 10_00, "pi_1"))
        .then_reject(WalletError::NotOwner);
    given::<Wallet>([opened(), deposited(50_00)])
        .when(withdraw(payments(), 10_00, "pi_1"))
        .then_reject(WalletError::NotOwner);
}
