//! Supplier endpoints: search, and the reservation life cycle.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;

use crate::api::{
    ActivityOffer, ActivitySearch, FlightOffer, FlightSearch, HotelOffer, HotelSearch, Offers,
    Reservation, ReserveRequest, SupplierList, SupplierSummary,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey};
use crate::offer_id::OfferId;
use crate::offers::{quote, search_activities, search_flights, search_hotels};
use crate::reservations::ReserveCommand;
use crate::simulator::Simulator;

pub fn routes() -> Router<Simulator> {
    Router::new()
        .route("/suppliers/{supplier}/flights", get(flights))
        .route("/suppliers/{supplier}/hotels", get(hotels))
        .route("/suppliers/{supplier}/activities", get(activities))
        .route("/suppliers/{supplier}/reservations", post(reserve))
        .route("/suppliers/{supplier}/reservations/{id}", get(reservation))
        .route(
            "/suppliers/{supplier}/reservations/{id}/confirm",
            post(confirm),
        )
        .route(
            "/suppliers/{supplier}/reservations/{id}/cancel",
            post(cancel),
        )
}

#[derive(Debug, Deserialize)]
struct ReservationPath {
    supplier: String,
    id: String,
}

pub async fn list(State(simulator): State<Simulator>) -> Json<SupplierList> {
    let suppliers = simulator
        .config()
        .suppliers
        .iter()
        .map(|supplier| SupplierSummary {
            name: supplier.name.clone(),
            currency: supplier.currency,
        })
        .collect();
    Json(SupplierList { suppliers })
}

async fn flights(
    State(simulator): State<Simulator>,
    Path(supplier): Path<String>,
    ApiQuery(query): ApiQuery<FlightSearch>,
) -> Result<Json<Offers<FlightOffer>>, ApiError> {
    let context = simulator.supplier_context(&supplier)?;
    let now = Utc::now();
    let mut bookings = simulator.bookings();
    bookings.expire_holds(now);
    let offers = search_flights(context, &query, now, bookings.inventory())?;
    Ok(Json(Offers { offers }))
}

async fn hotels(
    State(simulator): State<Simulator>,
    Path(supplier): Path<String>,
    ApiQuery(query): ApiQuery<HotelSearch>,
) -> Result<Json<Offers<HotelOffer>>, ApiError> {
    let context = simulator.supplier_context(&supplier)?;
    let now = Utc::now();
    let mut bookings = simulator.bookings();
    bookings.expire_holds(now);
    let offers = search_hotels(context, &query, now, bookings.inventory())?;
    Ok(Json(Offers { offers }))
}

async fn activities(
    State(simulator): State<Simulator>,
    Path(supplier): Path<String>,
    ApiQuery(query): ApiQuery<ActivitySearch>,
) -> Result<Json<Offers<ActivityOffer>>, ApiError> {
    let context = simulator.supplier_context(&supplier)?;
    let now = Utc::now();
    let mut bookings = simulator.bookings();
    bookings.expire_holds(now);
    let offers = search_activities(context, &query, now, bookings.inventory())?;
    Ok(Json(Offers { offers }))
}

/// 201 with a new hold, or 200 with the hold an earlier identical request created.
#[tracing::instrument(skip_all, fields(supplier = %supplier))]
async fn reserve(
    State(simulator): State<Simulator>,
    Path(supplier): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(request): ApiJson<ReserveRequest>,
) -> Result<(StatusCode, Json<Reservation>), ApiError> {
    let context = simulator.supplier_context(&supplier)?;
    let now = Utc::now();
    let quote = OfferId::decode(&request.offer_id)
        .map_err(|_| ApiError::UnknownOffer)
        .and_then(|offer| quote(context, &offer, now));
    let hold_ttl = simulator.hold_ttl();
    let reserved = simulator.bookings().reserve(ReserveCommand {
        supplier: &supplier,
        idempotency_key: &key,
        request: &request,
        quote,
        hold_ttl,
        now,
    })?;
    let status = if reserved.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(reserved.reservation)))
}

async fn reservation(
    State(simulator): State<Simulator>,
    Path(path): Path<ReservationPath>,
) -> Result<Json<Reservation>, ApiError> {
    simulator.supplier_context(&path.supplier)?;
    let mut bookings = simulator.bookings();
    bookings.expire_holds(Utc::now());
    Ok(Json(bookings.get(&path.supplier, &path.id)?))
}

#[tracing::instrument(skip_all, fields(supplier = %path.supplier, reservation_id = %path.id))]
async fn confirm(
    State(simulator): State<Simulator>,
    Path(path): Path<ReservationPath>,
    IdempotencyKey(key): IdempotencyKey,
) -> Result<Json<Reservation>, ApiError> {
    simulator.supplier_context(&path.supplier)?;
    let reservation = simulator
        .bookings()
        .confirm(&path.supplier, &path.id, &key, Utc::now())?;
    Ok(Json(reservation))
}

#[tracing::instrument(skip_all, fields(supplier = %path.supplier, reservation_id = %path.id))]
async fn cancel(
    State(simulator): State<Simulator>,
    Path(path): Path<ReservationPath>,
) -> Result<Json<Reservation>, ApiError> {
    simulator.supplier_context(&path.supplier)?;
    let reservation = simulator
        .bookings()
        .cancel(&path.supplier, &path.id, Utc::now())?;
    Ok(Json(reservation))
}
