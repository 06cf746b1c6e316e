//! Joining a span to a trace: a request's trace id is its correlation id, so the spans of
//! everything the request caused (in this process or, through the events' `traceparent`, in
//! projectors) share one trace. Without span export (`WAYFARER_OTLP_ENDPOINT`) this does
//! nothing.

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use uuid::Uuid;

/// Makes `span` a child of the remote span `parent_span` in the trace `trace_id`.
pub fn join_trace(span: &tracing::Span, trace_id: Uuid, parent_span: u64) {
    let parent = SpanContext::new(
        TraceId::from_bytes(*trace_id.as_bytes()),
        SpanId::from_bytes(parent_span.max(1).to_be_bytes()),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(parent));
}

/// The parent span id of an event's `traceparent`: the low half of its command id (see
/// `EventMetadata::traceparent`).
pub fn command_span(command_id: Uuid) -> u64 {
    command_id.as_u128() as u64
}
