//! The PostgreSQL itinerary detail view: rows in `itinerary_view` and `itinerary_item_view`,
//! written together with the consumer checkpoint in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use wayfarer_schemas::itinerary::AGGREGATE_TYPE;
use wayfarer_schemas::{Category, ItineraryStatus, Location, MoneyAmount, Visibility};

use super::view::{
    ApplyOutcome, ChangeView, CollaboratorView, ItemView, ItineraryView, Membership,
};
use crate::event::{stream_id, ItineraryEnvelope};
use crate::projection::Tables;
use crate::{store, ProjectionError};

/// Projection name, used for checkpoints, consumer groups and the CLI.
pub const NAME: &str = "itinerary_pg";

/// The tables the view lives in, as the projection declares them.
pub const TABLES: &[&str] = &[ITINERARIES, ITEMS];
const ITINERARIES: &str = "itinerary_view";
const ITEMS: &str = "itinerary_item_view";

/// The two tables one copy of the view lives in (live, or a rebuild's shadow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewTables {
    pub itineraries: String,
    pub items: String,
    /// A rebuild's copy (see [`Tables::is_replay`]).
    pub replay: bool,
}

impl ViewTables {
    pub fn live() -> Self {
        Self::of(&Tables::live(TABLES))
    }

    pub fn of(tables: &Tables) -> Self {
        Self {
            itineraries: tables.name(ITINERARIES).to_owned(),
            items: tables.name(ITEMS).to_owned(),
            replay: tables.is_replay(),
        }
    }
}

/// Applies events to one copy of the view inside the caller's transaction. Redelivered
/// events are skipped by the per-itinerary version; a hole in a stream (which Kafka's per-key
/// order rules out, but a rebuild racing the live projector could leave) is healed by folding
/// that itinerary from the store.
#[tracing::instrument(skip_all, fields(projection = NAME, events = events.len()))]
pub async fn apply_events(
    tx: &mut PgConnection,
    tables: &ViewTables,
    events: &[ItineraryEnvelope],
) -> Result<(), ProjectionError> {
    // In a rebuild's copy a stream whose creation is in this batch has no rows yet; elsewhere
    // every touched view is loaded (a redelivered creation must find its row).
    let stored: Vec<Uuid> = if tables.replay {
        continuing_streams(events)
    } else {
        unique_ids(events)
    };
    let mut views = load_views(&mut *tx, tables, &stored).await?;
    let loaded: Vec<Uuid> = views.keys().copied().collect();
    let mut changed: Vec<Uuid> = Vec::new();
    for envelope in events {
        let id = stream_id(envelope);
        let outcome = match views.get_mut(&id) {
            Some(view) => view.apply(envelope),
            None => match ItineraryView::start(envelope) {
                Some(view) => {
                    views.insert(id, view);
                    ApplyOutcome::Applied
                }
                None if envelope.sequence <= 1 => ApplyOutcome::AlreadyApplied,
                None => ApplyOutcome::Gap,
            },
        };
        match outcome {
            ApplyOutcome::Applied => changed.push(id),
            ApplyOutcome::AlreadyApplied => {}
            ApplyOutcome::Gap => {
                tracing::warn!(aggregate_id = %id, "gap in itinerary stream, folding from the store");
                if let Some(view) = fold_from_store(&mut *tx, id).await? {
                    views.insert(id, view);
                    changed.push(id);
                }
            }
        }
    }
    changed.sort();
    changed.dedup();
    let to_save: Vec<&ItineraryView> = changed.iter().filter_map(|id| views.get(id)).collect();
    let had_rows = if tables.replay {
        &loaded[..]
    } else {
        &changed[..]
    };
    save_views(tx, tables, &to_save, had_rows).await?;
    Ok(())
}

/// Streams whose first event in the batch is not their creation.
fn continuing_streams(events: &[ItineraryEnvelope]) -> Vec<Uuid> {
    let mut first: HashMap<Uuid, u64> = HashMap::new();
    for event in events {
        first.entry(stream_id(event)).or_insert(event.sequence);
    }
    let mut ids: Vec<Uuid> = first
        .into_iter()
        .filter(|(_, sequence)| *sequence > 1)
        .map(|(id, _)| id)
        .collect();
    ids.sort();
    ids
}

async fn fold_from_store(
    connection: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ItineraryView>, ProjectionError> {
    let raw = store::read_streams(connection, AGGREGATE_TYPE, &[id]).await?;
    let envelopes = raw
        .iter()
        .map(|event| event.itinerary_envelope())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ItineraryView::fold(&envelopes))
}

