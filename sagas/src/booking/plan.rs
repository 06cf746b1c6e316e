//! What the booking process does next, and what it undoes when a booking cannot go ahead:
//! pure functions of the booking's state.

use uuid::Uuid;
use wayfarer_domain::{Booking, BookingStatus};

/// The next step for a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Reserve the offer with the supplier (its idempotency key is the booking's id).
    Reserve,
    /// Hold the price on the owner's wallet, converted into its currency.
    HoldFunds,
    /// Confirm the reservation with the supplier.
    ConfirmWithSupplier,
    /// Capture the held funds: the booking is paid.
    Capture,
    /// Add the booking to its itinerary as an item.
    AddToItinerary { itinerary_id: Uuid },
    /// Take the item out of an itinerary the booking no longer belongs to (it moved, or it
    /// was cancelled).
    RemoveFromItinerary { itinerary_id: Uuid, item_id: Uuid },
    /// Cancel with the supplier and refund by its policy.
    CancelAndRefund,
    /// Nothing left to do.
    Done,
}

/// The next step for `booking`.
pub fn next(booking: &Booking) -> Next {
    if let Some((itinerary_id, item_id)) = booking.item() {
        let moved = booking.itinerary_id() != Some(itinerary_id);
        let gone = matches!(
            booking.status(),
            BookingStatus::Cancelled | BookingStatus::Refunded
        );
        if moved || gone {
            return Next::RemoveFromItinerary {
                itinerary_id,
                item_id,
            };
        }
    }
    match booking.status() {
        BookingStatus::Requested => Next::Reserve,
        BookingStatus::Reserved => Next::HoldFunds,
        BookingStatus::FundsHeld => Next::ConfirmWithSupplier,
        BookingStatus::SupplierConfirmed => Next::Capture,
        BookingStatus::Confirmed => match (booking.itinerary_id(), booking.item()) {
            (Some(itinerary_id), None) => Next::AddToItinerary { itinerary_id },
            _ => Next::Done,
        },
        BookingStatus::CancellationRequested => Next::CancelAndRefund,
        BookingStatus::Absent
        | BookingStatus::Cancelled
        | BookingStatus::Refunded
        | BookingStatus::Failed => Next::Done,
    }
}

/// One thing undone when a booking fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compensation {
    /// Give the held funds back to the wallet.
    ReleaseFunds { wallet_id: Uuid, hold_id: Uuid },
    /// Cancel the recorded reservation with the supplier.
    CancelReservation,
}

impl Compensation {
    /// How the booking's history names it.
    pub fn describe(self) -> &'static str {
        match self {
            Compensation::ReleaseFunds { .. } => "funds released",
            Compensation::CancelReservation => "reservation cancelled",
        }
    }
}

/// The id of one of a booking's operations (a wallet movement, a supplier call), derived
/// from the booking and its purpose so that a repeat after a crash names the same operation.
pub fn operation_id(booking_id: Uuid, purpose: &str) -> Uuid {
    Uuid::new_v5(&booking_id, purpose.as_bytes())
}

/// The hold a booking's funds are held under.
pub fn hold_id(booking_id: Uuid) -> Uuid {
    operation_id(booking_id, "hold")
}

/// The id of the booking's `placement`th item in `itinerary_id` (an itinerary never takes an
/// item id twice, so a booking that comes back to an itinerary gets a new one).
pub fn item_id(booking_id: Uuid, itinerary_id: Uuid, placement: u32) -> Uuid {
    operation_id(booking_id, &format!("item/{itinerary_id}/{placement}"))
}

