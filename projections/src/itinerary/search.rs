//! The OpenSearch `itineraries` index: full text over titles, item titles and places, and a
//! geo_point per located item. Writes use external versioning on the aggregate sequence, so a
//! stale or redelivered write is refused by OpenSearch itself (409) and ignored here.

use opensearch::http::request::JsonBody;
use opensearch::indices::{IndicesCreateParts, IndicesDeleteParts, IndicesGetAliasParts};
use opensearch::{BulkParts, OpenSearch, SearchParts};
use serde_json::{json, Value};
use uuid::Uuid;

use super::view::ItineraryView;
use crate::ProjectionError;

pub const NAME: &str = "itinerary_search";

/// Index settings and mappings of one generation of the itineraries index.
pub fn index_definition() -> Value {
    json!({
        "settings": { "number_of_shards": 1, "number_of_replicas": 0 },
        "mappings": {
            "properties": {
                "id": { "type": "keyword" },
                "ownerId": { "type": "keyword" },
                "title": { "type": "text" },
                "itemTitles": { "type": "text" },
                "places": { "type": "text" },
                "categories": { "type": "keyword" },
                "visibility": { "type": "keyword" },
                "deleted": { "type": "boolean" },
                "startDate": { "type": "date" },
                "endDate": { "type": "date" },
                "locations": { "type": "geo_point" },
                "updatedAt": { "type": "date" }
            }
        }
    })
}

/// The document indexed for one itinerary.
pub fn document(view: &ItineraryView) -> Value {
    let located: Vec<_> = view
        .items
        .iter()
        .filter_map(|i| i.location.as_ref())
        .collect();
    json!({
        "id": view.id,
        "ownerId": view.owner_id,
        "title": view.title,
        "itemTitles": view.items.iter().map(|i| i.title.clone()).collect::<Vec<_>>(),
        "places": located.iter().map(|l| l.name.clone()).collect::<Vec<_>>(),
        "categories": view.items.iter().map(|i| i.category.as_str()).collect::<Vec<_>>(),
        "visibility": view.visibility.as_str(),
        "deleted": view.deleted,
        "startDate": view.start_date,
        "endDate": view.end_date,
        "locations": located.iter().map(|l| json!({ "lat": l.lat, "lon": l.lon })).collect::<Vec<_>>(),
        "updatedAt": view.updated_at,
    })
}

/// Whether `alias` points at an index. OpenSearch indexes are disposable (the local emulator
/// keeps them in memory): a missing one is rebuilt from the store, not treated as empty.
pub async fn alias_exists(client: &OpenSearch, alias: &str) -> Result<bool, ProjectionError> {
    Ok(current_index(client, alias).await?.is_some())
}

pub async fn create_index(client: &OpenSearch, index: &str) -> Result<(), ProjectionError> {
    create_index_with(client, index, index_definition()).await
}

/// Creates `index` with `definition` (settings and mappings); an existing one is kept.
pub async fn create_index_with(
    client: &OpenSearch,
    index: &str,
    definition: Value,
) -> Result<(), ProjectionError> {
    let response = client
        .indices()
        .create(IndicesCreateParts::Index(index))
        .body(definition)
        .send()
        .await?;
    let status = response.status_code().as_u16();
    if status >= 300 && status != 400 {
        return Err(ProjectionError::OpenSearch(format!(
            "creating index {index}: {}",
            response.text().await.unwrap_or_default()
        )));
    }
    Ok(())
}

/// The concrete index behind `alias`, if any.
pub async fn current_index(
    client: &OpenSearch,
    alias: &str,
) -> Result<Option<String>, ProjectionError> {
    let response = client
        .indices()
        .get_alias(IndicesGetAliasParts::Name(&[alias]))
        .send()
        .await?;
    if response.status_code().as_u16() == 404 {
        return Ok(None);
    }
    let body: Value = response.json().await?;
    Ok(body.as_object().and_then(|indexes| {
        indexes
            .keys()
            .find(|k| !k.starts_with("error") && *k != "status")
            .cloned()
    }))
}

/// Points `alias` at `to` (and away from `from`) in one atomic alias update.
pub async fn swap_alias(
    client: &OpenSearch,
    alias: &str,
    from: Option<&str>,
    to: &str,
) -> Result<(), ProjectionError> {
    let mut actions = vec![json!({ "add": { "index": to, "alias": alias } })];
    if let Some(from) = from {
        actions.insert(0, json!({ "remove": { "index": from, "alias": alias } }));
    }
    let response = client
        .indices()
        .update_aliases()
        .body(json!({ "actions": actions }))
        .send()
        .await?;
    if !response.status_code().is_success() {
        return Err(ProjectionError::OpenSearch(format!(
            "alias swap: {}",
            response.text().await.unwrap_or_default()
        )));
    }
    Ok(())
}

pub async fn delete_index(client: &OpenSearch, index: &str) -> Result<(), ProjectionError> {
    client
        .indices()
        .delete(IndicesDeleteParts::Index(&[index]))
        .send()
        .await?;
    Ok(())
}

/// Indexes whole views with `version = view.version` (external).
pub async fn index_views(
    client: &OpenSearch,
    target: &str,
    views: &[ItineraryView],
) -> Result<(), ProjectionError> {
    let documents = views
        .iter()
        .map(|view| (view.id.to_string(), view.version, document(view)));
    bulk_index(client, target, documents).await
}

