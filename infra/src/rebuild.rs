//! Rebuilding a projection from the PostgreSQL store (complete whatever Kafka retains), in
//! commit-safe order, into a shadow copy that replaces the live one atomically. Readers keep
//! the old model until the swap and never see a half-built one.
//!
//! The store is streamed: a reader task fetches the next chunk while the current one is
//! applied, and each chunk goes through the projection's own code (the same as live), so a
//! rebuild needs no more memory than a chunk, whatever the store's size.
//!
//! - Transactional and multi-stream: shadow copies of the projection's tables are filled a
//!   chunk per short transaction (a long one would hold back the relay's horizon), then the
//!   events committed meanwhile are applied and the tables renamed into place, in one
//!   transaction that holds the projection's lock, so the live runner pauses for the swap only.
//! - Document: the projection fills a new target (a new index), makes it live (an atomic alias
//!   swap), then applies what committed meanwhile to the live model (version-guarded).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sqlx::{PgConnection, PgPool};
use tokio::sync::mpsc;
use wayfarer_projections::checkpoint;
use wayfarer_projections::dead_letters::{self, DeadLetter};
use wayfarer_projections::status;
use wayfarer_projections::store::{self, CommitPosition};
use wayfarer_projections::{Envelope, Prepared, ProjectionError, Registered, Tables};
use wayfarer_schemas::Registry;

use crate::config::Settings;
use crate::db;

const READ_CHUNK: i64 = 10_000;

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildReport {
    pub projection: &'static str,
    pub events: u64,
    pub position: i64,
}

/// Rebuilds `projection` from the store. `show_progress` draws a progress bar on stderr.
pub async fn rebuild(
    settings: &Settings,
    projection: &Registered,
    events: &Registry,
    show_progress: bool,
) -> Result<RebuildReport, ProjectionError> {
    let name = projection.name();
    // One rebuild of a projection at a time (two admins, or two projectors finding a model
    // missing): the lock lives as long as this connection.
    let mut lock = db::connect_single(&settings.postgres).await?;
    sqlx::query(&format!(
        "SELECT pg_advisory_lock(hashtext({}))",
        status::REBUILD_LOCK_KEY
    ))
    .bind(name)
    .execute(&mut lock)
    .await?;
    let pool = db::connect(&settings.postgres).await?;
    let types: Vec<&'static str> = projection.info().aggregate_types().to_vec();
    let bar = progress_bar(&pool, &types, show_progress).await?;
    status::rebuild_started(&pool, name, bar.length().unwrap_or(0) as i64).await?;
    let rebuilt = fill_and_swap(projection, events, &settings.postgres, &pool, &types, &bar).await;
    let failure = rebuilt.as_ref().err().map(ToString::to_string);
    if let Err(error) = status::rebuild_finished(&pool, name, failure.as_deref()).await {
        tracing::warn!(projection = name, %error, "could not record how the rebuild ended");
    }
    drop(lock);
    rebuilt
}

