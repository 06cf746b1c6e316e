//! Proving the store intact: every stream's chain recomputed from its content, every
//! checkpoint's signature checked with the auditor's key, and every signed range compared
//! with what the store holds now. Reads the store once, in commit order, a batch ahead of
//! the hashing; memory grows with the number of streams, not of events.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::chain::{event_hash, hex, EventContent, GENESIS};
use crate::checkpoint::{self, StoredCheckpoint};
use crate::signing::{heads_digest, Head, VerifyingKey};
use crate::AuditError;

/// Reads order by `events.tx_id` (the column, not the `tx_id` number selected under the same
/// name), so PostgreSQL walks the `(tx_id, global_position)` index instead of sorting the store.
const READ_BATCH: i64 = 20_000;

/// A stream, as `type/id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Stream {
    pub aggregate_type: String,
    pub aggregate_id: String,
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.aggregate_type, self.aggregate_id)
    }
}

/// Something in the store that is not as it was written or signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The event's content (or its place in the stream) no longer hashes to its stored hash.
    ContentChanged {
        stream: Stream,
        sequence: i64,
        position: i64,
    },
    /// The stream skips from `after` to a later event: the ones in between are gone.
    Missing {
        stream: Stream,
        after: i64,
        next: i64,
    },
    /// The event appears after a later one of its stream in commit order (moved).
    OutOfOrder {
        stream: Stream,
        sequence: i64,
        position: i64,
    },
    /// The stream's event at the signed head is gone: it ends at `stored` (if it has any
    /// event in the range at all) instead of the `signed` sequence.
    Truncated {
        checkpoint: i64,
        stream: Stream,
        signed: i64,
        stored: Option<i64>,
    },
    /// The stream's signed head hash differs from the stored one: the stream was rewritten
    /// (and re-hashed) up to `sequence` after it was signed.
    Rewritten {
        checkpoint: i64,
        stream: Stream,
        sequence: i64,
    },
    /// An event in a signed range that the checkpoint did not sign (inserted afterwards).
    NotSigned {
        checkpoint: i64,
        stream: Stream,
        sequence: i64,
    },
    /// The range holds a different number of events than was signed.
    CountChanged {
        checkpoint: i64,
        signed: i64,
        stored: i64,
    },
    /// The checkpoint's signature is not the auditor's key's over its content.
    BadSignature { checkpoint: i64 },
    /// The checkpoint's stored heads are not the ones it signed.
    HeadsChanged { checkpoint: i64 },
    /// Checkpoints are not numbered 1, 2, … each signing its predecessor's signature.
    CheckpointChainBroken { checkpoint: i64 },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::ContentChanged {
                stream,
                sequence,
                position,
            } => write!(
                f,
                "{stream} event {sequence} (position {position}) was changed: its content no \
                 longer matches its hash"
            ),
            Finding::Missing {
                stream,
                after,
                next,
            } => write!(
                f,
                "{stream} events {}..{} are missing (the stream jumps from {after} to {next})",
                after + 1,
                next - 1
            ),
            Finding::OutOfOrder {
                stream,
                sequence,
                position,
            } => write!(
                f,
                "{stream} event {sequence} (position {position}) was moved after a later event"
            ),
            Finding::Truncated {
                checkpoint,
                stream,
                signed,
                stored,
            } => match stored {
                Some(stored) => write!(
                    f,
                    "{stream} was truncated: checkpoint {checkpoint} signed it up to event \
                     {signed}, the store ends at {stored}"
                ),
                None => write!(
                    f,
                    "{stream} was truncated: checkpoint {checkpoint} signed it up to event \
                     {signed}, which the store no longer holds"
                ),
            },
            Finding::Rewritten {
                checkpoint,
                stream,
                sequence,
            } => write!(
                f,
                "{stream} was rewritten: its events up to {sequence} differ from what \
                 checkpoint {checkpoint} signed"
            ),
            Finding::NotSigned {
                checkpoint,
                stream,
                sequence,
            } => write!(
                f,
                "{stream} event {sequence} lies in the range of checkpoint {checkpoint} but was \
                 not signed by it (inserted afterwards)"
            ),
            Finding::CountChanged {
                checkpoint,
                signed,
                stored,
            } => write!(
                f,
                "checkpoint {checkpoint} signed {signed} events, its range now holds {stored}"
            ),
            Finding::BadSignature { checkpoint } => write!(
                f,
                "checkpoint {checkpoint} is not signed by the auditor's key (or was altered)"
            ),
            Finding::HeadsChanged { checkpoint } => {
                write!(
                    f,
                    "checkpoint {checkpoint}'s stored heads are not the signed ones"
                )
            }
            Finding::CheckpointChainBroken { checkpoint } => write!(
                f,
                "checkpoint {checkpoint} does not follow its predecessor (a checkpoint was \
                 removed or replaced)"
            ),
        }
    }
}

