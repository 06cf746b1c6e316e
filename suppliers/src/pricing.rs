//! Price arithmetic: pure integer functions from a product's facts to minor units.
//!
//! Kept apart from the catalogue and the HTTP layer so the rules can be read and tested in
//! one place. All factors are per mille (1000 = ×1.0) and every multiplication rounds half
//! up to the minor unit, one factor at a time, in the order the functions list them. No
//! floating point touches money; the supplier's currency is attached by the caller (the
//! simulators do not convert currencies: a supplier's price factor already says how dear it
//! is).

use chrono::Weekday;

use crate::api::{ActivityCategory, RoomType};

/// Per-mille factors of a price's "hash jitter": a stable ±10 % per product and supplier.
pub const JITTER_MIN: u64 = 900;
pub const JITTER_MAX: u64 = 1100;

/// Flight fare per traveller before factors: a fixed part plus a part per great-circle km.
pub const FLIGHT_BASE_MINOR: i64 = 2_900;
pub const FLIGHT_PER_KM_MINOR: i64 = 7;
/// A standard room night in a city of the middle population tier, before factors.
pub const HOTEL_NIGHT_BASE_MINOR: i64 = 10_000;
pub const TOUR_BASE_MINOR: i64 = 4_500;
pub const TICKET_BASE_MINOR: i64 = 2_800;

/// `amount × per_mille / 1000`, rounded half up to the minor unit (amounts are never
/// negative here).
pub fn apply_per_mille(amount_minor: i64, per_mille: u32) -> i64 {
    debug_assert!(amount_minor >= 0, "prices are never negative");
    let scaled = i128::from(amount_minor) * i128::from(per_mille) + 500;
    i64::try_from(scaled / 1000).unwrap_or(i64::MAX)
}

/// Booking late costs more: per-mille factor by days between today and departure.
pub fn demand_by_days_ahead(days_ahead: i64) -> u32 {
    match days_ahead {
        ..=6 => 1450,
        7..=20 => 1200,
        21..=59 => 1000,
        _ => 900,
    }
}

/// Fridays and Sundays are the busiest days to fly, Saturdays the quietest.
pub fn demand_by_weekday(weekday: Weekday) -> u32 {
    match weekday {
        Weekday::Fri | Weekday::Sun => 1150,
        Weekday::Sat => 950,
        _ => 1000,
    }
}

/// Everything a flight fare depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlightFareInputs {
    pub distance_km: u32,
    pub supplier_factor: u32,
    pub days_ahead: i64,
    pub weekday: Weekday,
    pub jitter: u32,
}

/// Fare per traveller: (base + km) × supplier × days-ahead demand × weekday demand × jitter.
pub fn flight_fare_per_traveller(inputs: FlightFareInputs) -> i64 {
    let base = FLIGHT_BASE_MINOR + i64::from(inputs.distance_km) * FLIGHT_PER_KM_MINOR;
    [
        inputs.supplier_factor,
        demand_by_days_ahead(inputs.days_ahead),
        demand_by_weekday(inputs.weekday),
        inputs.jitter,
    ]
    .into_iter()
    .fold(base, apply_per_mille)
}

/// Bigger cities cost more to stay and play in.
pub fn population_tier(population: u64) -> u32 {
    match population {
        10_000_000.. => 1300,
        5_000_000.. => 1150,
        2_000_000.. => 1000,
        _ => 900,
    }
}

pub fn room_type_factor(room_type: RoomType) -> u32 {
    match room_type {
        RoomType::Standard => 1000,
        RoomType::Deluxe => 1500,
        RoomType::Suite => 2400,
    }
}

/// Nightly rate: base × population tier × room type × supplier × jitter. The rate is the
/// same every night of a stay.
pub fn hotel_nightly_rate(
    population: u64,
    room_type: RoomType,
    supplier_factor: u32,
    jitter: u32,
) -> i64 {
    [
        population_tier(population),
        room_type_factor(room_type),
        supplier_factor,
        jitter,
    ]
    .into_iter()
    .fold(HOTEL_NIGHT_BASE_MINOR, apply_per_mille)
}

