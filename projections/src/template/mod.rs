//! The template library (`templates`, `template`): one row per template in PostgreSQL,
//! written with the checkpoint in one transaction and guarded by the template's version.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use wayfarer_schemas::template::AGGREGATE_TYPE;
use wayfarer_schemas::{TemplateDetails, TemplateEvent};

use crate::projection::{Envelope, Projection, Tables, TransactionalProjection, Write};
use crate::ProjectionError;

pub const NAME: &str = "templates";
pub const TABLES: &[&str] = &[TEMPLATES];
const TEMPLATES: &str = "template_view";

/// One template of the library.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TemplateRow {
    pub template_id: Uuid,
    pub author_id: Uuid,
    pub source_itinerary_id: Uuid,
    pub details: Json<TemplateDetails>,
    pub featured: bool,
    pub saved_at: DateTime<Utc>,
}

pub struct TemplatesProjection;

impl Projection for TemplatesProjection {
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

fn undecodable(envelope: &Envelope, reason: impl ToString) -> ProjectionError {
    ProjectionError::undecodable(envelope.global_position, reason)
}

#[async_trait]
impl TransactionalProjection for TemplatesProjection {
    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let table = tables.name(TEMPLATES);
        for envelope in events {
            let event: TemplateEvent = serde_json::from_str(envelope.payload.get())
                .map_err(|e| undecodable(envelope, e))?;
            let id = Uuid::parse_str(&envelope.aggregate_id)
                .map_err(|_| undecodable(envelope, "template id is not a UUID"))?;
            let version = envelope.sequence as i64;
            if let TemplateEvent::TemplateSaved {
                source_itinerary_id,
                author_id,
                details,
                saved_at,
                ..
            } = &event
            {
                sqlx::query(&format!(
                    "INSERT INTO {table} (template_id, author_id, source_itinerary_id, title, \
                     description, category, details, saved_at, version) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (template_id) DO NOTHING"
                ))
                .bind(id)
                .bind(author_id)
                .bind(source_itinerary_id)
                .bind(&details.title)
                .bind(&details.description)
                .bind(details.category.as_str())
                .bind(Json(details))
                .bind(saved_at)
                .bind(version)
                .execute(&mut *tx)
                .await?;
                continue;
            }
            let change = match event {
                TemplateEvent::TemplateSaved { .. } => continue,
                TemplateEvent::TemplateFeatured { .. } => "featured = true",
                TemplateEvent::TemplateUnfeatured { .. } => "featured = false",
                TemplateEvent::TemplateDeleted { .. } => "deleted = true",
            };
            // Applied once: only when it moves the version on.
            sqlx::query(&format!(
                "UPDATE {table} SET {change}, version = $2 WHERE template_id = $1 AND version < $2"
            ))
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }

    async fn has_applied(
        &self,
        connection: &mut PgConnection,
        write: &Write,
    ) -> Result<bool, ProjectionError> {
        let Some(id) = write.stream_of(AGGREGATE_TYPE) else {
            return Ok(true);
        };
        Ok(write
            .versioned_row_reached(connection, TEMPLATES, "template_id", id)
            .await?)
    }
}

const COLUMNS: &str = "template_id, author_id, source_itinerary_id, details, featured, saved_at";

/// One live template.
pub async fn find(pool: &PgPool, id: Uuid) -> Result<Option<TemplateRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM template_view WHERE template_id = $1 AND NOT deleted"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// A page of the library: featured first, then newest; narrowed by words of the title or
/// description and by category.
pub async fn search(
    pool: &PgPool,
    query: Option<&str>,
    category: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<Vec<TemplateRow>, sqlx::Error> {
    let pattern = query.map(|q| {
        format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM template_view WHERE NOT deleted \
         AND ($1::text IS NULL OR title ILIKE $1 OR description ILIKE $1) \
         AND ($2::text IS NULL OR category = $2) \
         ORDER BY featured DESC, saved_at DESC, template_id DESC OFFSET $3 LIMIT $4"
    ))
    .bind(pattern)
    .bind(category)
    .bind(offset)
    .bind(limit)
    .fetch_all(pool)
    .await
}
