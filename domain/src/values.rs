//! Value objects: small types that can only hold valid values.
//!
//! Raw input (plain strings and numbers from the API) becomes one of these through `parse`,
//! `new` or `TryFrom`; once built, a value needs no further checks. Each converts into the
//! plain type the event contract carries (`wayfarer_schemas`). None of them implements
//! `Deserialize`, so no value can skip its checks.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use crate::itinerary::{LocationInput, MoneyInput};

/// Longest title of an itinerary or item, in characters (not bytes).
pub const TITLE_MAX_CHARS: usize = 120;
/// Longest item description, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 2000;
/// Longest location name, in characters.
pub const LOCATION_NAME_MAX_CHARS: usize = 200;
/// Longest trip, in calendar days counting both the first and the last day.
pub const TRIP_MAX_DAYS: i64 = 366;
/// Largest amount of money one value may hold, in minor units (ten trillion units of a
/// two-decimal currency). Sums of many such values still fit in an `i64`, and are checked.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;

/// Why a raw value could not become a value object. Each names the field the caller should
/// fix; all are validation errors (retrying unchanged fails again).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// A title is blank or too long after trimming.
    #[error("title must be 1 to {TITLE_MAX_CHARS} characters long")]
    InvalidTitle,
    /// A description is too long (or blank where one is required).
    #[error("description must be at most {DESCRIPTION_MAX_CHARS} characters long")]
    InvalidDescription,
    /// A text holds a control character (NUL and the like; newline and tab are allowed only
    /// in multi-line text). Such characters cannot be stored or shown safely.
    #[error("{field} must not contain control characters")]
    ControlCharacter { field: &'static str },
    /// A currency is not three upper-case ASCII letters (an ISO 4217 code such as `EUR`).
    #[error("currency must be a three-letter upper-case code such as EUR")]
    InvalidCurrency,
    /// A money amount is below zero.
    #[error("amount must not be negative")]
    NegativeAmount,
    /// A money amount is above [`MAX_AMOUNT_MINOR`].
    #[error("amount must be at most {MAX_AMOUNT_MINOR} minor units")]
    AmountTooLarge,
    /// A location's name is blank or too long, or its coordinates are out of range or not
    /// finite.
    #[error(
        "location needs a name of 1 to {LOCATION_NAME_MAX_CHARS} characters, a latitude \
         within [-90, 90] and a longitude within [-180, 180]"
    )]
    InvalidLocation,
    /// An end date is before its start date.
    #[error("end date is before the start date")]
    DatesOutOfOrder,
    /// A trip lasts more days than allowed.
    #[error("trip may last at most {TRIP_MAX_DAYS} days")]
    TripTooLong,
    /// A time span ends at or before the moment it starts.
    #[error("must end after it starts")]
    EndsBeforeStart,
}

/// Which control characters a text may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// A one-line text: no control character at all.
    Single,
    /// Multi-line text: newline and tab are allowed, nothing else.
    Multi,
}

/// Refuses control characters (Unicode category Cc, plus the line and paragraph
/// separators), except newline and tab in multi-line text.
pub fn check_text(input: &str, lines: Lines, field: &'static str) -> Result<(), ValueError> {
    let allowed = |c: char| lines == Lines::Multi && (c == '\n' || c == '\t');
    let bad = input
        .chars()
        .any(|c| (c.is_control() || c == '\u{2028}' || c == '\u{2029}') && !allowed(c));
    if bad {
        return Err(ValueError::ControlCharacter { field });
    }
    Ok(())
}

/// Trims `input` and checks its length in characters lies in `1..=max_chars`.
fn trimmed_with_length(input: &str, max_chars: usize) -> Option<&str> {
    let trimmed = input.trim();
    let length = trimmed.chars().count();
    (1..=max_chars).contains(&length).then_some(trimmed)
}

/// The title of an itinerary or item: trimmed, 1 to [`TITLE_MAX_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Title(String);

