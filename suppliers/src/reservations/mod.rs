//! Reservations at the suppliers: hold, confirm, cancel, and holds that lapse.
//!
//! All of it lives in memory behind one mutex (see [`crate::Simulator`]): this simulates
//! someone else's system, and restarting it forgets every reservation, like resetting a
//! supplier's sandbox. Hold expiry needs no timer: every operation first expires the holds
//! whose time has come (in deadline order) and gives their inventory back, so what callers
//! observe is exactly what a background sweeper would produce.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use uuid::Uuid;

use crate::api::{Money, Reservation, ReservationStatus, ReserveRequest};
use crate::error::ApiError;
use crate::idempotency::{Fingerprint, IdempotencyStore, Operation};
use crate::inventory::{Claim, Inventory};
use crate::offers::Quote;
use crate::pricing::late_cancellation_refund;

#[derive(Debug)]
struct Booked {
    reservation: Reservation,
    claims: Vec<Claim>,
}

/// When a hold lapses; ordered by time so the next to lapse is first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct HoldDeadline {
    expires_at: DateTime<Utc>,
    reservation_id: String,
}

/// A request to hold an offer, with its quote already derived (or the reason it could not be).
#[derive(Debug)]
pub struct ReserveCommand<'a> {
    pub supplier: &'a str,
    pub idempotency_key: &'a str,
    pub request: &'a ReserveRequest,
    pub quote: Result<Quote, ApiError>,
    pub hold_ttl: Duration,
    pub now: DateTime<Utc>,
}

/// A held reservation, and whether it was created earlier under the same key.
#[derive(Debug, Clone, PartialEq)]
pub struct Reserved {
    pub reservation: Reservation,
    pub replayed: bool,
}

#[derive(Debug, Default)]
pub struct Bookings {
    inventory: Inventory,
    reservations: HashMap<String, Booked>,
    holds: BTreeSet<HoldDeadline>,
    idempotency: IdempotencyStore,
}

impl Bookings {
    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// Marks every hold that lapsed by `now` as `EXPIRED` and gives its inventory back.
    pub fn expire_holds(&mut self, now: DateTime<Utc>) {
        while let Some(first) = self.holds.first() {
            if first.expires_at > now {
                break;
            }
            let Some(deadline) = self.holds.pop_first() else {
                break;
            };
            if let Some(booked) = self.reservations.get_mut(&deadline.reservation_id) {
                if booked.reservation.status == ReservationStatus::Held {
                    booked.reservation.status = ReservationStatus::Expired;
                    self.inventory.give_back(&booked.claims);
                    tracing::info!(reservation_id = %deadline.reservation_id, "hold expired");
                }
            }
        }
    }

    pub fn reserve(&mut self, command: ReserveCommand<'_>) -> Result<Reserved, ApiError> {
        self.expire_holds(command.now);
        let fingerprint = Fingerprint::of(command.request);
        let remembered = self.idempotency.recall(
            command.supplier,
            Operation::Reserve,
            command.idempotency_key,
            fingerprint,
        )?;
        if let Some(reservation_id) = remembered {
            let reservation = self.get(command.supplier, reservation_id)?;
            return Ok(Reserved {
                reservation,
                replayed: true,
            });
        }

        let quote = command.quote?;
        let travellers = &command.request.travellers;
        if travellers.len() != usize::from(quote.party_size) {
            return Err(ApiError::TravellerCountMismatch {
                expected: quote.party_size,
                actual: travellers.len(),
            });
        }
        if travellers
            .iter()
            .any(|traveller| traveller.name.trim().is_empty())
        {
            return Err(ApiError::InvalidRequest(
                "every traveller needs a name".into(),
            ));
        }
        self.inventory
            .take(&quote.claims)
            .map_err(|_| ApiError::SoldOut)?;

        let hold = TimeDelta::from_std(command.hold_ttl).unwrap_or(TimeDelta::MAX);
        let reservation = Reservation {
            reservation_id: format!("res_{}", Uuid::new_v4().simple()),
            supplier: command.supplier.to_owned(),
            offer_id: command.request.offer_id.clone(),
            kind: quote.kind,
            status: ReservationStatus::Held,
            price: quote.price,
            summary: quote.summary,
            travellers: travellers.clone(),
            created_at: command.now,
            hold_expires_at: command
                .now
                .checked_add_signed(hold)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            cancellation_policy: quote.policy,
            confirmation_code: None,
            refund: None,
        };
        let id = reservation.reservation_id.clone();
        self.holds.insert(HoldDeadline {
            expires_at: reservation.hold_expires_at,
            reservation_id: id.clone(),
        });
        self.idempotency.remember(
            command.supplier,
            Operation::Reserve,
            command.idempotency_key,
            fingerprint,
            &id,
        );
        self.reservations.insert(
            id.clone(),
            Booked {
                reservation: reservation.clone(),
                claims: quote.claims,
            },
        );
        tracing::info!(reservation_id = %id, supplier = command.supplier, "reservation held");
        Ok(Reserved {
            reservation,
            replayed: false,
        })
    }

