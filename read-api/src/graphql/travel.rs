//! Searching the travel suppliers (the seed's BookingService searches): flights, hotels and
//! activities from every supplier at once, cheapest first, each offer naming its supplier.
//! A supplier that is slow or failing is left out and the answer marked `partial`.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use wayfarer_domain::expenses::rates::EURO;
use wayfarer_suppliers::api::{self as wire, ActivitySearch, FlightSearch, HotelSearch};

use super::context::state;
use super::resolve::resolve;
use super::types::Money;
use crate::error::{ApiError, ApiResult};
use crate::travel_search::{self, Compared, Comparison, SupplierOutcome as Outcome};

fn money(money: &wire::Money) -> Money {
    Money {
        amount_minor: money.amount_minor,
        currency: money.currency.as_str().to_owned(),
    }
}

#[derive(SimpleObject)]
pub struct Airport {
    pub iata: String,
    pub name: String,
    pub city: String,
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
    /// IANA time zone of the airport.
    pub timezone: String,
}

impl From<wire::AirportInfo> for Airport {
    fn from(a: wire::AirportInfo) -> Self {
        Self {
            iata: a.iata,
            name: a.name,
            city: a.city,
            country: a.country,
            latitude: a.latitude,
            longitude: a.longitude,
            timezone: a.timezone,
        }
    }
}

#[derive(SimpleObject)]
pub struct OfferCity {
    /// The GeoNames id (what `searchHotels` and `searchActivities` take).
    pub id: u32,
    pub name: String,
    pub country: String,
}

impl From<wire::CityRef> for OfferCity {
    fn from(c: wire::CityRef) -> Self {
        Self {
            id: c.geonameid,
            name: c.name,
            country: c.country,
        }
    }
}

#[derive(SimpleObject)]
pub struct FlightOffer {
    /// What `bookFlight` takes.
    pub offer_id: String,
    pub supplier: String,
    pub carrier: String,
    pub flight_number: String,
    pub origin: Airport,
    pub destination: Airport,
    /// Wall-clock time at the origin (ISO 8601, no offset).
    pub departure_local: String,
    /// Wall-clock time at the destination.
    pub arrival_local: String,
    pub departure_at: DateTime<Utc>,
    pub arrival_at: DateTime<Utc>,
    pub duration_minutes: u32,
    pub distance_km: u32,
    pub travellers: u8,
    /// For the whole party, in the supplier's currency.
    pub price: Money,
    pub price_per_traveller: Money,
    /// The price in the search's comparison currency (`null` when it cannot be converted).
    pub comparable_price: Option<Money>,
    pub seats_left: u32,
}

#[derive(SimpleObject)]
pub struct HotelOffer {
    /// What `bookHotel` takes.
    pub offer_id: String,
    pub supplier: String,
    pub hotel_id: String,
    pub hotel_name: String,
    pub city: OfferCity,
    pub latitude: f64,
    pub longitude: f64,
    /// STANDARD, DELUXE or SUITE.
    pub room_type: String,
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
    pub nights: u32,
    pub guests: u8,
    pub nightly_price: Money,
    /// For the whole stay, in the supplier's currency.
    pub total_price: Money,
    pub comparable_price: Option<Money>,
    pub rooms_left: u32,
}