fn unique_ids(events: &[ItineraryEnvelope]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = events.iter().map(stream_id).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// One row of `itinerary_view`.
#[derive(sqlx::FromRow)]
struct ViewRow {
    itinerary_id: Uuid,
    owner_id: Uuid,
    title: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    visibility: String,
    base_currency: String,
    version: i64,
    last_position: i64,
    deleted: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    status: String,
    collaborators: Json<Vec<CollaboratorView>>,
    last_change: Option<Json<ChangeView>>,
}

type ItemRow = (
    Uuid,
    Uuid,
    String,
    Option<String>,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<String>,
    Option<f64>,
    Option<f64>,
    String,
    Option<i64>,
    Option<String>,
);

/// Loads complete views (with ordered items) for the given itineraries.
pub async fn load_views(
    connection: &mut PgConnection,
    tables: &ViewTables,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, ItineraryView>, sqlx::Error> {
    let rows: Vec<ViewRow> = sqlx::query_as(&format!(
        "SELECT itinerary_id, owner_id, title, start_date, end_date, visibility, base_currency, \
         version, last_position, deleted, created_at, updated_at, status, collaborators, \
         last_change FROM {} WHERE itinerary_id = ANY($1)",
        tables.itineraries
    ))
    .bind(ids)
    .fetch_all(&mut *connection)
    .await?;
    let mut views: HashMap<Uuid, ItineraryView> = rows
        .into_iter()
        .map(|row| (row.itinerary_id, view_from_row(row)))
        .collect();
    let items: Vec<ItemRow> = sqlx::query_as(&format!(
        "SELECT itinerary_id, item_id, title, description, start_time, end_time, location_name, \
         lat, lon, category, cost_minor, cost_currency FROM {} \
         WHERE itinerary_id = ANY($1) ORDER BY itinerary_id, ordinal",
        tables.items
    ))
    .bind(ids)
    .fetch_all(&mut *connection)
    .await?;
    for row in items {
        if let Some(view) = views.get_mut(&row.0) {
            view.items.push(item_from_row(row));
        }
    }
    Ok(views)
}

fn view_from_row(row: ViewRow) -> ItineraryView {
    ItineraryView {
        id: row.itinerary_id,
        owner_id: row.owner_id,
        title: row.title,
        start_date: row.start_date,
        end_date: row.end_date,
        visibility: parse_visibility(&row.visibility),
        base_currency: row.base_currency,
        version: row.version as u64,
        last_position: row.last_position,
        deleted: row.deleted,
        created_at: row.created_at,
        updated_at: row.updated_at,
        items: Vec::new(),
        status: parse_status(&row.status),
        collaborators: row.collaborators.0,
        last_change: row.last_change.map(|change| change.0),
    }
}

fn item_from_row(row: ItemRow) -> ItemView {
    let location = match (row.6, row.7, row.8) {
        (Some(name), Some(lat), Some(lon)) => Some(Location { name, lat, lon }),
        _ => None,
    };
    let estimated_cost = match (row.10, row.11) {
        (Some(amount_minor), Some(currency)) => Some(MoneyAmount {
            amount_minor,
            currency,
        }),
        _ => None,
    };
    ItemView {
        id: row.1,
        title: row.2,
        description: row.3,
        start_time: row.4,
        end_time: row.5,
        location,
        category: parse_category(&row.9),
        estimated_cost,
    }
}

fn parse_visibility(text: &str) -> Visibility {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .unwrap_or(Visibility::Private)
}

fn parse_status(text: &str) -> ItineraryStatus {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .unwrap_or(ItineraryStatus::Draft)
}

fn parse_category(text: &str) -> Category {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).unwrap_or(Category::Other)
}

/// Writes whole views (row upserted, items replaced) in bulk. `had_rows` names the views
/// that may have item rows already (only theirs are deleted first).
pub async fn save_views(
    connection: &mut PgConnection,
    tables: &ViewTables,
    views: &[&ItineraryView],
    had_rows: &[Uuid],
) -> Result<(), sqlx::Error> {
    if views.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = views.iter().map(|v| v.id).collect();
    sqlx::query(&format!(
        "INSERT INTO {} (itinerary_id, owner_id, title, start_date, end_date, visibility, \
         base_currency, version, last_position, deleted, created_at, updated_at, status, \
         collaborators, last_change) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::date[], $5::date[], \
         $6::text[], $7::text[], $8::int8[], $9::int8[], $10::bool[], $11::timestamptz[], \
         $12::timestamptz[], $13::text[], $14::jsonb[], $15::jsonb[]) \
         ON CONFLICT (itinerary_id) DO UPDATE SET owner_id = excluded.owner_id, \
         title = excluded.title, start_date = excluded.start_date, end_date = excluded.end_date, \
         visibility = excluded.visibility, base_currency = excluded.base_currency, \
         version = excluded.version, last_position = excluded.last_position, \
         deleted = excluded.deleted, created_at = excluded.created_at, \
         updated_at = excluded.updated_at, status = excluded.status, \
         collaborators = excluded.collaborators, last_change = excluded.last_change",
        tables.itineraries
    ))
    .bind(&ids)
    .bind(views.iter().map(|v| v.owner_id).collect::<Vec<_>>())
    .bind(views.iter().map(|v| v.title.clone()).collect::<Vec<_>>())
    .bind(views.iter().map(|v| v.start_date).collect::<Vec<_>>())
    .bind(views.iter().map(|v| v.end_date).collect::<Vec<_>>())
    .bind(
        views
            .iter()
            .map(|v| v.visibility.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        views
            .iter()
            .map(|v| v.base_currency.clone())
            .collect::<Vec<_>>(),
    )
    .bind(views.iter().map(|v| v.version as i64).collect::<Vec<_>>())
    .bind(views.iter().map(|v| v.last_position).collect::<Vec<_>>())
    .bind(views.iter().map(|v| v.deleted).collect::<Vec<_>>())
    .bind(views.iter().map(|v| v.created_at).collect::<Vec<_>>())
    .bind(views.iter().map(|v| v.updated_at).collect::<Vec<_>>())
    .bind(views.iter().map(|v| v.status.as_str()).collect::<Vec<_>>())
    .bind(
        views
            .iter()
            .map(|v| Json(&v.collaborators))
            .collect::<Vec<_>>(),
    )
    .bind(
        views
            .iter()
            .map(|v| v.last_change.as_ref().map(Json))
            .collect::<Vec<_>>(),
    )
    .execute(&mut *connection)
    .await?;

    if !had_rows.is_empty() {
        sqlx::query(&format!(
            "DELETE FROM {} WHERE itinerary_id = ANY($1)",
            tables.items
        ))
        .bind(had_rows)
        .execute(&mut *connection)
        .await?;
    }
    let items: Vec<(Uuid, i32, &ItemView)> = views
        .iter()
        .flat_map(|view| {
            view.items
                .iter()
                .enumerate()
                .map(move |(ordinal, item)| (view.id, ordinal as i32, item))
        })
        .collect();
    if items.is_empty() {
        return Ok(());
    }
    sqlx::query(&format!(
        "INSERT INTO {} (itinerary_id, item_id, ordinal, title, description, start_time, \
         end_time, location_name, lat, lon, category, cost_minor, cost_currency) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::int4[], $4::text[], $5::text[], \
         $6::timestamptz[], $7::timestamptz[], $8::text[], $9::float8[], $10::float8[], \
         $11::text[], $12::int8[], $13::text[])",
        tables.items
    ))
    .bind(items.iter().map(|i| i.0).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.2.id).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.1).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.2.title.clone()).collect::<Vec<_>>())
    .bind(
        items
            .iter()
            .map(|i| i.2.description.clone())
            .collect::<Vec<_>>(),
    )
    .bind(items.iter().map(|i| i.2.start_time).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.2.end_time).collect::<Vec<_>>())
    .bind(
        items
            .iter()
            .map(|i| i.2.location.as_ref().map(|l| l.name.clone()))
            .collect::<Vec<_>>(),
    )
    .bind(
        items
            .iter()
            .map(|i| i.2.location.as_ref().map(|l| l.lat))
            .collect::<Vec<_>>(),
    )
    .bind(
        items
            .iter()
            .map(|i| i.2.location.as_ref().map(|l| l.lon))
            .collect::<Vec<_>>(),
    )
    .bind(
        items
            .iter()
            .map(|i| i.2.category.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        items
            .iter()
            .map(|i| i.2.estimated_cost.as_ref().map(|c| c.amount_minor))
            .collect::<Vec<_>>(),
    )
    .bind(
        items
            .iter()
            .map(|i| i.2.estimated_cost.as_ref().map(|c| c.currency.clone()))
            .collect::<Vec<_>>(),
    )
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Reads one itinerary's view from the live tables.
pub async fn find(pool: &PgPool, id: Uuid) -> Result<Option<ItineraryView>, sqlx::Error> {
    let mut connection = pool.acquire().await?;
    let mut views = load_views(&mut connection, &ViewTables::live(), &[id]).await?;
    Ok(views.remove(&id))
}

/// Who may see an itinerary, as of the live view's version.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ViewAccess {
    pub owner_id: Uuid,
    pub visibility: String,
    pub deleted: bool,
    pub version: i64,
    pub collaborators: Json<Vec<CollaboratorView>>,
}

