//! The booking process's steps: each calls a supplier, a wallet or an itinerary once (with an
//! id derived from the booking, so a repeat after a crash is the same call) and records what
//! happened on the booking. A step answers how it went; the worker ([`super::process`])
//! decides what that means for the task.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;
use wayfarer_commands::{CommandError, CommandHandler, CommandRequest};
use wayfarer_domain::expenses::rates::RateTable;
use wayfarer_domain::{
    Booking, BookingActor, BookingCommand, BookingContext, BookingError, Category, CommandContext,
    CurrencyCode, DomainError, Itinerary, ItineraryCommand, ItineraryError, LocationInput,
    MoneyInput, NewItemDetails, Wallet, WalletActor, WalletCommand, WalletContext, WalletError,
};
use wayfarer_schemas::booking::{BookedOffer, BookingKind, CancellationTerms};
use wayfarer_schemas::{EventMetadata, MoneyAmount};
use wayfarer_suppliers::api::{Reservation, ReservationStatus, ReserveRequest, Traveller};
use wayfarer_suppliers::client::{ClientError, SupplierClient};

use super::outcome::{supplier_failure, CallFailure};
use super::plan::{self, Compensation, Next};
use super::refunds::wallet_refund;
use super::wording::FailureCause;
use crate::runtime::breaker::Breakers;
use crate::runtime::stall::Stall;

/// How a step went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepResult {
    /// Done and recorded: look at the booking again.
    Advanced,
    /// Not done; trying again later may succeed (no answer, a store error).
    Retry(String),
    /// Refused for good: the booking cannot go ahead.
    Refused(FailureCause),
    /// Nothing more can be done for now, and nothing is wrong with the booking (an itinerary
    /// that no longer takes its item).
    Settled,
}

/// What the steps use.
pub struct Steps {
    pub bookings: CommandHandler<Booking>,
    pub wallets: CommandHandler<Wallet>,
    pub itineraries: CommandHandler<Itinerary>,
    pub suppliers: SupplierClient,
    pub breakers: Breakers,
    pub rates: Arc<RateTable>,
    pub stall: Stall,
}

fn metadata(booking_id: Uuid, purpose: &str) -> EventMetadata {
    let command_id = plan::operation_id(booking_id, &format!("command/{purpose}"));
    EventMetadata {
        actor: None,
        command_id,
        correlation_id: booking_id,
        causation_id: command_id,
    }
}

