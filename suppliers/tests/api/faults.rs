//! Fault injection as a client sees it: outages, latency, hangs, error rates, determinism.

use std::time::Duration;

use wayfarer_suppliers::api::FaultSettings;
use wayfarer_suppliers::client::{ClientError, Unavailability};
use wayfarer_suppliers::{SimulatorConfig, CARD_SUCCEEDS};

use crate::helpers::*;

fn errors(error_rate: u16) -> FaultSettings {
    FaultSettings {
        error_rate,
        ..FaultSettings::NONE
    }
}

/// Whether each of `calls` searches at `supplier` succeeded.
async fn outcomes(simulator: &TestSimulator, supplier: &str, calls: usize) -> Vec<bool> {
    let search = flight_search("LHR", "CDG", 15, 1);
    let mut outcomes = Vec::with_capacity(calls);
    for _ in 0..calls {
        outcomes.push(
            simulator
                .suppliers
                .search_flights(supplier, &search)
                .await
                .is_ok(),
        );
    }
    outcomes
}

#[tokio::test]
async fn an_outage_makes_the_client_see_the_supplier_unavailable_until_it_is_reset() {
    let simulator = TestSimulator::quiet(1).await;
    let outage = FaultSettings {
        outage: true,
        ..FaultSettings::NONE
    };
    simulator.admin.set_faults("skyhop", &outage).await.unwrap();
    let search = flight_search("LHR", "CDG", 15, 1);
    let answer = simulator.suppliers.search_flights("skyhop", &search).await;
    match &answer {
        Err(ClientError::Unavailable {
            cause: Unavailability::ServerError { status, code, .. },
        }) => assert_eq!((*status, code.as_str()), (503, "SUPPLIER_UNAVAILABLE")),
        other => panic!("expected unavailability, got {other:?}"),
    }
    assert!(answer.unwrap_err().is_retryable());
    simulator
        .suppliers
        .search_flights("aerolux", &search)
        .await
        .expect("other suppliers are unaffected");

    simulator.admin.reset_faults("skyhop").await.unwrap();
    simulator
        .suppliers
        .search_flights("skyhop", &search)
        .await
        .expect("back after the reset");
}

#[tokio::test]
async fn a_stopped_simulator_is_unavailable_not_rejected() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = wayfarer_suppliers::client::SupplierClient::new(url, Duration::from_secs(2));
    let answer = client.list_suppliers().await;
    assert!(
        matches!(
            answer,
            Err(ClientError::Unavailable {
                cause: Unavailability::Unreachable(_)
            })
        ),
        "{answer:?}"
    );
}

#[tokio::test]
async fn latency_beyond_the_client_timeout_is_a_timeout() {
    let simulator = TestSimulator::quiet(1).await;
    let slow = FaultSettings::latency(1_500);
    simulator.admin.set_faults("farefox", &slow).await.unwrap();
    let impatient = simulator.suppliers_with_timeout(Duration::from_millis(200));
    let answer = impatient
        .search_flights("farefox", &flight_search("LHR", "CDG", 15, 1))
        .await;
    assert!(
        matches!(answer, Err(ClientError::Timeout { .. })),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_timeout_rate_of_a_thousand_per_mille_hangs_every_request() {
    let simulator = TestSimulator::quiet(1).await;
    let hang = FaultSettings {
        timeout_rate: 1000,
        ..FaultSettings::NONE
    };
    simulator.admin.set_faults("aerolux", &hang).await.unwrap();
    let impatient = simulator.suppliers_with_timeout(Duration::from_millis(200));
    for _ in 0..3 {
        let answer = impatient
            .search_flights("aerolux", &flight_search("LHR", "CDG", 15, 1))
            .await;
        assert!(
            matches!(answer, Err(ClientError::Timeout { .. })),
            "{answer:?}"
        );
    }
}

#[tokio::test]
async fn an_error_rate_of_a_thousand_per_mille_fails_every_call_and_zero_none() {
    let simulator = TestSimulator::quiet(1).await;
    simulator
        .admin
        .set_faults("skyhop", &errors(1000))
        .await
        .unwrap();
    assert!(outcomes(&simulator, "skyhop", 25)
        .await
        .iter()
        .all(|ok| !ok));
    let failure = simulator
        .suppliers
        .search_flights("skyhop", &flight_search("LHR", "CDG", 15, 1))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), Some("INJECTED_FAILURE"));
    simulator
        .admin
        .set_faults("skyhop", &errors(0))
        .await
        .unwrap();
    assert!(outcomes(&simulator, "skyhop", 25)
        .await
        .iter()
        .all(|ok| *ok));
}

#[tokio::test]
async fn the_same_seed_gives_the_same_failure_sequence() {
    let first = TestSimulator::quiet(11).await;
    let second = TestSimulator::quiet(11).await;
    for simulator in [&first, &second] {
        simulator
            .admin
            .set_faults("farefox", &errors(300))
            .await
            .unwrap();
    }
    let sequence = outcomes(&first, "farefox", 40).await;
    assert_eq!(sequence, outcomes(&second, "farefox", 40).await);
    assert!(
        sequence.contains(&true) && sequence.contains(&false),
        "{sequence:?}"
    );
}

#[tokio::test]
async fn gateway_faults_apply_to_payments_but_never_to_admin_or_health() {
    let simulator = TestSimulator::quiet(1).await;
    let outage = FaultSettings {
        outage: true,
        ..FaultSettings::NONE
    };
    simulator
        .admin
        .set_faults("gateway", &outage)
        .await
        .unwrap();
    let answer = simulator
        .gateway
        .create_payment_method(&card(CARD_SUCCEEDS))
        .await;
    assert_eq!(answer.unwrap_err().code(), Some("SUPPLIER_UNAVAILABLE"));
    assert_eq!(simulator.admin.faults("gateway").await.unwrap(), outage);
    simulator
        .admin
        .health()
        .await
        .expect("health is never faulted");
    simulator
        .suppliers
        .list_suppliers()
        .await
        .expect("the list is never faulted");
}

#[tokio::test]
async fn fault_settings_read_back_and_reset_to_the_profile_default() {
    let mut config = SimulatorConfig::quiet(1);
    let profile_default = FaultSettings::latency(5);
    config.suppliers[2].default_faults = profile_default;
    let simulator = TestSimulator::spawn(config).await;
    assert_eq!(
        simulator.admin.faults("farefox").await.unwrap(),
        profile_default
    );
    let changed = FaultSettings {
        latency_ms: 20,
        error_rate: 100,
        timeout_rate: 50,
        outage: false,
    };
    assert_eq!(
        simulator
            .admin
            .set_faults("farefox", &changed)
            .await
            .unwrap(),
        changed
    );
    assert_eq!(simulator.admin.faults("farefox").await.unwrap(), changed);
    assert_eq!(
        simulator.admin.reset_faults("farefox").await.unwrap(),
        profile_default
    );

    let unknown = simulator.admin.faults("nosuch").await;
    assert_eq!(rejected_code(unknown), (404, "UNKNOWN_TARGET".into()));
    let too_much = simulator.admin.set_faults("farefox", &errors(1001)).await;
    assert_eq!(rejected_code(too_much), (400, "INVALID_REQUEST".into()));
}