/// What a verification read and found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub events: u64,
    pub streams: u64,
    pub checkpoints: u64,
    /// The newest checkpoint: its number, position and signature (hex), to compare with a
    /// copy kept outside the database.
    pub latest: Option<(i64, i64, String)>,
    /// Events after the newest checkpoint (proved by their chains only).
    pub unsigned_events: u64,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn intact(&self) -> bool {
        self.findings.is_empty()
    }
}

#[derive(sqlx::FromRow)]
struct StoredEvent {
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    global_position: i64,
    tx_id: i64,
    event_type: String,
    event_version: String,
    payload: String,
    metadata: String,
    event_id: Uuid,
    recorded_at: DateTime<Utc>,
    hash: Vec<u8>,
}

impl StoredEvent {
    fn content(&self) -> EventContent<'_> {
        EventContent {
            aggregate_type: &self.aggregate_type,
            aggregate_id: &self.aggregate_id,
            sequence: self.sequence,
            event_type: &self.event_type,
            event_version: &self.event_version,
            payload: &self.payload,
            metadata: &self.metadata,
            event_id: self.event_id,
            recorded_at: self.recorded_at,
        }
    }

    fn stream(&self) -> Stream {
        Stream {
            aggregate_type: self.aggregate_type.clone(),
            aggregate_id: self.aggregate_id.clone(),
        }
    }
}

const EVENT_COLUMNS: &str = "aggregate_type, aggregate_id, sequence, global_position, \
     tx_id::text::bigint AS tx_id, event_type, event_version, payload::text AS payload, \
     metadata::text AS metadata, event_id, recorded_at, hash";

/// Where a stream's chain stands during the walk.
struct Tip {
    sequence: i64,
    hash: Vec<u8>,
}

/// Verifies the whole store with `key` (the public half of the signing key).
pub async fn verify_store(pool: &PgPool, key: &VerifyingKey) -> Result<Report, AuditError> {
    walk(pool, key, None).await
}

/// Verifies one aggregate's stream(s): their chain, and their heads in every checkpoint
/// (whose digests are checked whole, so heads edited to match a rewrite are caught too).
pub async fn verify_stream(
    pool: &PgPool,
    key: &VerifyingKey,
    aggregate_id: &str,
) -> Result<Report, AuditError> {
    let report = walk(pool, key, Some(aggregate_id)).await?;
    if report.events == 0 && report.findings.is_empty() {
        return Err(AuditError::UnknownAggregate(aggregate_id.to_owned()));
    }
    Ok(report)
}

/// Walks the store (or one aggregate's events) in commit order, in one snapshot, checking
/// every chain and closing each checkpoint's range as the walk passes its end.
async fn walk(
    pool: &PgPool,
    key: &VerifyingKey,
    scope: Option<&str>,
) -> Result<Report, AuditError> {
    let mut report = Report::default();
    let checkpoints = checkpoint::all(pool).await?;
    check_checkpoints(&checkpoints, key, &mut report);
    let mut ranges = Ranges::new(pool, checkpoints, scope.map(str::to_owned));
    let mut tips: HashMap<Stream, Tip> = HashMap::new();
    let mut batches = read_batches(pool.acquire().await?.detach(), scope.map(str::to_owned));
    while let Some(batch) = batches.recv().await {
        for event in batch? {
            ranges
                .advance((event.tx_id, event.global_position), &tips, &mut report)
                .await?;
            report.events += 1;
            let stream = event.stream();
            let tip = tips.get(&stream);
            chain_step(&event, tip, &stream, &mut report);
            match ranges.current_mut() {
                Some(range) => {
                    range.events += 1;
                    range
                        .touched
                        .insert(stream.clone(), (event.sequence, event.hash.clone()));
                }
                None => report.unsigned_events += 1,
            }
            if tip.is_none_or(|tip| event.sequence > tip.sequence) {
                tips.insert(
                    stream,
                    Tip {
                        sequence: event.sequence,
                        hash: event.hash,
                    },
                );
            }
        }
    }
    ranges.finish(&tips, &mut report).await?;
    report.streams = tips.len() as u64;
    Ok(report)
}

