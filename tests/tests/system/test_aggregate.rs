//! A whole new aggregate and projection, defined here and nowhere else, runs end to end
//! (command → store → Kafka → projection → read-your-writes, rebuild, dead letters) by
//! registration only: no edit to the relay, the runner, rebuilds or the CLI.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::producer::FutureRecord;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;
use wayfarer_commands::{CommandHandler, CommandRequest};
use wayfarer_domain::{Aggregate, DomainError, ErrorKind};
use wayfarer_infra::{dlq, kafka};
use wayfarer_projections::dead_letters;
use wayfarer_projections::{
    Envelope, Projection, ProjectionError, Registered, Tables, TransactionalProjection, Write,
};
use wayfarer_read_api::consistency::{self, ProgressWatch};
use wayfarer_schemas::{EventContract, EventMetadata};
use wayfarer_tests::kafka_reader::read_topic;
use wayfarer_tests::{Roles, TestSystem};

// ---- the aggregate ------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
enum NoteEvent {
    NoteWritten { text: String },
    NoteAmended { text: String },
}

impl EventContract for NoteEvent {
    const AGGREGATE_TYPE: &'static str = "note";
    const VERSION: &'static str = "1.0";
    const EVENT_TYPES: &'static [&'static str] = &["NoteWritten", "NoteAmended"];

    fn event_type(&self) -> &'static str {
        match self {
            NoteEvent::NoteWritten { .. } => "NoteWritten",
            NoteEvent::NoteAmended { .. } => "NoteAmended",
        }
    }
}