impl Title {
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let title = trimmed_with_length(input, TITLE_MAX_CHARS).ok_or(ValueError::InvalidTitle)?;
        check_text(title, Lines::Single, "title")?;
        Ok(Self(title.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An item description: trimmed, 1 to [`DESCRIPTION_MAX_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Description(String);

impl Description {
    /// A description that must be present: blank input is `InvalidDescription` too.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let description = trimmed_with_length(input, DESCRIPTION_MAX_CHARS)
            .ok_or(ValueError::InvalidDescription)?;
        check_text(description, Lines::Multi, "description")?;
        Ok(Self(description.to_owned()))
    }

    /// An optional description: absent or blank input means "no description".
    pub fn parse_optional(input: Option<&str>) -> Result<Option<Self>, ValueError> {
        match input {
            Some(text) if !text.trim().is_empty() => Self::parse(text).map(Some),
            _ => Ok(None),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An ISO 4217 currency code: exactly three upper-case ASCII letters, such as `EUR`.
/// Lower-case input is refused rather than corrected, so stored codes are always as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CurrencyCode(String);

impl CurrencyCode {
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let is_code = input.len() == 3 && input.bytes().all(|byte| byte.is_ascii_uppercase());
        if !is_code {
            return Err(ValueError::InvalidCurrency);
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A non-negative amount of money in integer minor units (cents) of one currency.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Money {
    amount_minor: i64,
    currency: CurrencyCode,
}

impl Money {
    pub fn new(amount_minor: i64, currency: &str) -> Result<Self, ValueError> {
        let currency = CurrencyCode::parse(currency)?;
        if amount_minor < 0 {
            return Err(ValueError::NegativeAmount);
        }
        if amount_minor > MAX_AMOUNT_MINOR {
            return Err(ValueError::AmountTooLarge);
        }
        Ok(Self {
            amount_minor,
            currency,
        })
    }

    pub fn amount_minor(&self) -> i64 {
        self.amount_minor
    }

    pub fn currency(&self) -> &CurrencyCode {
        &self.currency
    }
}

/// A WGS84 coordinate: finite latitude in `[-90, 90]` and longitude in `[-180, 180]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

impl GeoPoint {
    pub fn new(lat: f64, lon: f64) -> Result<Self, ValueError> {
        // `contains` is false for NaN; the explicit finiteness check documents the intent.
        let valid = lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon);
        if !valid {
            return Err(ValueError::InvalidLocation);
        }
        Ok(Self { lat, lon })
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn lon(&self) -> f64 {
        self.lon
    }
}

/// A named place: trimmed name of 1 to [`LOCATION_NAME_MAX_CHARS`] characters and a
/// [`GeoPoint`].
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    name: String,
    point: GeoPoint,
}

impl Location {
    pub fn new(name: &str, lat: f64, lon: f64) -> Result<Self, ValueError> {
        let name = trimmed_with_length(name, LOCATION_NAME_MAX_CHARS)
            .ok_or(ValueError::InvalidLocation)?;
        check_text(name, Lines::Single, "location name")?;
        Ok(Self {
            name: name.to_owned(),
            point: GeoPoint::new(lat, lon)?,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn point(&self) -> GeoPoint {
        self.point
    }

    pub fn lat(&self) -> f64 {
        self.point.lat
    }

    pub fn lon(&self) -> f64 {
        self.point.lon
    }
}

/// The dates of a trip, both inclusive: `start <= end`, at most [`TRIP_MAX_DAYS`] days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    start: NaiveDate,
    end: NaiveDate,
}

impl DateRange {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Self, ValueError> {
        if end < start {
            return Err(ValueError::DatesOutOfOrder);
        }
        let range = Self { start, end };
        if range.days() > TRIP_MAX_DAYS {
            return Err(ValueError::TripTooLong);
        }
        Ok(range)
    }

    pub fn start(&self) -> NaiveDate {
        self.start
    }

    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// Number of calendar days, counting the first and the last: a same-day trip is 1 day.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }

    /// Whether both ends of `span`, taken as UTC dates, fall within the range.
    pub fn contains_span(&self, span: &TimeSpan) -> bool {
        self.contains(span.start.date_naive()) && self.contains(span.end.date_naive())
    }
}

/// When an item takes place: it must end strictly after it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeSpan {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TimeSpan {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, ValueError> {
        if end <= start {
            return Err(ValueError::EndsBeforeStart);
        }
        Ok(Self { start, end })
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }
}

macro_rules! string_value_conversions {
    ($($value:ty),+) => {$(
        impl TryFrom<&str> for $value {
            type Error = ValueError;
            fn try_from(input: &str) -> Result<Self, Self::Error> {
                Self::parse(input)
            }
        }

        impl TryFrom<String> for $value {
            type Error = ValueError;
            fn try_from(input: String) -> Result<Self, Self::Error> {
                Self::parse(&input)
            }
        }

        impl AsRef<str> for $value {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $value {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(&self.0)
            }
        }

        impl From<$value> for String {
            fn from(value: $value) -> Self {
                value.0
            }
        }
    )+};
}

string_value_conversions!(Title, Description, CurrencyCode);

impl TryFrom<MoneyInput> for Money {
    type Error = ValueError;
    fn try_from(input: MoneyInput) -> Result<Self, Self::Error> {
        Self::new(input.amount_minor, &input.currency)
    }
}

impl From<Money> for wayfarer_schemas::MoneyAmount {
    fn from(money: Money) -> Self {
        Self {
            amount_minor: money.amount_minor,
            currency: money.currency.into_inner(),
        }
    }
}

impl TryFrom<LocationInput> for Location {
    type Error = ValueError;
    fn try_from(input: LocationInput) -> Result<Self, Self::Error> {
        Self::new(&input.name, input.lat, input.lon)
    }
}

impl From<Location> for wayfarer_schemas::Location {
    fn from(location: Location) -> Self {
        Self {
            name: location.name,
            lat: location.point.lat,
            lon: location.point.lon,
        }
    }
}

#[cfg(test)]
mod tests;
