//! The per-itinerary guard of models that keep no single row per itinerary (comments,
//! expenses): a table of `(itinerary_id, version)`, the last itinerary event applied. An
//! event at or below it is a redelivery and is skipped; every event of a batch moves it on.

use std::collections::HashMap;

use sqlx::PgConnection;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct StreamVersion {
    itinerary_id: Uuid,
    version: i64,
}

/// The last applied version of each of `ids` (absent ones have none).
pub async fn applied_versions(
    connection: &mut PgConnection,
    table: &str,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, i64>, sqlx::Error> {
    let rows: Vec<StreamVersion> = sqlx::query_as(&format!(
        "SELECT itinerary_id, version FROM {table} WHERE itinerary_id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(&mut *connection)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.itinerary_id, row.version))
        .collect())
}

/// Records the versions reached, in the caller's transaction.
pub async fn save_versions(
    connection: &mut PgConnection,
    table: &str,
    versions: HashMap<Uuid, i64>,
) -> Result<(), sqlx::Error> {
    let (ids, applied): (Vec<Uuid>, Vec<i64>) = versions.into_iter().unzip();
    sqlx::query(&format!(
        "INSERT INTO {table} (itinerary_id, version) SELECT * FROM UNNEST($1::uuid[], $2::int8[]) \
         ON CONFLICT (itinerary_id) DO UPDATE SET version = excluded.version"
    ))
    .bind(&ids)
    .bind(&applied)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Whether the live model has applied `write` (read-your-writes).
pub async fn has_applied(
    connection: &mut PgConnection,
    table: &str,
    write: &crate::projection::Write,
) -> Result<bool, sqlx::Error> {
    use wayfarer_schemas::itinerary::AGGREGATE_TYPE;
    let Some(id) = write.stream_of(AGGREGATE_TYPE) else {
        return Ok(true);
    };
    Ok(applied_versions(connection, table, &[id])
        .await?
        .get(&id)
        .copied()
        .unwrap_or(0)
        >= write.sequence as i64)
}

/// The itineraries of a batch, each once.
pub fn streams(events: &[crate::event::ItineraryEnvelope]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = events.iter().map(crate::event::stream_id).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// A PostgreSQL model of itinerary events that keeps no single row per itinerary (comments,
/// expenses): it says how one event changes its tables, and [`Guarded`] makes it a
/// registered projection, skipping redeliveries by the stream guard.
#[async_trait::async_trait]
pub trait GuardedModel: Send + Sync + 'static {
    const NAME: &'static str;
    /// Its tables, the guard table among them.
    const TABLES: &'static [&'static str];
    /// The guard table.
    const STREAMS: &'static str;

    /// Applies one event of `itinerary_id` (not applied before) to `tables`.
    async fn apply_event(
        &self,
        tx: &mut PgConnection,
        tables: &crate::projection::Tables,
        itinerary_id: Uuid,
        envelope: &crate::event::ItineraryEnvelope,
    ) -> Result<(), sqlx::Error>;
}

/// A [`GuardedModel`] as a transactional projection.
pub struct Guarded<M>(pub M);

impl<M: GuardedModel> crate::projection::Projection for Guarded<M> {
    fn name(&self) -> &'static str {
        M::NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &[wayfarer_schemas::itinerary::AGGREGATE_TYPE]
    }
    /// It serves read-your-writes, so it polls often.
    fn fetch_wait(&self) -> std::time::Duration {
        std::time::Duration::from_millis(10)
    }
}

#[async_trait::async_trait]
impl<M: GuardedModel> crate::projection::TransactionalProjection for Guarded<M> {
    fn tables(&self) -> &'static [&'static str] {
        M::TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &crate::projection::Tables,
        events: &[crate::projection::Envelope],
    ) -> Result<(), crate::ProjectionError> {
        let events: Vec<crate::event::ItineraryEnvelope> = events
            .iter()
            .map(crate::event::from_envelope)
            .collect::<Result<_, _>>()?;
        let guard = tables.name(M::STREAMS);
        let mut versions = applied_versions(&mut *tx, guard, &streams(&events)).await?;
        for envelope in &events {
            let id = crate::event::stream_id(envelope);
            let applied = versions.entry(id).or_insert(0);
            let sequence = envelope.sequence as i64;
            if sequence <= *applied {
                continue;
            }
            if sequence > *applied + 1 {
                // Earlier events of the stream never reached this model (a rebuild racing
                // the live projector, a topic that lost them): apply them from the store
                // first, in order.
                let missing = crate::store::read_streams(
                    &mut *tx,
                    wayfarer_schemas::itinerary::AGGREGATE_TYPE,
                    &[id],
                )
                .await?;
                for raw in missing
                    .iter()
                    .filter(|raw| raw.sequence > *applied && raw.sequence < sequence)
                {
                    let earlier = raw.itinerary_envelope()?;
                    self.0.apply_event(&mut *tx, tables, id, &earlier).await?;
                }
            }
            *applied = sequence;
            self.0.apply_event(&mut *tx, tables, id, envelope).await?;
        }
        save_versions(&mut *tx, guard, versions).await?;
        Ok(())
    }

    async fn has_applied(
        &self,
        connection: &mut PgConnection,
        write: &crate::projection::Write,
    ) -> Result<bool, crate::ProjectionError> {
        Ok(has_applied(connection, M::STREAMS, write).await?)
    }
}
