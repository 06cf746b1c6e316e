//! Traces follow the data through Kafka: with span export on, a projector's span for an
//! event is in the trace of the request that stored it (trace id = correlation id).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use uuid::Uuid;
use wayfarer_tests::{Roles, TestSystem};

use crate::support::*;

/// A minimal OTLP/HTTP receiver: records every request body, answers 200.
async fn otlp_receiver() -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/v1/traces", listener.local_addr().unwrap());
    let bodies: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let received = bodies.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let received = received.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 8192];
                loop {
                    let Ok(read) = socket.read(&mut buffer).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    request.extend_from_slice(&buffer[..read]);
                    let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&request[..end]).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|line| line.strip_prefix("content-length:"))
                        .and_then(|value| value.trim().parse().ok())
                        .unwrap_or(0);
                    if request.len() < end + 4 + length {
                        continue;
                    }
                    received
                        .lock()
                        .unwrap()
                        .push(request[end + 4..end + 4 + length].to_vec());
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    request.clear();
                }
            });
        }
    });
    (endpoint, bodies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_projectors_span_for_an_event_is_in_the_trace_of_the_request_that_stored_it() {
    let system = TestSystem::start(
        "otlp",
        Roles {
            api: true,
            relay: true,
            sagas: false,
            projectors: Vec::new(),
        },
    )
    .await
    .unwrap();
    let (endpoint, bodies) = otlp_receiver().await;
    let mut projector = tokio::process::Command::new(env!("CARGO_BIN_EXE_wayfarer-node"))
        .args(["project", "--only", "itinerary_pg"])
        .envs(system.child_env())
        .env("WAYFARER_OTLP_ENDPOINT", &endpoint)
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();

    let (owner, _) = system.graphql().register_user("traced").await;
    let correlation = Uuid::new_v4();
    let response: Value = reqwest::Client::new()
        .post(format!("{}/graphql", system.api_url.as_deref().unwrap()))
        .bearer_auth(owner.token.as_deref().unwrap())
        .header("x-correlation-id", correlation.to_string())
        .json(&json!({ "query": CREATE, "variables": { "input": trip("Traced trip", "PUBLIC") } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = response["data"]["createItinerary"]["itineraryId"]
        .as_str()
        .unwrap()
        .to_owned();
    let position = response["data"]["createItinerary"]["position"].clone();
    owner
        .data(READ, json!({ "id": id, "after": position }))
        .await;

    // A clean stop flushes the exported spans.
    let pid = projector.id().unwrap() as i32;
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(20), projector.wait())
        .await
        .expect("the projector stops on SIGTERM")
        .unwrap();
    let trace_id = correlation.as_bytes();
    let exported = bodies.lock().unwrap().clone();
    assert!(!exported.is_empty(), "spans were exported");
    assert!(
        exported
            .iter()
            .any(|body| body.windows(16).any(|window| window == trace_id)),
        "a projector span carries the request's trace id"
    );
    system.stop().await;
}
