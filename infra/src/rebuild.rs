//! Rebuilding a projection from the PostgreSQL store (complete whatever Kafka retains), in
//! commit-safe order, into a shadow table or index that replaces the live one atomically.
//! Readers keep the old model until the swap and never see a half-built one.

use std::collections::HashMap;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use wayfarer_projections::checkpoint;
use wayfarer_projections::event::stream_id;
use wayfarer_projections::itinerary::pg::{self, ViewTables};
use wayfarer_projections::itinerary::{cache, search, source, ItineraryView};
use wayfarer_projections::store::{self, CommitPosition};
use wayfarer_projections::ProjectionError;
use wayfarer_schemas::itinerary::AGGREGATE_TYPE;

use crate::config::Settings;
use crate::db;
use crate::projections::{opensearch_client, redis_pool, ProjectionKind};

const READ_CHUNK: i64 = 5000;
const WRITE_CHUNK: usize = 1000;

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildReport {
    pub projection: &'static str,
    pub events: u64,
    pub itineraries: u64,
    pub position: i64,
}

/// Rebuilds `kind`. `show_progress` draws a progress bar on stderr.
pub async fn rebuild(
    settings: &Settings,
    kind: ProjectionKind,
    show_progress: bool,
) -> Result<RebuildReport, ProjectionError> {
    // One rebuild of a projection at a time (two admins, or two search projectors finding the
    // index missing): the lock lives as long as this connection.
    let mut lock = db::connect_single(&settings.postgres).await?;
    sqlx::query("SELECT pg_advisory_lock(hashtext($1))")
        .bind(format!(
            "wayfarer.rebuild.{}.{}",
            settings.postgres.schema,
            kind.name()
        ))
        .execute(&mut lock)
        .await?;
    let pool = db::connect(&settings.postgres).await?;
    let bar = progress_bar(&pool, show_progress).await?;
    let reader = db::connect_single(&settings.postgres).await?;
    let started = std::time::Instant::now();
    let (mut views, mut position, events, mut reader) =
        fold_all(reader, &bar, CommitPosition::default()).await?;
    bar.finish_and_clear();
    tracing::info!(
        projection = kind.name(),
        events,
        itineraries = views.len(),
        seconds = started.elapsed().as_secs_f64(),
        "store read and folded"
    );
    match kind {
        ProjectionKind::ItineraryPg => rebuild_pg(&pool, &mut views, &mut position).await?,
        ProjectionKind::ItinerarySearch => {
            rebuild_search(settings, &pool, &mut reader, &views, &mut position).await?;
            finish(&pool, kind, position).await?;
        }
        ProjectionKind::ItineraryCache => {
            let redis = redis_pool(&settings.redis.url)?;
            let all: Vec<ItineraryView> = views.values().cloned().collect();
            for chunk in all.chunks(WRITE_CHUNK) {
                cache::put_views(&redis, &settings.names(), chunk).await?;
            }
            finish(&pool, kind, position).await?;
        }
    }
    drop(lock);
    Ok(RebuildReport {
        projection: kind.name(),
        events,
        itineraries: views.len() as u64,
        position: position.global_position,
    })
}

/// A new index filled in bulk, the alias swapped onto it atomically, the old index dropped,
/// then whatever committed meanwhile indexed too (version-guarded).
async fn rebuild_search(
    settings: &Settings,
    pool: &PgPool,
    reader: &mut PgConnection,
    views: &HashMap<Uuid, ItineraryView>,
    position: &mut CommitPosition,
) -> Result<(), ProjectionError> {
    let client = opensearch_client(&settings.opensearch.url)?;
    let alias = settings.names().itineraries_alias();
    let index = format!("{alias}_v{}", chrono::Utc::now().timestamp_millis());
    search::create_index(&client, &index).await?;
    let all: Vec<ItineraryView> = views.values().cloned().collect();
    for chunk in all.chunks(WRITE_CHUNK) {
        search::index_views(&client, &index, chunk).await?;
    }
    let old = search::current_index(&client, &alias).await?;
    search::swap_alias(&client, &alias, old.as_deref(), &index).await?;
    if let Some(old) = old.filter(|old| *old != index) {
        search::delete_index(&client, &old).await?;
    }
    let touched = catch_up_ids(reader, position).await?;
    let fresh = source::fold_views(pool, &touched).await?;
    search::index_views(&client, &alias, &fresh).await
}

async fn progress_bar(pool: &PgPool, visible: bool) -> Result<ProgressBar, ProjectionError> {
    let (total,): (i64,) = sqlx::query_as("SELECT count(*) FROM events WHERE aggregate_type = $1")
        .bind(AGGREGATE_TYPE)
        .fetch_one(pool)
        .await?;
    let bar = ProgressBar::with_draw_target(
        Some(total as u64),
        if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} events  {per_sec}  eta {eta}")
            .expect("valid template"),
    );
    Ok(bar)
}

/// Folds every committed itinerary event after `from` into views, in commit order. Reading the
/// next chunk overlaps with decoding and folding the current one (the database and this
/// process work at the same time).
async fn fold_all(
    reader: PgConnection,
    bar: &ProgressBar,
    from: CommitPosition,
) -> Result<
    (
        HashMap<Uuid, ItineraryView>,
        CommitPosition,
        u64,
        PgConnection,
    ),
    ProjectionError,
