//! The place catalogue (`place`, `nearbyPlaces`, and `createPlace`'s duplicate check): one row
//! per place in PostgreSQL, written with the checkpoint in one transaction. A place is only
//! ever added, so a redelivered event finds its row and changes nothing.

pub mod read;

use std::time::Duration;

use async_trait::async_trait;
use sqlx::PgConnection;
use wayfarer_schemas::place::{normalized_name, AGGREGATE_TYPE};
use wayfarer_schemas::PlaceEvent;

use crate::projection::{Envelope, Projection, Tables, TransactionalProjection, Write};
use crate::ProjectionError;

pub const NAME: &str = "places";
pub const TABLES: &[&str] = &[PLACES];
const PLACES: &str = "places";

pub struct PlacesProjection;

impl Projection for PlacesProjection {
    fn name(&self) -> &'static str {
        NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &[AGGREGATE_TYPE]
    }
    fn fetch_wait(&self) -> Duration {
        Duration::from_millis(10)
    }
}

#[async_trait]
impl TransactionalProjection for PlacesProjection {
    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let places = tables.name(PLACES);
        for envelope in events {
            let undecodable = |reason: String| ProjectionError::Undecodable {
                position: envelope.global_position,
                reason,
            };
            let event: PlaceEvent = serde_json::from_str(envelope.payload.get())
                .map_err(|e| undecodable(e.to_string()))?;
            let id = envelope
                .aggregate_uuid()
                .ok_or_else(|| undecodable("place id is not a UUID".into()))?;
            let PlaceEvent::PlaceAdded {
                name,
                category,
                latitude,
                longitude,
                address,
                catalogue_ref,
                added_by,
                added_at,
            } = event;
            sqlx::query(&format!(
                "INSERT INTO {places} (place_id, name, normalized_name, category, latitude, \
                 longitude, address, catalogue_ref, added_by, added_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (place_id) DO NOTHING"
            ))
            .bind(id)
            .bind(&name)
            .bind(normalized_name(&name))
            .bind(category.as_str())
            .bind(latitude)
            .bind(longitude)
            .bind(address)
            .bind(catalogue_ref)
            .bind(added_by)
            .bind(added_at)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }

    /// A place has one event: the write is in once its row is.
    async fn has_applied(
        &self,
        connection: &mut PgConnection,
        write: &Write,
    ) -> Result<bool, ProjectionError> {
        let Some(id) = write.stream_of(AGGREGATE_TYPE) else {
            return Ok(true);
        };
        Ok(sqlx::query_scalar(&format!(
            "SELECT EXISTS (SELECT 1 FROM {PLACES} WHERE place_id = $1)"
        ))
        .bind(id)
        .fetch_one(&mut *connection)
        .await?)
    }
}
