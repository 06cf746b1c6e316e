use chrono::{NaiveDate, TimeZone, Utc};

use super::*;

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("valid test date")
}

#[test]
fn a_title_is_trimmed() {
    assert_eq!(
        Title::parse("  Lisbon in spring \n").unwrap().as_str(),
        "Lisbon in spring"
    );
}

#[test]
fn an_empty_or_whitespace_only_title_is_rejected() {
    assert_eq!(Title::parse(""), Err(ValueError::InvalidTitle));
    assert_eq!(Title::parse("   "), Err(ValueError::InvalidTitle));
}

#[test]
fn a_title_of_120_characters_is_accepted_and_of_121_rejected() {
    assert!(Title::parse(&"a".repeat(120)).is_ok());
    assert_eq!(
        Title::parse(&"a".repeat(121)),
        Err(ValueError::InvalidTitle)
    );
}

#[test]
fn a_title_is_measured_in_characters_not_bytes() {
    let accented = "é".repeat(120);
    assert_eq!(accented.len(), 240);
    assert_eq!(Title::parse(&accented).unwrap().as_str(), accented);
}

#[test]
fn a_title_can_be_built_with_try_from_and_shown() {
    let title = Title::try_from(String::from(" Rome ")).unwrap();
    assert_eq!(title.to_string(), "Rome");
    assert_eq!(String::from(title), "Rome");
    assert_eq!(Title::try_from("  "), Err(ValueError::InvalidTitle));
}

#[test]
fn a_description_of_2000_characters_is_accepted_and_of_2001_rejected() {
    assert!(Description::parse(&"d".repeat(2000)).is_ok());
    assert_eq!(
        Description::parse(&"d".repeat(2001)),
        Err(ValueError::InvalidDescription)
    );
}

#[test]
fn a_blank_optional_description_means_no_description() {
    assert_eq!(Description::parse_optional(None), Ok(None));
    assert_eq!(Description::parse_optional(Some("   ")), Ok(None));
    let parsed = Description::parse_optional(Some(" by the river ")).unwrap();
    assert_eq!(parsed.unwrap().as_str(), "by the river");
}

#[test]
fn a_three_letter_upper_case_currency_is_accepted() {
    assert_eq!(CurrencyCode::parse("EUR").unwrap().as_str(), "EUR");
}

#[test]
fn a_currency_that_is_not_three_upper_case_ascii_letters_is_rejected() {
    for input in ["eur", "Eur", "EU", "EURO", "E1R", "ÉUR", " EUR", ""] {
        assert_eq!(
            CurrencyCode::parse(input),
            Err(ValueError::InvalidCurrency),
            "{input:?}"
        );
    }
}

#[test]
fn money_of_zero_or_more_minor_units_is_accepted() {
    let money = Money::new(0, "JPY").unwrap();
    assert_eq!(money.amount_minor(), 0);
    assert_eq!(money.currency().as_str(), "JPY");
    assert!(Money::new(MAX_AMOUNT_MINOR, "USD").is_ok());
}

#[test]
fn a_negative_amount_of_money_is_rejected() {
    assert_eq!(Money::new(-1, "EUR"), Err(ValueError::NegativeAmount));
}

#[test]
fn money_with_an_invalid_currency_is_rejected() {
    assert_eq!(Money::new(100, "euro"), Err(ValueError::InvalidCurrency));
}

#[test]
fn money_converts_from_input_into_the_event_amount() {
    let input = MoneyInput {
        amount_minor: 1250,
        currency: "EUR".to_owned(),
    };
    let amount: wayfarer_schemas::MoneyAmount = Money::try_from(input).unwrap().into();
    assert_eq!(amount.amount_minor, 1250);
    assert_eq!(amount.currency, "EUR");
}

#[test]
fn a_location_trims_its_name_and_keeps_its_coordinates() {
    let location = Location::new("  Belém Tower ", 38.6916, -9.2160).unwrap();
    assert_eq!(location.name(), "Belém Tower");
    assert_eq!(location.lat(), 38.6916);
    assert_eq!(location.lon(), -9.2160);
    assert_eq!(location.point(), GeoPoint::new(38.6916, -9.2160).unwrap());
}

#[test]
fn a_location_on_the_boundary_coordinates_is_accepted() {
    assert!(Location::new("North Pole", 90.0, 180.0).is_ok());
    assert!(Location::new("South Pole", -90.0, -180.0).is_ok());
}

#[test]
fn a_location_with_a_blank_or_overlong_name_is_rejected() {
    assert_eq!(
        Location::new("  ", 0.0, 0.0),
        Err(ValueError::InvalidLocation)
    );
    assert!(Location::new(&"n".repeat(200), 0.0, 0.0).is_ok());
    assert_eq!(
        Location::new(&"n".repeat(201), 0.0, 0.0),
        Err(ValueError::InvalidLocation)
    );
}

#[test]
fn a_location_with_out_of_range_or_non_finite_coordinates_is_rejected() {
    for (lat, lon) in [
        (90.0001, 0.0),
        (-90.5, 0.0),
        (0.0, 180.01),
        (0.0, -181.0),
        (f64::NAN, 0.0),
        (0.0, f64::NAN),
        (f64::INFINITY, 0.0),
        (0.0, f64::NEG_INFINITY),
    ] {
        assert_eq!(
            Location::new("Somewhere", lat, lon),
            Err(ValueError::InvalidLocation),
            "({lat}, {lon})"
        );
    }
}