/// Checks one event against its stream's chain so far.
fn chain_step(event: &StoredEvent, tip: Option<&Tip>, stream: &Stream, report: &mut Report) {
    let expected = tip.map_or(0, |t| t.sequence) + 1;
    if event.sequence < expected {
        report.findings.push(Finding::OutOfOrder {
            stream: stream.clone(),
            sequence: event.sequence,
            position: event.global_position,
        });
        return;
    }
    if event.sequence > expected {
        report.findings.push(Finding::Missing {
            stream: stream.clone(),
            after: expected - 1,
            next: event.sequence,
        });
        // Its predecessor is gone, so its own link cannot be checked; its successors can.
        return;
    }
    let previous = tip.map_or(&GENESIS[..], |t| &t.hash[..]);
    if event_hash(previous, &event.content())[..] != event.hash[..] {
        report.findings.push(Finding::ContentChanged {
            stream: stream.clone(),
            sequence: event.sequence,
            position: event.global_position,
        });
    }
}

/// Checks signatures and the numbering of the checkpoints (their heads are checked as their
/// ranges are walked).
fn check_checkpoints(checkpoints: &[StoredCheckpoint], key: &VerifyingKey, report: &mut Report) {
    let mut previous: Option<&StoredCheckpoint> = None;
    for checkpoint in checkpoints {
        report.checkpoints += 1;
        if !checkpoint.signed().verify(key, &checkpoint.signature) {
            report.findings.push(Finding::BadSignature {
                checkpoint: checkpoint.checkpoint,
            });
        }
        let follows = match previous {
            None => checkpoint.checkpoint == 1 && checkpoint.previous_signature.is_none(),
            Some(previous) => {
                checkpoint.checkpoint == previous.checkpoint + 1
                    && checkpoint.previous_signature.as_deref() == Some(&previous.signature[..])
                    && (checkpoint.tx_id, checkpoint.global_position)
                        > (previous.tx_id, previous.global_position)
            }
        };
        if !follows {
            report.findings.push(Finding::CheckpointChainBroken {
                checkpoint: checkpoint.checkpoint,
            });
        }
        previous = Some(checkpoint);
    }
    report.latest = checkpoints
        .last()
        .map(|c| (c.checkpoint, c.global_position, hex(&c.signature)));
}

/// One signed range during the walk: what the store holds in it.
struct OpenRange {
    checkpoint: StoredCheckpoint,
    events: i64,
    touched: HashMap<Stream, (i64, Vec<u8>)>,
}

/// The checkpoints' ranges, opened and closed as the walk passes their ends.
struct Ranges<'a> {
    pool: &'a PgPool,
    pending: std::vec::IntoIter<StoredCheckpoint>,
    current: Option<OpenRange>,
    /// One aggregate's streams only (`verify --aggregate`): the other heads and the ranges'
    /// event counts are not compared.
    scope: Option<String>,
}

impl<'a> Ranges<'a> {
    fn new(pool: &'a PgPool, checkpoints: Vec<StoredCheckpoint>, scope: Option<String>) -> Self {
        let mut pending = checkpoints.into_iter();
        let current = pending.next().map(OpenRange::new);
        Self {
            pool,
            pending,
            current,
            scope,
        }
    }

    fn current_mut(&mut self) -> Option<&mut OpenRange> {
        self.current.as_mut()
    }

    /// Closes every range that ends before `position`.
    async fn advance(
        &mut self,
        position: (i64, i64),
        tips: &HashMap<Stream, Tip>,
        report: &mut Report,
    ) -> Result<(), AuditError> {
        while let Some(range) = &self.current {
            let end = (range.checkpoint.tx_id, range.checkpoint.global_position);
            if position <= end {
                break;
            }
            let range = self.current.take().expect("checked above");
            range
                .close(self.pool, self.scope.as_deref(), tips, report)
                .await?;
            self.current = self.pending.next().map(OpenRange::new);
        }
        Ok(())
    }

