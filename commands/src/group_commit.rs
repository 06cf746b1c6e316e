//! Group commit: concurrent one-event appends share one `INSERT` statement, so under load a
//! command costs PostgreSQL a fraction of a statement and a fraction of a WAL flush.
//!
//! A few writer tasks take whatever appends are queued (up to [`MAX_BATCH`]) and insert them
//! with `ON CONFLICT … DO NOTHING`; an append whose `(aggregate, sequence)` row is not
//! returned lost its optimistic-concurrency race and is told so. With one event per request
//! that is exact: no request can be half written. (Appends of several events take the
//! all-or-nothing path in [`crate::store`].) When the queue is empty a request is written at
//! once, alone: nothing waits for a batch to fill.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Appends written by one statement at most.
const MAX_BATCH: usize = 256;
/// Statements in flight at once (each on its own pooled connection).
const WRITERS: usize = 2;
/// Appends queued before callers wait for room.
const QUEUE: usize = 4_096;

/// One event row to append.
#[derive(Debug)]
pub struct NewEvent {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: String,
    pub metadata: String,
}

/// How an append ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landed {
    /// Stored at this global position.
    At(i64),
    /// The row's `(aggregate, sequence)` was already taken.
    Clashed,
}

#[derive(Debug, thiserror::Error)]
pub enum GroupCommitError {
    #[error("event store: {0}")]
    Store(#[from] sqlx::Error),
    #[error("the append writer stopped")]
    Stopped,
}

struct Request {
    event: NewEvent,
    reply: oneshot::Sender<Result<Landed, Arc<sqlx::Error>>>,
}

/// Hands one-event appends to the writer tasks. The writers stop when this is dropped.
pub struct GroupCommit {
    sender: mpsc::Sender<Request>,
}

impl GroupCommit {
    /// Starts the writers on the current Tokio runtime.
    pub fn start(pool: PgPool) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..WRITERS {
            tokio::spawn(write_batches(pool.clone(), receiver.clone()));
        }
        Self { sender }
    }

    pub async fn append(&self, event: NewEvent) -> Result<Landed, GroupCommitError> {
        let (reply, landed) = oneshot::channel();
        self.sender
            .send(Request { event, reply })
            .await
            .map_err(|_| GroupCommitError::Stopped)?;
        match landed.await {
            Ok(Ok(landed)) => Ok(landed),
            Ok(Err(error)) => Err(GroupCommitError::Store(shared_error(&error))),
            Err(_) => Err(GroupCommitError::Stopped),
        }
    }
}

/// sqlx errors are not `Clone`; every request of a failed batch gets the same description.
fn shared_error(error: &sqlx::Error) -> sqlx::Error {
    sqlx::Error::Protocol(format!("batched append failed: {error}"))
}

async fn write_batches(pool: PgPool, receiver: Arc<Mutex<mpsc::Receiver<Request>>>) {
    loop {
        let batch = {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            batch
        };
        write(&pool, batch).await;
    }
}

/// Writes one batch and answers every request in it.
async fn write(pool: &PgPool, batch: Vec<Request>) {
    // Two requests for the same row: the first decides; the other clashes either way.
    let mut keys = HashSet::with_capacity(batch.len());
    let mut rows = Vec::with_capacity(batch.len());
    for request in batch {
        let event = &request.event;
        let key = (
            event.aggregate_type.clone(),
            event.aggregate_id.clone(),
            event.sequence,
        );
        if keys.insert(key) {
            rows.push(request);
        } else {
            let _ = request.reply.send(Ok(Landed::Clashed));
        }
    }
    match insert(pool, &rows).await {
        Ok(stored) => {
            let positions: HashMap<(String, String, i64), i64> = stored
                .into_iter()
                .map(|(aggregate_type, aggregate_id, sequence, position)| {
                    ((aggregate_type, aggregate_id, sequence), position)
                })
                .collect();
            for request in rows {
                let event = request.event;
                let key = (event.aggregate_type, event.aggregate_id, event.sequence);
                let landed = positions
                    .get(&key)
                    .map_or(Landed::Clashed, |p| Landed::At(*p));
                let _ = request.reply.send(Ok(landed));
            }
        }
        Err(error) => {
            let error = Arc::new(error);
            for request in rows {
                let _ = request.reply.send(Err(error.clone()));
            }
        }
    }
}

type StoredRow = (String, String, i64, i64);

async fn insert(pool: &PgPool, rows: &[Request]) -> Result<Vec<StoredRow>, sqlx::Error> {
    let column = |f: fn(&NewEvent) -> &String| -> Vec<&str> {
        rows.iter().map(|r| f(&r.event).as_str()).collect()
    };
    let sequences: Vec<i64> = rows.iter().map(|r| r.event.sequence).collect();
    sqlx::query_as(
        "INSERT INTO events \
            (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         SELECT e.aggregate_type, e.aggregate_id, e.sequence, e.event_type, e.event_version, \
                e.payload::json, e.metadata::json \
         FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], \
                     $7::text[]) \
             AS e(aggregate_type, aggregate_id, sequence, event_type, event_version, payload, \
                  metadata) \
         ON CONFLICT (aggregate_type, aggregate_id, sequence) DO NOTHING \
         RETURNING aggregate_type, aggregate_id, sequence, global_position",
    )
    .bind(column(|e| &e.aggregate_type))
    .bind(column(|e| &e.aggregate_id))
    .bind(&sequences)
    .bind(column(|e| &e.event_type))
    .bind(column(|e| &e.event_version))
    .bind(column(|e| &e.payload))
    .bind(column(|e| &e.metadata))
    .fetch_all(pool)
    .await
}