#[test]
fn a_location_converts_from_input_into_the_event_location() {
    let input = LocationInput {
        name: " Sintra ".to_owned(),
        lat: 38.8,
        lon: -9.4,
    };
    let location: wayfarer_schemas::Location = Location::try_from(input).unwrap().into();
    assert_eq!(
        location,
        wayfarer_schemas::Location {
            name: "Sintra".to_owned(),
            lat: 38.8,
            lon: -9.4
        }
    );
}

#[test]
fn a_same_day_trip_lasts_one_day() {
    let range = DateRange::new(date(2026, 6, 1), date(2026, 6, 1)).unwrap();
    assert_eq!(range.days(), 1);
    assert_eq!(
        (range.start(), range.end()),
        (date(2026, 6, 1), date(2026, 6, 1))
    );
}

#[test]
fn a_trip_ending_before_it_starts_is_rejected() {
    assert_eq!(
        DateRange::new(date(2026, 6, 2), date(2026, 6, 1)),
        Err(ValueError::DatesOutOfOrder)
    );
}

#[test]
fn a_trip_of_366_days_is_accepted_and_of_367_rejected() {
    let longest = DateRange::new(date(2028, 1, 1), date(2028, 12, 31)).unwrap();
    assert_eq!(longest.days(), 366);
    assert_eq!(
        DateRange::new(date(2028, 1, 1), date(2029, 1, 1)),
        Err(ValueError::TripTooLong)
    );
}

#[test]
fn a_date_range_contains_its_first_and_last_day_only() {
    let range = DateRange::new(date(2026, 6, 1), date(2026, 6, 7)).unwrap();
    assert!(range.contains(date(2026, 6, 1)));
    assert!(range.contains(date(2026, 6, 7)));
    assert!(!range.contains(date(2026, 5, 31)));
    assert!(!range.contains(date(2026, 6, 8)));
}

#[test]
fn a_time_span_must_end_strictly_after_it_starts() {
    let start = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0).unwrap();
    let span = TimeSpan::new(start, end).unwrap();
    assert_eq!((span.start(), span.end()), (start, end));
    assert_eq!(
        TimeSpan::new(start, start),
        Err(ValueError::EndsBeforeStart)
    );
    assert_eq!(TimeSpan::new(end, start), Err(ValueError::EndsBeforeStart));
}

#[test]
fn a_time_span_is_within_a_trip_by_its_utc_dates() {
    let range = DateRange::new(date(2026, 6, 1), date(2026, 6, 7)).unwrap();
    let late_last_evening = TimeSpan::new(
        Utc.with_ymd_and_hms(2026, 6, 7, 22, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 6, 7, 23, 59, 59).unwrap(),
    )
    .unwrap();
    let past_midnight = TimeSpan::new(
        Utc.with_ymd_and_hms(2026, 6, 7, 22, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 6, 8, 0, 0, 0).unwrap(),
    )
    .unwrap();
    assert!(range.contains_span(&late_last_evening));
    assert!(!range.contains_span(&past_midnight));
}

#[test]
fn one_line_texts_refuse_every_control_character_including_nul_newline_and_tab() {
    for bad in [
        "Lisbon\u{0}",
        "\u{0}",
        "Lis\nbon",
        "Lis\tbon",
        "a\u{1b}[31m",
        "x\u{7f}",
        "x\u{2028}y",
    ] {
        assert_eq!(
            Title::parse(bad),
            Err(ValueError::ControlCharacter { field: "title" }),
            "{bad:?}"
        );
        assert_eq!(
            Location::new(bad, 1.0, 1.0),
            Err(ValueError::ControlCharacter {
                field: "location name"
            }),
            "{bad:?}"
        );
    }
}

#[test]
fn descriptions_keep_newlines_and_tabs_but_refuse_other_control_characters() {
    let text = "Day one:\n\tbreakfast\n\tmuseum";
    assert_eq!(Description::parse(text).unwrap().as_str(), text);
    for bad in ["a\u{0}b", "a\rb", "a\u{8}b"] {
        assert_eq!(
            Description::parse(bad),
            Err(ValueError::ControlCharacter {
                field: "description"
            }),
            "{bad:?}"
        );
    }
}

#[test]
fn money_is_bounded_so_that_sums_cannot_overflow() {
    assert!(Money::new(MAX_AMOUNT_MINOR, "EUR").is_ok());
    assert_eq!(
        Money::new(MAX_AMOUNT_MINOR + 1, "EUR"),
        Err(ValueError::AmountTooLarge)
    );
    assert_eq!(
        Money::new(4_611_686_018_427_387_904, "EUR"),
        Err(ValueError::AmountTooLarge)
    );
    assert_eq!(Money::new(i64::MAX, "EUR"), Err(ValueError::AmountTooLarge));
}

#[test]
fn surrounding_whitespace_is_trimmed_before_control_characters_are_looked_for() {
    assert_eq!(Title::parse("\t Lisbon \n").unwrap().as_str(), "Lisbon");
    assert_eq!(Title::parse(" \t\n "), Err(ValueError::InvalidTitle));
}
