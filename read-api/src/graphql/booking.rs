//! Bookings (the seed's BookingService): `bookFlight`, `bookHotel` and `bookActivity` ask for
//! an offer from a search; the booking process (`wayfarer sagas`) reserves it with the
//! supplier, holds the price on the caller's wallet, confirms, pays and adds the booking to
//! its itinerary, or fails it with a reason and undoes what it did. `booking`, `myBookings`
//! and `bookingStatusChanged` follow it; `cancelBooking` and `syncBookingWithItinerary`
//! change it. Someone else's booking looks exactly like a missing one.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, Subscription};
use chrono::{DateTime, NaiveDate, Utc};
use futures::{Stream, StreamExt};
use uuid::Uuid;
use wayfarer_domain::{BookingActor, BookingCommand, BookingContext, BookingRequest};
use wayfarer_projections::booking::read::{self, BookingCursor, BookingRow};
use wayfarer_projections::booking::NAME;
use wayfarer_schemas::booking::BookingKind;
use wayfarer_schemas::AccessLevel;

use super::context::{require_caller, state};
use super::notifications::broadcast_stream;
use super::paging::{cursor_text, encode_opaque, page_size};
use super::resolve::{resolve, Invocation};
use super::subscription::{access_ended, token_expiry, ConnectionSubscriptions, Slot};
use super::types::{Money, Position};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

/// Where a booking stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum BookingStatus {
    /// Asked for; the booking process takes it from here.
    Requested,
    /// The supplier holds the offer.
    Reserved,
    /// The price is held on the wallet.
    FundsHeld,
    /// The supplier confirmed; the payment is being taken.
    SupplierConfirmed,
    /// Booked and paid.
    Confirmed,
    /// `cancelBooking` was asked; the supplier is being told.
    CancellationRequested,
    /// Cancelled with nothing refunded (the cancellation policy's terms).
    Cancelled,
    /// Cancelled and (part of) the price refunded to the wallet.
    Refunded,
    /// Did not go ahead (`failureReason` says why); nothing was charged.
    Failed,
}