#[derive(SimpleObject)]
pub struct ActivityOffer {
    /// What `bookActivity` takes.
    pub offer_id: String,
    pub supplier: String,
    pub activity_id: String,
    pub title: String,
    /// TOUR or TICKET.
    pub category: String,
    pub city: OfferCity,
    pub latitude: f64,
    pub longitude: f64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub starts_local: String,
    pub ends_local: String,
    pub participants: u8,
    /// For the whole party, in the supplier's currency.
    pub price: Money,
    pub price_per_participant: Money,
    pub comparable_price: Option<Money>,
    pub capacity_left: u32,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SupplierOutcome {
    Answered,
    /// No answer within the supplier's timeout.
    TimedOut,
    /// Unreachable, in an outage or failing.
    Unavailable,
}

/// How one supplier answered a search.
#[derive(SimpleObject)]
pub struct SupplierAnswer {
    pub supplier: String,
    pub outcome: SupplierOutcome,
    pub offers: u32,
}

fn answers<T>(comparison: &Comparison<T>) -> Vec<SupplierAnswer> {
    comparison
        .suppliers
        .iter()
        .map(|answer| SupplierAnswer {
            supplier: answer.supplier.clone(),
            outcome: match answer.outcome {
                Outcome::Answered => SupplierOutcome::Answered,
                Outcome::TimedOut => SupplierOutcome::TimedOut,
                Outcome::Unavailable => SupplierOutcome::Unavailable,
            },
            offers: answer.offers as u32,
        })
        .collect()
}

#[derive(SimpleObject)]
pub struct FlightSearchResult {
    /// Cheapest first (by `comparablePrice`).
    pub offers: Vec<FlightOffer>,
    pub suppliers: Vec<SupplierAnswer>,
    /// Some supplier did not answer: there may be more offers.
    pub partial: bool,
    /// The currency `comparablePrice` is in.
    pub compared_in: String,
}

#[derive(SimpleObject)]
pub struct HotelSearchResult {
    pub offers: Vec<HotelOffer>,
    pub suppliers: Vec<SupplierAnswer>,
    pub partial: bool,
    pub compared_in: String,
}

#[derive(SimpleObject)]
pub struct ActivitySearchResult {
    pub offers: Vec<ActivityOffer>,
    pub suppliers: Vec<SupplierAnswer>,
    pub partial: bool,
    pub compared_in: String,
}

fn comparable(compared_minor: Option<i64>, currency: &str) -> Option<Money> {
    compared_minor.map(|amount_minor| Money {
        amount_minor,
        currency: currency.to_owned(),
    })
}

/// The comparison currency: an ISO 4217 code the rate table quotes (EUR by default).
async fn comparison_currency(
    ctx: &Context<'_>,
    currency: Option<String>,
) -> ApiResult<(
    String,
    std::sync::Arc<wayfarer_domain::expenses::rates::RateTable>,
)> {
    let currency = currency.unwrap_or_else(|| EURO.to_owned());
    let table = state(ctx).rates.table().await?;
    if currency != EURO && !table.quotes(&currency) {
        return Err(ApiError::Validation(format!(
            "no exchange rate for {currency}; see supportedCurrencies"
        )));
    }
    Ok((currency, table))
}

#[derive(Default)]
pub struct TravelQuery;

#[Object]
impl TravelQuery {
    /// Flights from `from` to `to` (IATA codes) departing on `date` (local at the origin)
    /// for `travellers` (1 to 9), from every supplier, cheapest first in `currency`.
    async fn search_flights(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
        date: NaiveDate,
        #[graphql(default = 1)] travellers: u8,
        currency: Option<String>,
    ) -> async_graphql::Result<FlightSearchResult> {
        resolve(async move {
            let api = state(ctx);
            let (currency, table) = comparison_currency(ctx, currency).await?;
            let search = FlightSearch {
                from: from.trim().to_uppercase(),
                to: to.trim().to_uppercase(),
                date,
                travellers,
            };
            let comparison = travel_search::compare(
                &api.settings.suppliers.names,
                |supplier| {
                    let search = search.clone();
                    async move { api.suppliers.search_flights(&supplier, &search).await }
                },
                |offer: &wire::FlightOffer| &offer.price,
                &table,
                &currency,
                Utc::now().date_naive(),
            )
            .await?;
            let suppliers = answers(&comparison);
            let offers = comparison
                .offers
                .into_iter()
                .map(
                    |Compared {
                         offer,
                         comparable_minor,
                     }| FlightOffer {
                        price: money(&offer.price),
                        price_per_traveller: money(&offer.price_per_traveller),
                        comparable_price: comparable(comparable_minor, &currency),
                        offer_id: offer.offer_id,
                        supplier: offer.supplier,
                        carrier: offer.carrier,
                        flight_number: offer.flight_number,
                        origin: offer.origin.into(),
                        destination: offer.destination.into(),
                        departure_local: offer.departure_local.to_string(),
                        arrival_local: offer.arrival_local.to_string(),
                        departure_at: offer.departure_at,
                        arrival_at: offer.arrival_at,
                        duration_minutes: offer.duration_minutes,
                        distance_km: offer.distance_km,
                        travellers: offer.travellers,
                        seats_left: offer.seats_left,
                    },
                )
                .collect();
            Ok(FlightSearchResult {
                offers,
                suppliers,
                partial: comparison.partial,
                compared_in: currency,
            })
        })
        .await
    }

