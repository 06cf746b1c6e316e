//! Tamper evidence: every stream is hash-chained in the appending transaction, checkpoints
//! sign the store's heads, and `events verify` names exactly what was changed directly in
//! PostgreSQL: an edited payload, a deleted event, two swapped events, a truncated stream,
//! and a whole stream forged and re-hashed consistently (caught by the signed checkpoint).

use std::collections::BTreeSet;
use std::time::Duration;

use uuid::Uuid;
use wayfarer_audit::verify::{verify_store, verify_stream, Finding, Stream};
use wayfarer_audit::CheckpointKey;
use wayfarer_tests::fixtures::{self, ItineraryHandler, RunCommand};
use wayfarer_tests::{Roles, TestSystem};

/// Creates an itinerary with `stops` stops: a stream of `stops + 1` events.
async fn trip(handler: &ItineraryHandler, owner: Uuid, stops: usize) -> String {
    let id = Uuid::now_v7();
    handler
        .run(
            id,
            fixtures::create_trip(owner, id, format!("Trip {id}"), 3),
            &fixtures::metadata(owner),
        )
        .await
        .unwrap();
    for n in 0..stops {
        handler
            .run(
                id,
                fixtures::add_stop(owner, n, 1, None),
                &fixtures::metadata(owner),
            )
            .await
            .unwrap();
    }
    id.to_string()
}

fn stream(id: &str) -> Stream {
    Stream {
        aggregate_type: "itinerary".into(),
        aggregate_id: id.into(),
    }
}

