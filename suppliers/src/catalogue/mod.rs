//! What exists to be sold: flight schedules, hotels and activities, derived from the reference
//! data alone.
//!
//! The catalogue is the same for every supplier and every seed, so the same flight or hotel
//! can be compared across suppliers and an offer id stays meaningful after a restart. What
//! differs per supplier and seed (price, seats, rooms, places) is decided in
//! [`crate::offers`] and [`crate::inventory`].

pub mod activities;
pub mod flights;
pub mod hotels;

use chrono::{DateTime, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// The instant a wall-clock time names in a zone. In a daylight-saving gap (a time that
/// does not exist) the clocks' jump is skipped forward; an ambiguous time takes the earlier
/// instant.
pub fn local_to_utc(timezone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut candidate = local;
    // Gaps are at most a few hours; step forward until the time exists.
    for _ in 0..24 {
        if let Some(instant) = timezone.from_local_datetime(&candidate).earliest() {
            return instant.with_timezone(&Utc);
        }
        candidate += TimeDelta::minutes(30);
    }
    Utc.from_utc_datetime(&local)
}

/// The wall-clock time an instant shows in a zone.
pub fn utc_to_local(timezone: Tz, instant: DateTime<Utc>) -> NaiveDateTime {
    instant.with_timezone(&timezone).naive_local()
}

/// WGS 84 decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

/// A point a small, stable distance from a city centre (within about 3 km), for places
/// that need coordinates of their own.
pub fn near(centre: Coordinates, hash: u64) -> Coordinates {
    let north = ((hash % 601) as f64 - 300.0) / 10_000.0;
    let east = (((hash / 601) % 601) as f64 - 300.0) / 10_000.0;
    Coordinates {
        latitude: round6(centre.latitude + north),
        longitude: round6(centre.longitude + east),
    }
}

fn round6(degrees: f64) -> f64 {
    (degrees * 1_000_000.0).round() / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn local_times_convert_with_the_zone_offset_of_that_date() {
        let winter = local_to_utc(chrono_tz::Europe::London, at(2026, 1, 10, 9, 0));
        let summer = local_to_utc(chrono_tz::Europe::London, at(2026, 7, 10, 9, 0));
        assert_eq!(winter.naive_utc(), at(2026, 1, 10, 9, 0));
        assert_eq!(summer.naive_utc(), at(2026, 7, 10, 8, 0));
    }

    #[test]
    fn a_time_in_a_daylight_saving_gap_moves_forward() {
        // Clocks in London jump from 01:00 to 02:00 on 2026-03-29.
        let instant = local_to_utc(chrono_tz::Europe::London, at(2026, 3, 29, 1, 30));
        assert_eq!(instant.naive_utc(), at(2026, 3, 29, 1, 0));
    }
}
