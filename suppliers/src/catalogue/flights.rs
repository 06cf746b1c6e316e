//! The flight schedule: a few flights a day on every route between two known airports.
//!
//! A route's schedule is the same every day (as airline schedules mostly are): departure
//! times, carrier and flight number come from a hash of the route and the slot. Durations
//! come from the great-circle distance at about 800 km/h plus 30 minutes of taxiing, climb
//! and approach, so a long route is a long flight.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use geo::{Distance, Haversine, Point};

use super::{local_to_utc, utc_to_local};
use crate::data::Airport;
use crate::hashing::StableHash;

/// Flights per route and day, numbered 0 (morning) to 2 (evening).
pub const FLIGHTS_PER_DAY: u8 = 3;
/// First hour of each slot's departure window (local time); the minute is picked by hash.
const SLOT_HOURS: [u32; FLIGHTS_PER_DAY as usize] = [7, 13, 19];
/// Cruise speed of the duration estimate.
pub const CRUISE_KM_PER_HOUR: u32 = 800;
/// Time on the ground and in climb and approach added to every flight.
pub const OVERHEAD_MINUTES: u32 = 30;

/// An invented airline (the simulators must not pretend real airlines sell these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Carrier {
    pub code: &'static str,
    pub name: &'static str,
}

const CARRIERS: [Carrier; 6] = [
    Carrier {
        code: "W3",
        name: "Wayfarer Atlantic",
    },
    Carrier {
        code: "Q9",
        name: "Northwind Airways",
    },
    Carrier {
        code: "Z4",
        name: "Meridian Air",
    },
    Carrier {
        code: "J8",
        name: "Azure Crescent",
    },
    Carrier {
        code: "K2",
        name: "Polaris Airlines",
    },
    Carrier {
        code: "V5",
        name: "Sundial Air",
    },
];

/// One flight on one date.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledFlight {
    pub slot: u8,
    pub carrier: Carrier,
    pub flight_number: String,
    pub departure_local: NaiveDateTime,
    pub arrival_local: NaiveDateTime,
    pub departure_at: DateTime<Utc>,
    pub arrival_at: DateTime<Utc>,
    pub duration_minutes: u32,
    pub distance_km: u32,
}

/// Great-circle (Haversine) distance, rounded to the kilometre.
pub fn great_circle_km(from: &Airport, to: &Airport) -> u32 {
    let origin = Point::new(from.longitude, from.latitude);
    let destination = Point::new(to.longitude, to.latitude);
    let metres = Haversine.distance(origin, destination);
    (metres / 1000.0).round() as u32
}

/// Block time: distance at cruise speed, rounded to the minute, plus the overhead.
pub fn flight_duration_minutes(distance_km: u32) -> u32 {
    (distance_km * 60 + CRUISE_KM_PER_HOUR / 2) / CRUISE_KM_PER_HOUR + OVERHEAD_MINUTES
}

/// The flight of `slot` on `date` (a local date at the origin), or `None` past the last slot.
pub fn scheduled_flight(
    origin: &Airport,
    destination: &Airport,
    date: NaiveDate,
    slot: u8,
) -> Option<ScheduledFlight> {
    let slot_hour = *SLOT_HOURS.get(usize::from(slot))?;
    let route = StableHash::new("flight-schedule")
        .str(&origin.iata)
        .str(&destination.iata)
        .u64(u64::from(slot));
    let minute = route.clone().str("minute").pick(0, 11) as u32 * 5;
    let carrier = CARRIERS[route
        .clone()
        .str("carrier")
        .pick(0, CARRIERS.len() as u64 - 1) as usize];
    let number = route.str("number").pick(100, 999);

    let distance_km = great_circle_km(origin, destination);
    let duration_minutes = flight_duration_minutes(distance_km);
    let departure_local = date.and_time(NaiveTime::from_hms_opt(slot_hour, minute, 0)?);
    let departure_at = local_to_utc(origin.timezone, departure_local);
    let arrival_at = departure_at + TimeDelta::minutes(i64::from(duration_minutes));
    Some(ScheduledFlight {
        slot,
        carrier,
        flight_number: format!("{}{number}", carrier.code),
        departure_local: utc_to_local(origin.timezone, departure_at),
        arrival_local: utc_to_local(destination.timezone, arrival_at),
        departure_at,
        arrival_at,
        duration_minutes,
        distance_km,
    })
}

/// Every flight of the day, earliest first.
pub fn flights_on(
    origin: &Airport,
    destination: &Airport,
    date: NaiveDate,
) -> Vec<ScheduledFlight> {
    (0..FLIGHTS_PER_DAY)
        .filter_map(|slot| scheduled_flight(origin, destination, date, slot))
        .collect()
}

/// Seats a supplier has on a flight (2 to 9: small, so selling out is easy to observe).
pub fn seat_capacity(
    seed: u64,
    supplier: &str,
    origin: &str,
    destination: &str,
    date: NaiveDate,
    slot: u8,
) -> u32 {
    StableHash::new("flight-seats")
        .u64(seed)
        .str(supplier)
        .str(origin)
        .str(destination)
        .date(date)
        .u64(u64::from(slot))
        .pick(2, 9) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ReferenceData;

    #[test]
    fn durations_follow_distance_at_cruise_speed_plus_overhead() {
        assert_eq!(flight_duration_minutes(0), 30);
        assert_eq!(flight_duration_minutes(800), 90);
        assert_eq!(flight_duration_minutes(5570), 448);
    }

    #[test]
    fn london_to_new_york_is_about_5500_km_and_lands_later_local_time() {
        let data = ReferenceData::bundled();
        let (lhr, jfk) = (data.airport("LHR").unwrap(), data.airport("JFK").unwrap());
        let distance = great_circle_km(lhr, jfk);
        assert!((5500..5600).contains(&distance), "{distance} km");
        let date = NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
        for flight in flights_on(lhr, jfk, date) {
            assert_eq!(flight.departure_local.date(), date);
            assert_eq!(
                (flight.arrival_at - flight.departure_at).num_minutes(),
                i64::from(flight.duration_minutes)
            );
            // New York is five hours behind London in December.
            let local_gap = flight.arrival_local - flight.departure_local;
            assert_eq!(
                local_gap.num_minutes(),
                i64::from(flight.duration_minutes) - 300
            );
        }
    }

    #[test]
    fn a_route_has_the_same_schedule_every_day_and_no_slot_past_the_last() {
        let data = ReferenceData::bundled();
        let (cdg, mad) = (data.airport("CDG").unwrap(), data.airport("MAD").unwrap());
        let monday = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let tuesday = monday.succ_opt().unwrap();
        let first = flights_on(cdg, mad, monday);
        let second = flights_on(cdg, mad, tuesday);
        assert_eq!(first.len(), usize::from(FLIGHTS_PER_DAY));
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(a.flight_number, b.flight_number);
            assert_eq!(a.departure_local.time(), b.departure_local.time());
        }
        assert!(scheduled_flight(cdg, mad, monday, FLIGHTS_PER_DAY).is_none());
    }
}
