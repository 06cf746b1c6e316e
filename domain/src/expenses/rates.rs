//! Exchange rates, exactly: the ECB's reference rates (one euro in each currency, per
//! business day) read from their XML format, and conversions between any two of them in
//! integer minor units. No floating point: a rate is the decimal the ECB printed.
//!
//! **Which day's rate.** An amount dated `d` is converted at the rates of the latest
//! business day on or before `d` that the table holds (the ECB publishes none on weekends and
//! holidays); a date after the table's last day takes that last day's rates, and a date
//! before its first day that first day's (a feed of the last 90 days must not make older
//! expenses unreadable). Every quote names the day it used. An amount in its own currency is
//! never converted.
//!
//! **Rounding.** A converted amount is rounded to the nearest minor unit of the target
//! currency, halves away from zero.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use quick_xml::events::Event;
use quick_xml::Reader;

/// The currency every ECB rate is against.
pub const EURO: &str = "EUR";

/// One euro in a currency, as the decimal `mantissa / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    mantissa: i128,
    scale: u32,
}

impl Rate {
    pub const ONE: Rate = Rate {
        mantissa: 1,
        scale: 0,
    };

    /// Parses a positive decimal such as `1.1005` or `120`.
    pub fn parse(text: &str) -> Option<Self> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = format!("{whole}{fraction}");
        let valid =
            !whole.is_empty() && digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit());
        let mantissa: i128 = digits.parse().ok().filter(|_| valid)?;
        (mantissa > 0).then_some(Self {
            mantissa,
            scale: fraction.len() as u32,
        })
    }

    /// The rate as a decimal string, as printed.
    pub fn to_decimal(self) -> String {
        decimal(self.mantissa, self.scale)
    }
}

fn decimal(mantissa: i128, scale: u32) -> String {
    let digits = format!("{:0>width$}", mantissa, width = scale as usize + 1);
    let (whole, fraction) = digits.split_at(digits.len() - scale as usize);
    if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{fraction}")
    }
}

pub use wayfarer_schemas::itinerary::minor_digits;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("the rate table cannot be read: {0}")]
    Unreadable(String),
    #[error("no exchange rate for {0}")]
    UnknownCurrency(String),
    #[error("no exchange rate on or before {0}")]
    TooEarly(NaiveDate),
    #[error("the converted amount is too large to represent")]
    Overflow,
}

/// A rate between two currencies on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// The business day whose rates were used.
    pub rate_date: NaiveDate,
    /// One unit of the source currency in the target currency, to `scale` decimals, exactly
    /// as a fraction of the two ECB rates (`to / from`).
    numerator: i128,
    denominator: i128,
}

impl Quote {
    /// The rate as a decimal with `places` digits (rounded halves away from zero).
    pub fn to_decimal(&self, places: u32) -> String {
        let scaled = rounded_div(self.numerator * 10i128.pow(places), self.denominator);
        decimal(scaled, places)
    }
}

fn rounded_div(numerator: i128, denominator: i128) -> i128 {
    let (q, r) = (numerator / denominator, numerator % denominator);
    if 2 * r.abs() >= denominator.abs() {
        q + numerator.signum() * denominator.signum()
    } else {
        q
    }
}

/// Business days and their rates (one euro in each currency).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateTable {
    days: BTreeMap<NaiveDate, BTreeMap<String, Rate>>,
    /// The euro and every currency quoted on some day.
    currencies: std::collections::BTreeSet<String>,
}