    async fn finish(
        mut self,
        tips: &HashMap<Stream, Tip>,
        report: &mut Report,
    ) -> Result<(), AuditError> {
        self.advance((i64::MAX, i64::MAX), tips, report).await
    }
}

impl OpenRange {
    fn new(checkpoint: StoredCheckpoint) -> Self {
        Self {
            checkpoint,
            events: 0,
            touched: HashMap::new(),
        }
    }

    /// Compares what the range holds with what its checkpoint signed.
    async fn close(
        self,
        pool: &PgPool,
        scope: Option<&str>,
        tips: &HashMap<Stream, Tip>,
        report: &mut Report,
    ) -> Result<(), AuditError> {
        let number = self.checkpoint.checkpoint;
        let heads = checkpoint::heads(pool, number).await?;
        if heads_digest(&heads)[..] != self.checkpoint.heads_digest[..] {
            report
                .findings
                .push(Finding::HeadsChanged { checkpoint: number });
        }
        let mut touched = self.touched;
        let in_scope = |head: &Head| scope.is_none_or(|id| head.aggregate_id == id);
        for head in heads.into_iter().filter(in_scope) {
            let stream = Stream {
                aggregate_type: head.aggregate_type,
                aggregate_id: head.aggregate_id,
            };
            match touched.remove(&stream) {
                Some((sequence, hash)) if sequence == head.sequence => {
                    if hash != head.hash {
                        report.findings.push(Finding::Rewritten {
                            checkpoint: number,
                            stream,
                            sequence,
                        });
                    }
                }
                Some((sequence, _)) if sequence > head.sequence => {
                    report.findings.push(Finding::NotSigned {
                        checkpoint: number,
                        stream,
                        sequence,
                    })
                }
                stored => report.findings.push(Finding::Truncated {
                    checkpoint: number,
                    signed: head.sequence,
                    stored: stored
                        .map(|(sequence, _)| sequence)
                        .or_else(|| tips.get(&stream).map(|t| t.sequence)),
                    stream,
                }),
            }
        }
        let mut unsigned: Vec<_> = touched.into_iter().collect();
        unsigned.sort_by(|a, b| a.0.cmp(&b.0));
        for (stream, (sequence, _)) in unsigned {
            report.findings.push(Finding::NotSigned {
                checkpoint: number,
                stream,
                sequence,
            });
        }
        if scope.is_none() && self.events != self.checkpoint.events {
            report.findings.push(Finding::CountChanged {
                checkpoint: number,
                signed: self.checkpoint.events,
                stored: self.events,
            });
        }
        Ok(())
    }
}

/// Streams the store (or one aggregate's events) in commit order from a reader task, a batch
/// ahead of the hashing, all in one snapshot: an event whose transaction commits during the
/// walk behind the reader is not half-seen (its stream's later events cannot be visible
/// without it, as they commit after it).
fn read_batches(
    mut reader: PgConnection,
    scope: Option<String>,
) -> mpsc::Receiver<Result<Vec<StoredEvent>, AuditError>> {
    let (sender, receiver) = mpsc::channel(2);
    tokio::spawn(async move {
        if let Err(error) = sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut reader)
            .await
        {
            let _ = sender.send(Err(error.into())).await;
            return;
        }
        let mut after = (0i64, 0i64);
        loop {
            let batch: Result<Vec<StoredEvent>, _> = sqlx::query_as(&format!(
                "SELECT {EVENT_COLUMNS} FROM events \
                 WHERE (tx_id, global_position) > ($1::text::xid8, $2) \
                   AND ($4::text IS NULL OR aggregate_id = $4) \
                 ORDER BY events.tx_id, events.global_position LIMIT $3"
            ))
            .bind(after.0.to_string())
            .bind(after.1)
            .bind(READ_BATCH)
            .bind(scope.as_deref())
            .fetch_all(&mut reader)
            .await;
            let batch = match batch {
                Ok(batch) => batch,
                Err(error) => {
                    let _ = sender.send(Err(error.into())).await;
                    return;
                }
            };
            let Some(last) = batch.last() else { return };
            after = (last.tx_id, last.global_position);
            if sender.send(Ok(batch)).await.is_err() {
                return;
            }
        }
    });
    receiver
}