impl BookingStatus {
    fn parse(status: &str) -> Self {
        match status {
            "REQUESTED" => BookingStatus::Requested,
            "RESERVED" => BookingStatus::Reserved,
            "FUNDS_HELD" => BookingStatus::FundsHeld,
            "SUPPLIER_CONFIRMED" => BookingStatus::SupplierConfirmed,
            "CONFIRMED" => BookingStatus::Confirmed,
            "CANCELLATION_REQUESTED" => BookingStatus::CancellationRequested,
            "CANCELLED" => BookingStatus::Cancelled,
            "REFUNDED" => BookingStatus::Refunded,
            _ => BookingStatus::Failed,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Requested => "REQUESTED",
            BookingStatus::Reserved => "RESERVED",
            BookingStatus::FundsHeld => "FUNDS_HELD",
            BookingStatus::SupplierConfirmed => "SUPPLIER_CONFIRMED",
            BookingStatus::Confirmed => "CONFIRMED",
            BookingStatus::CancellationRequested => "CANCELLATION_REQUESTED",
            BookingStatus::Cancelled => "CANCELLED",
            BookingStatus::Refunded => "REFUNDED",
            BookingStatus::Failed => "FAILED",
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum BookingKindValue {
    Flight,
    Hotel,
    Activity,
}

/// A booking, as its owner sees it.
#[derive(SimpleObject)]
pub struct Booking {
    pub id: Uuid,
    pub kind: BookingKindValue,
    pub status: BookingStatus,
    pub supplier: String,
    pub offer_id: String,
    pub travellers: Vec<String>,
    /// The itinerary it belongs to.
    pub itinerary_id: Option<Uuid>,
    /// The item it shows as in that itinerary, once added.
    pub itinerary_item_id: Option<Uuid>,
    pub reservation_id: Option<String>,
    pub confirmation_code: Option<String>,
    /// The flight, stay or activity, once reserved.
    pub title: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub place_name: Option<String>,
    /// The supplier's price, in its currency.
    pub price: Option<Money>,
    /// What the wallet pays, in its currency.
    pub paid: Option<Money>,
    /// The exchange rate used (one unit of the price's currency in the wallet's), and the
    /// day it is the ECB's reference rate of; `null` when no conversion was needed.
    pub rate: Option<String>,
    pub rate_date: Option<NaiveDate>,
    /// Until when the supplier holds the offer unconfirmed.
    pub hold_expires_at: Option<DateTime<Utc>>,
    /// Until then a cancellation refunds everything; after it, `refundPercentAfter`.
    pub free_cancellation_until: Option<DateTime<Utc>>,
    pub refund_percent_after: Option<i32>,
    /// Why it failed, in words for the person who booked it.
    pub failure_reason: Option<String>,
    /// What was undone when it failed ("funds released", "reservation cancelled").
    pub compensations: Vec<String>,
    /// What came back to the wallet when it was cancelled.
    pub refund: Option<Money>,
    pub requested_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<BookingRow> for Booking {
    fn from(row: BookingRow) -> Self {
        let kind = match row.kind.as_str() {
            "FLIGHT" => BookingKindValue::Flight,
            "HOTEL" => BookingKindValue::Hotel,
            _ => BookingKindValue::Activity,
        };
        let money = |amount_minor: Option<i64>, currency: Option<&str>| {
            Some(Money {
                amount_minor: amount_minor?,
                currency: currency?.to_owned(),
            })
        };
        Self {
            id: row.booking_id,
            kind,
            status: BookingStatus::parse(&row.status),
            price: money(row.price_minor, row.price_currency.as_deref()),
            paid: money(row.paid_minor, Some(&row.wallet_currency)),
            refund: money(row.refund_minor, Some(&row.wallet_currency)),
            supplier: row.supplier,
            offer_id: row.offer_id,
            travellers: row.travellers.0,
            itinerary_id: row.itinerary_id,
            itinerary_item_id: row.item_id,
            reservation_id: row.reservation_id,
            confirmation_code: row.confirmation_code,
            title: row.title,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            place_name: row.place_name,
            rate: row.rate,
            rate_date: row.rate_date,
            hold_expires_at: row.hold_expires_at,
            free_cancellation_until: row.free_cancellation_until,
            refund_percent_after: row.refund_percent_after,
            failure_reason: row.failure_reason,
            compensations: row.compensations.0,
            requested_at: row.requested_at,
            updated_at: row.updated_at,
        }
    }
}

/// What to book.
#[derive(InputObject)]
pub struct BookingInput {
    /// An offer id from `searchFlights`, `searchHotels` or `searchActivities` (it names its
    /// supplier).
    pub offer_id: String,
    /// Who travels: as many names as the offer was searched for.
    pub travellers: Vec<String>,
    /// The itinerary to add the booking to once confirmed (the caller edits it).
    pub itinerary_id: Option<Uuid>,
    /// The wallet that pays: the caller's in this currency (one of `supportedCurrencies`).
    pub wallet_currency: String,
}

/// What a booking mutation wrote.
#[derive(SimpleObject)]
pub struct BookingPayload {
    pub booking_id: Uuid,
    /// Pass as `afterPosition` to read this write (`0` when nothing changed).
    pub position: Position,
    pub replayed: bool,
}

impl BookingPayload {
    fn of(booking_id: Uuid, outcome: wayfarer_commands::CommandOutcome) -> Self {
        Self {
            booking_id,
            position: Position(outcome.position),
            replayed: outcome.replayed,
        }
    }
}

/// The kind and supplier an offer id names (`fl.<supplier>.…`, `ht.…`, `ac.…`); the
/// supplier checks the rest.
fn offer_of(offer_id: &str, known: &[String]) -> ApiResult<(BookingKind, String)> {
    let unknown = || ApiError::Validation("offerId is not an offer from a search".into());
    let mut parts = offer_id.split('.');
    let kind = match parts.next() {
        Some("fl") => BookingKind::Flight,
        Some("ht") => BookingKind::Hotel,
        Some("ac") => BookingKind::Activity,
        _ => return Err(unknown()),
    };
    let supplier = parts.next().ok_or_else(unknown)?;
    if offer_id.len() > 200 || !known.iter().any(|name| name == supplier) {
        return Err(unknown());
    }
    Ok((kind, supplier.to_owned()))
}

fn kind_name(kind: BookingKind) -> &'static str {
    match kind {
        BookingKind::Flight => "a flight",
        BookingKind::Hotel => "a hotel",
        BookingKind::Activity => "an activity",
    }
}

/// Checks the caller edits `itinerary_id` (one they cannot see is `NOT_FOUND`).
async fn require_editor(ctx: &Context<'_>, caller: Uuid, itinerary_id: Uuid) -> ApiResult<()> {
    let itinerary = state(ctx)
        .itineraries
        .stored_state(&itinerary_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    let standing = itinerary.standing_of(caller);
    if itinerary.owner_id().is_none() || !standing.is_member() {
        return Err(ApiError::NotFound("itinerary not found".into()));
    }
    if !standing.acts_at(AccessLevel::Edit) {
        return Err(ApiError::Forbidden(
            "only the itinerary's owner and editors add bookings to it".into(),
        ));
    }
    Ok(())
}

async fn book(
    ctx: &Context<'_>,
    kind: BookingKind,
    input: BookingInput,
    idempotency_key: Option<Uuid>,
) -> ApiResult<BookingPayload> {
    let invocation = Invocation::new(ctx, idempotency_key)?;
    if idempotency_key.is_none() {
        return Err(ApiError::Validation(
            "a booking needs an idempotencyKey, so that a retry never books twice".into(),
        ));
    }
    let api = state(ctx);
    let (offer_kind, supplier) = offer_of(&input.offer_id, &api.settings.suppliers.names)?;
    if offer_kind != kind {
        return Err(ApiError::Validation(format!(
            "this offer is not {}; use the mutation for its kind",
            kind_name(kind)
        )));
    }
    let wallet_currency = super::wallet::wallet_currency(ctx, &input.wallet_currency).await?;
    if let Some(itinerary_id) = input.itinerary_id {
        require_editor(ctx, invocation.actor, itinerary_id).await?;
    }
    let booking_id = invocation.mint_id("booking");
    let command = BookingCommand::Request {
        context: BookingContext {
            actor: BookingActor::Person(invocation.actor),
            now: invocation.now,
        },
        request: BookingRequest {
            kind,
            supplier,
            offer_id: input.offer_id,
            travellers: input.travellers,
            itinerary_id: input.itinerary_id,
            wallet_currency,
        },
    };
    let outcome = invocation
        .execute(&api.bookings, booking_id, command)
        .await?;
    Ok(BookingPayload::of(booking_id, outcome))
}

async fn wait_for(ctx: &Context<'_>, after: Option<Position>) -> ApiResult<()> {
    if let Some(position) = after {
        state(ctx).read_your_write(&[NAME], position.0).await?;
    }
    Ok(())
}

fn encode_booking_cursor(row: &BookingRow) -> String {
    encode_opaque(&format!(
        "{}|{}",
        row.requested_at.to_rfc3339(),
        row.booking_id
    ))
}

fn decode_booking_cursor(cursor: &str) -> ApiResult<BookingCursor> {
    let invalid = || ApiError::Validation("invalid cursor".into());
    let text = cursor_text(cursor)?;
    let (at, id) = text.split_once('|').ok_or_else(invalid)?;
    Ok(BookingCursor {
        requested_at: DateTime::parse_from_rfc3339(at)
            .map_err(|_| invalid())?
            .with_timezone(&Utc),
        booking_id: Uuid::parse_str(id).map_err(|_| invalid())?,
    })
}

#[derive(Default)]
pub struct BookingQuery;

#[Object]
impl BookingQuery {
    /// One of the caller's bookings (the seed's `getBookingDetails`); `null` when there is
    /// none of theirs under this id.
    async fn booking(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Option<Booking>> {
        resolve(async move {
            let caller = require_caller(ctx)?;
            wait_for(ctx, after_position).await?;
            let row = read::find(&state(ctx).pool, caller, id).await?;
            Ok(row.map(Booking::from))
        })
        .await
    }

    /// The caller's bookings, newest first, in the given statuses (all when none).
    async fn my_bookings(
        &self,
        ctx: &Context<'_>,
        status: Option<Vec<BookingStatus>>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, Booking, EmptyFields, EmptyFields>> {
        resolve(async move {
            let caller = require_caller(ctx)?;
            let size = page_size(first)?;
            let cursor = after.as_deref().map(decode_booking_cursor).transpose()?;
            let statuses: Vec<String> = status
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.as_str().to_owned())
                .collect();
            wait_for(ctx, after_position).await?;
            let mut rows =
                read::of_owner(&state(ctx).pool, caller, &statuses, cursor, size as i64 + 1)
                    .await?;
            let has_next = rows.len() > size;
            rows.truncate(size);
            let mut connection = Connection::new(cursor.is_some(), has_next);
            connection.edges.extend(
                rows.into_iter()
                    .map(|row| Edge::new(encode_booking_cursor(&row), row.into())),
            );
            Ok(connection)
        })
        .await
    }
}

#[derive(Default)]
pub struct BookingMutation;

#[Object]
impl BookingMutation {
    /// Books a flight offer from `searchFlights`, paid from the caller's wallet in
    /// `walletCurrency`, and (once confirmed) adds it to `itineraryId` as a transport item.
    /// Answers at once with the booking's id: follow it with `booking`, `myBookings` or
    /// `bookingStatusChanged`. `idempotencyKey` is required: a retry names the same booking.
    async fn book_flight(
        &self,
        ctx: &Context<'_>,
        input: BookingInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<BookingPayload> {
        resolve(book(ctx, BookingKind::Flight, input, idempotency_key)).await
    }

    /// As `bookFlight`, for a hotel offer from `searchHotels` (an accommodation item).
    async fn book_hotel(
        &self,
        ctx: &Context<'_>,
        input: BookingInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<BookingPayload> {
        resolve(book(ctx, BookingKind::Hotel, input, idempotency_key)).await
    }

    /// As `bookFlight`, for an activity offer from `searchActivities` (an activity item).
    async fn book_activity(
        &self,
        ctx: &Context<'_>,
        input: BookingInput,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<BookingPayload> {
        resolve(book(ctx, BookingKind::Activity, input, idempotency_key)).await
    }

    /// Cancels a confirmed booking: the supplier is told, its cancellation policy decides
    /// the refund to the wallet, and the item leaves the itinerary. A booking still in
    /// progress is `CONFLICT` (it confirms or fails first).
    async fn cancel_booking(
        &self,
        ctx: &Context<'_>,
        booking_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<BookingPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let command = BookingCommand::Cancel {
                context: BookingContext {
                    actor: BookingActor::Person(invocation.actor),
                    now: invocation.now,
                },
            };
            let outcome = invocation
                .execute(&state(ctx).bookings, booking_id, command)
                .await?;
            Ok(BookingPayload::of(booking_id, outcome))
        })
        .await
    }

    /// Moves a booking to another itinerary the caller edits: its item leaves the old one
    /// and (once confirmed) appears in the new one.
    async fn sync_booking_with_itinerary(
        &self,
        ctx: &Context<'_>,
        booking_id: Uuid,
        itinerary_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<BookingPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let api = state(ctx);
            // Someone else's booking is not found before anything about the itinerary is told.
            let booking = api
                .bookings
                .stored_state(&booking_id.to_string())
                .await
                .map_err(ApiError::internal)?;
            if booking.owner() != Some(invocation.actor) {
                return Err(ApiError::NotFound("booking not found".into()));
            }
            require_editor(ctx, invocation.actor, itinerary_id).await?;
            let command = BookingCommand::LinkItinerary {
                context: BookingContext {
                    actor: BookingActor::Person(invocation.actor),
                    now: invocation.now,
                },
                itinerary_id,
            };
            let outcome = invocation
                .execute(&api.bookings, booking_id, command)
                .await?;
            Ok(BookingPayload::of(booking_id, outcome))
        })
        .await
    }
}

#[derive(Default)]
pub struct BookingSubscription;

#[Subscription]
impl BookingSubscription {
    /// Each change of status of the caller's bookings (or of one of them) from now on, as
    /// it commits. Ends when the caller's access token expires, or when they are banned or
    /// close their account.
    async fn booking_status_changed(
        &self,
        ctx: &Context<'_>,
        booking_id: Option<Uuid>,
    ) -> async_graphql::Result<impl Stream<Item = Booking>> {
        resolve(changes_of(ctx, booking_id)).await
    }
}

async fn changes_of(
    ctx: &Context<'_>,
    only: Option<Uuid>,
) -> ApiResult<impl Stream<Item = Booking>> {
    let user = require_caller(ctx)?;
    let api = state(ctx).clone();
    let slot = Slot::take(
        ctx.data_opt::<ConnectionSubscriptions>(),
        &api.subscriptions,
        Some(user),
    )?;
    let changes = broadcast_stream(api.booking_feed.subscribe());
    let pool = api.pool.clone();
    let bookings = changes
        .filter(move |changed| {
            futures::future::ready(
                changed.owner == user && only.is_none_or(|id| id == changed.booking_id),
            )
        })
        .filter_map(move |changed| {
            let pool = pool.clone();
            async move {
                match read::find(&pool, user, changed.booking_id).await {
                    // The row as it stands now; its status is at least the announced one.
                    Ok(row) => row.map(|row| {
                        let mut booking = Booking::from(row);
                        booking.status = BookingStatus::parse(&changed.status);
                        booking
                    }),
                    Err(error) => {
                        tracing::warn!(%error, "a changed booking could not be read");
                        None
                    }
                }
            }
        })
        .map(move |booking| {
            // Held for as long as the stream lives.
            let _ = &slot;
            booking
        });
    let expiry = token_expiry(ctx.data_opt::<Caller>());
    let revoked = access_ended(&api, Some(user)).await?;
    Ok(bookings.take_until(expiry).take_until(revoked))
}
