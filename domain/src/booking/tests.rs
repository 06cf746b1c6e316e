//! Given/when/then for every booking command and rejection.

use chrono::TimeZone;

use super::*;
use crate::testing::given;

const ADA: Uuid = Uuid::from_u128(1);
const BEA: Uuid = Uuid::from_u128(2);
const TRIP: Uuid = Uuid::from_u128(0x10);
const OTHER_TRIP: Uuid = Uuid::from_u128(0x11);
const ITEM: Uuid = Uuid::from_u128(0x20);
const HOLD: Uuid = Uuid::from_u128(0x31);

/// Ada's EUR wallet.
fn wallet() -> Uuid {
    wayfarer_schemas::wallet_id(ADA, "EUR")
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn person(who: Uuid) -> BookingContext {
    BookingContext {
        actor: BookingActor::Person(who),
        now: now(),
    }
}

fn payments() -> BookingContext {
    BookingContext {
        actor: BookingActor::Payments,
        now: now(),
    }
}

fn eur(amount_minor: i64) -> MoneyAmount {
    MoneyAmount {
        amount_minor,
        currency: "EUR".into(),
    }
}

fn request() -> BookingRequest {
    BookingRequest {
        kind: BookingKind::Hotel,
        supplier: "skyhop".into(),
        offer_id: "offer-1".into(),
        travellers: vec!["Ada Lovelace".into()],
        itinerary_id: Some(TRIP),
        wallet_currency: CurrencyCode::parse("EUR").unwrap(),
    }
}

fn offer() -> BookedOffer {
    BookedOffer {
        title: "Hotel Aurora, deluxe room".into(),
        starts_at: now() + chrono::Duration::days(10),
        ends_at: now() + chrono::Duration::days(12),
        place_name: Some("Paris".into()),
        latitude: Some(48.85),
        longitude: Some(2.35),
        price: MoneyAmount {
            amount_minor: 30000,
            currency: "USD".into(),
        },
    }
}

fn terms() -> CancellationTerms {
    CancellationTerms {
        free_cancellation_until: now() + chrono::Duration::days(8),
        refund_percent_after: 50,
    }
}

fn requested() -> BookingEvent {
    BookingEvent::BookingRequested {
        owner_id: ADA,
        kind: BookingKind::Hotel,
        supplier: "skyhop".into(),
        offer_id: "offer-1".into(),
        travellers: vec!["Ada Lovelace".into()],
        itinerary_id: Some(TRIP),
        wallet_currency: "EUR".into(),
        requested_at: now(),
    }
}

fn reserved() -> BookingEvent {
    BookingEvent::BookingReserved {
        reservation_id: "res-1".into(),
        offer: offer(),
        hold_expires_at: now() + chrono::Duration::minutes(15),
        cancellation: terms(),
        reserved_at: now(),
    }
}

fn held() -> BookingEvent {
    BookingEvent::BookingFundsHeld {
        wallet_id: wallet(),
        hold_id: HOLD,
        amount: eur(27600),
        rate: Some("0.92".into()),
        rate_date: now().date_naive().pred_opt(),
        held_at: now(),
    }
}

fn supplier_confirmed() -> BookingEvent {
    BookingEvent::BookingSupplierConfirmed {
        confirmation_code: "SKY-123".into(),
        confirmed_at: now(),
    }
}

fn confirmed() -> BookingEvent {
    BookingEvent::BookingConfirmed {
        confirmed_at: now(),
    }
}

fn record_reservation() -> BookingCommand {
    BookingCommand::RecordReservation {
        context: payments(),
        reservation_id: "res-1".into(),
        offer: offer(),
        hold_expires_at: now() + chrono::Duration::minutes(15),
        cancellation: terms(),
    }
}

fn record_hold(amount: MoneyAmount) -> BookingCommand {
    BookingCommand::RecordFundsHeld {
        context: payments(),
        wallet_id: wallet(),
        hold_id: HOLD,
        amount,
        rate: Some("0.92".into()),
        rate_date: now().date_naive().pred_opt(),
    }
}

#[test]
fn a_person_requests_a_booking_for_themselves() {
    let booking = given::<Booking>([])
        .when(BookingCommand::Request {
            context: person(ADA),
            request: request(),
        })
        .then_expect(vec![requested()]);
    assert_eq!(booking.status(), BookingStatus::Requested);
    assert_eq!(booking.owner(), Some(ADA));
}

#[test]
fn a_request_names_an_offer_and_its_travellers() {
    let mut no_offer = request();
    no_offer.offer_id = " ".into();
    given::<Booking>([])
        .when(BookingCommand::Request {
            context: person(ADA),
            request: no_offer,
        })
        .then_reject(BookingError::MissingOffer);
    for travellers in [
        vec![],
        vec![" ".to_owned()],
        vec!["x".repeat(101)],
        vec!["Ada\u{0}Lovelace".to_owned()],
        vec!["Ada\nLovelace".to_owned()],
        vec!["A".to_owned(); MAX_TRAVELLERS + 1],
    ] {
        let mut bad = request();
        bad.travellers = travellers;
        given::<Booking>([])
            .when(BookingCommand::Request {
                context: person(ADA),
                request: bad,
            })
            .then_reject(BookingError::InvalidTravellers);
    }
    given::<Booking>([requested()])
        .when(BookingCommand::Request {
            context: person(ADA),
            request: request(),
        })
        .then_reject(BookingError::AlreadyRequested);
}

#[test]
fn the_process_records_each_step_in_order_and_once() {
    let booking = given::<Booking>([requested()])
        .when(record_reservation())
        .then_expect(vec![reserved()]);
    assert_eq!(booking.reservation_id(), Some("res-1"));
    given::<Booking>([requested(), reserved()])
        .when(record_reservation())
        .then_expect(vec![]);
    given::<Booking>([requested(), reserved()])
        .when(record_hold(eur(27600)))
        .then_expect(vec![held()]);
    given::<Booking>([requested(), reserved(), held()])
        .when(record_hold(eur(27600)))
        .then_expect(vec![]);
    given::<Booking>([requested(), reserved(), held()])
        .when(BookingCommand::RecordSupplierConfirmation {
            context: payments(),
            confirmation_code: "SKY-123".into(),
        })
        .then_expect(vec![supplier_confirmed()]);
    let booking = given::<Booking>([requested(), reserved(), held(), supplier_confirmed()])
        .when(BookingCommand::RecordPayment {
            context: payments(),
        })
        .then_expect(vec![confirmed()]);
    assert_eq!(booking.status(), BookingStatus::Confirmed);
    given::<Booking>([
        requested(),
        reserved(),
        held(),
        supplier_confirmed(),
        confirmed(),
    ])
    .when(BookingCommand::RecordPayment {
        context: payments(),
    })
    .then_expect(vec![]);
}

#[test]
fn a_step_out_of_order_is_a_conflict() {
    given::<Booking>([requested()])
        .when(record_hold(eur(1)))
        .then_reject(BookingError::OutOfOrder {
            status: BookingStatus::Requested,
            step: "paid for",
        });
    let failed = BookingEvent::BookingFailed {
        reason: "the supplier did not answer".into(),
        compensations: vec![],
        failed_at: now(),
    };
    given::<Booking>([requested(), failed])
        .when(record_reservation())
        .then_reject(BookingError::OutOfOrder {
            status: BookingStatus::Failed,
            step: "reserved",
        });
    given::<Booking>([])
        .when(record_reservation())
        .then_reject(BookingError::NotFound);
}

#[test]
fn funds_are_held_on_the_owners_wallet_only() {
    given::<Booking>([requested(), reserved()])
        .when(BookingCommand::RecordFundsHeld {
            context: payments(),
            wallet_id: wayfarer_schemas::wallet_id(BEA, "EUR"),
            hold_id: HOLD,
            amount: eur(27600),
            rate: None,
            rate_date: None,
        })
        .then_reject(BookingError::InvalidHold);
}

#[test]
fn funds_are_held_in_the_wallet_currency() {
    for amount in [
        eur(0),
        MoneyAmount {
            amount_minor: 30000,
            currency: "USD".into(),
        },
    ] {
        given::<Booking>([requested(), reserved()])
            .when(record_hold(amount))
            .then_reject(BookingError::InvalidHold);
    }
}

#[test]
fn only_the_process_records_steps_and_only_the_owner_acts_as_a_person() {
    given::<Booking>([requested()])
        .when(BookingCommand::RecordReservation {
            context: person(ADA),
            reservation_id: "res-1".into(),
            offer: offer(),
            hold_expires_at: now(),
            cancellation: terms(),
        })
        .then_reject(BookingError::PaymentsOnly);
    // Someone else's booking looks missing.
    given::<Booking>([requested()])
        .when(BookingCommand::Cancel {
            context: person(BEA),
        })
        .then_reject(BookingError::NotFound);
    given::<Booking>([requested()])
        .when(BookingCommand::RecordPayment {
            context: person(BEA),
        })
        .then_reject(BookingError::NotFound);
    given::<Booking>([])
        .when(BookingCommand::Request {
            context: payments(),
            request: request(),
        })
        .then_reject(BookingError::PaymentsOnly);
}

#[test]
fn a_booking_in_progress_fails_with_a_reason_and_its_compensations() {
    let failed = BookingEvent::BookingFailed {
        reason: "insufficient funds".into(),
        compensations: vec!["reservation cancelled".into()],
        failed_at: now(),
    };
    let fail = || BookingCommand::Fail {
        context: payments(),
        reason: "insufficient funds".into(),
        compensations: vec!["reservation cancelled".into()],
    };
    let booking = given::<Booking>([requested(), reserved()])
        .when(fail())
        .then_expect(vec![failed.clone()]);
    assert_eq!(booking.status(), BookingStatus::Failed);
    given::<Booking>([requested(), reserved(), failed])
        .when(fail())
        .then_expect(vec![]);
    given::<Booking>([
        requested(),
        reserved(),
        held(),
        supplier_confirmed(),
        confirmed(),
    ])
    .when(fail())
    .then_reject(BookingError::OutOfOrder {
        status: BookingStatus::Confirmed,
        step: "failed",
    });
    given::<Booking>([requested()])
        .when(BookingCommand::Fail {
            context: payments(),
            reason: " ".into(),
            compensations: vec![],
        })
        .then_reject(BookingError::MissingReason);
}

#[test]
fn a_confirmed_booking_is_cancelled_and_refunded_into_the_wallet_currency() {
    let confirmed_history = vec![
        requested(),
        reserved(),
        held(),
        supplier_confirmed(),
        confirmed(),
    ];
    given::<Booking>([requested(), reserved()])
        .when(BookingCommand::Cancel {
            context: person(ADA),
        })
        .then_reject(BookingError::NotCancellable(BookingStatus::Reserved));
    given::<Booking>(confirmed_history.clone())
        .when(BookingCommand::Cancel {
            context: person(ADA),
        })
        .then_expect(vec![BookingEvent::BookingCancellationRequested {
            requested_at: now(),
        }]);
    let mut cancelling = confirmed_history;
    cancelling.push(BookingEvent::BookingCancellationRequested {
        requested_at: now(),
    });
    given::<Booking>(cancelling.clone())
        .when(BookingCommand::RecordCancellation {
            context: payments(),
            refund: MoneyAmount {
                amount_minor: 1,
                currency: "USD".into(),
            },
        })
        .then_reject(BookingError::InvalidRefund);
    let booking = given::<Booking>(cancelling.clone())
        .when(BookingCommand::RecordCancellation {
            context: payments(),
            refund: eur(13800),
        })
        .then_expect(vec![BookingEvent::BookingCancelled {
            refund: eur(13800),
            cancelled_at: now(),
        }]);
    assert_eq!(booking.status(), BookingStatus::Refunded);
    let mut cancelled = cancelling;
    cancelled.push(BookingEvent::BookingCancelled {
        refund: eur(0),
        cancelled_at: now(),
    });
    let booking = given::<Booking>(cancelled.clone())
        .when(BookingCommand::Cancel {
            context: person(ADA),
        })
        .then_expect(vec![]);
    assert_eq!(booking.status(), BookingStatus::Cancelled);
}

#[test]
fn the_item_is_added_to_the_linked_itinerary_once_and_moves_with_the_booking() {
    let confirmed_history = vec![
        requested(),
        reserved(),
        held(),
        supplier_confirmed(),
        confirmed(),
    ];
    let added = BookingEvent::BookingAddedToItinerary {
        itinerary_id: TRIP,
        item_id: ITEM,
        added_at: now(),
    };
    given::<Booking>(confirmed_history.clone())
        .when(BookingCommand::RecordItemAdded {
            context: payments(),
            itinerary_id: TRIP,
            item_id: ITEM,
        })
        .then_expect(vec![added.clone()]);
    given::<Booking>(confirmed_history.clone())
        .when(BookingCommand::RecordItemAdded {
            context: payments(),
            itinerary_id: OTHER_TRIP,
            item_id: ITEM,
        })
        .then_reject(BookingError::OutOfOrder {
            status: BookingStatus::Confirmed,
            step: "added to the itinerary",
        });
    let mut with_item = confirmed_history;
    with_item.push(added);
    given::<Booking>(with_item.clone())
        .when(BookingCommand::LinkItinerary {
            context: person(ADA),
            itinerary_id: TRIP,
        })
        .then_expect(vec![]);
    let booking = given::<Booking>(with_item.clone())
        .when(BookingCommand::LinkItinerary {
            context: person(ADA),
            itinerary_id: OTHER_TRIP,
        })
        .then_expect(vec![BookingEvent::BookingLinkedToItinerary {
            itinerary_id: OTHER_TRIP,
            linked_at: now(),
        }]);
    assert_eq!(
        booking.item(),
        Some((TRIP, ITEM)),
        "until the process moves it"
    );
    let booking = given::<Booking>(with_item)
        .when(BookingCommand::RecordItemRemoved {
            context: payments(),
            itinerary_id: TRIP,
            item_id: ITEM,
        })
        .then_expect(vec![BookingEvent::BookingRemovedFromItinerary {
            itinerary_id: TRIP,
            item_id: ITEM,
            removed_at: now(),
        }]);
    assert_eq!(booking.item(), None);
}