impl ViewAccess {
    /// How `viewer` stands towards the itinerary.
    pub fn membership(&self, viewer: Option<Uuid>) -> Membership {
        super::view::membership(self.owner_id, &self.collaborators.0, viewer)
    }

    /// Who may read the itinerary (the rule of [`super::view::visible`]).
    pub fn visible_to(&self, viewer: Option<Uuid>) -> bool {
        super::view::visible(
            parse_visibility(&self.visibility),
            self.deleted,
            self.membership(viewer),
        )
    }
}

/// The access facts of one itinerary in the live view.
pub async fn access_of(pool: &PgPool, id: Uuid) -> Result<Option<ViewAccess>, sqlx::Error> {
    sqlx::query_as(
        "SELECT owner_id, visibility, deleted, version, collaborators FROM itinerary_view \
         WHERE itinerary_id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The current version of one itinerary in the live view (0 when absent).
pub async fn version_of(
    connection: impl sqlx::PgExecutor<'_>,
    id: Uuid,
) -> Result<u64, sqlx::Error> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT version FROM itinerary_view WHERE itinerary_id = $1")
            .bind(id)
            .fetch_optional(connection)
            .await?;
    Ok(row.map(|r| r.0 as u64).unwrap_or(0))
}

/// A page of an owner's itineraries, newest first, after a `(created_at, id)` cursor.
pub async fn page_by_owner(
    pool: &PgPool,
    owner_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<ItineraryView>, sqlx::Error> {
    let (after_time, after_id) = match after {
        Some((time, id)) => (Some(time), Some(id)),
        None => (None, None),
    };
    let ids: Vec<(Uuid,)> = sqlx::query_as(
        "SELECT itinerary_id FROM itinerary_view WHERE owner_id = $1 AND NOT deleted \
         AND ($2::timestamptz IS NULL OR (created_at, itinerary_id) < ($2, $3)) \
         ORDER BY created_at DESC, itinerary_id DESC LIMIT $4",
    )
    .bind(owner_id)
    .bind(after_time)
    .bind(after_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    find_many(pool, &ids.into_iter().map(|r| r.0).collect::<Vec<_>>()).await
}

/// Views for the given ids, in the same order (missing ones left out).
pub async fn find_many(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<ItineraryView>, sqlx::Error> {
    let mut connection = pool.acquire().await?;
    let mut views = load_views(&mut connection, &ViewTables::live(), ids).await?;
    Ok(ids.iter().filter_map(|id| views.remove(id)).collect())
}

/// Itineraries `user_id` collaborates on (`accepted`) or is invited to (`!accepted`), not
/// deleted, most recently changed first, after an `(updated_at, id)` cursor.
pub async fn page_by_collaborator(
    pool: &PgPool,
    user_id: Uuid,
    accepted: bool,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<ItineraryView>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Id {
        itinerary_id: Uuid,
    }
    let (after_time, after_id) = match after {
        Some((time, id)) => (Some(time), Some(id)),
        None => (None, None),
    };
    let member = serde_json::json!([{ "userId": user_id, "accepted": accepted }]);
    let ids: Vec<Id> = sqlx::query_as(
        "SELECT itinerary_id FROM itinerary_view WHERE collaborators @> $1 AND NOT deleted \
         AND ($2::timestamptz IS NULL OR (updated_at, itinerary_id) < ($2, $3)) \
         ORDER BY updated_at DESC, itinerary_id DESC LIMIT $4",
    )
    .bind(Json(member))
    .bind(after_time)
    .bind(after_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let ids: Vec<Uuid> = ids.into_iter().map(|row| row.itinerary_id).collect();
    find_many(pool, &ids).await
}