/// Price per participant: category base × population tier × supplier × jitter.
pub fn activity_price_per_participant(
    population: u64,
    category: ActivityCategory,
    supplier_factor: u32,
    jitter: u32,
) -> i64 {
    let base = match category {
        ActivityCategory::Tour => TOUR_BASE_MINOR,
        ActivityCategory::Ticket => TICKET_BASE_MINOR,
    };
    [population_tier(population), supplier_factor, jitter]
        .into_iter()
        .fold(base, apply_per_mille)
}

/// What a late cancellation gives back: `percent` of what was paid, rounded down to the
/// minor unit (the supplier keeps the odd fraction, as suppliers do).
pub fn late_cancellation_refund(paid_minor: i64, percent: u8) -> i64 {
    debug_assert!(percent <= 100);
    paid_minor * i64::from(percent.min(100)) / 100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_mille_factors_round_half_up_to_the_minor_unit() {
        assert_eq!(apply_per_mille(1000, 1150), 1150);
        assert_eq!(apply_per_mille(1, 1500), 2, "1.5 rounds up");
        assert_eq!(apply_per_mille(1, 1499), 1, "1.499 rounds down");
        assert_eq!(apply_per_mille(333, 1000), 333, "1.0 changes nothing");
        assert_eq!(apply_per_mille(0, 2400), 0);
    }

    #[test]
    fn a_flight_fare_applies_each_factor_in_turn() {
        let inputs = FlightFareInputs {
            distance_km: 1000,
            supplier_factor: 1150,
            days_ahead: 30,
            weekday: Weekday::Wed,
            jitter: 1000,
        };
        // (2900 + 7000) × 1.15 = 11385; demand and weekday 1.0; jitter 1.0.
        assert_eq!(flight_fare_per_traveller(inputs), 11_385);
        let friday_next_week = FlightFareInputs {
            days_ahead: 3,
            weekday: Weekday::Fri,
            ..inputs
        };
        // 11385 × 1.45 = 16508.25 → 16508; × 1.15 = 18984.2 → 18984.
        assert_eq!(flight_fare_per_traveller(friday_next_week), 18_984);
    }

    #[test]
    fn booking_earlier_is_never_dearer() {
        let mut previous = i64::MAX;
        for days_ahead in 0..400 {
            let fare = flight_fare_per_traveller(FlightFareInputs {
                distance_km: 2500,
                supplier_factor: 1000,
                days_ahead,
                weekday: Weekday::Tue,
                jitter: 1000,
            });
            assert!(fare <= previous, "day {days_ahead}: {fare} > {previous}");
            previous = fare;
        }
    }

    #[test]
    fn a_cheaper_supplier_factor_gives_a_lower_fare() {
        let fare = |supplier_factor| {
            flight_fare_per_traveller(FlightFareInputs {
                distance_km: 5570,
                supplier_factor,
                days_ahead: 45,
                weekday: Weekday::Mon,
                jitter: 1000,
            })
        };
        assert!(fare(850) < fare(1000));
        assert!(fare(1000) < fare(1150));
    }

    #[test]
    fn hotel_rates_grow_with_city_size_and_room_type() {
        assert_eq!(
            hotel_nightly_rate(3_000_000, RoomType::Standard, 1000, 1000),
            10_000
        );
        // 10000 × 1.3 × 2.4 × 0.85 × 1.1 = 29172.
        assert_eq!(
            hotel_nightly_rate(20_000_000, RoomType::Suite, 850, 1100),
            29_172
        );
        assert!(
            hotel_nightly_rate(1_000_000, RoomType::Deluxe, 1000, 1000)
                < hotel_nightly_rate(6_000_000, RoomType::Deluxe, 1000, 1000)
        );
    }

    #[test]
    fn activity_prices_depend_on_category_and_city_tier() {
        assert_eq!(
            activity_price_per_participant(2_500_000, ActivityCategory::Tour, 1000, 1000),
            4_500
        );
        // 2800 × 0.9 = 2520; × 1.15 = 2898; × 0.9 = 2608.2 → 2608.
        assert_eq!(
            activity_price_per_participant(1_500_000, ActivityCategory::Ticket, 1150, 900),
            2_608
        );
    }

    #[test]
    fn a_late_cancellation_refund_rounds_down_to_the_minor_unit() {
        assert_eq!(late_cancellation_refund(10_001, 50), 5_000);
        assert_eq!(late_cancellation_refund(999, 25), 249);
        assert_eq!(late_cancellation_refund(12_345, 0), 0);
        assert_eq!(late_cancellation_refund(12_345, 100), 12_345);
    }
}