fn store_trouble<E: DomainError>(error: CommandError<E>) -> StepResult {
    StepResult::Retry(error.to_string())
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// The supplier's reservation as the booking records it.
fn booked_offer(reservation: &Reservation) -> BookedOffer {
    let summary = &reservation.summary;
    BookedOffer {
        title: summary.title.clone(),
        starts_at: summary.starts_at,
        ends_at: summary.ends_at,
        place_name: Some(summary.place_name.clone()),
        latitude: Some(summary.latitude),
        longitude: Some(summary.longitude),
        price: MoneyAmount {
            amount_minor: reservation.price.amount_minor,
            currency: reservation.price.currency.to_string(),
        },
    }
}

fn category(kind: Option<BookingKind>) -> Category {
    match kind {
        Some(BookingKind::Flight) => Category::Transport,
        Some(BookingKind::Hotel) => Category::Accommodation,
        Some(BookingKind::Activity) | None => Category::Activity,
    }
}

impl Steps {
    async fn record(&self, booking_id: Uuid, purpose: &str, command: BookingCommand) -> StepResult {
        let request = CommandRequest {
            aggregate_id: booking_id.to_string(),
            command,
            metadata: metadata(booking_id, purpose),
            idempotency: None,
        };
        match self.bookings.execute(request).await {
            Ok(_) => StepResult::Advanced,
            // Recorded already by a worker that moved on: look again.
            Err(CommandError::Rejected(BookingError::OutOfOrder { .. })) => StepResult::Advanced,
            Err(error) => store_trouble(error),
        }
    }

    fn context() -> BookingContext {
        BookingContext {
            actor: BookingActor::Payments,
            now: now(),
        }
    }

    fn wallet_context(booking: &Booking) -> Option<WalletContext> {
        Some(WalletContext {
            actor: WalletActor::Payments,
            owner: booking.owner()?,
            currency: CurrencyCode::parse(booking.wallet_currency()).ok()?,
            now: now(),
        })
    }

    async fn on_wallet(
        &self,
        booking: &Booking,
        purpose: &str,
        build: impl FnOnce(WalletContext) -> WalletCommand,
        booking_id: Uuid,
    ) -> Result<(), CommandError<WalletError>> {
        let context = Self::wallet_context(booking)
            .ok_or(CommandError::Rejected(WalletError::WrongWallet))?;
        let wallet_id = wayfarer_schemas::wallet_id(context.owner, context.currency.as_str());
        self.wallets
            .execute(CommandRequest {
                aggregate_id: wallet_id.to_string(),
                command: build(context),
                metadata: metadata(booking_id, purpose),
                idempotency: None,
            })
            .await
            .map(|_| ())
    }

    /// Reads a failed supplier call, and tells the supplier's breaker.
    fn supplier_call_failed(&self, supplier: &str, error: &ClientError) -> CallFailure {
        let failure = supplier_failure(error);
        match failure {
            CallFailure::Retry(_) => self.breakers.failed(supplier),
            CallFailure::Refused(_) => self.breakers.answered(supplier),
        }
        failure
    }

    /// Runs the step `next` for `booking`.
    pub async fn forward(&self, booking_id: Uuid, booking: &Booking, next: Next) -> StepResult {
        match next {
            Next::Reserve => self.reserve(booking_id, booking).await,
            Next::HoldFunds => self.hold_funds(booking_id, booking).await,
            Next::ConfirmWithSupplier => self.confirm(booking_id, booking).await,
            Next::Capture => self.capture(booking_id, booking).await,
            Next::AddToItinerary { itinerary_id } => {
                self.add_to_itinerary(booking_id, booking, itinerary_id)
                    .await
            }
            Next::RemoveFromItinerary {
                itinerary_id,
                item_id,
            } => {
                self.remove_from_itinerary(booking_id, booking, itinerary_id, item_id)
                    .await
            }
            Next::CancelAndRefund => self.cancel_and_refund(booking_id, booking).await,
            Next::Done => StepResult::Settled,
        }
    }

    async fn reserve(&self, booking_id: Uuid, booking: &Booking) -> StepResult {
        let supplier = booking.supplier();
        if !self.breakers.permits(supplier) {
            return StepResult::Refused(FailureCause::SupplierOutage);
        }
        let request = ReserveRequest {
            offer_id: booking.offer_id().to_owned(),
            travellers: booking
                .travellers()
                .iter()
                .map(|name| Traveller { name: name.clone() })
                .collect(),
        };
        // The booking's id is the supplier's idempotency key: a retry finds the same hold.
        let reservation = match self
            .suppliers
            .reserve(supplier, &booking_id.to_string(), &request)
            .await
        {
            Ok(reservation) => reservation,
            Err(error) => {
                return match self.supplier_call_failed(supplier, &error) {
                    CallFailure::Retry(error) => StepResult::Retry(error),
                    CallFailure::Refused(cause) => StepResult::Refused(cause),
                }
            }
        };
        self.breakers.answered(supplier);
        self.stall.at("reserve").await;
        let policy = &reservation.cancellation_policy;
        let command = BookingCommand::RecordReservation {
            context: Self::context(),
            reservation_id: reservation.reservation_id.clone(),
            offer: booked_offer(&reservation),
            hold_expires_at: reservation.hold_expires_at,
            cancellation: CancellationTerms {
                free_cancellation_until: policy.free_cancellation_until,
                refund_percent_after: policy.refund_percent_after,
            },
        };
        self.record(booking_id, "reserve", command).await
    }

    async fn hold_funds(&self, booking_id: Uuid, booking: &Booking) -> StepResult {
        let Some(offer) = booking.offer() else {
            return StepResult::Retry("reserved without an offer".into());
        };
        let currency = booking.wallet_currency().to_owned();
        // The rate of the day the booking was asked for: a repeat converts the same way.
        let day = booking.requested_at().unwrap_or_else(now).date_naive();
        let price = &offer.price;
        let Ok((amount_minor, quote)) =
            self.rates
                .convert(price.amount_minor, &price.currency, &currency, day)
        else {
            return StepResult::Refused(FailureCause::CurrencyNotConvertible);
        };
        let hold_id = plan::hold_id(booking_id);
        let held = self
            .on_wallet(
                booking,
                "hold",
                |context| WalletCommand::Hold {
                    context,
                    operation_id: hold_id,
                    amount_minor,
                    booking_id: Some(booking_id),
                },
                booking_id,
            )
            .await;
        match held {
            Ok(()) => {}
            Err(CommandError::Rejected(WalletError::InsufficientFunds { .. })) => {
                return StepResult::Refused(FailureCause::InsufficientFunds)
            }
            Err(CommandError::Rejected(_)) => {
                return StepResult::Refused(FailureCause::PaymentFailed)
            }
            Err(error) => return store_trouble(error),
        }
        self.stall.at("hold").await;
        let converted = price.currency != currency;
        let Some(owner) = booking.owner() else {
            return StepResult::Retry("a booking without an owner".into());
        };
        let command = BookingCommand::RecordFundsHeld {
            context: Self::context(),
            wallet_id: wayfarer_schemas::wallet_id(owner, &currency),
            hold_id,
            amount: MoneyAmount {
                amount_minor,
                currency,
            },
            rate: converted.then(|| quote.to_decimal(6)),
            rate_date: converted.then_some(quote.rate_date),
        };
        self.record(booking_id, "hold", command).await
    }

    async fn confirm(&self, booking_id: Uuid, booking: &Booking) -> StepResult {
        let supplier = booking.supplier();
        let Some(reservation_id) = booking.reservation_id() else {
            return StepResult::Retry("funds held without a reservation".into());
        };
        if !self.breakers.permits(supplier) {
            return StepResult::Retry(format!("the circuit to {supplier} is open"));
        }
        let key = plan::operation_id(booking_id, "confirm").to_string();
        let reservation = match self.suppliers.confirm(supplier, reservation_id, &key).await {
            Ok(reservation) => reservation,
            Err(error) => {
                return match self.supplier_call_failed(supplier, &error) {
                    CallFailure::Retry(error) => StepResult::Retry(error),
                    CallFailure::Refused(cause) => StepResult::Refused(cause),
                }
            }
        };
        self.breakers.answered(supplier);
        if reservation.status != ReservationStatus::Confirmed {
            return StepResult::Refused(FailureCause::HoldExpired);
        }
        self.stall.at("confirm").await;
        let command = BookingCommand::RecordSupplierConfirmation {
            context: Self::context(),
            confirmation_code: reservation.confirmation_code.unwrap_or_default(),
        };
        self.record(booking_id, "confirm", command).await
    }

    async fn capture(&self, booking_id: Uuid, booking: &Booking) -> StepResult {
        let Some(funds) = booking.funds() else {
            return StepResult::Retry("confirmed without held funds".into());
        };
        let hold_id = funds.hold_id;
        let captured = self
            .on_wallet(
                booking,
                "capture",
                |context| WalletCommand::Capture {
                    context,
                    operation_id: plan::operation_id(booking_id, "capture"),
                    hold_id,
                },
                booking_id,
            )
            .await;
        match captured {
            Ok(()) => {}
            Err(CommandError::Rejected(_)) => {
                return StepResult::Refused(FailureCause::PaymentFailed)
            }
            Err(error) => return store_trouble(error),
        }
        self.stall.at("capture").await;
        let command = BookingCommand::RecordPayment {
            context: Self::context(),
        };
        self.record(booking_id, "capture", command).await
    }

    async fn add_to_itinerary(
        &self,
        booking_id: Uuid,
        booking: &Booking,
        itinerary_id: Uuid,
    ) -> StepResult {
        let (Some(owner), Some(offer)) = (booking.owner(), booking.offer()) else {
            return StepResult::Retry("confirmed without an owner or an offer".into());
        };
        let item_id = plan::item_id(booking_id, itinerary_id, booking.placements());
        let paid = booking.funds().map(|funds| &funds.amount);
        let location = match (&offer.place_name, offer.latitude, offer.longitude) {
            (Some(name), Some(lat), Some(lon)) => Some(LocationInput {
                name: name.clone(),
                lat,
                lon,
            }),
            _ => None,
        };
        let details = NewItemDetails {
            title: offer.title.clone(),
            description: Some(format!(
                "Booked with {}, confirmation {}",
                booking.supplier(),
                booking.confirmation_code().unwrap_or("pending")
            )),
            start_time: offer.starts_at,
            end_time: offer.ends_at,
            location,
            category: category(booking.kind()),
            estimated_cost: paid.map(|paid| MoneyInput {
                amount_minor: paid.amount_minor,
                currency: paid.currency.clone(),
            }),
        };
        let added = self
            .itineraries
            .execute(CommandRequest {
                aggregate_id: itinerary_id.to_string(),
                // The owner adds it: the item is theirs, and only while they may edit the trip.
                command: ItineraryCommand::AddItem {
                    context: CommandContext::new(owner, now()),
                    item_id,
                    details,
                },
                metadata: metadata(booking_id, &format!("add/{item_id}")),
                idempotency: None,
            })
            .await;
        match added {
            // Added by this very step before a crash.
            Ok(_) | Err(CommandError::Rejected(ItineraryError::DuplicateItem(_))) => {}
            Err(CommandError::Rejected(refusal)) => {
                tracing::warn!(%booking_id, %itinerary_id, %refusal, "the itinerary does not take the booking's item");
                return StepResult::Settled;
            }
            Err(error) => return store_trouble(error),
        }
        self.stall.at("add-item").await;
        let command = BookingCommand::RecordItemAdded {
            context: Self::context(),
            itinerary_id,
            item_id,
        };
        self.record(booking_id, &format!("added/{item_id}"), command)
            .await
    }

    async fn remove_from_itinerary(
        &self,
        booking_id: Uuid,
        booking: &Booking,
        itinerary_id: Uuid,
        item_id: Uuid,
    ) -> StepResult {
        let Some(owner) = booking.owner() else {
            return StepResult::Retry("a booking without an owner".into());
        };
        let removed = self
            .itineraries
            .execute(CommandRequest {
                aggregate_id: itinerary_id.to_string(),
                command: ItineraryCommand::DeleteItem {
                    context: CommandContext::new(owner, now()),
                    item_id,
                },
                metadata: metadata(booking_id, &format!("remove/{item_id}")),
                idempotency: None,
            })
            .await;
        match removed {
            Ok(_) => {}
            // Gone already (someone deleted it), or no longer the owner's to delete.
            Err(CommandError::Rejected(refusal)) => {
                tracing::info!(%booking_id, %item_id, %refusal, "the booking's item was not deleted");
            }
            Err(error) => return store_trouble(error),
        }
        let command = BookingCommand::RecordItemRemoved {
            context: Self::context(),
            itinerary_id,
            item_id,
        };
        self.record(booking_id, &format!("removed/{item_id}"), command)
            .await
    }

    async fn cancel_and_refund(&self, booking_id: Uuid, booking: &Booking) -> StepResult {
        let (Some(reservation_id), Some(offer), Some(funds)) =
            (booking.reservation_id(), booking.offer(), booking.funds())
        else {
            return StepResult::Retry("a confirmed booking without its reservation".into());
        };
        let supplier = booking.supplier();
        let refunded_minor = match self.suppliers.cancel(supplier, reservation_id).await {
            Ok(reservation) => {
                self.breakers.answered(supplier);
                reservation.refund.map_or(0, |refund| refund.amount_minor)
            }
            Err(ClientError::Rejected { code, message, .. }) => {
                // The supplier no longer knows the reservation: nothing comes back from it.
                tracing::warn!(%booking_id, %code, %message, "the supplier refused the cancellation");
                0
            }
            Err(error) => {
                self.breakers.failed(supplier);
                return StepResult::Retry(error.to_string());
            }
        };
        self.stall.at("supplier-cancel").await;
        let refund_minor = wallet_refund(
            funds.amount.amount_minor,
            offer.price.amount_minor,
            refunded_minor,
        );
        if refund_minor > 0 {
            let refunded = self
                .on_wallet(
                    booking,
                    "refund",
                    |context| WalletCommand::Refund {
                        context,
                        operation_id: plan::operation_id(booking_id, "refund"),
                        amount_minor: refund_minor,
                        booking_id,
                    },
                    booking_id,
                )
                .await;
            match refunded {
                Ok(()) => {}
                Err(CommandError::Rejected(refusal)) => {
                    return StepResult::Retry(format!("the wallet refused the refund: {refusal}"))
                }
                Err(error) => return store_trouble(error),
            }
            self.stall.at("refund").await;
        }
        let command = BookingCommand::RecordCancellation {
            context: Self::context(),
            refund: MoneyAmount {
                amount_minor: refund_minor,
                currency: funds.amount.currency.clone(),
            },
        };
        self.record(booking_id, "cancelled", command).await
    }

    /// Undoes one thing for a failing booking: `Ok(true)` when something was undone,
    /// `Ok(false)` when there was nothing to undo, `Err` with why it must be tried again.
    pub async fn undo(
        &self,
        booking_id: Uuid,
        booking: &Booking,
        compensation: Compensation,
    ) -> Result<bool, String> {
        match compensation {
            Compensation::ReleaseFunds { hold_id, .. } => {
                let released = self
                    .on_wallet(
                        booking,
                        "release",
                        |context| WalletCommand::Release {
                            context,
                            operation_id: plan::operation_id(booking_id, "release"),
                            hold_id,
                        },
                        booking_id,
                    )
                    .await;
                let undone = match released {
                    Ok(()) => true,
                    // No such hold: it was never made (or is released already).
                    Err(CommandError::Rejected(WalletError::UnknownHold)) => {
                        booking.funds().is_some()
                    }
                    Err(CommandError::Rejected(refusal)) => {
                        return Err(format!("the wallet refused the release: {refusal}"))
                    }
                    Err(error) => return Err(error.to_string()),
                };
                self.stall.at("release").await;
                Ok(undone)
            }
            Compensation::CancelReservation => {
                let Some(reservation_id) = booking.reservation_id() else {
                    return Ok(false);
                };
                match self
                    .suppliers
                    .cancel(booking.supplier(), reservation_id)
                    .await
                {
                    // Refused: unknown, or lapsed already; nothing is left to cancel.
                    Ok(_) | Err(ClientError::Rejected { .. }) => {}
                    Err(error) => return Err(error.to_string()),
                }
                self.stall.at("cancel-reservation").await;
                Ok(true)
            }
        }
    }

    /// Records the booking failed, with what was undone.
    pub async fn fail(
        &self,
        booking_id: Uuid,
        reason: &str,
        undone: &[Compensation],
    ) -> StepResult {
        let command = BookingCommand::Fail {
            context: Self::context(),
            reason: reason.to_owned(),
            compensations: undone.iter().map(|c| c.describe().to_owned()).collect(),
        };
        self.record(booking_id, "failed", command).await
    }

    /// The booking as stored now.
    pub async fn booking(&self, booking_id: Uuid) -> Result<Booking, String> {
        self.bookings
            .stored_state(&booking_id.to_string())
            .await
            .map_err(|error| error.to_string())
    }
}
