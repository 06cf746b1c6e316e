//! Demo data for `wayfarer dev`: a demo account and public itineraries in real cities (an
//! extract of GeoNames shipped in `infra/demo-data`, see its README for attribution).

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use uuid::Uuid;
use wayfarer_commands::{CommandHandler, CommandRequest};
use wayfarer_domain::itinerary::{
    CommandContext, ItineraryCommand, NewItemDetails, NewItineraryDetails,
};
use wayfarer_domain::{Category, Itinerary, LocationInput, MoneyInput, Visibility};
use wayfarer_read_api::auth::accounts::Registration;
use wayfarer_read_api::people::commands as people;
use wayfarer_read_api::ApiState;
use wayfarer_schemas::EventMetadata;

const CITIES_CSV: &str = include_str!("../demo-data/cities.csv");
pub const DEMO_EMAIL: &str = "demo@wayfarer.dev";
pub const DEMO_PASSWORD: &str = "wayfarer-demo";

/// A city from the extract.
#[derive(Debug, Clone, PartialEq)]
pub struct City {
    pub name: String,
    pub country_code: String,
    pub lat: f64,
    pub lon: f64,
}

/// The shipped cities, most populous first.
pub fn cities() -> Vec<City> {
    CITIES_CSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            Some(City {
                name: fields.get(1)?.to_string(),
                country_code: fields.get(2)?.to_string(),
                lat: fields.get(3)?.parse().ok()?,
                lon: fields.get(4)?.parse().ok()?,
            })
        })
        .collect()
}

/// Seeds the demo account and `count` itineraries unless the account already exists.
/// Returns the number of itineraries created.
pub async fn seed(state: &ApiState, count: usize) -> anyhow::Result<usize> {
    people::register_existing_accounts(state).await?;
    let registration = Registration::parse(DEMO_EMAIL, DEMO_PASSWORD, "demo")?;
    let owner = match people::register(state, registration).await {
        Ok(registered) => registered.tokens.account.user_id,
        Err(wayfarer_read_api::ApiError::Conflict(_)) => return Ok(0),
        Err(error) => return Err(error.into()),
    };
    let mut created = 0;
    for (index, city) in cities().into_iter().take(count).enumerate() {
        create_city_trip(&state.itineraries, owner, &city, index).await?;
        created += 1;
    }
    Ok(created)
}

async fn create_city_trip(
    commands: &CommandHandler<Itinerary>,
    owner: Uuid,
    city: &City,
    index: usize,
) -> anyhow::Result<()> {
    let itinerary_id = Uuid::now_v7();
    let start = NaiveDate::from_ymd_opt(2027, 5, 1).expect("valid date")
        + Duration::days(index as i64 % 60);
    let context = || CommandContext {
        actor: owner,
        now: wayfarer_read_api::graphql::resolve::now(),
        expected_version: None,
    };
    let request = |command| CommandRequest {
        aggregate_id: itinerary_id.to_string(),
        command,
        metadata: EventMetadata::for_new_command(Some(owner), Uuid::now_v7()),
        idempotency: None,
    };
    commands
        .execute(request(ItineraryCommand::Create {
            context: context(),
            itinerary_id,
            details: NewItineraryDetails {
                title: format!("Three days in {}", city.name),
                start_date: start,
                end_date: start + Duration::days(2),
                visibility: if index % 5 == 4 {
                    Visibility::Private
                } else {
                    Visibility::Public
                },
                base_currency: "EUR".into(),
            },
        }))
        .await?;
    let stops = [
        ("Old town walk", Category::Sightseeing, 0.004, 0.002, 0),
        ("Local market lunch", Category::Dining, -0.003, 0.006, 2_500),
        ("City museum", Category::Activity, 0.008, -0.004, 1_800),
    ];
    for (day, (title, category, dlat, dlon, cost)) in stops.into_iter().enumerate() {
        let begins = Utc.from_utc_datetime(
            &(start + Duration::days(day as i64))
                .and_hms_opt(10, 0, 0)
                .expect("valid time"),
        );
        commands
            .execute(request(ItineraryCommand::AddItem {
                context: context(),
                item_id: Uuid::now_v7(),
                details: NewItemDetails {
                    title: format!("{title} in {}", city.name),
                    description: Some(format!("A stop in {} ({})", city.name, city.country_code)),
                    start_time: begins,
                    end_time: begins + Duration::hours(3),
                    location: Some(LocationInput {
                        name: format!("{}, {}", city.name, city.country_code),
                        lat: (city.lat + dlat).clamp(-90.0, 90.0),
                        lon: (city.lon + dlon).clamp(-180.0, 180.0),
                    }),
                    category,
                    estimated_cost: (cost > 0).then(|| MoneyInput {
                        amount_minor: cost,
                        currency: "EUR".into(),
                    }),
                },
            }))
            .await?;
    }
    Ok(())
}
