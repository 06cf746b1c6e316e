//! Money conservation over whole bookings, as a property: random sequences of top-ups and
//! bookings (each confirmed, failed or confirmed then cancelled), with every wallet
//! operation the booking process makes asked for twice (a crash repeats a step), keep
//! `balance + captured − refunded = top-ups`, never hold more than the balance, and leave
//! nothing held once each booking has settled.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use uuid::Uuid;
use wayfarer_domain::{
    Aggregate, CurrencyCode, Wallet, WalletActor, WalletCommand, WalletContext, WalletError,
};

use super::plan;
use super::refunds::wallet_refund;

const OWNER: Uuid = Uuid::from_u128(1);

#[derive(Debug, Clone)]
enum Step {
    TopUp(i64),
    /// A booking of this price that ends: 0 confirmed, 1 failed, 2 confirmed then
    /// cancelled with this share refunded by the supplier (per cent).
    Book {
        price: i64,
        ending: u8,
        refund_percent: i64,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1i64..50_000).prop_map(Step::TopUp),
        (1i64..40_000, 0u8..3, 0i64..=100).prop_map(|(price, ending, refund_percent)| {
            Step::Book {
                price,
                ending,
                refund_percent,
            }
        }),
    ]
}

fn context(actor: WalletActor) -> WalletContext {
    WalletContext {
        actor,
        owner: OWNER,
        currency: CurrencyCode::parse("EUR").unwrap(),
        now: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    }
}

/// Runs `command` twice, as a process that repeats a step after a crash would.
fn twice(wallet: &mut Wallet, command: WalletCommand) -> Result<(), WalletError> {
    for _ in 0..2 {
        for event in wallet.decide(command.clone())? {
            wallet.apply(&event);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn balances_plus_captured_minus_refunded_equal_top_ups(steps in proptest::collection::vec(step(), 1..40)) {
        let mut wallet = Wallet::default();
        let (mut topped_up, mut captured, mut refunded) = (0i64, 0i64, 0i64);
        for (n, step) in steps.into_iter().enumerate() {
            let booking = Uuid::from_u128(1000 + n as u128);
            match step {
                Step::TopUp(amount) => {
                    twice(&mut wallet, WalletCommand::Deposit {
                        context: context(WalletActor::Person(OWNER)),
                        operation_id: plan::operation_id(booking, "top-up"),
                        amount_minor: amount,
                        payment_intent_id: format!("pi_{n}"),
                    }).unwrap();
                    topped_up += amount;
                }
                Step::Book { price, ending, refund_percent } => {
                    let payments = context(WalletActor::Payments);
                    let hold_id = plan::hold_id(booking);
                    let held = twice(&mut wallet, WalletCommand::Hold {
                        context: payments.clone(),
                        operation_id: hold_id,
                        amount_minor: price,
                        booking_id: Some(booking),
                    });
                    match held {
                        Ok(()) => {}
                        Err(WalletError::InsufficientFunds { .. }) => {
                            // The booking fails; releasing the hold it never made is a no-op.
                            let released = twice(&mut wallet, WalletCommand::Release {
                                context: payments,
                                operation_id: plan::operation_id(booking, "release"),
                                hold_id,
                            });
                            prop_assert_eq!(released, Err(WalletError::UnknownHold));
                            continue;
                        }
                        Err(other) => prop_assert!(false, "unexpected refusal {other}"),
                    }
                    prop_assert!(wallet.held_minor() <= wallet.balance_minor());
                    if ending == 1 {
                        twice(&mut wallet, WalletCommand::Release {
                            context: payments,
                            operation_id: plan::operation_id(booking, "release"),
                            hold_id,
                        }).unwrap();
                        continue;
                    }
                    twice(&mut wallet, WalletCommand::Capture {
                        context: payments.clone(),
                        operation_id: plan::operation_id(booking, "capture"),
                        hold_id,
                    }).unwrap();
                    captured += price;
                    if ending == 2 {
                        let share = wallet_refund(price, price, price * refund_percent / 100);
                        if share > 0 {
                            twice(&mut wallet, WalletCommand::Refund {
                                context: payments,
                                operation_id: plan::operation_id(booking, "refund"),
                                amount_minor: share,
                                booking_id: booking,
                            }).unwrap();
                        }
                        refunded += share;
                    }
                }
            }
            prop_assert_eq!(wallet.balance_minor() + captured - refunded, topped_up);
            prop_assert_eq!(wallet.held_minor(), 0);
            prop_assert!(wallet.balance_minor() >= 0);
        }
    }
}
