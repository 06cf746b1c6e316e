//! Search queries and the offers they return.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Money;

fn one() -> u8 {
    1
}

fn two() -> u8 {
    2
}

/// The answer of every search: the offers, best first by departure or name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Offers<T> {
    pub offers: Vec<T>,
}

/// Query of `GET /suppliers/{s}/flights`: IATA codes, the departure date (in the origin's
/// local time) and the party size (1 to 9, default 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlightSearch {
    pub from: String,
    pub to: String,
    pub date: NaiveDate,
    #[serde(default = "one")]
    pub travellers: u8,
}

/// An airport as offers show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AirportInfo {
    pub iata: String,
    pub name: String,
    pub city: String,
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
    /// IANA time zone, e.g. `Europe/London`.
    pub timezone: String,
}

/// One flight a supplier sells for the searched party. `price` is for the whole party.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlightOffer {
    pub offer_id: String,
    pub supplier: String,
    pub carrier: String,
    pub flight_number: String,
    pub origin: AirportInfo,
    pub destination: AirportInfo,
    /// Wall-clock time at the origin airport.
    pub departure_local: NaiveDateTime,
    /// Wall-clock time at the destination airport.
    pub arrival_local: NaiveDateTime,
    pub departure_at: DateTime<Utc>,
    pub arrival_at: DateTime<Utc>,
    pub duration_minutes: u32,
    pub distance_km: u32,
    pub travellers: u8,
    pub price_per_traveller: Money,
    pub price: Money,
    pub seats_left: u32,
}

/// Query of `GET /suppliers/{s}/hotels`: a GeoNames city id, the stay, and the guests in one
/// room (1 to 4, default 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HotelSearch {
    pub city: u32,
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
    #[serde(default = "two")]
    pub guests: u8,
}

/// A city as offers show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CityRef {
    pub geonameid: u32,
    pub name: String,
    pub country: String,
}

/// Room categories, each with its own price factor and occupancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoomType {
    Standard,
    Deluxe,
    Suite,
}

impl RoomType {
    pub const ALL: [RoomType; 3] = [RoomType::Standard, RoomType::Deluxe, RoomType::Suite];

    pub fn as_str(self) -> &'static str {
        match self {
            RoomType::Standard => "STANDARD",
            RoomType::Deluxe => "DELUXE",
            RoomType::Suite => "SUITE",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|room| room.as_str() == text)
    }
}

/// One room for the whole stay. `roomsLeft` is the fewest rooms free on any night.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HotelOffer {
    pub offer_id: String,
    pub supplier: String,
    pub hotel_id: String,
    pub hotel_name: String,
    pub city: CityRef,
    pub latitude: f64,
    pub longitude: f64,
    pub room_type: RoomType,
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
    pub nights: u32,
    pub guests: u8,
    pub nightly_price: Money,
    pub total_price: Money,
    pub rooms_left: u32,
}

/// Query of `GET /suppliers/{s}/activities`: a GeoNames city id, the local date and the party
/// size (1 to 9, default 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivitySearch {
    pub city: u32,
    pub date: NaiveDate,
    #[serde(default = "one")]
    pub participants: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActivityCategory {
    Tour,
    Ticket,
}

/// One time slot of an activity for the searched party. `price` is for the whole party.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityOffer {
    pub offer_id: String,
    pub supplier: String,
    pub activity_id: String,
    pub title: String,
    pub category: ActivityCategory,
    pub city: CityRef,
    pub latitude: f64,
    pub longitude: f64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub starts_local: NaiveDateTime,
    pub ends_local: NaiveDateTime,
    pub participants: u8,
    pub price_per_participant: Money,
    pub price: Money,
    pub capacity_left: u32,
}
