//! Hotels: a few in every known city, each with standard rooms, deluxe rooms and suites.
//!
//! A hotel's id is `<geonameid>-<n>`, so it names its city and can be looked up without a
//! table. Names and positions are picked by hash: invented, but stable.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::{local_to_utc, near, Coordinates};
use crate::api::RoomType;
use crate::data::{City, ReferenceData};
use crate::hashing::StableHash;

pub const HOTELS_PER_CITY: u32 = 4;
/// Local time at which rooms are handed over; cancellation deadlines count back from it.
pub const CHECK_IN_HOUR: u32 = 15;
/// Longest stay one offer covers.
pub const MAX_NIGHTS: u32 = 30;

const NAME_PATTERNS: [&str; 8] = [
    "Grand {city} Palace",
    "{city} Central Inn",
    "The {city} Riverside",
    "Hotel {city} Plaza",
    "{city} Garden Suites",
    "Old Town {city} Lodge",
    "{city} Harbour View",
    "Skyline {city} Residence",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Hotel<'a> {
    pub id: String,
    pub name: String,
    pub city: &'a City,
    pub location: Coordinates,
}

/// The city's hotels, in id order.
pub fn hotels_in(city: &City) -> Vec<Hotel<'_>> {
    (1..=HOTELS_PER_CITY)
        .map(|number| hotel(city, number))
        .collect()
}

/// The hotel an id names, if the city and number exist.
pub fn hotel_by_id<'a>(reference: &'a ReferenceData, hotel_id: &str) -> Option<Hotel<'a>> {
    let (geonameid, number) = hotel_id.split_once('-')?;
    let city = reference.city(geonameid.parse().ok()?)?;
    let number: u32 = number.parse().ok()?;
    let hotel = hotel(city, number);
    ((1..=HOTELS_PER_CITY).contains(&number) && hotel.id == hotel_id).then_some(hotel)
}

fn hotel(city: &City, number: u32) -> Hotel<'_> {
    let id = format!("{}-{number}", city.geonameid);
    let first_pattern = StableHash::new("hotel-names")
        .u64(u64::from(city.geonameid))
        .pick(0, NAME_PATTERNS.len() as u64 - 1) as usize;
    // Consecutive patterns, so a city's hotels never share a name.
    let pattern = NAME_PATTERNS[(first_pattern + number as usize) % NAME_PATTERNS.len()];
    let place = StableHash::new("hotel-place").str(&id).finish();
    let centre = Coordinates {
        latitude: city.latitude,
        longitude: city.longitude,
    };
    Hotel {
        name: pattern.replace("{city}", &city.name),
        location: near(centre, place),
        city,
        id,
    }
}

/// Most guests one room of a type sleeps.
pub fn max_guests(room_type: RoomType) -> u8 {
    match room_type {
        RoomType::Standard => 2,
        RoomType::Deluxe => 3,
        RoomType::Suite => 4,
    }
}

/// Rooms of a type a supplier has in a hotel on one night (few, and fewer of the dearer).
pub fn rooms_per_night(
    seed: u64,
    supplier: &str,
    hotel_id: &str,
    room_type: RoomType,
    night: NaiveDate,
) -> u32 {
    let (low, high) = match room_type {
        RoomType::Standard => (2, 6),
        RoomType::Deluxe => (1, 3),
        RoomType::Suite => (1, 2),
    };
    StableHash::new("hotel-rooms")
        .u64(seed)
        .str(supplier)
        .str(hotel_id)
        .str(room_type.as_str())
        .date(night)
        .pick(low, high) as u32
}

/// The instant a stay starts: check-in time on the arrival date, local to the city.
pub fn check_in_at(city: &City, check_in: NaiveDate) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(CHECK_IN_HOUR, 0, 0).unwrap_or(NaiveTime::MIN);
    local_to_utc(city.timezone, check_in.and_time(time))
}

/// The instant a stay ends: check-out time on the departure date, local to the city.
pub fn check_out_at(city: &City, check_out: NaiveDate) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(CHECK_OUT_HOUR, 0, 0).unwrap_or(NaiveTime::MIN);
    local_to_utc(city.timezone, check_out.and_time(time))
}

/// Rooms are left by 11:00 on the last day.
const CHECK_OUT_HOUR: u32 = 11;

#[cfg(test)]
mod tests {
    use super::*;

    const LONDON: u32 = 2643743;

    #[test]
    fn every_city_has_hotels_with_distinct_names_near_its_centre() {
        let data = ReferenceData::bundled();
        let london = data.city(LONDON).unwrap();
        let hotels = hotels_in(london);
        assert_eq!(hotels.len(), HOTELS_PER_CITY as usize);
        let mut names: Vec<_> = hotels.iter().map(|hotel| hotel.name.clone()).collect();
        names.dedup();
        assert_eq!(names.len(), hotels.len());
        for hotel in &hotels {
            assert!(hotel.name.contains("London"));
            assert!((hotel.location.latitude - london.latitude).abs() <= 0.031);
            assert!((hotel.location.longitude - london.longitude).abs() <= 0.031);
        }
    }

    #[test]
    fn a_hotel_id_names_its_city_and_is_looked_up_exactly() {
        let data = ReferenceData::bundled();
        let hotel = hotel_by_id(data, "2643743-2").expect("a London hotel");
        assert_eq!(hotel.city.geonameid, LONDON);
        assert!(hotel_by_id(data, "2643743-0").is_none());
        assert!(hotel_by_id(data, "2643743-5").is_none());
        assert!(
            hotel_by_id(data, "2643743-02").is_none(),
            "ids are canonical"
        );
        assert!(hotel_by_id(data, "1-1").is_none());
    }
}
