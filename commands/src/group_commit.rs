//! Group commit: concurrent one-event appends share one `INSERT` statement, so under load a
//! command costs PostgreSQL a fraction of a statement and a fraction of a WAL flush.
//!
//! A few writer tasks take whatever appends are queued (up to [`MAX_BATCH`]) and insert them
//! with `ON CONFLICT … DO NOTHING`; an append whose `(aggregate, sequence)` row is not
//! returned lost its optimistic-concurrency race and is told so. With one event per request
//! that is exact: no request can be half written. (Appends of several events, and appends
//! that carry an idempotency key, take the all-or-nothing path in [`crate::store`].) When the
//! queue is empty a request is written at once, alone: nothing waits for a batch to fill.
//!
//! Rows are inserted in key order, so two statements (two writers here, or two API nodes)
//! always lock crossing keys in the same order and cannot deadlock each other. Should the
//! server still report a deadlock or serialization failure, nothing was written and the
//! batch is run again. Any other failure is isolated: the batch is split and each row written
//! alone, so only the command whose row the store refuses fails.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::error::StoreError;
use crate::sqlstate::{classify, Failure};

/// Appends written by one statement at most.
const MAX_BATCH: usize = 256;
/// Statements in flight at once (each on its own pooled connection).
const WRITERS: usize = 2;
/// Appends queued before callers wait for room.
const QUEUE: usize = 4_096;
/// Times a batch is run again after a deadlock or serialization failure.
const RETRYABLE_ATTEMPTS: u32 = 5;

/// One event row to append.
#[derive(Debug)]
pub struct NewEvent {
    pub aggregate_type: &'static str,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: &'static str,
    pub event_version: &'static str,
    pub payload: String,
    pub metadata: String,
}

impl NewEvent {
    fn key(&self) -> (&str, &str, i64) {
        (self.aggregate_type, &self.aggregate_id, self.sequence)
    }
}

/// How an append ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landed {
    /// Stored at this global position.
    At(i64),
    /// The row's `(aggregate, sequence)` was already taken.
    Clashed,
}

/// Why one row could not be written, shared by every request of a failed statement.
#[derive(Debug, Clone)]
enum RowFailure {
    Refused {
        sqlstate: String,
        constraint: Option<String>,
    },
    Unavailable(Arc<sqlx::Error>),
}

struct Request {
    event: NewEvent,
    reply: oneshot::Sender<Result<Landed, RowFailure>>,
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

