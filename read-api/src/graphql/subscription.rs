//! Subscriptions, fed by the Redis projection's pub/sub notifications.

use async_graphql::{Context, Subscription};
use futures::{Stream, StreamExt};
use uuid::Uuid;
use wayfarer_projections::itinerary::{pg, ItineraryView};

use super::context::{caller, state};
use super::types::Itinerary;
use crate::error::{ApiError, IntoGraphql};

pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Every change to an itinerary the caller may see, as the changed itinerary. Ends after
    /// the itinerary is deleted or stops being visible to the caller.
    async fn itinerary_changed(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<impl Stream<Item = Itinerary>> {
        itinerary_changes(ctx, id).await.gql()
    }
}

async fn itinerary_changes(
    ctx: &Context<'_>,
    id: Uuid,
) -> Result<impl Stream<Item = Itinerary>, ApiError> {
    let api = state(ctx).clone();
    let viewer = caller(ctx);
    let current = pg::find(&api.pool, id).await?;
    if !current.as_ref().is_some_and(|view| view.visible_to(viewer)) {
        return Err(ApiError::NotFound("itinerary not found".into()));
    }
    let mut pubsub = api
        .redis_client
        .get_async_pubsub()
        .await
        .map_err(ApiError::internal)?;
    pubsub
        .subscribe(api.names.itinerary_channel(id))
        .await
        .map_err(ApiError::internal)?;
    let messages = pubsub.into_on_message();
    let stream = messages
        .filter_map(|message| async move {
            let text: String = message.get_payload().ok()?;
            serde_json::from_str::<ItineraryView>(&text).ok()
        })
        .scan(false, move |finished, view| {
            if *finished {
                return futures::future::ready(None);
            }
            let visible = view.visible_to(viewer);
            *finished = !visible;
            // A deletion is still announced (with `deleted: true`) before the stream ends.
            let announce = visible || view.deleted;
            futures::future::ready(Some(announce.then_some(view)))
        })
        .filter_map(|view| async move { view.map(Itinerary) });
    Ok(stream)
}