/// Indexes `(id, version, document)` triples with external versioning. Version conflicts mean
/// a newer or equal version is already there: that is success for an idempotent projection.
pub async fn bulk_index(
    client: &OpenSearch,
    target: &str,
    documents: impl Iterator<Item = (String, u64, Value)>,
) -> Result<(), ProjectionError> {
    let mut body: Vec<JsonBody<Value>> = Vec::new();
    for (id, version, document) in documents {
        body.push(
            json!({ "index": { "_id": id, "version": version, "version_type": "external" } })
                .into(),
        );
        body.push(document.into());
    }
    if body.is_empty() {
        return Ok(());
    }
    let response = client
        .bulk(BulkParts::Index(target))
        .body(body)
        .send()
        .await?;
    let status = response.status_code();
    let reply: Value = response.json().await?;
    if !status.is_success() {
        return Err(ProjectionError::OpenSearch(format!(
            "bulk failed ({status}): {reply}"
        )));
    }
    if reply["errors"].as_bool().unwrap_or(false) {
        for item in reply["items"].as_array().into_iter().flatten() {
            let result = &item["index"];
            let code = result["status"].as_u64().unwrap_or(0);
            if code >= 300 && code != 409 {
                return Err(ProjectionError::OpenSearch(format!(
                    "bulk item failed: {result}"
                )));
            }
        }
    }
    Ok(())
}

/// The version of `id` that searches see (0 when it is not searchable yet). Asks the search
/// side, not a realtime GET: a document is readable by id before a refresh makes it
/// searchable. External versioning makes `_version` the aggregate sequence.
pub async fn searchable_version(
    client: &OpenSearch,
    alias: &str,
    id: Uuid,
) -> Result<u64, ProjectionError> {
    let response = client
        .search(SearchParts::Index(&[alias]))
        .body(json!({
            "query": { "bool": { "filter": [{ "term": { "id": id.to_string() } }] } },
            "version": true,
            "_source": false
        }))
        .send()
        .await?;
    if !response.status_code().is_success() {
        return Ok(0);
    }
    let body: Value = response.json().await?;
    Ok(body["hits"]["hits"][0]["_version"].as_u64().unwrap_or(0))
}

/// A geo filter: within `radius_km` of a point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
}

/// One page of search hits: itinerary ids in rank order plus the total.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    pub ids: Vec<Uuid>,
    pub total: u64,
}

/// Public, live itineraries (plus the viewer's own) matching `text` and/or `near`.
pub async fn search(
    client: &OpenSearch,
    alias: &str,
    text: Option<&str>,
    near: Option<Near>,
    viewer: Option<Uuid>,
    from: u64,
    size: u64,
) -> Result<SearchPage, ProjectionError> {
    let mut must = Vec::new();
    if let Some(text) = text.filter(|t| !t.trim().is_empty()) {
        must.push(json!({ "multi_match": {
            "query": text,
            "fields": ["title^3", "itemTitles", "places^2"],
            "fuzziness": "AUTO"
        }}));
    }
    let mut visible = vec![json!({ "term": { "visibility": "PUBLIC" } })];
    if let Some(viewer) = viewer {
        visible.push(json!({ "term": { "ownerId": viewer.to_string() } }));
    }
    let mut filter = vec![
        json!({ "term": { "deleted": false } }),
        json!({ "bool": { "should": visible, "minimum_should_match": 1 } }),
    ];
    if let Some(near) = near {
        filter.push(json!({ "geo_distance": {
            "distance": format!("{}km", near.radius_km),
            "locations": { "lat": near.lat, "lon": near.lon }
        }}));
    }
    let query = json!({
        "from": from,
        "size": size,
        "query": { "bool": { "must": must, "filter": filter } },
        "_source": ["id"]
    });
    run_search(client, alias, query).await
}

/// Runs `query` against `alias` and returns the hit ids in rank order with the total.
pub async fn run_search(
    client: &OpenSearch,
    alias: &str,
    query: Value,
) -> Result<SearchPage, ProjectionError> {
    let response = client
        .search(SearchParts::Index(&[alias]))
        .body(query)
        .send()
        .await?;
    let status = response.status_code();
    if status.as_u16() == 404 {
        // Not built yet (or lost with the search server): "no results" would be a lie, so say
        // it is being built. The alias only ever points at a complete index.
        return Err(ProjectionError::IndexMissing(alias.to_owned()));
    }
    let reply: Value = response.json().await?;
    if !status.is_success() {
        return Err(ProjectionError::OpenSearch(format!(
            "search failed ({status}): {reply}"
        )));
    }
    let hits = &reply["hits"];
    let total = hits["total"]["value"]
        .as_u64()
        .or_else(|| hits["total"].as_u64())
        .unwrap_or(0);
    let ids = hits["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|hit| hit["_id"].as_str().and_then(|id| Uuid::parse_str(id).ok()))
        .collect();
    Ok(SearchPage { ids, total })
}

/// Points `alias` at a rebuilt index `target` and drops the index it pointed at before.
pub async fn swap_in(
    client: &OpenSearch,
    alias: &str,
    target: &str,
) -> Result<(), ProjectionError> {
    let old = current_index(client, alias).await?;
    swap_alias(client, alias, old.as_deref(), target).await?;
    if let Some(old) = old.filter(|old| old != target) {
        delete_index(client, &old).await?;
    }
    Ok(())
}