async fn execute(pool: &sqlx::PgPool, sql: &str, id: &str) {
    sqlx::query(sql).bind(id).execute(pool).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn verify_names_each_kind_of_tampering_and_nothing_else() {
    let system = TestSystem::start("tamper", Roles::none()).await.unwrap();
    let pool = &system.pool;
    let key = system.settings.audit.key().unwrap();
    let public = key.verifying_key();
    let handler = ItineraryHandler::new(pool.clone());
    let owner = Uuid::now_v7();
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(trip(&handler, owner, 3).await);
    }
    let (edited, deleted, swapped, truncated, forged, untouched) =
        (&ids[0], &ids[1], &ids[2], &ids[3], &ids[4], &ids[5]);

    let untampered = verify_store(pool, &public).await.unwrap();
    assert!(untampered.intact(), "{:?}", untampered.findings);
    assert_eq!(untampered.events, 24);
    assert_eq!(untampered.unsigned_events, 24);
    let signed = wayfarer_audit::checkpoint::take(pool, &key)
        .await
        .unwrap()
        .expect("a checkpoint over the new events");
    assert_eq!((signed.checkpoint, signed.events), (1, 24));
    assert!(
        wayfarer_audit::checkpoint::take(pool, &key)
            .await
            .unwrap()
            .is_none(),
        "nothing new to sign"
    );
    let report = verify_store(pool, &public).await.unwrap();
    assert!(report.intact(), "{:?}", report.findings);
    assert_eq!((report.checkpoints, report.unsigned_events), (1, 0));

    // An edited payload.
    execute(
        pool,
        "UPDATE events SET payload = replace(payload::text, 'Stop 0', 'Stop X')::json \
         WHERE aggregate_id = $1 AND sequence = 2",
        edited,
    )
    .await;
    // A deleted event in the middle of a stream.
    execute(
        pool,
        "DELETE FROM events WHERE aggregate_id = $1 AND sequence = 2",
        deleted,
    )
    .await;
    // Two events swapped (their content exchanged between their places).
    execute(
        pool,
        "UPDATE events e SET payload = o.payload, event_id = o.event_id \
         FROM events o WHERE e.aggregate_id = $1 AND o.aggregate_id = $1 \
           AND ((e.sequence, o.sequence) IN ((2, 3), (3, 2)))",
        swapped,
    )
    .await;
    // A stream truncated: its last event removed, the chain of the rest still sound.
    execute(
        pool,
        "DELETE FROM events WHERE aggregate_id = $1 AND sequence = 4",
        truncated,
    )
    .await;
    // A stream forged from its second event on and re-hashed so its chain is consistent.
    execute(
        pool,
        "UPDATE events SET payload = replace(payload::text, 'Stop 0', 'Forged')::json \
         WHERE aggregate_id = $1 AND sequence = 2",
        forged,
    )
    .await;
    for sequence in 2..=4 {
        sqlx::query(
            "UPDATE events e SET hash = event_hash(p.hash, e.aggregate_type, e.aggregate_id, \
                 e.sequence, e.event_type, e.event_version, e.payload::text, e.metadata::text, \
                 e.event_id, e.recorded_at) \
             FROM events p WHERE e.aggregate_id = $1 AND p.aggregate_id = $1 \
               AND e.sequence = $2 AND p.sequence = $2 - 1",
        )
        .bind(forged)
        .bind(sequence)
        .execute(pool)
        .await
        .unwrap();
    }

    let report = verify_store(pool, &public).await.unwrap();
    let found: BTreeSet<String> = report.findings.iter().map(|f| format!("{f:?}")).collect();
    let position = |id: &str, sequence: i64| {
        let id = id.to_owned();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT global_position FROM events WHERE aggregate_id = $1 AND sequence = $2",
            )
            .bind(id)
            .bind(sequence)
            .fetch_one(pool)
            .await
            .unwrap()
        }
    };
    let expected: BTreeSet<String> = [
        Finding::ContentChanged {
            stream: stream(edited),
            sequence: 2,
            position: position(edited, 2).await,
        },
        Finding::Missing {
            stream: stream(deleted),
            after: 1,
            next: 3,
        },
        Finding::ContentChanged {
            stream: stream(swapped),
            sequence: 2,
            position: position(swapped, 2).await,
        },
        Finding::ContentChanged {
            stream: stream(swapped),
            sequence: 3,
            position: position(swapped, 3).await,
        },
        Finding::Truncated {
            checkpoint: 1,
            stream: stream(truncated),
            signed: 4,
            stored: Some(3),
        },
        Finding::Rewritten {
            checkpoint: 1,
            stream: stream(forged),
            sequence: 4,
        },
        Finding::CountChanged {
            checkpoint: 1,
            signed: 24,
            stored: 22,
        },
    ]
    .iter()
    .map(|f| format!("{f:?}"))
    .collect();
    assert_eq!(found, expected);
    assert!(!report
        .findings
        .iter()
        .any(|f| format!("{f}").contains(untouched)));

    // One stream on its own: only its own findings.
    let one = verify_stream(pool, &public, forged).await.unwrap();
    assert_eq!(
        one.findings,
        [Finding::Rewritten {
            checkpoint: 1,
            stream: stream(forged),
            sequence: 4,
        }]
    );
    let clean = verify_stream(pool, &public, untouched).await.unwrap();
    assert!(clean.intact(), "{:?}", clean.findings);
    assert!(matches!(
        verify_stream(pool, &public, "no-such-aggregate").await,
        Err(wayfarer_audit::AuditError::UnknownAggregate(_))
    ));

    // The CLI reports the same and fails.
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_wayfarer-node"))
        .args(["events", "verify"])
        .envs(system.child_env())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "TAMPERED: itinerary/{forged} was rewritten: its events up to 4 differ from what \
             checkpoint 1 signed"
        )),
        "{stdout}"
    );

    // The development key (its private half is in the source) neither verifies nor signs
    // unless passed explicitly.
    for args in [&["events", "verify"][..], &["events", "checkpoint"]] {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_wayfarer-node"))
            .args(args)
            .envs(system.child_env())
            .env(
                "WAYFARER_SIGNING_KEY",
                wayfarer_infra::config::DEVELOPMENT_SIGNING_KEY,
            )
            .output()
            .await
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("development key"),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_or_removed_checkpoints_are_caught() {
    let system = TestSystem::start("tampercp", Roles::none()).await.unwrap();
    let pool = &system.pool;
    let key = system.settings.audit.key().unwrap();
    let public = key.verifying_key();
    let handler = ItineraryHandler::new(pool.clone());
    let owner = Uuid::now_v7();
    trip(&handler, owner, 1).await;
    wayfarer_audit::checkpoint::take(pool, &key).await.unwrap();
    let second = trip(&handler, owner, 1).await;
    wayfarer_audit::checkpoint::take(pool, &key).await.unwrap();
    assert!(verify_store(pool, &public).await.unwrap().intact());

    // Someone else's key proves nothing.
    let stranger = CheckpointKey::from_base64("c3RyYW5nZXItc3RyYW5nZXItc3RyYW5nZXItc3RyYW4=")
        .unwrap()
        .verifying_key();
    let findings = verify_store(pool, &stranger).await.unwrap().findings;
    assert_eq!(
        findings,
        [
            Finding::BadSignature { checkpoint: 1 },
            Finding::BadSignature { checkpoint: 2 }
        ]
    );

    // Heads edited to match a forged stream no longer match their signature.
    execute(
        pool,
        "UPDATE event_checkpoint_heads SET hash = sha256(hash) WHERE aggregate_id = $1",
        &second,
    )
    .await;
    let findings = verify_store(pool, &public).await.unwrap().findings;
    assert!(
        findings.contains(&Finding::HeadsChanged { checkpoint: 2 }),
        "{findings:?}"
    );
    // Also when only that stream is verified.
    let findings = verify_stream(pool, &public, &second)
        .await
        .unwrap()
        .findings;
    assert!(
        findings.contains(&Finding::HeadsChanged { checkpoint: 2 }),
        "{findings:?}"
    );

    // Removing the first checkpoint breaks the chain of checkpoints.
    sqlx::query("DELETE FROM event_checkpoints WHERE checkpoint = 1")
        .execute(pool)
        .await
        .unwrap();
    let findings = verify_store(pool, &public).await.unwrap().findings;
    assert!(
        findings.contains(&Finding::CheckpointChainBroken { checkpoint: 2 }),
        "{findings:?}"
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_store_refuses_a_gap_and_the_relay_signs_checkpoints() {
    let mut settings = wayfarer_tests::system::isolated_settings("chainrelay");
    settings.audit.checkpoint_interval = Duration::from_millis(200);
    let system = TestSystem::start_with(
        settings,
        Roles {
            api: false,
            relay: true,
            sagas: false,
            projectors: Vec::new(),
        },
    )
    .await
    .unwrap();
    let pool = &system.pool;
    let handler = ItineraryHandler::new(pool.clone());
    let id = trip(&handler, Uuid::now_v7(), 2).await;

    let gap = sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
         payload, metadata) VALUES ('itinerary', $1, 5, 'ItineraryDeleted', '1.0', \
         '{\"type\": \"ItineraryDeleted\"}', '{}')",
    )
    .bind(&id)
    .execute(pool)
    .await
    .unwrap_err();
    let gap = gap.as_database_error().expect("refused by the store");
    assert_eq!(gap.code().as_deref(), Some("23514"));
    assert_eq!(gap.constraint(), Some("events_chain"));

    let last: i64 = sqlx::query_scalar("SELECT max(global_position) FROM events")
        .fetch_one(pool)
        .await
        .unwrap();
    TestSystem::eventually(
        Duration::from_secs(20),
        "the relay signs every event",
        || async {
            let signed: Option<i64> =
                sqlx::query_scalar("SELECT max(global_position) FROM event_checkpoints")
                    .fetch_one(pool)
                    .await
                    .unwrap();
            signed == Some(last)
        },
    )
    .await;
    let report = verify_store(pool, &system.settings.audit.key().unwrap().verifying_key())
        .await
        .unwrap();
    assert!(report.intact(), "{:?}", report.findings);
    assert_eq!(report.unsigned_events, 0);
    system.stop().await;
}