> {
    let (chunks_tx, mut chunks) = tokio::sync::mpsc::channel(2);
    let read_ahead = tokio::spawn(async move {
        let mut reader = reader;
        let mut position = from;
        loop {
            let chunk = store::read_committed_after(
                &mut reader,
                position,
                Some(AGGREGATE_TYPE),
                READ_CHUNK,
            )
            .await;
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => return Err(ProjectionError::from(error)),
            };
            let Some(last) = chunk.last().map(|e| e.commit_position()) else {
                break;
            };
            position = last;
            if chunks_tx.send(chunk).await.is_err() {
                break;
            }
        }
        Ok((reader, position))
    });
    let mut views: HashMap<Uuid, ItineraryView> = HashMap::new();
    let mut events = 0u64;
    while let Some(chunk) = chunks.recv().await {
        for raw in &chunk {
            apply(&mut views, &raw.itinerary_envelope()?);
        }
        events += chunk.len() as u64;
        bar.inc(chunk.len() as u64);
    }
    let (reader, position) = read_ahead.await.map_err(ProjectionError::TaskFailed)??;
    Ok((views, position, events, reader))
}

fn apply(
    views: &mut HashMap<Uuid, ItineraryView>,
    envelope: &wayfarer_projections::event::ItineraryEnvelope,
) {
    let id = stream_id(envelope);
    match views.get_mut(&id) {
        Some(view) => {
            view.apply(envelope);
        }
        None => {
            if let Some(view) = ItineraryView::start(envelope) {
                views.insert(id, view);
            }
        }
    }
}

/// Shadow tables filled in bulk, then caught up and swapped in one transaction that holds the
/// projection's state lock, so the live projector pauses for the swap only.
async fn rebuild_pg(
    pool: &PgPool,
    views: &mut HashMap<Uuid, ItineraryView>,
    position: &mut CommitPosition,
) -> Result<(), ProjectionError> {
    let live = ViewTables::live();
    let shadow = ViewTables::shadow(&format!("r{}", chrono::Utc::now().timestamp_millis()));
    let mut connection = pool.acquire().await?;
    for (shadow_table, live_table) in [
        (&shadow.itineraries, &live.itineraries),
        (&shadow.items, &live.items),
    ] {
        sqlx::query(&format!("DROP TABLE IF EXISTS {shadow_table}"))
            .execute(&mut *connection)
            .await?;
        sqlx::query(&format!(
            "CREATE TABLE {shadow_table} (LIKE {live_table} INCLUDING ALL)"
        ))
        .execute(&mut *connection)
        .await?;
    }
    let all: Vec<&ItineraryView> = views.values().collect();
    for chunk in all.chunks(WRITE_CHUNK) {
        pg::save_views(&mut connection, &shadow, chunk).await?;
    }
    drop(connection);

    let mut tx = pool.begin().await?;
    checkpoint::lock_state(&mut tx, pg::NAME).await?;
    // Events committed since the bulk read: apply them to the shadow copy too.
    let mut touched = Vec::new();
    loop {
        let chunk =
            store::read_committed_after(&mut tx, *position, Some(AGGREGATE_TYPE), READ_CHUNK)
                .await?;
        let Some(last) = chunk.last().map(|e| e.commit_position()) else {
            break;
        };
        for raw in &chunk {
            let envelope = raw.itinerary_envelope()?;
            touched.push(stream_id(&envelope));
            apply(views, &envelope);
        }
        *position = last;
    }
    touched.sort();
    touched.dedup();
    let caught_up: Vec<&ItineraryView> = touched.iter().filter_map(|id| views.get(id)).collect();
    pg::save_views(&mut tx, &shadow, &caught_up).await?;
    for (shadow_table, live_table) in [
        (&shadow.itineraries, &live.itineraries),
        (&shadow.items, &live.items),
    ] {
        sqlx::query(&format!("DROP TABLE {live_table}"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!(
            "ALTER TABLE {shadow_table} RENAME TO {live_table}"
        ))
        .execute(&mut *tx)
        .await?;
    }
    checkpoint::mark_rebuilt(&mut tx, pg::NAME, position.global_position).await?;
    tx.commit().await?;
    Ok(())
}

async fn catch_up_ids(
    reader: &mut PgConnection,
    position: &mut CommitPosition,
) -> Result<Vec<Uuid>, ProjectionError> {
    let mut touched = Vec::new();
    loop {
        let chunk =
            store::read_committed_after(reader, *position, Some(AGGREGATE_TYPE), READ_CHUNK)
                .await?;
        let Some(last) = chunk.last().map(|e| e.commit_position()) else {
            break;
        };
        touched.extend(
            chunk
                .iter()
                .filter_map(|e| Uuid::parse_str(&e.aggregate_id).ok()),
        );
        *position = last;
    }
    touched.sort();
    touched.dedup();
    Ok(touched)
}

async fn finish(
    pool: &PgPool,
    kind: ProjectionKind,
    position: CommitPosition,
) -> Result<(), ProjectionError> {
    let mut tx = pool.begin().await?;
    checkpoint::lock_state(&mut tx, kind.name()).await?;
    checkpoint::mark_rebuilt(&mut tx, kind.name(), position.global_position).await?;
    tx.commit().await?;
    Ok(())
}
