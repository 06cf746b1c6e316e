//! Input types and their conversion into domain commands' input.

use async_graphql::{InputObject, MaybeUndefined};
use chrono::{DateTime, NaiveDate, Utc};
use wayfarer_domain::itinerary::{ItemPatch, ItineraryPatch, NewItemDetails, NewItineraryDetails};
use wayfarer_domain::{LocationInput as DomainLocation, MoneyInput as DomainMoney};

use super::types::{Category, Visibility};

#[derive(InputObject)]
pub struct CreateItineraryInput {
    pub title: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    #[graphql(default_with = "Visibility::Private")]
    pub visibility: Visibility,
    /// ISO 4217 code, e.g. "EUR".
    pub base_currency: String,
}

impl From<CreateItineraryInput> for NewItineraryDetails {
    fn from(input: CreateItineraryInput) -> Self {
        Self {
            title: input.title,
            start_date: input.start_date,
            end_date: input.end_date,
            visibility: input.visibility.into(),
            base_currency: input.base_currency,
        }
    }
}

/// Only the fields given change.
#[derive(InputObject, Default)]
pub struct UpdateItineraryInput {
    pub title: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub visibility: Option<Visibility>,
    pub base_currency: Option<String>,
}

impl From<UpdateItineraryInput> for ItineraryPatch {
    fn from(input: UpdateItineraryInput) -> Self {
        Self {
            title: input.title,
            start_date: input.start_date,
            end_date: input.end_date,
            visibility: input.visibility.map(Into::into),
            base_currency: input.base_currency,
        }
    }
}

#[derive(InputObject, Clone)]
pub struct LocationInput {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

impl From<LocationInput> for DomainLocation {
    fn from(input: LocationInput) -> Self {
        Self {
            name: input.name,
            lat: input.lat,
            lon: input.lon,
        }
    }
}

/// Money as integer minor units (cents) of an ISO 4217 currency.
#[derive(InputObject, Clone)]
pub struct MoneyInput {
    pub amount_minor: i64,
    pub currency: String,
}

impl From<MoneyInput> for DomainMoney {
    fn from(input: MoneyInput) -> Self {
        Self {
            amount_minor: input.amount_minor,
            currency: input.currency,
        }
    }
}

#[derive(InputObject)]
pub struct CreateItineraryItemInput {
    pub title: String,
    pub description: Option<String>,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub location: Option<LocationInput>,
    #[graphql(default_with = "Category::Other")]
    pub category: Category,
    pub estimated_cost: Option<MoneyInput>,
}

impl From<CreateItineraryItemInput> for NewItemDetails {
    fn from(input: CreateItineraryItemInput) -> Self {
        Self {
            title: input.title,
            description: input.description,
            start_time: input.start_time,
            end_time: input.end_time,
            location: input.location.map(Into::into),
            category: input.category.into(),
            estimated_cost: input.estimated_cost.map(Into::into),
        }
    }
}

/// Only the fields given change; `null` clears description, location or estimatedCost.
#[derive(InputObject)]
pub struct UpdateItineraryItemInput {
    pub title: Option<String>,
    pub description: MaybeUndefined<String>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub location: MaybeUndefined<LocationInput>,
    pub category: Option<Category>,
    pub estimated_cost: MaybeUndefined<MoneyInput>,
}

fn patch_of<T, U: From<T>>(value: MaybeUndefined<T>) -> Option<Option<U>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v.into())),
    }
}

impl From<UpdateItineraryItemInput> for ItemPatch {
    fn from(input: UpdateItineraryItemInput) -> Self {
        Self {
            title: input.title,
            description: patch_of::<String, String>(input.description),
            start_time: input.start_time,
            end_time: input.end_time,
            location: patch_of(input.location),
            category: input.category.map(Into::into),
            estimated_cost: patch_of(input.estimated_cost),
        }
    }
}

/// A geo filter: within `radiusKm` of a point.
#[derive(InputObject, Clone, Copy)]
pub struct NearInput {
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
}
