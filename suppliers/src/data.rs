//! The airports and cities the simulators sell, compiled into the binary.
//!
//! The extracts (see `data/README.md` for their source and licence) are small enough to
//! embed, so the simulator needs no files at run time and every instance sees the same world.
//! They are parsed once per process, on first use; a malformed extract is a build defect, so
//! the unit tests here parse them and a failure at run time panics with the row at fault.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono_tz::Tz;
use serde::Deserialize;

const AIRPORTS_CSV: &str = include_str!("../data/airports.csv");
const CITIES_CSV: &str = include_str!("../data/cities.csv");

/// An airport with an IATA code.
#[derive(Debug, Clone, PartialEq)]
pub struct Airport {
    pub iata: String,
    pub name: String,
    pub city: String,
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
    pub timezone: Tz,
}

/// A city of the GeoNames extract.
#[derive(Debug, Clone, PartialEq)]
pub struct City {
    pub geonameid: u32,
    pub name: String,
    pub country: String,
    pub latitude: f64,
    pub longitude: f64,
    pub population: u64,
    pub timezone: Tz,
}

/// Everything the simulators know about the world, indexed for lookups.
#[derive(Debug)]
pub struct ReferenceData {
    airports: HashMap<String, Airport>,
    cities: HashMap<u32, City>,
}

#[derive(Deserialize)]
struct AirportRow {
    iata: String,
    name: String,
    city: String,
    country: String,
    latitude: f64,
    longitude: f64,
    timezone: String,
}

#[derive(Deserialize)]
struct CityRow {
    geonameid: u32,
    name: String,
    country_code: String,
    lat: f64,
    lon: f64,
    population: u64,
    timezone: String,
}

/// Why a bundled extract could not be read: a defect of the extract, fixed by regenerating it.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("malformed row in {file}")]
    Row {
        file: &'static str,
        #[source]
        source: csv::Error,
    },
    #[error("unknown time zone {timezone:?} in {file}")]
    TimeZone {
        file: &'static str,
        timezone: String,
    },
}

static REFERENCE: LazyLock<ReferenceData> = LazyLock::new(|| {
    ReferenceData::parse().unwrap_or_else(|error| panic!("bundled reference data: {error}"))
});

impl ReferenceData {
    /// The bundled extracts, parsed on first use.
    pub fn bundled() -> &'static ReferenceData {
        &REFERENCE
    }

    fn parse() -> Result<Self, DataError> {
        let mut airports = HashMap::new();
        for row in csv::Reader::from_reader(AIRPORTS_CSV.as_bytes()).deserialize() {
            let row: AirportRow = row.map_err(|source| DataError::Row {
                file: "airports.csv",
                source,
            })?;
            let timezone = parse_timezone("airports.csv", &row.timezone)?;
            let airport = Airport {
                iata: row.iata,
                name: row.name,
                city: row.city,
                country: row.country,
                latitude: row.latitude,
                longitude: row.longitude,
                timezone,
            };
            airports.insert(airport.iata.clone(), airport);
        }
        let mut cities = HashMap::new();
        for row in csv::Reader::from_reader(CITIES_CSV.as_bytes()).deserialize() {
            let row: CityRow = row.map_err(|source| DataError::Row {
                file: "cities.csv",
                source,
            })?;
            let timezone = parse_timezone("cities.csv", &row.timezone)?;
            let city = City {
                geonameid: row.geonameid,
                name: row.name,
                country: row.country_code,
                latitude: row.lat,
                longitude: row.lon,
                population: row.population,
                timezone,
            };
            cities.insert(city.geonameid, city);
        }
        Ok(Self { airports, cities })
    }

    pub fn airport(&self, iata: &str) -> Option<&Airport> {
        self.airports.get(iata)
    }

    pub fn city(&self, geonameid: u32) -> Option<&City> {
        self.cities.get(&geonameid)
    }

    /// Every airport, in no particular order.
    pub fn airports(&self) -> impl Iterator<Item = &Airport> {
        self.airports.values()
    }

    /// Every city, in no particular order.
    pub fn cities(&self) -> impl Iterator<Item = &City> {
        self.cities.values()
    }

    #[cfg(test)]
    fn airport_count(&self) -> usize {
        self.airports.len()
    }

    #[cfg(test)]
    fn city_count(&self) -> usize {
        self.cities.len()
    }
}

fn parse_timezone(file: &'static str, timezone: &str) -> Result<Tz, DataError> {
    timezone.parse().map_err(|_| DataError::TimeZone {
        file,
        timezone: timezone.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_extracts_parse_with_every_time_zone_known() {
        let data = ReferenceData::parse().expect("bundled data parses");
        assert_eq!(data.city_count(), 300);
        assert!(
            data.airport_count() > 300,
            "{} airports",
            data.airport_count()
        );
    }

    #[test]
    fn well_known_airports_and_cities_are_present() {
        let data = ReferenceData::bundled();
        let heathrow = data.airport("LHR").expect("LHR");
        assert_eq!(heathrow.city, "London");
        assert_eq!(heathrow.timezone, chrono_tz::Europe::London);
        assert!(data.airport("JFK").is_some(), "New York's alias is applied");
        let london = data.city(2643743).expect("London");
        assert_eq!(london.country, "GB");
        assert!(london.population > 7_000_000);
    }
}
