//! What a supplier sells, at what price, with how much left: searches, and the quote that
//! reserving an offer re-derives from its id.
//!
//! Search and reserve share one function per product ("terms") that prices a product and
//! names the inventory it takes, so an offer's price is by construction what reserving it
//! charges. Prices are computed as of the day the offer was quoted (carried in the id), so
//! an offer keeps its price until the end of the next UTC day, then expires.

mod activities;
mod flights;
mod hotels;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use crate::api::{CancellationPolicy, CityRef, Money, OfferSummary, ProductKind};
use crate::config::SupplierProfile;
use crate::data::{City, ReferenceData};
use crate::error::ApiError;
use crate::inventory::Claim;
use crate::offer_id::{OfferId, OfferProduct};

pub use activities::search_activities;
pub use flights::search_flights;
pub use hotels::search_hotels;

/// Largest party one flight or activity offer is for.
pub const MAX_PARTY: u8 = 9;
/// Furthest ahead a date can be searched.
pub const MAX_DAYS_AHEAD: i64 = 365;
/// Days after the quote day on which an offer can still be reserved at its price.
pub const QUOTE_VALID_DAYS: i64 = 1;

/// The supplier a request is about, with what pricing needs to know.
#[derive(Debug, Clone, Copy)]
pub struct SupplierContext<'a> {
    pub reference: &'static ReferenceData,
    pub seed: u64,
    pub supplier: &'a SupplierProfile,
}

impl SupplierContext<'_> {
    fn money(&self, amount_minor: i64) -> Money {
        Money::new(amount_minor, self.supplier.currency)
    }

    fn offer_id(&self, product: OfferProduct, quoted_on: NaiveDate) -> String {
        OfferId {
            supplier: self.supplier.name.clone(),
            product,
            quoted_on,
        }
        .encode()
    }
}

/// Everything reserving an offer needs: what it costs, for how many, what it takes from the
/// inventory and how cancelling it is refunded.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    pub kind: ProductKind,
    pub price: Money,
    /// What it is, when and where, for the reservation.
    pub summary: OfferSummary,
    pub party_size: u8,
    pub claims: Vec<Claim>,
    pub policy: CancellationPolicy,
}

/// Re-derives an offer from its id, as of `now`.
pub fn quote(
    context: SupplierContext<'_>,
    offer: &OfferId,
    now: DateTime<Utc>,
) -> Result<Quote, ApiError> {
    if offer.supplier != context.supplier.name {
        return Err(ApiError::UnknownOffer);
    }
    let today = now.date_naive();
    if offer.quoted_on > today {
        return Err(ApiError::UnknownOffer);
    }
    if today - offer.quoted_on > TimeDelta::days(QUOTE_VALID_DAYS) {
        return Err(ApiError::OfferExpired);
    }
    match &offer.product {
        OfferProduct::Flight { .. } => flights::quote(context, offer, now),
        OfferProduct::Hotel { .. } => hotels::quote(context, offer, now),
        OfferProduct::Activity { .. } => activities::quote(context, offer, now),
    }
}

fn check_party(size: u8, what: &str, max: u8) -> Result<(), ApiError> {
    if (1..=max).contains(&size) {
        Ok(())
    } else {
        Err(ApiError::InvalidRequest(format!(
            "{what} must be between 1 and {max}"
        )))
    }
}

fn check_travel_date(date: NaiveDate, today: NaiveDate) -> Result<(), ApiError> {
    if date < today {
        return Err(ApiError::InvalidDate(format!("{date} is in the past")));
    }
    if date - today > TimeDelta::days(MAX_DAYS_AHEAD) {
        return Err(ApiError::InvalidDate(format!(
            "{date} is more than {MAX_DAYS_AHEAD} days ahead"
        )));
    }
    Ok(())
}

fn city(context: &SupplierContext<'_>, geonameid: u32) -> Result<&'static City, ApiError> {
    context
        .reference
        .city(geonameid)
        .ok_or(ApiError::UnknownCity(geonameid))
}

fn city_ref(city: &City) -> CityRef {
    CityRef {
        geonameid: city.geonameid,
        name: city.name.clone(),
        country: city.country.clone(),
    }
}

/// Free cancellation until `hours` before `starts_at`, then `percent` back.
fn policy(starts_at: DateTime<Utc>, hours: i64, percent: u8) -> CancellationPolicy {
    CancellationPolicy {
        free_cancellation_until: starts_at - TimeDelta::hours(hours),
        refund_percent_after: percent,
    }
}