    /// Hotel rooms in the city `cityId` (a GeoNames id) from `checkIn` to `checkOut` for
    /// `guests` (1 to 4), from every supplier, cheapest first in `currency`.
    async fn search_hotels(
        &self,
        ctx: &Context<'_>,
        city_id: u32,
        check_in: NaiveDate,
        check_out: NaiveDate,
        #[graphql(default = 2)] guests: u8,
        currency: Option<String>,
    ) -> async_graphql::Result<HotelSearchResult> {
        resolve(async move {
            let api = state(ctx);
            let (currency, table) = comparison_currency(ctx, currency).await?;
            let search = HotelSearch {
                city: city_id,
                check_in,
                check_out,
                guests,
            };
            let comparison = travel_search::compare(
                &api.settings.suppliers.names,
                |supplier| {
                    let search = search.clone();
                    async move { api.suppliers.search_hotels(&supplier, &search).await }
                },
                |offer: &wire::HotelOffer| &offer.total_price,
                &table,
                &currency,
                Utc::now().date_naive(),
            )
            .await?;
            let suppliers = answers(&comparison);
            let offers = comparison
                .offers
                .into_iter()
                .map(
                    |Compared {
                         offer,
                         comparable_minor,
                     }| HotelOffer {
                        nightly_price: money(&offer.nightly_price),
                        total_price: money(&offer.total_price),
                        comparable_price: comparable(comparable_minor, &currency),
                        offer_id: offer.offer_id,
                        supplier: offer.supplier,
                        hotel_id: offer.hotel_id,
                        hotel_name: offer.hotel_name,
                        city: offer.city.into(),
                        latitude: offer.latitude,
                        longitude: offer.longitude,
                        room_type: offer.room_type.as_str().to_owned(),
                        check_in: offer.check_in,
                        check_out: offer.check_out,
                        nights: offer.nights,
                        guests: offer.guests,
                        rooms_left: offer.rooms_left,
                    },
                )
                .collect();
            Ok(HotelSearchResult {
                offers,
                suppliers,
                partial: comparison.partial,
                compared_in: currency,
            })
        })
        .await
    }

    /// Tours and tickets in the city `cityId` (a GeoNames id) on `date` for `participants`
    /// (1 to 9), from every supplier, cheapest first in `currency`.
    async fn search_activities(
        &self,
        ctx: &Context<'_>,
        city_id: u32,
        date: NaiveDate,
        #[graphql(default = 1)] participants: u8,
        currency: Option<String>,
    ) -> async_graphql::Result<ActivitySearchResult> {
        resolve(async move {
            let api = state(ctx);
            let (currency, table) = comparison_currency(ctx, currency).await?;
            let search = ActivitySearch {
                city: city_id,
                date,
                participants,
            };
            let comparison = travel_search::compare(
                &api.settings.suppliers.names,
                |supplier| {
                    let search = search.clone();
                    async move { api.suppliers.search_activities(&supplier, &search).await }
                },
                |offer: &wire::ActivityOffer| &offer.price,
                &table,
                &currency,
                Utc::now().date_naive(),
            )
            .await?;
            let suppliers = answers(&comparison);
            let offers = comparison
                .offers
                .into_iter()
                .map(
                    |Compared {
                         offer,
                         comparable_minor,
                     }| ActivityOffer {
                        price: money(&offer.price),
                        price_per_participant: money(&offer.price_per_participant),
                        comparable_price: comparable(comparable_minor, &currency),
                        category: match offer.category {
                            wire::ActivityCategory::Tour => "TOUR".to_owned(),
                            wire::ActivityCategory::Ticket => "TICKET".to_owned(),
                        },
                        offer_id: offer.offer_id,
                        supplier: offer.supplier,
                        activity_id: offer.activity_id,
                        title: offer.title,
                        city: offer.city.into(),
                        latitude: offer.latitude,
                        longitude: offer.longitude,
                        starts_at: offer.starts_at,
                        ends_at: offer.ends_at,
                        starts_local: offer.starts_local.to_string(),
                        ends_local: offer.ends_local.to_string(),
                        participants: offer.participants,
                        capacity_left: offer.capacity_left,
                    },
                )
                .collect();
            Ok(ActivitySearchResult {
                offers,
                suppliers,
                partial: comparison.partial,
                compared_in: currency,
            })
        })
        .await
    }
}
