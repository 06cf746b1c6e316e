//! Folding itinerary views straight from the event store (the source of truth), for the
//! stores whose writes replace a whole document (OpenSearch, Redis).

use sqlx::PgPool;
use uuid::Uuid;
use wayfarer_schemas::itinerary::AGGREGATE_TYPE;

use super::view::ItineraryView;
use crate::event::ItineraryEnvelope;
use crate::{store, ProjectionError};

/// Current views of the given itineraries, folded from every committed event.
pub async fn fold_views(
    pool: &PgPool,
    ids: &[Uuid],
) -> Result<Vec<ItineraryView>, ProjectionError> {
    let raw = store::read_streams(pool, AGGREGATE_TYPE, ids).await?;
    let mut views = Vec::with_capacity(ids.len());
    let mut stream: Vec<ItineraryEnvelope> = Vec::new();
    let mut current: Option<String> = None;
    for event in raw {
        let envelope = event.itinerary_envelope()?;
        if current.as_deref() != Some(envelope.aggregate_id.as_str()) {
            views.extend(ItineraryView::fold(&stream));
            stream.clear();
            current = Some(envelope.aggregate_id.clone());
        }
        stream.push(envelope);
    }
    views.extend(ItineraryView::fold(&stream));
    Ok(views)
}