    /// Confirms a hold; confirming a confirmed reservation answers it again.
    pub fn confirm(
        &mut self,
        supplier: &str,
        reservation_id: &str,
        idempotency_key: &str,
        now: DateTime<Utc>,
    ) -> Result<Reservation, ApiError> {
        self.expire_holds(now);
        let fingerprint = Fingerprint::of(&reservation_id);
        self.idempotency
            .recall(supplier, Operation::Confirm, idempotency_key, fingerprint)?;
        let booked = self.booked_mut(supplier, reservation_id)?;
        match booked.reservation.status {
            ReservationStatus::Held => {
                booked.reservation.status = ReservationStatus::Confirmed;
                booked.reservation.confirmation_code = Some(confirmation_code());
                tracing::info!(reservation_id, supplier, "reservation confirmed");
            }
            ReservationStatus::Confirmed => {}
            ReservationStatus::Expired => return Err(ApiError::HoldExpired),
            ReservationStatus::Cancelled => return Err(ApiError::ReservationCancelled),
        }
        let reservation = booked.reservation.clone();
        self.holds.remove(&HoldDeadline {
            expires_at: reservation.hold_expires_at,
            reservation_id: reservation_id.to_owned(),
        });
        self.idempotency.remember(
            supplier,
            Operation::Confirm,
            idempotency_key,
            fingerprint,
            reservation_id,
        );
        Ok(reservation)
    }

    /// Cancels a hold (free) or a confirmed reservation (refund by its policy) and gives the
    /// inventory back. Cancelling again answers the same; an expired hold is answered as is.
    pub fn cancel(
        &mut self,
        supplier: &str,
        reservation_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Reservation, ApiError> {
        self.expire_holds(now);
        let booked = self.booked_mut(supplier, reservation_id)?;
        let reservation = &mut booked.reservation;
        let refund_minor = match reservation.status {
            ReservationStatus::Held => 0,
            ReservationStatus::Confirmed => refund_for(reservation, now),
            ReservationStatus::Cancelled | ReservationStatus::Expired => {
                return Ok(reservation.clone());
            }
        };
        reservation.status = ReservationStatus::Cancelled;
        reservation.refund = Some(Money::new(refund_minor, reservation.price.currency));
        let reservation = reservation.clone();
        let claims = std::mem::take(&mut booked.claims);
        self.inventory.give_back(&claims);
        self.holds.remove(&HoldDeadline {
            expires_at: reservation.hold_expires_at,
            reservation_id: reservation_id.to_owned(),
        });
        tracing::info!(
            reservation_id,
            supplier,
            refund_minor,
            "reservation cancelled"
        );
        Ok(reservation)
    }

    pub fn get(&self, supplier: &str, reservation_id: &str) -> Result<Reservation, ApiError> {
        self.reservations
            .get(reservation_id)
            .filter(|booked| booked.reservation.supplier == supplier)
            .map(|booked| booked.reservation.clone())
            .ok_or(ApiError::UnknownReservation)
    }

    fn booked_mut(
        &mut self,
        supplier: &str,
        reservation_id: &str,
    ) -> Result<&mut Booked, ApiError> {
        self.reservations
            .get_mut(reservation_id)
            .filter(|booked| booked.reservation.supplier == supplier)
            .ok_or(ApiError::UnknownReservation)
    }
}

/// Everything back before the free-cancellation deadline, the policy's share after it.
fn refund_for(reservation: &Reservation, now: DateTime<Utc>) -> i64 {
    let policy = reservation.cancellation_policy;
    if now < policy.free_cancellation_until {
        reservation.price.amount_minor
    } else {
        late_cancellation_refund(reservation.price.amount_minor, policy.refund_percent_after)
    }
}

/// Six capitals and digits, like an airline record locator (no 0/O or 1/I to misread).
fn confirmation_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..6)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests;