/// The rebuild proper, under the rebuild lock: fills the new copy, swaps it in.
async fn fill_and_swap(
    projection: &Registered,
    events: &Registry,
    postgres: &crate::config::PostgresSettings,
    pool: &PgPool,
    types: &[&'static str],
    bar: &ProgressBar,
) -> Result<RebuildReport, ProjectionError> {
    let name = projection.name();
    let pool = pool.clone();
    let types: Vec<&'static str> = types.to_vec();
    let reader = db::connect_single(postgres).await?;
    let chunks = read_chunks(reader, types.clone(), events.clone());
    let started = std::time::Instant::now();
    let mut count = 0u64;
    // Time spent waiting for the store reader and the preparation: the rest is writing.
    let mut reading = std::time::Duration::ZERO;
    let position = match projection {
        Registered::Transactional(_) | Registered::MultiStream(_) => {
            let (tables, create) = pg_tables(projection);
            let mut shadow = Shadow::create(&pool, tables, create).await?;
            let filled = async {
                let mut prepared = prepare_ahead(chunks, projection.clone());
                loop {
                    let waited = std::time::Instant::now();
                    let Some(chunk) = prepared.recv().await else {
                        break;
                    };
                    reading += waited.elapsed();
                    let chunk = chunk?;
                    count += chunk.raw.len() as u64;
                    bar.inc(chunk.raw.len() as u64);
                    status::rebuild_progress(&pool, name, count as i64).await?;
                    fill(
                        &pool,
                        projection,
                        &shadow.shadow,
                        chunk.prepared,
                        &chunk.raw,
                    )
                    .await?;
                    shadow.reached = chunk.last;
                }
                shadow.build_indexes(&pool).await?;
                shadow.swap_in(&pool, projection, &types, events).await
            }
            .await;
            match filled {
                Ok(position) => position,
                Err(error) => {
                    shadow.discard(&pool).await;
                    return Err(error);
                }
            }
        }
        Registered::Document(p) => {
            let target = p.begin_rebuild().await?;
            let filled = fill_document(p.as_ref(), &target, chunks, &pool, name, bar).await;
            let (mut reached, filled_count) = match filled {
                Ok(filled) => filled,
                Err(error) => {
                    if let Err(cleanup) = p.discard_rebuild(&target).await {
                        tracing::warn!(projection = name, %cleanup, "could not drop a failed rebuild's target");
                    }
                    return Err(error);
                }
            };
            count = filled_count;
            p.finish_rebuild(&target).await?;
            // What committed meanwhile, applied to the now live target (version-guarded, and
            // silently: the live projector announces what it has not announced yet).
            let mut connection = pool.acquire().await?;
            loop {
                let catch_up = read_envelopes(&mut connection, reached, &types, events).await?;
                let Some(last) = catch_up.last else { break };
                p.rebuild_chunk(&target, &catch_up.events).await?;
                reached = last;
            }
            drop(connection);
            let mut tx = pool.begin().await?;
            checkpoint::lock_state(&mut tx, name).await?;
            checkpoint::mark_rebuilt(&mut tx, name, reached.global_position).await?;
            tx.commit().await?;
            reached
        }
    };
    bar.finish_and_clear();
    tracing::info!(
        projection = name,
        events = count,
        seconds = started.elapsed().as_secs_f64(),
        waiting_for_store_seconds = reading.as_secs_f64(),
        "projection rebuilt"
    );
    Ok(RebuildReport {
        projection: name,
        events: count,
        position: position.global_position,
    })
}

/// Fills a document projection's new target from the store; where it ended and how many
/// events it read. Events that fail on their own data are dead-lettered, one by one.
async fn fill_document(
    p: &dyn wayfarer_projections::DocumentProjection,
    target: &str,
    mut chunks: mpsc::Receiver<Result<Chunk, ProjectionError>>,
    pool: &PgPool,
    name: &str,
    bar: &ProgressBar,
) -> Result<(CommitPosition, u64), ProjectionError> {
    let mut reached = CommitPosition::default();
    let mut count = 0u64;
    while let Some(chunk) = chunks.recv().await {
        let chunk = chunk?;
        count += chunk.events.len() as u64;
        bar.inc(chunk.events.len() as u64);
        status::rebuild_progress(pool, name, count as i64).await?;
        if let Err(error) = p.rebuild_chunk(target, &chunk.events).await {
            if !error.is_poison() {
                return Err(error);
            }
            for event in &chunk.events {
                match p.rebuild_chunk(target, std::slice::from_ref(event)).await {
                    Ok(()) => {}
                    Err(error) if error.is_poison() => {
                        let mut connection = pool.acquire().await?;
                        dead_letters::record(
                            &mut connection,
                            &[store_dead_letter(name, event, &error)],
                        )
                        .await?;
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        reached = chunk.last;
    }
    Ok((reached, count))
}

/// Rebuilds started from the API (`rebuildProjection`, the admin page): each runs in the
/// background of the API process and records its progress and outcome for `projections`.
pub struct BackgroundRebuilds {
    settings: Settings,
    platform: crate::Platform,
    pool: PgPool,
    /// Rebuilds this process started whose task has not finished (it may not hold the lock
    /// yet): a second request for one of them is refused, not queued.
    started: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<&'static str>>>,
}

impl BackgroundRebuilds {
    pub fn new(settings: Settings, platform: crate::Platform) -> Result<Self, sqlx::Error> {
        let pool = db::connect_lazy(&settings.postgres, 1)?;
        Ok(Self {
            settings,
            platform,
            pool,
            started: Default::default(),
        })
    }
}

#[async_trait::async_trait]
impl wayfarer_read_api::state::Rebuilds for BackgroundRebuilds {
    async fn start(&self, name: &str) -> wayfarer_read_api::error::ApiResult<()> {
        let projection = self
            .platform
            .projection(name)
            .map_err(|error| wayfarer_read_api::ApiError::NotFound(error.to_string()))?
            .clone();
        let name = projection.name();
        let running = status::rebuild_running(&self.pool, name)
            .await
            .map_err(wayfarer_read_api::ApiError::internal)?;
        let fresh = self.started.lock().expect("not poisoned").insert(name);
        if running || !fresh {
            if fresh {
                self.started.lock().expect("not poisoned").remove(name);
            }
            return Err(wayfarer_read_api::ApiError::Conflict(format!(
                "a rebuild of {name} is running already"
            )));
        }
        // Shown as rebuilding at once; the rebuild records its total when it has the lock.
        if let Err(error) = status::rebuild_started(&self.pool, name, 0).await {
            self.started.lock().expect("not poisoned").remove(name);
            return Err(wayfarer_read_api::ApiError::internal(error));
        }
        let settings = self.settings.clone();
        let events = self.platform.events.clone();
        let pool = self.pool.clone();
        let started = self.started.clone();
        tokio::spawn(async move {
            let rebuilt = rebuild(&settings, &projection, &events, false).await;
            started
                .lock()
                .expect("not poisoned")
                .remove(projection.name());
            match rebuilt {
                Ok(report) => tracing::info!(
                    projection = report.projection,
                    events = report.events,
                    "rebuild started from the API finished"
                ),
                Err(error) => {
                    tracing::error!(projection = projection.name(), %error, "rebuild started from the API failed");
                    // Also when it failed before it could record anything itself.
                    let reason = error.to_string();
                    let _ = status::rebuild_finished(&pool, projection.name(), Some(&reason)).await;
                }
            }
        });
        Ok(())
    }
}

/// A chunk of the store, as projections receive it, and where it ends in commit order.
struct Chunk {
    events: Vec<Envelope>,
    last: CommitPosition,
}

/// The next committed events of `types` after `after`, decoded (and upcast) through `events`.
async fn read_envelopes(
    connection: &mut PgConnection,
    after: CommitPosition,
    types: &[&str],
    events: &Registry,
) -> Result<ChunkOrEnd, ProjectionError> {
    let raw = store::read_committed_of(connection, after, Some(types), READ_CHUNK).await?;
    let last = raw.last().map(|e| e.commit_position());
    let events = raw
        .iter()
        .map(|event| event.owned_envelope(events))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ChunkOrEnd { events, last })
}

struct ChunkOrEnd {
    events: Vec<Envelope>,
    last: Option<CommitPosition>,
}

/// Streams the store in chunks from a reader task, one chunk ahead of the consumer.
fn read_chunks(
    mut reader: PgConnection,
    types: Vec<&'static str>,
    events: Registry,
) -> mpsc::Receiver<Result<Chunk, ProjectionError>> {
    let (sender, receiver) = mpsc::channel(2);
    tokio::spawn(async move {
        let mut position = CommitPosition::default();
        loop {
            let chunk = match read_envelopes(&mut reader, position, &types, &events).await {
                Ok(chunk) => chunk,
                Err(error) => {
                    let _ = sender.send(Err(error)).await;
                    return;
                }
            };
            let Some(last) = chunk.last else { return };
            position = last;
            let chunk = Chunk {
                events: chunk.events,
                last,
            };
            if sender.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
    });
    receiver
}

/// The tables of a PostgreSQL projection and the DDL that creates them, if it has any.
fn pg_tables(projection: &Registered) -> (&'static [&'static str], Option<&'static str>) {
    match projection {
        Registered::Transactional(p) => (p.tables(), projection.create_tables()),
        Registered::MultiStream(p) => (p.tables(), projection.create_tables()),
        Registered::Document(_) => (&[], None),
    }
}

/// Applies events to one copy of a PostgreSQL projection's tables. A rebuild reads each event
/// once, in commit order, so a multi-stream projection needs no markers here (they are reset
/// at the swap).
async fn apply_pg(
    projection: &Registered,
    tx: &mut PgConnection,
    tables: &Tables,
    events: &[Envelope],
) -> Result<(), ProjectionError> {
    match projection {
        Registered::Transactional(p) => p.apply(tx, tables, events).await,
        Registered::MultiStream(p) => p.apply(tx, tables, events).await,
        Registered::Document(_) => Ok(()),
    }
}

/// A chunk after the projection's work ahead of the database (see
/// [`TransactionalProjection::prepare`](wayfarer_projections::TransactionalProjection::prepare)),
/// with its events as read (to isolate a poison event, should one be in it).
struct PreparedChunk {
    /// `None` when preparing failed on an event's own data.
    prepared: Option<Prepared>,
    raw: Vec<Envelope>,
    last: CommitPosition,
}

/// Runs the projection's preparation (decoding) of each chunk on a blocking thread, a chunk
/// ahead of the writer: with the reader, three stages work at once.
fn prepare_ahead(
    mut chunks: mpsc::Receiver<Result<Chunk, ProjectionError>>,
    projection: Registered,
) -> mpsc::Receiver<Result<PreparedChunk, ProjectionError>> {
    let (sender, receiver) = mpsc::channel(1);
    tokio::spawn(async move {
        while let Some(chunk) = chunks.recv().await {
            let projection = projection.clone();
            let prepared = match chunk {
                Ok(chunk) => tokio::task::spawn_blocking(move || {
                    let prepared = match &projection {
                        Registered::Transactional(p) => match p.prepare(&chunk.events) {
                            Ok(prepared) => Some(prepared),
                            Err(error) if error.is_poison() => None,
                            Err(error) => return Err(error),
                        },
                        _ => None,
                    };
                    Ok(PreparedChunk {
                        prepared,
                        raw: chunk.events,
                        last: chunk.last,
                    })
                })
                .await
                .unwrap_or_else(|error| Err(ProjectionError::TaskFailed(error))),
                Err(error) => Err(error),
            };
            if sender.send(prepared).await.is_err() {
                return;
            }
        }
    });
    receiver
}

/// Writes a chunk to the shadow copy in a transaction of its own. The shadow copy is not
/// live: a crash only means rebuilding again, and the swap's own (synchronous) commit flushes
/// everything before it, so these commits need not wait for their WAL flush.
async fn fill(
    pool: &PgPool,
    projection: &Registered,
    shadow: &Tables,
    prepared: Option<Prepared>,
    raw: &[Envelope],
) -> Result<(), ProjectionError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    apply_isolating(&mut tx, projection, shadow, prepared, raw).await?;
    tx.commit().await?;
    Ok(())
}

/// Applies a chunk within the caller's transaction (with its preparation, when it has one).
/// Should it fail on an event's own data,
/// each event is applied in a savepoint of its own and the ones that fail are dead-lettered
/// (in the same transaction): a poison event never stops a rebuild, as it never stalls the
/// live projector.
async fn apply_isolating(
    tx: &mut PgConnection,
    projection: &Registered,
    shadow: &Tables,
    prepared: Option<Prepared>,
    raw: &[Envelope],
) -> Result<(), ProjectionError> {
    {
        let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
        let applied = match (projection, prepared) {
            (Registered::Transactional(p), Some(prepared)) => {
                p.apply_prepared(&mut savepoint, shadow, prepared, raw)
                    .await
            }
            _ => apply_pg(projection, &mut savepoint, shadow, raw).await,
        };
        match applied {
            Ok(()) => return Ok(savepoint.commit().await?),
            Err(error) if !error.is_poison() => return Err(error),
            Err(error) => {
                savepoint.rollback().await?;
                tracing::warn!(projection = projection.name(), %error, "chunk holds a poison event; applying its events one by one");
            }
        }
    }
    for event in raw {
        let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
        match apply_pg(
            projection,
            &mut savepoint,
            shadow,
            std::slice::from_ref(event),
        )
        .await
        {
            Ok(()) => savepoint.commit().await?,
            Err(error) if error.is_poison() => {
                savepoint.rollback().await?;
                tracing::error!(projection = projection.name(), position = event.global_position, %error, "event dead-lettered by the rebuild");
                dead_letters::record(
                    &mut *tx,
                    &[store_dead_letter(projection.name(), event, &error)],
                )
                .await?;
            }
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// A dead letter for an event read from the store (topic `store`, offset = its position).
fn store_dead_letter(projection: &str, event: &Envelope, error: &ProjectionError) -> DeadLetter {
    DeadLetter {
        projection: projection.to_owned(),
        topic: "store".to_owned(),
        partition: 0,
        offset: event.global_position,
        error: error.to_string(),
        payload: serde_json::to_string(event).expect("an envelope always serialises"),
    }
}

/// An index of a live table, as PostgreSQL describes it.
#[derive(sqlx::FromRow)]
struct LiveIndex {
    /// The index's own name (also its constraint's, for a key).
    name: String,
    definition: String,
    constraint_name: Option<String>,
    constraint_definition: Option<String>,
}

impl LiveIndex {
    /// The same index on `copy`, named `name`.
    fn for_copy(&self, copy: &str, name: &str) -> String {
        let on = self
            .definition
            .find(" ON ")
            .expect("an index definition names its table");
        let using = self.definition[on..]
            .find(" USING ")
            .map(|at| on + at)
            .expect("an index definition names its method");
        let kind = if self.definition.starts_with("CREATE UNIQUE") {
            "CREATE UNIQUE INDEX"
        } else {
            "CREATE INDEX"
        };
        format!("{kind} {name} ON {copy}{}", &self.definition[using..])
    }
}

/// A name given to a shadow copy's index or key, to become the live one's at the swap.
enum Rename {
    Index {
        shadow: String,
        live: String,
    },
    Constraint {
        table: String,
        shadow: String,
        live: String,
    },
}

/// Shadow copies of a PostgreSQL projection's tables.
struct Shadow {
    shadow: Tables,
    /// Index statements to run once the copies are filled.
    deferred_indexes: Vec<String>,
    /// Names that go back to the live ones when the copies take their place.
    renames: Vec<Rename>,
    /// The last event applied to the shadow copies.
    reached: CommitPosition,
}

impl Shadow {
    async fn create(
        pool: &PgPool,
        tables: &'static [&'static str],
        create_live: Option<&'static str>,
    ) -> Result<Self, ProjectionError> {
        if let Some(sql) = create_live {
            sqlx::raw_sql(sql).execute(pool).await?;
        }
        let suffix = format!("r{}", chrono::Utc::now().timestamp_millis());
        let shadow = Tables::shadow(tables, &suffix);
        let mut connection = pool.acquire().await?;
        let mut deferred = Vec::new();
        let mut renames = Vec::new();
        for (live, copy) in shadow.pairs() {
            sqlx::query(&format!("DROP TABLE IF EXISTS {copy}"))
                .execute(&mut *connection)
                .await?;
            // Everything but the indexes; the primary key at once (loads look rows up by it),
            // the other indexes after the bulk fill, which builds them faster than keeping
            // them up to date row by row.
            sqlx::query(&format!(
                "CREATE TABLE {copy} (LIKE {live} INCLUDING DEFAULTS INCLUDING CONSTRAINTS \
                 INCLUDING GENERATED INCLUDING IDENTITY)"
            ))
            .execute(&mut *connection)
            .await?;
            let indexes: Vec<LiveIndex> = sqlx::query_as(
                "SELECT c2.relname::text AS name, pg_get_indexdef(i.indexrelid) AS definition, \
                        c.conname AS constraint_name, \
                        pg_get_constraintdef(c.oid) AS constraint_definition \
                 FROM pg_index i JOIN pg_class c2 ON c2.oid = i.indexrelid \
                 LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.contype IN ('p', 'u') \
                 WHERE i.indrelid = $1::regclass",
            )
            .bind(live)
            .fetch_all(&mut *connection)
            .await?;
            for (n, index) in indexes.into_iter().enumerate() {
                let shadow_name = format!("{copy}_i{n}");
                match (&index.constraint_name, &index.constraint_definition) {
                    (Some(constraint), Some(definition)) => {
                        let add =
                            format!("ALTER TABLE {copy} ADD CONSTRAINT {shadow_name} {definition}");
                        if definition.starts_with("PRIMARY KEY") {
                            sqlx::query(&add).execute(&mut *connection).await?;
                        } else {
                            deferred.push(add);
                        }
                        renames.push(Rename::Constraint {
                            table: live.to_owned(),
                            shadow: shadow_name,
                            live: constraint.clone(),
                        });
                    }
                    _ => {
                        deferred.push(index.for_copy(copy, &shadow_name));
                        renames.push(Rename::Index {
                            shadow: shadow_name,
                            live: index.name.clone(),
                        });
                    }
                }
            }
        }
        Ok(Self {
            shadow,
            deferred_indexes: deferred,
            renames,
            reached: CommitPosition::default(),
        })
    }

    /// Drops the copies of a rebuild that failed (best effort: a later rebuild drops them too).
    async fn discard(&self, pool: &PgPool) {
        for (_, copy) in self.shadow.pairs() {
            if let Err(error) = sqlx::query(&format!("DROP TABLE IF EXISTS {copy}"))
                .execute(pool)
                .await
            {
                tracing::warn!(table = copy, %error, "could not drop a failed rebuild's copy");
            }
        }
    }

    /// Builds the indexes left out while filling (before the swap, outside its transaction).
    async fn build_indexes(&self, pool: &PgPool) -> Result<(), ProjectionError> {
        for statement in &self.deferred_indexes {
            sqlx::query(statement).execute(pool).await?;
        }
        Ok(())
    }

    /// In one transaction holding the projection's lock: applies what committed since the
    /// bulk read to the shadow copies, renames them into place and marks the rebuild. For a
    /// multi-stream projection the processed markers are reset to exactly the events the new
    /// tables hold.
    async fn swap_in(
        &self,
        pool: &PgPool,
        projection: &Registered,
        types: &[&str],
        events: &Registry,
    ) -> Result<CommitPosition, ProjectionError> {
        let name = projection.name();
        let mut tx = pool.begin().await?;
        checkpoint::lock_state(&mut tx, name).await?;
        let mut reached = self.reached;
        loop {
            let catch_up = read_envelopes(&mut tx, reached, types, events).await?;
            let Some(last) = catch_up.last else { break };
            apply_isolating(&mut tx, projection, &self.shadow, None, &catch_up.events).await?;
            reached = last;
        }
        let mut live: Vec<&str> = self.shadow.pairs().map(|(live, _)| live).collect();
        live.sort_unstable();
        lock_live_tables(&mut tx, &live).await?;
        for (live, copy) in self.shadow.pairs() {
            sqlx::query(&format!("DROP TABLE IF EXISTS {live}"))
                .execute(&mut *tx)
                .await?;
            sqlx::query(&format!("ALTER TABLE {copy} RENAME TO {live}"))
                .execute(&mut *tx)
                .await?;
        }
        // The live names again, so that later migrations find the indexes they name.
        for rename in &self.renames {
            let statement = match rename {
                Rename::Index { shadow, live } => format!("ALTER INDEX {shadow} RENAME TO {live}"),
                Rename::Constraint {
                    table,
                    shadow,
                    live,
                } => format!("ALTER TABLE {table} RENAME CONSTRAINT {shadow} TO {live}"),
            };
            sqlx::query(&statement).execute(&mut *tx).await?;
        }
        if matches!(projection, Registered::MultiStream(_)) {
            sqlx::query("DELETE FROM projection_processed WHERE projection = $1")
                .bind(name)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO projection_processed (projection, event_id) \
                 SELECT $1, event_id FROM events WHERE aggregate_type = ANY($2) \
                   AND (tx_id, global_position) <= ($3::text::xid8, $4)",
            )
            .bind(name)
            .bind(types)
            .bind(reached.tx_id.to_string())
            .bind(reached.global_position)
            .execute(&mut *tx)
            .await?;
        }
        checkpoint::mark_rebuilt(&mut tx, name, reached.global_position).await?;
        tx.commit().await?;
        Ok(reached)
    }
}

/// How long the swap waits for readers to let go of the live tables before it steps back and
/// tries again. Below PostgreSQL's `deadlock_timeout` (1 s by default): a reader joining two of
/// a projection's tables may hold one while it waits for the other, which the swap already
/// holds; rather than deadlock (and have PostgreSQL abort one side), the swap gives way.
const SWAP_LOCK_WAIT_MS: u64 = 200;
/// How often the swap tries before the rebuild fails.
const SWAP_LOCK_ATTEMPTS: u32 = 25;

/// Takes every live table of the projection in one step, all or none, in a savepoint of the
/// swap's transaction (a failed attempt releases what it took).
async fn lock_live_tables(tx: &mut PgConnection, live: &[&str]) -> Result<(), ProjectionError> {
    let lock = format!("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", live.join(", "));
    let mut attempt = 1;
    loop {
        let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
        sqlx::query(&format!("SET LOCAL lock_timeout = {SWAP_LOCK_WAIT_MS}"))
            .execute(&mut *savepoint)
            .await?;
        match sqlx::query(&lock).execute(&mut *savepoint).await {
            Ok(_) => {
                sqlx::query("SET LOCAL lock_timeout TO DEFAULT")
                    .execute(&mut *savepoint)
                    .await?;
                savepoint.commit().await?;
                return Ok(());
            }
            Err(sqlx::Error::Database(error))
                if error.code().as_deref() == Some(LOCK_NOT_AVAILABLE)
                    && attempt < SWAP_LOCK_ATTEMPTS =>
            {
                savepoint.rollback().await?;
                tracing::debug!(
                    attempt,
                    "readers hold the live tables; the swap tries again"
                );
                let pause = rand::random_range(SWAP_LOCK_WAIT_MS / 4..SWAP_LOCK_WAIT_MS);
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                attempt += 1;
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// PostgreSQL's `lock_not_available`: a lock wait ran past `lock_timeout`.
const LOCK_NOT_AVAILABLE: &str = "55P03";

async fn progress_bar(
    pool: &PgPool,
    types: &[&str],
    visible: bool,
) -> Result<ProgressBar, ProjectionError> {
    let (total,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM events WHERE aggregate_type = ANY($1)")
            .bind(types)
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
