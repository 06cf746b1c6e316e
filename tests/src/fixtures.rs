//! Domain commands with valid data, for tests and the benchmark that write through the
//! command handler directly.

use chrono::{NaiveDate, TimeZone, Utc};
use uuid::Uuid;
use wayfarer_commands::{CommandError, CommandHandler, CommandOutcome, CommandRequest};
use wayfarer_domain::itinerary::{
    CommandContext, ItineraryCommand, NewItemDetails, NewItineraryDetails,
};
use wayfarer_domain::{Category, Itinerary, ItineraryError, LocationInput, MoneyInput, Visibility};
use wayfarer_schemas::EventMetadata;

/// The command handler of itineraries.
pub type ItineraryHandler = CommandHandler<Itinerary>;

/// Runs an itinerary command on `id` with `metadata` and no idempotency key.
#[allow(async_fn_in_trait)]
pub trait RunCommand {
    async fn run(
        &self,
        id: Uuid,
        command: ItineraryCommand,
        metadata: &EventMetadata,
    ) -> Result<CommandOutcome, CommandError<ItineraryError>>;
}

impl RunCommand for ItineraryHandler {
    async fn run(
        &self,
        id: Uuid,
        command: ItineraryCommand,
        metadata: &EventMetadata,
    ) -> Result<CommandOutcome, CommandError<ItineraryError>> {
        self.execute(CommandRequest {
            aggregate_id: id.to_string(),
            command,
            metadata: metadata.clone(),
            idempotency: None,
        })
        .await
    }
}

/// First day of every fixture trip.
pub fn trip_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, 1).expect("valid date")
}

/// Metadata of a fresh command by `actor`.
pub fn metadata(actor: Uuid) -> EventMetadata {
    EventMetadata::for_new_command(Some(actor), Uuid::now_v7())
}

/// Creates a public trip of `days` days from [`trip_start`].
pub fn create_trip(owner: Uuid, id: Uuid, title: String, days: i64) -> ItineraryCommand {
    let start = trip_start();
    ItineraryCommand::Create {
        context: CommandContext::new(owner, Utc::now()),
        itinerary_id: id,
        details: NewItineraryDetails {
            title,
            start_date: start,
            end_date: start + chrono::Duration::days(days),
            visibility: Visibility::Public,
            base_currency: "EUR".into(),
        },
    }
}

/// Adds stop number `n`: two hours on day `day` of the trip, at a place of its own.
pub fn add_stop(owner: Uuid, n: usize, day: i64, cost: Option<i64>) -> ItineraryCommand {
    let begins = Utc.from_utc_datetime(
        &(trip_start() + chrono::Duration::days(day))
            .and_hms_opt(9, 0, 0)
            .expect("valid time"),
    );
    ItineraryCommand::AddItem {
        context: CommandContext::new(owner, Utc::now()),
        item_id: Uuid::now_v7(),
        details: NewItemDetails {
            title: format!("Stop {n}"),
            description: None,
            start_time: begins,
            end_time: begins + chrono::Duration::hours(2),
            location: Some(LocationInput {
                name: format!("Place {n}"),
                lat: 40.0 + n as f64 / 10.0,
                lon: 2.0,
            }),
            category: Category::Activity,
            estimated_cost: cost.map(|amount_minor| MoneyInput {
                amount_minor,
                currency: "EUR".into(),
            }),
        },
    }
}
