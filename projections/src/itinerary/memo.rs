//! Views of recently projected itineraries, kept in memory by the projectors that write whole
//! documents (OpenSearch, Redis). A batch then folds only its own events onto the view the
//! previous batch produced, instead of re-reading and decoding every touched stream from the
//! store. The store stays the source of truth: a view not held here, or one the batch cannot
//! extend without a gap (another process projected in between), is folded from the store.

use std::collections::BTreeMap;

use quick_cache::sync::Cache;
use sqlx::PgPool;
use uuid::Uuid;

use super::source;
use super::view::{ApplyOutcome, ItineraryView};
use crate::event::{stream_id, ItineraryEnvelope};
use crate::ProjectionError;

/// Views kept per projector (least recently used ones are evicted).
const REMEMBERED_VIEWS: usize = 10_000;

pub struct ViewMemo {
    views: Cache<Uuid, ItineraryView>,
}

impl Default for ViewMemo {
    fn default() -> Self {
        Self {
            views: Cache::new(REMEMBERED_VIEWS),
        }
    }
}

impl ViewMemo {
    /// The view of every itinerary `events` touch, with at least those events applied. The
    /// views are taken out of the memo; give them back with [`Self::remember`] once written.
    pub async fn views_after(
        &self,
        pool: &PgPool,
        events: &[ItineraryEnvelope],
    ) -> Result<Vec<ItineraryView>, ProjectionError> {
        let mut streams: BTreeMap<Uuid, Vec<&ItineraryEnvelope>> = BTreeMap::new();
        for event in events {
            streams.entry(stream_id(event)).or_default().push(event);
        }
        let mut views = Vec::with_capacity(streams.len());
        let mut unknown = Vec::new();
        for (id, mut stream) in streams {
            stream.sort_by_key(|event| event.sequence);
            match self.extend(id, &stream) {
                Some(view) => views.push(view),
                None => unknown.push(id),
            }
        }
        if !unknown.is_empty() {
            views.extend(source::fold_views(pool, &unknown).await?);
        }
        Ok(views)
    }

    /// Keeps `views` once they are written. Views taken by [`Self::views_after`] and never
    /// remembered (the write failed) are simply folded from the store next time.
    pub fn remember(&self, views: Vec<ItineraryView>) {
        for view in views {
            self.views.insert(view.id, view);
        }
    }

    /// The remembered view, taken out (or a new one, for a stream that starts here), with
    /// `stream` applied; `None` when that needs events this projector has not seen.
    fn extend(&self, id: Uuid, stream: &[&ItineraryEnvelope]) -> Option<ItineraryView> {
        let (mut view, rest) = match self.views.remove(&id) {
            Some((_, view)) => (view, stream),
            None => {
                let (first, rest) = stream.split_first()?;
                (ItineraryView::start(first)?, rest)
            }
        };
        for event in rest {
            if view.apply(event) == ApplyOutcome::Gap {
                return None;
            }
        }
        Some(view)
    }
}