impl RateTable {
    /// Reads the ECB's XML (`gesmes:Envelope` / `Cube time` / `Cube currency rate`).
    pub fn from_ecb_xml(xml: &str) -> Result<Self, RateError> {
        let unreadable = |reason: String| RateError::Unreadable(reason);
        let mut reader = Reader::from_str(xml);
        let mut days: BTreeMap<NaiveDate, BTreeMap<String, Rate>> = BTreeMap::new();
        let mut day: Option<NaiveDate> = None;
        loop {
            match reader.read_event().map_err(|e| unreadable(e.to_string()))? {
                Event::Start(element) | Event::Empty(element)
                    if element.local_name().as_ref() == b"Cube" =>
                {
                    let attribute = |name: &str| -> Result<Option<String>, RateError> {
                        match element.try_get_attribute(name) {
                            Ok(Some(value)) => value
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .map(|v| Some(v.into_owned()))
                                .map_err(|e| unreadable(e.to_string())),
                            Ok(None) => Ok(None),
                            Err(e) => Err(unreadable(e.to_string())),
                        }
                    };
                    if let Some(time) = attribute("time")? {
                        let date = NaiveDate::parse_from_str(&time, "%Y-%m-%d")
                            .map_err(|_| unreadable(format!("bad date {time:?}")))?;
                        days.entry(date).or_default();
                        day = Some(date);
                    } else if let (Some(currency), Some(rate)) =
                        (attribute("currency")?, attribute("rate")?)
                    {
                        let date = day.ok_or_else(|| unreadable("a rate outside a day".into()))?;
                        let is_code =
                            currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase());
                        let rate = Rate::parse(&rate)
                            .filter(|_| is_code)
                            .ok_or_else(|| unreadable(format!("bad rate {currency} {rate}")))?;
                        days.entry(date).or_default().insert(currency, rate);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        days.retain(|_, rates| !rates.is_empty());
        if days.is_empty() {
            return Err(unreadable("no rates".into()));
        }
        let mut currencies: std::collections::BTreeSet<String> = days
            .values()
            .flat_map(|rates| rates.keys().cloned())
            .collect();
        currencies.insert(EURO.to_owned());
        Ok(Self { days, currencies })
    }

    /// The euro and every currency the table quotes, in alphabetical order.
    pub fn currencies(&self) -> Vec<String> {
        self.currencies.iter().cloned().collect()
    }

    /// Whether the table quotes `currency` (the euro always).
    pub fn quotes(&self, currency: &str) -> bool {
        self.currencies.contains(currency)
    }

    pub fn first_day(&self) -> Option<NaiveDate> {
        self.days.keys().next().copied()
    }

    pub fn last_day(&self) -> Option<NaiveDate> {
        self.days.keys().next_back().copied()
    }

    /// One euro in `currency` on the day used for `date`, with that day.
    fn euro_rate(&self, currency: &str, date: NaiveDate) -> Result<(Rate, NaiveDate), RateError> {
        if !self.quotes(currency) {
            return Err(RateError::UnknownCurrency(currency.to_owned()));
        }
        let (day, rates) = self
            .days
            .range(..=date)
            .next_back()
            .or_else(|| self.days.iter().next())
            .ok_or(RateError::TooEarly(date))?;
        if currency == EURO {
            return Ok((Rate::ONE, *day));
        }
        // A currency missing that day (the ECB stopped or started quoting it) takes its
        // latest earlier rate.
        self.days
            .range(..=*day)
            .rev()
            .find_map(|(d, r)| r.get(currency).map(|rate| (*rate, *d)))
            .or_else(|| rates.get(currency).map(|rate| (*rate, *day)))
            .or_else(|| {
                // Quoted only on later days: its first quote.
                self.days
                    .iter()
                    .find_map(|(d, r)| r.get(currency).map(|rate| (*rate, *d)))
            })
            .ok_or(RateError::TooEarly(date))
    }

    /// The rate from `from` to `to` for an amount dated `date`.
    pub fn quote(&self, from: &str, to: &str, date: NaiveDate) -> Result<Quote, RateError> {
        let (from_rate, from_day) = self.euro_rate(from, date)?;
        let (to_rate, to_day) = self.euro_rate(to, date)?;
        // to/from = (m_to / 10^s_to) / (m_from / 10^s_from)
        Ok(Quote {
            rate_date: from_day.min(to_day),
            numerator: to_rate.mantissa * 10i128.pow(from_rate.scale),
            denominator: from_rate.mantissa * 10i128.pow(to_rate.scale),
        })
    }

    /// `amount_minor` of `from` in minor units of `to`, at the rate for `date` (see the
    /// module's rules).
    pub fn convert(
        &self,
        amount_minor: i64,
        from: &str,
        to: &str,
        date: NaiveDate,
    ) -> Result<(i64, Quote), RateError> {
        if from == to {
            // Nothing to convert, whatever the table holds.
            let rate_date = self.last_day().map_or(date, |last| date.min(last));
            return Ok((
                amount_minor,
                Quote {
                    rate_date,
                    numerator: 1,
                    denominator: 1,
                },
            ));
        }
        let quote = self.quote(from, to, date)?;
        let (from_digits, to_digits) = (minor_digits(from), minor_digits(to));
        let numerator = i128::from(amount_minor)
            .checked_mul(quote.numerator)
            .and_then(|n| n.checked_mul(10i128.pow(to_digits)))
            .ok_or(RateError::Overflow)?;
        let denominator = quote.denominator * 10i128.pow(from_digits);
        let converted = rounded_div(numerator, denominator);
        let converted = i64::try_from(converted).map_err(|_| RateError::Overflow)?;
        Ok((converted, quote))
    }
}

/// The table shipped with the project (`domain/data/eurofxref-hist.xml`, see its README).
pub fn shipped() -> RateTable {
    RateTable::from_ecb_xml(include_str!("../../data/eurofxref-hist.xml"))
        .expect("the shipped rate table reads")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_shipped_table_has_the_ecb_rates_and_currencies() {
        let table = shipped();
        assert_eq!(table.first_day(), Some(day("2019-12-17")));
        assert_eq!(table.last_day(), Some(day("2020-01-28")));
        assert_eq!(table.currencies().len(), 33);
        let quote = table.quote("EUR", "USD", day("2020-01-28")).unwrap();
        assert_eq!(quote.to_decimal(4), "1.1005");
    }

    #[test]
    fn a_weekend_uses_the_friday_and_later_dates_the_last_day() {
        let table = shipped();
        // 2020-01-25 was a Saturday: Friday the 24th's rates.
        let saturday = table.quote("EUR", "USD", day("2020-01-25")).unwrap();
        assert_eq!(saturday.rate_date, day("2020-01-24"));
        assert_eq!(saturday.to_decimal(4), "1.1035");
        let later = table.quote("EUR", "GBP", day("2027-06-01")).unwrap();
        assert_eq!(later.rate_date, day("2020-01-28"));
        let early = table.quote("EUR", "USD", day("2019-01-01")).unwrap();
        assert_eq!(
            early.rate_date,
            day("2019-12-17"),
            "before the table: its first day"
        );
        // An amount in its own currency needs no rate at all.
        let empty = RateTable::default();
        assert_eq!(
            empty
                .convert(4_500, "VND", "VND", day("2001-01-01"))
                .unwrap()
                .0,
            4_500
        );
        assert_eq!(
            table.quote("EUR", "XYZ", day("2020-01-28")),
            Err(RateError::UnknownCurrency("XYZ".into()))
        );
    }

    #[test]
    fn conversions_are_exact_and_round_halves_away_from_zero() {
        let table = shipped();
        let date = day("2020-01-28");
        // 100.00 EUR at 1.1005 = 110.05 USD exactly.
        assert_eq!(table.convert(10_000, "EUR", "USD", date).unwrap().0, 11_005);
        // 110.05 USD back: 100.00 EUR.
        assert_eq!(table.convert(11_005, "USD", "EUR", date).unwrap().0, 10_000);
        // Yen have no minor unit: 10.00 EUR at 120.02 = 1200 JPY (1200.2 rounded).
        assert_eq!(table.convert(1_000, "EUR", "JPY", date).unwrap().0, 1_200);
        // A cross rate: USD → GBP through the euro (0.84603 / 1.1005).
        let (pence, quote) = table.convert(10_000, "USD", "GBP", date).unwrap();
        assert_eq!(pence, 7_688);
        assert_eq!(quote.to_decimal(6), "0.768769");
        assert_eq!(
            table.convert(i64::MAX, "EUR", "IDR", date),
            Err(RateError::Overflow)
        );
    }

    #[test]
    fn unreadable_tables_are_refused() {
        assert!(RateTable::from_ecb_xml("<gesmes:Envelope/>").is_err());
        assert!(RateTable::from_ecb_xml(
            "<Cube><Cube time='2020-01-01'><Cube currency='USD' rate='-1'/></Cube></Cube>"
        )
        .is_err());
        assert!(RateTable::from_ecb_xml("<Cube><Cube currency='USD' rate='1.1'/></Cube>").is_err());
        let one = RateTable::from_ecb_xml(
            "<Cube><Cube time='2020-01-01'><Cube currency='USD' rate='1.25'/></Cube></Cube>",
        )
        .unwrap();
        assert_eq!(one.currencies(), vec!["EUR", "USD"]);
    }

    proptest! {
        /// Converting there and back loses at most what the rounding of each step can.
        #[test]
        fn a_round_trip_stays_within_rounding(amount in 0i64..1_000_000_000_000) {
            let table = shipped();
            let date = day("2020-01-15");
            let (dollars, _) = table.convert(amount, "EUR", "USD", date).unwrap();
            let (back, _) = table.convert(dollars, "USD", "EUR", date).unwrap();
            prop_assert!((back - amount).abs() <= 1, "{amount} → {dollars} → {back}");
        }
    }
}