#[derive(Debug, Clone)]
enum NoteCommand {
    Write(String),
    Amend(String),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
enum NoteError {
    #[error("note not found")]
    NotFound,
    #[error("note already written")]
    AlreadyWritten,
}

impl DomainError for NoteError {
    fn kind(&self) -> ErrorKind {
        match self {
            NoteError::NotFound => ErrorKind::NotFound,
            NoteError::AlreadyWritten => ErrorKind::Conflict,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Note {
    text: Option<String>,
}

impl Aggregate for Note {
    const TYPE: &'static str = "note";
    type Command = NoteCommand;
    type Event = NoteEvent;
    type Error = NoteError;

    fn decide(&self, command: NoteCommand) -> Result<Vec<NoteEvent>, NoteError> {
        match (command, &self.text) {
            (NoteCommand::Write(_), Some(_)) => Err(NoteError::AlreadyWritten),
            (NoteCommand::Write(text), None) => Ok(vec![NoteEvent::NoteWritten { text }]),
            (NoteCommand::Amend(_), None) => Err(NoteError::NotFound),
            (NoteCommand::Amend(text), Some(_)) => Ok(vec![NoteEvent::NoteAmended { text }]),
        }
    }

    fn apply(&mut self, event: &NoteEvent) {
        match event {
            NoteEvent::NoteWritten { text } | NoteEvent::NoteAmended { text } => {
                self.text = Some(text.clone())
            }
        }
    }

    fn expected_version(_: &NoteCommand) -> Option<u64> {
        None
    }
}

// ---- its projection -----------------------------------------------------------------------

/// Notes by id. While `broken`, a note whose text starts with "fail:" makes it fail, as a
/// handler bug would (the "fix" clears the flag).
struct NotesProjection {
    broken: Arc<AtomicBool>,
}

const NOTES: &str = "test_notes";

impl Projection for NotesProjection {
    fn name(&self) -> &'static str {
        "test_notes"
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &["note"]
    }
    fn fetch_wait(&self) -> Duration {
        Duration::from_millis(10)
    }
}

#[async_trait]
impl TransactionalProjection for NotesProjection {
    fn tables(&self) -> &'static [&'static str] {
        &[NOTES]
    }

    fn create_tables(&self) -> Option<&'static str> {
        Some(
            "CREATE TABLE IF NOT EXISTS test_notes \
             (note_id text PRIMARY KEY, text text NOT NULL, version bigint NOT NULL)",
        )
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        for envelope in events {
            let event: NoteEvent =
                serde_json::from_str(envelope.payload.get()).map_err(|error| {
                    ProjectionError::Undecodable {
                        position: envelope.global_position,
                        reason: error.to_string(),
                    }
                })?;
            let (NoteEvent::NoteWritten { text } | NoteEvent::NoteAmended { text }) = event;
            if self.broken.load(Ordering::SeqCst) && text.starts_with("fail:") {
                return Err(ProjectionError::Undecodable {
                    position: envelope.global_position,
                    reason: "the handler cannot take this note".into(),
                });
            }
            sqlx::query(&format!(
                "INSERT INTO {t} (note_id, text, version) VALUES ($1, $2, $3) \
                 ON CONFLICT (note_id) DO UPDATE SET text = excluded.text, \
                 version = excluded.version WHERE {t}.version < excluded.version",
                t = tables.name(NOTES)
            ))
            .bind(&envelope.aggregate_id)
            .bind(&text)
            .bind(envelope.sequence as i64)
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
        let version: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM test_notes WHERE note_id = $1")
                .bind(&write.aggregate_id)
                .fetch_optional(connection)
                .await?;
        Ok(version.is_some_and(|(version,)| version as u64 >= write.sequence))
    }
}

// ---- the tests ----------------------------------------------------------------------------

async fn start(label: &str) -> (TestSystem, Arc<AtomicBool>) {
    let broken = Arc::new(AtomicBool::new(false));
    let projection = NotesProjection {
        broken: broken.clone(),
    };
    let system = TestSystem::start_extended(
        wayfarer_tests::system::isolated_settings(label),
        Roles {
            api: false,
            relay: true,
            sagas: false,
            projectors: vec!["test_notes"],
        },
        |platform| {
            platform
                .with_events::<NoteEvent>()
                .with_projection(Registered::Transactional(Arc::new(projection)))
        },
    )
    .await
    .unwrap();
    (system, broken)
}

async fn write(handler: &CommandHandler<Note>, id: &str, command: NoteCommand) -> i64 {
    handler
        .execute(CommandRequest {
            aggregate_id: id.to_owned(),
            command,
            metadata: EventMetadata::for_new_command(None, Uuid::now_v7()),
            idempotency: None,
        })
        .await
        .unwrap()
        .position
}

async fn note_text(system: &TestSystem, id: &str) -> Option<String> {
    sqlx::query_scalar("SELECT text FROM test_notes WHERE note_id = $1")
        .bind(id)
        .fetch_optional(&system.pool)
        .await
        .unwrap()
}

async fn read_your_write(system: &TestSystem, progress: &ProgressWatch, position: i64) {
    consistency::wait_for(
        &system.pool,
        &system.platform.projections,
        progress,
        &["test_notes"],
        position,
        Duration::from_secs(20),
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_aggregate_and_projection_defined_in_a_test_run_end_to_end_by_registration_only() {
    let (system, _) = start("noteflow").await;
    let handler = CommandHandler::<Note>::new(system.pool.clone());
    let progress =
        ProgressWatch::start(system.pool.clone(), system.settings.postgres.schema.clone());
    let id = Uuid::now_v7().to_string();
    let position = write(&handler, &id, NoteCommand::Write("first".into())).await;
    read_your_write(&system, &progress, position).await;
    assert_eq!(note_text(&system, &id).await.as_deref(), Some("first"));
    let position = write(&handler, &id, NoteCommand::Amend("second".into())).await;
    read_your_write(&system, &progress, position).await;
    assert_eq!(note_text(&system, &id).await.as_deref(), Some("second"));
    let rejected = handler
        .execute(CommandRequest {
            aggregate_id: id.clone(),
            command: NoteCommand::Write("again".into()),
            metadata: EventMetadata::for_new_command(None, Uuid::now_v7()),
            idempotency: None,
        })
        .await;
    assert!(
        rejected.is_err(),
        "the generic handler runs the aggregate's rules"
    );

    // Its topic is `wayfarer.note`, with the CloudEvents headers.
    let topic = system.settings.names().topic("note");
    let brokers = system.settings.kafka.brokers.clone();
    let records = tokio::task::spawn_blocking(move || {
        read_topic(&brokers, &topic, 2, Duration::from_secs(30))
    })
    .await
    .unwrap();
    assert_eq!(records.len(), 2, "published once each: {records:?}");
    assert!(records[0]
        .headers
        .iter()
        .any(|(k, v)| k == "ce_type" && v == "wayfarer.note.NoteWritten.v1.0"));
    assert!(records[0].headers.iter().any(|(k, _)| k == "ce_time"));
    assert!(records[0]
        .headers
        .iter()
        .any(|(k, v)| k == "traceparent" && v.starts_with("00-") && v.len() == 55));

    // It rebuilds from the store like any projection.
    let report = system.rebuild("test_notes").await;
    assert_eq!(report.events, 2);
    assert_eq!(note_text(&system, &id).await.as_deref(), Some("second"));
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poison_events_are_dead_lettered_the_rest_applied_and_a_replay_applies_them_once() {
    let (system, broken) = start("notedlq").await;
    broken.store(true, Ordering::SeqCst);
    let handler = CommandHandler::<Note>::new(system.pool.clone());
    let progress =
        ProgressWatch::start(system.pool.clone(), system.settings.postgres.schema.clone());

    // An undecodable record on the topic, beside good and failing events.
    let topic = system.settings.names().topic("note");
    kafka::ensure_topics(&system.settings.kafka, std::slice::from_ref(&topic))
        .await
        .unwrap();
    let producer = kafka::producer(&system.settings.kafka).unwrap();
    producer
        .send(
            FutureRecord::to(&topic)
                .key("garbage")
                .payload("not json \u{0}"),
            Duration::from_secs(10),
        )
        .await
        .map_err(|(error, _)| error)
        .unwrap();
    let good: Vec<String> = (0..3).map(|_| Uuid::now_v7().to_string()).collect();
    let bad = Uuid::now_v7().to_string();
    let mut positions = vec![write(&handler, &good[0], NoteCommand::Write("one".into())).await];
    write(&handler, &bad, NoteCommand::Write("fail: bad note".into())).await;
    positions.push(write(&handler, &good[1], NoteCommand::Write("two".into())).await);
    positions.push(write(&handler, &good[2], NoteCommand::Write("three".into())).await);

    // The projection does not stall: the good events are applied (each stream may sit on
    // another partition, so each write is waited for).
    for position in positions {
        read_your_write(&system, &progress, position).await;
    }
    for (id, text) in good.iter().zip(["one", "two", "three"]) {
        assert_eq!(note_text(&system, id).await.as_deref(), Some(text));
    }
    assert_eq!(note_text(&system, &bad).await, None);

    // Both poison records are listed, and published on the dead-letter topic.
    let mut pending = Vec::new();
    TestSystem::eventually(Duration::from_secs(20), "two dead letters", || {
        let pool = system.pool.clone();
        async move {
            dead_letters::list(&pool, Some("test_notes"), true)
                .await
                .unwrap()
                .len()
                == 2
        }
    })
    .await;
    pending.extend(
        dead_letters::list(&system.pool, Some("test_notes"), true)
            .await
            .unwrap(),
    );
    assert!(pending
        .iter()
        .any(|l| l.error.contains("undecodable record")));
    assert!(pending
        .iter()
        .any(|l| l.error.contains("cannot take this note")));
    let dlq_topic = system.settings.names().dead_letter_topic();
    let brokers = system.settings.kafka.brokers.clone();
    let letters = tokio::task::spawn_blocking(move || {
        read_topic(&brokers, &dlq_topic, 2, Duration::from_secs(30))
    })
    .await
    .unwrap();
    assert_eq!(letters.len(), 2);
    assert!(letters
        .iter()
        .all(|l| l.value["projection"] == "test_notes"));

    // After the fix, a replay applies the failing event once; the undecodable one stays.
    broken.store(false, Ordering::SeqCst);
    let report = dlq::replay(
        &system.pool,
        &system.platform.projections,
        Some("test_notes"),
    )
    .await
    .unwrap();
    assert_eq!(report.replayed, 1);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(
        note_text(&system, &bad).await.as_deref(),
        Some("fail: bad note")
    );
    let again = dlq::replay(
        &system.pool,
        &system.platform.projections,
        Some("test_notes"),
    )
    .await
    .unwrap();
    assert_eq!(again.replayed, 0, "a replayed letter is not applied twice");
    let (applied,): (i64,) = sqlx::query_as(
        "SELECT events_applied FROM projection_state WHERE projection = 'test_notes'",
    )
    .fetch_one(&system.pool)
    .await
    .unwrap();
    assert_eq!(
        applied, 4,
        "three good events and one replay, each counted once"
    );
    system.stop().await;
}
