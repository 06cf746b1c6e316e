//! JSON logs (one object per line, span fields such as the correlation id included), and,
//! when `WAYFARER_OTLP_ENDPOINT` is set, spans exported over OTLP/HTTP (off by default).
//!
//! Traces follow the data: a GraphQL request's span has the request's correlation id as its
//! trace id; every event it stores carries a W3C `traceparent` in that trace (the relay puts it
//! in a Kafka header and the envelope's metadata holds its parts); each projector opens its
//! span for an event as a child of that `traceparent`. A trace viewer then shows a request
//! with the projection work it caused.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;

/// Flushes exported spans when dropped (at the end of `main`).
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            if let Err(error) = provider.shutdown() {
                tracing::warn!(%error, "span export did not flush");
            }
        }
    }
}

/// Installs the global subscriber; `RUST_LOG` overrides the default filter. With
/// `WAYFARER_OTLP_ENDPOINT` (e.g. `http://127.0.0.1:4318/v1/traces`) spans are also exported.
pub fn init() -> Telemetry {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,rdkafka=warn,opensearch=warn"));
    let provider = std::env::var("WAYFARER_OTLP_ENDPOINT")
        .ok()
        .filter(|endpoint| !endpoint.is_empty())
        .and_then(|endpoint| match otlp_provider(&endpoint) {
            Ok(provider) => Some(provider),
            Err(error) => {
                eprintln!("span export disabled: {error}");
                None
            }
        });
    // Spans are exported at info and above whatever `RUST_LOG` says about logs.
    let otel = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("wayfarer"))
            .with_filter(LevelFilter::INFO)
    });
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .with_writer(std::io::stderr)
                .with_filter(filter),
        )
        .with(otel)
        .try_init();
    Telemetry { provider }
}

fn otlp_provider(
    endpoint: &str,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint)
        .with_timeout(std::time::Duration::from_secs(5))
        .with_headers(Default::default())
        .build()?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("wayfarer")
                .build(),
        )
        .build())
}