/// What must be undone, in order, for `booking` to fail now: the money first (it is the
/// person's), then the supplier's reservation. Nothing for a booking that is not in progress.
///
/// Funds are released whenever a reservation stands, recorded hold or not: the process may
/// have held them and died before recording it (releasing a hold that was never made is a
/// no-op). A reservation is cancelled only once recorded: an unrecorded one was either never
/// made or is an unconfirmed hold the supplier lets lapse on its own.
pub fn compensations(booking_id: Uuid, booking: &Booking) -> Vec<Compensation> {
    if !booking.status().in_progress() {
        return Vec::new();
    }
    let mut undo = Vec::new();
    if booking.status() >= BookingStatus::Reserved {
        let release = match (booking.funds(), booking.owner()) {
            (Some(funds), _) => Some((funds.wallet_id, funds.hold_id)),
            (None, Some(owner)) => Some((
                wayfarer_schemas::wallet_id(owner, booking.wallet_currency()),
                hold_id(booking_id),
            )),
            (None, None) => None,
        };
        if let Some((wallet_id, hold_id)) = release {
            undo.push(Compensation::ReleaseFunds { wallet_id, hold_id });
        }
    }
    if booking.reservation_id().is_some() {
        undo.push(Compensation::CancelReservation);
    }
    undo
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use wayfarer_domain::Aggregate;
    use wayfarer_schemas::booking::{BookedOffer, BookingKind, CancellationTerms};
    use wayfarer_schemas::{BookingEvent, MoneyAmount};

    use super::*;

    const TRIP: Uuid = Uuid::from_u128(0x10);
    const OTHER_TRIP: Uuid = Uuid::from_u128(0x11);
    const ITEM: Uuid = Uuid::from_u128(0x20);
    const BOOKING: Uuid = Uuid::from_u128(0x40);
    const OWNER: Uuid = Uuid::from_u128(1);

    fn at() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
    }

    fn eur(amount_minor: i64) -> MoneyAmount {
        MoneyAmount {
            amount_minor,
            currency: "EUR".into(),
        }
    }

    /// The events of a booking that went as far as `steps` of its happy path.
    fn history(steps: usize) -> Vec<BookingEvent> {
        let all = vec![
            BookingEvent::BookingRequested {
                owner_id: OWNER,
                kind: BookingKind::Activity,
                supplier: "aerolux".into(),
                offer_id: "offer".into(),
                travellers: vec!["Ada".into()],
                itinerary_id: Some(TRIP),
                wallet_currency: "EUR".into(),
                requested_at: at(),
            },
            BookingEvent::BookingReserved {
                reservation_id: "res".into(),
                offer: BookedOffer {
                    title: "Louvre tour".into(),
                    starts_at: at(),
                    ends_at: at(),
                    place_name: None,
                    latitude: None,
                    longitude: None,
                    price: eur(4000),
                },
                hold_expires_at: at(),
                cancellation: CancellationTerms {
                    free_cancellation_until: at(),
                    refund_percent_after: 0,
                },
                reserved_at: at(),
            },
            BookingEvent::BookingFundsHeld {
                wallet_id: wayfarer_schemas::wallet_id(OWNER, "EUR"),
                hold_id: hold_id(BOOKING),
                amount: eur(4000),
                rate: None,
                rate_date: None,
                held_at: at(),
            },
            BookingEvent::BookingSupplierConfirmed {
                confirmation_code: "AX-1".into(),
                confirmed_at: at(),
            },
            BookingEvent::BookingConfirmed { confirmed_at: at() },
            BookingEvent::BookingAddedToItinerary {
                itinerary_id: TRIP,
                item_id: ITEM,
                added_at: at(),
            },
        ];
        all.into_iter().take(steps).collect()
    }

    fn booking(events: &[BookingEvent]) -> Booking {
        Booking::from_events(events)
    }

    #[test]
    fn each_recorded_step_leads_to_the_next() {
        let expected = [
            Next::Done,
            Next::Reserve,
            Next::HoldFunds,
            Next::ConfirmWithSupplier,
            Next::Capture,
            Next::AddToItinerary { itinerary_id: TRIP },
            Next::Done,
        ];
        for (steps, next_step) in expected.into_iter().enumerate() {
            assert_eq!(next(&booking(&history(steps))), next_step, "after {steps}");
        }
    }

    #[test]
    fn a_moved_or_cancelled_booking_leaves_its_old_itinerary() {
        let mut moved = history(6);
        moved.push(BookingEvent::BookingLinkedToItinerary {
            itinerary_id: OTHER_TRIP,
            linked_at: at(),
        });
        assert_eq!(
            next(&booking(&moved)),
            Next::RemoveFromItinerary {
                itinerary_id: TRIP,
                item_id: ITEM
            }
        );
        moved.push(BookingEvent::BookingRemovedFromItinerary {
            itinerary_id: TRIP,
            item_id: ITEM,
            removed_at: at(),
        });
        assert_eq!(
            next(&booking(&moved)),
            Next::AddToItinerary {
                itinerary_id: OTHER_TRIP
            }
        );

        let mut cancelled = history(6);
        cancelled.push(BookingEvent::BookingCancellationRequested { requested_at: at() });
        assert_eq!(next(&booking(&cancelled)), Next::CancelAndRefund);
        cancelled.push(BookingEvent::BookingCancelled {
            refund: eur(0),
            cancelled_at: at(),
        });
        assert_eq!(
            next(&booking(&cancelled)),
            Next::RemoveFromItinerary {
                itinerary_id: TRIP,
                item_id: ITEM
            }
        );
    }

    #[test]
    fn a_failing_booking_releases_its_funds_before_cancelling_its_reservation() {
        assert!(
            compensations(BOOKING, &booking(&history(1))).is_empty(),
            "nothing reserved, nothing held"
        );
        let release = Compensation::ReleaseFunds {
            wallet_id: wayfarer_schemas::wallet_id(OWNER, "EUR"),
            hold_id: hold_id(BOOKING),
        };
        // Reserved: a hold may have been made and not recorded; releasing it is harmless.
        for steps in [2, 3, 4] {
            assert_eq!(
                compensations(BOOKING, &booking(&history(steps))),
                vec![release, Compensation::CancelReservation],
                "after {steps}"
            );
        }
        assert!(
            compensations(BOOKING, &booking(&history(5))).is_empty(),
            "confirmed"
        );
        let mut failed = history(2);
        failed.push(BookingEvent::BookingFailed {
            reason: "sold out".into(),
            compensations: vec![],
            failed_at: at(),
        });
        assert!(compensations(BOOKING, &booking(&failed)).is_empty());
        assert_eq!(next(&booking(&failed)), Next::Done);
    }

    #[test]
    fn derived_ids_differ_by_purpose_and_placement() {
        assert_ne!(hold_id(BOOKING), operation_id(BOOKING, "capture"));
        assert_ne!(item_id(BOOKING, TRIP, 0), item_id(BOOKING, TRIP, 1));
        assert_eq!(item_id(BOOKING, TRIP, 0), item_id(BOOKING, TRIP, 0));
    }
}
