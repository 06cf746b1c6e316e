//! Prometheus metrics of every role, served at `/metrics`.

use std::sync::OnceLock;

use prometheus::{Encoder, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

pub struct Metrics {
    pub registry: Registry,
    pub http_requests: IntCounterVec,
    pub relay_published: IntCounterVec,
    pub projection_events: IntCounterVec,
    pub projection_position: IntGaugeVec,
    pub projection_dead_letters: IntCounterVec,
}

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let registry = Registry::new();
        let build_info = IntGaugeVec::new(
            Opts::new("wayfarer_build_info", "the running version"),
            &["version"],
        )
        .expect("valid metric");
        build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        registry
            .register(Box::new(build_info))
            .expect("registered once");
        let http_requests = IntCounterVec::new(
            Opts::new(
                "wayfarer_http_requests_total",
                "HTTP requests by path and status",
            ),
            &["path", "status"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(http_requests.clone()))
            .expect("registered once");
        let relay_published = IntCounterVec::new(
            Opts::new(
                "wayfarer_relay_published_events_total",
                "events published to Kafka",
            ),
            &["topic"],
        )
        .expect("valid metric");
        let projection_events = IntCounterVec::new(
            Opts::new(
                "wayfarer_projection_events_total",
                "events handled by a projection",
            ),
            &["projection"],
        )
        .expect("valid metric");
        let projection_dead_letters = IntCounterVec::new(
            Opts::new(
                "wayfarer_projection_dead_letters_total",
                "events a projection dead-lettered",
            ),
            &["projection"],
        )
        .expect("valid metric");
        let projection_position = IntGaugeVec::new(
            Opts::new(
                "wayfarer_projection_position",
                "highest store position applied",
            ),
            &["projection"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(relay_published.clone()))
            .expect("registered once");
        registry
            .register(Box::new(projection_events.clone()))
            .expect("registered once");
        registry
            .register(Box::new(projection_position.clone()))
            .expect("registered once");
        registry
            .register(Box::new(projection_dead_letters.clone()))
            .expect("registered once");
        Metrics {
            registry,
            http_requests,
            relay_published,
            projection_events,
            projection_position,
            projection_dead_letters,
        }
    })
}

/// The text exposition format.
pub fn render() -> String {
    let mut buffer = Vec::new();
    let _ = TextEncoder::new().encode(&metrics().registry.gather(), &mut buffer);
    String::from_utf8(buffer).unwrap_or_default()
}