    pub async fn append(&self, event: NewEvent) -> Result<Landed, StoreError> {
        let (reply, landed) = oneshot::channel();
        self.sender
            .send(Request { event, reply })
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        match landed.await {
            Ok(Ok(landed)) => Ok(landed),
            Ok(Err(RowFailure::Refused {
                sqlstate,
                constraint,
            })) => Err(StoreError::Refused {
                sqlstate,
                constraint,
            }),
            Ok(Err(RowFailure::Unavailable(error))) => Err(StoreError::Postgres(
                sqlx::Error::Protocol(format!("batched append failed: {error}")),
            )),
            Err(_) => Err(StoreError::WriterStopped),
        }
    }
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
async fn write(pool: &PgPool, mut batch: Vec<Request>) {
    // Key order: crossing keys are always locked in the same order (no deadlocks). Two
    // requests for the same row: the first decides; the other clashes either way.
    batch.sort_by(|a, b| a.event.key().cmp(&b.event.key()));
    let mut rows: Vec<Request> = Vec::with_capacity(batch.len());
    for request in batch {
        if rows
            .last()
            .is_some_and(|last| last.event.key() == request.event.key())
        {
            let _ = request.reply.send(Ok(Landed::Clashed));
        } else {
            rows.push(request);
        }
    }
    match insert_with_retry(pool, &rows).await {
        Ok(stored) => answer(rows, &stored),
        // Only a refusal of the data can belong to one row: split the batch to find it. A
        // service failure says nothing about the rows (the statement may even have committed
        // before the connection dropped), so every row is told so, none is written again.
        Err(failure @ RowFailure::Refused { .. }) if rows.len() > 1 => {
            tracing::warn!(
                rows = rows.len(),
                ?failure,
                "batched append failed; writing its rows one by one"
            );
            for request in rows {
                match insert_with_retry(pool, std::slice::from_ref(&request)).await {
                    Ok(stored) => answer(vec![request], &stored),
                    Err(failure) => {
                        let _ = request.reply.send(Err(failure));
                    }
                }
            }
        }
        Err(failure) => {
            for request in rows {
                let _ = request.reply.send(Err(failure.clone()));
            }
        }
    }
}

fn answer(rows: Vec<Request>, stored: &HashMap<(String, String, i64), i64>) {
    for request in rows {
        let event = &request.event;
        let key = (
            event.aggregate_type.to_owned(),
            event.aggregate_id.clone(),
            event.sequence,
        );
        let landed = stored.get(&key).map_or(Landed::Clashed, |p| Landed::At(*p));
        let _ = request.reply.send(Ok(landed));
    }
}

/// Runs the insert, again after a deadlock or serialization failure (nothing was written).
async fn insert_with_retry(
    pool: &PgPool,
    rows: &[Request],
) -> Result<HashMap<(String, String, i64), i64>, RowFailure> {
    let mut attempt = 0;
    loop {
        match insert(pool, rows).await {
            Ok(stored) => {
                return Ok(stored
                    .into_iter()
                    .map(|row| {
                        (
                            (row.aggregate_type, row.aggregate_id, row.sequence),
                            row.global_position,
                        )
                    })
                    .collect())
            }
            Err(error) => match classify(&error) {
                Failure::Retryable if attempt < RETRYABLE_ATTEMPTS => {
                    attempt += 1;
                    tracing::debug!(attempt, %error, "append batch hit a retryable failure");
                    tokio::time::sleep(Duration::from_millis(u64::from(attempt))).await;
                }
                Failure::Refused {
                    sqlstate,
                    constraint,
                } => {
                    return Err(RowFailure::Refused {
                        sqlstate,
                        constraint,
                    })
                }
                _ => return Err(RowFailure::Unavailable(Arc::new(error))),
            },
        }
    }
}

#[derive(sqlx::FromRow)]
struct StoredRow {
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    global_position: i64,
}

async fn insert(pool: &PgPool, rows: &[Request]) -> Result<Vec<StoredRow>, sqlx::Error> {
    let texts =
        |f: fn(&NewEvent) -> &str| -> Vec<&str> { rows.iter().map(|r| f(&r.event)).collect() };
    let sequences: Vec<i64> = rows.iter().map(|r| r.event.sequence).collect();
    // WITH ORDINALITY + ORDER BY keeps the rows in the sorted order the batch was built in.
    sqlx::query_as(
        "INSERT INTO events \
            (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         SELECT e.aggregate_type, e.aggregate_id, e.sequence, e.event_type, e.event_version, \
                e.payload::json, e.metadata::json \
         FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], \
                     $7::text[]) WITH ORDINALITY \
             AS e(aggregate_type, aggregate_id, sequence, event_type, event_version, payload, \
                  metadata, ordinal) \
         ORDER BY e.ordinal \
         ON CONFLICT (aggregate_type, aggregate_id, sequence) DO NOTHING \
         RETURNING aggregate_type, aggregate_id, sequence, global_position",
    )
    .bind(texts(|e| e.aggregate_type))
    .bind(texts(|e| &e.aggregate_id))
    .bind(&sequences)
    .bind(texts(|e| e.event_type))
    .bind(texts(|e| e.event_version))
    .bind(texts(|e| &e.payload))
    .bind(texts(|e| &e.metadata))
    .fetch_all(pool)
    .await
}
