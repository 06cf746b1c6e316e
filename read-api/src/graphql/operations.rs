//! Admins' and auditors' views: every projection's standing and its rebuild, the audit log,
//! and everything one request caused. Admins only; anyone else is told `FORBIDDEN`.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;
use wayfarer_projections::status::{self, ProjectionState, StatusReport};
use wayfarer_projections::store::{self, AuditFilter, CommitPosition, RawEvent};
use wayfarer_schemas::Role;

use super::context::{require_caller, state};
use super::paging::{check_search_text, decode_position, page_size, position_cursor};
use super::resolve::resolve;
use crate::auth::replay::{self, RequestKey};
use crate::error::{ApiError, ApiResult};
use crate::people::Viewer;
use crate::state::ApiState;

/// Refuses anyone but an admin.
async fn require_admin(ctx: &Context<'_>) -> ApiResult<()> {
    let caller = require_caller(ctx)?;
    let viewer = Viewer::of(&state(ctx).pool, Some(caller)).await?;
    if viewer.role != Role::Admin {
        return Err(ApiError::Forbidden("only admins may do this".into()));
    }
    Ok(())
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ProjectionStateKind {
    Live,
    Rebuilding,
    Failed,
}

/// Where a projection stands.
#[derive(SimpleObject, serde::Serialize, serde::Deserialize)]
#[graphql(name = "ProjectionStatus")]
pub struct ProjectionStatusView {
    pub name: String,
    /// `transactional`, `document` or `multi-stream`.
    pub kind: String,
    pub aggregate_types: Vec<String>,
    /// Whether it can be rebuilt from the store (not if it has outside effects).
    pub replayable: bool,
    /// The highest store position applied.
    pub position: i64,
    /// Events of its types committed but not applied yet.
    pub lag_events: i64,
    /// How long the oldest of those has waited.
    pub lag_seconds: f64,
    pub events_applied: i64,
    /// Events it gave up on, awaiting `wayfarer dlq replay`.
    pub dead_letters: i64,
    pub state: ProjectionStateKind,
    /// While rebuilding: events filled into the new copy, of how many.
    pub rebuild_done: Option<i64>,
    pub rebuild_total: Option<i64>,
    /// Why the last rebuild failed.
    pub failure: Option<String>,
    pub rebuilt_at: Option<DateTime<Utc>>,
}

impl From<StatusReport> for ProjectionStatusView {
    fn from(report: StatusReport) -> Self {
        let (state, rebuild_done, rebuild_total, failure) = match report.state {
            ProjectionState::Live => (ProjectionStateKind::Live, None, None, None),
            ProjectionState::Rebuilding {
                events_done,
                events_total,
            } => (
                ProjectionStateKind::Rebuilding,
                Some(events_done),
                Some(events_total),
                None,
            ),
            ProjectionState::Failed { reason, .. } => {
                (ProjectionStateKind::Failed, None, None, Some(reason))
            }
        };
        Self {
            name: report.name.to_owned(),
            kind: report.kind.to_owned(),
            aggregate_types: report
                .aggregate_types
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            replayable: report.replayable,
            position: report.position,
            lag_events: report.lag_events,
            lag_seconds: report.lag_seconds,
            events_applied: report.events_applied,
            dead_letters: report.dead_letters,
            state,
            rebuild_done,
            rebuild_total,
            failure,
            rebuilt_at: report.rebuilt_at,
        }
    }
}

/// A stored event as auditors see it (personal data stays sealed).
#[derive(SimpleObject)]
pub struct AuditEvent {
    pub event_id: Uuid,
    pub position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    /// The version of `payload` (stored older versions are shown upcast).
    pub event_version: String,
    pub recorded_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub correlation_id: Option<Uuid>,
    pub payload: Json<serde_json::Value>,
}

impl AuditEvent {
    fn of(api: &ApiState, event: &RawEvent) -> ApiResult<Self> {
        let envelope = event.envelope(&api.events).map_err(ApiError::internal)?;
        let payload = serde_json::from_str(envelope.payload.get()).map_err(ApiError::internal)?;
        let metadata = &envelope.metadata;
        Ok(Self {
            event_id: event.event_id,
            position: event.global_position,
            aggregate_type: event.aggregate_type.clone(),
            aggregate_id: event.aggregate_id.clone(),
            sequence: event.sequence,
            event_type: event.event_type.clone(),
            event_version: envelope.event_version.clone(),
            recorded_at: event.recorded_at,
            actor_id: metadata.actor,
            correlation_id: Some(metadata.correlation_id).filter(|id| !id.is_nil()),
            payload: Json(payload),
        })
    }
}

/// Narrows the audit log; every field given must match.
#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    /// An aggregate type (`itinerary`) or one aggregate's id.
    pub aggregate: Option<String>,
    pub event_type: Option<String>,
    /// Who caused the events.
    pub actor_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct OperationsQuery;

#[Object]
impl OperationsQuery {
    /// Every registered projection: position, lag in events and seconds, dead letters and
    /// state (live, rebuilding with progress, failed with the reason). Admins only.
    async fn projections(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ProjectionStatusView>> {
        resolve(async move {
            require_admin(ctx).await?;
            let api = state(ctx);
            let relayed = relayed_position(api).await?;
            let (_, reports) = status::report_all(&api.pool, &api.projections, relayed).await?;
            Ok(reports.into_iter().map(Into::into).collect())
        })
        .await
    }

    /// The store's events, newest first, narrowed by `filter`. Admins only.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditLogFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, AuditEvent, EmptyFields, EmptyFields>> {
        resolve(async move {
            require_admin(ctx).await?;
            let api = state(ctx);
            let filter = filter.unwrap_or_default();
            // Control characters (NUL above all, which PostgreSQL refuses in text) and
            // oversized values are the caller's mistake, not an internal error.
            for (field, value) in [
                ("aggregate", &filter.aggregate),
                ("eventType", &filter.event_type),
            ] {
                if let Some(value) = value {
                    check_search_text(value).map_err(|_| {
                        ApiError::Validation(format!(
                            "{field} must be one line of at most 200 characters"
                        ))
                    })?;
                }
            }
            let filter = AuditFilter {
                aggregate: filter.aggregate,
                event_type: filter.event_type,
                actor: filter.actor_id,
                since: filter.since,
                until: filter.until,
            };
            let limit = page_size(first)?;
            let before = after.as_deref().map(decode_position).transpose()?;
            let mut events =
                store::read_audit_log(&api.pool, &filter, before, limit as i64 + 1).await?;
            let has_next = events.len() > limit;
            events.truncate(limit);
            let mut connection = Connection::new(before.is_some(), has_next);
            for event in &events {
                connection.edges.push(Edge::new(
                    position_cursor(event.global_position),
                    AuditEvent::of(api, event)?,
                ));
            }
            Ok(connection)
        })
        .await
    }

    /// Everything one request caused (its correlation id), across aggregates, in store
    /// order. Admins only.
    async fn events_by_correlation(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<Vec<AuditEvent>> {
        resolve(async move {
            require_admin(ctx).await?;
            let api = state(ctx);
            let events = store::read_correlated(&api.pool, id).await?;
            events.iter().map(|e| AuditEvent::of(api, e)).collect()
        })
        .await
    }
}

#[derive(Default)]
pub struct OperationsMutation;

#[Object]
impl OperationsMutation {
    /// Rebuilds a projection from the store in the background, into a new copy that replaces
    /// the live one atomically once it has caught up; readers keep the live one meanwhile.
    /// Follow it with `projections`. Admins only.
    async fn rebuild_projection(
        &self,
        ctx: &Context<'_>,
        name: String,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ProjectionStatusView> {
        let api = state(ctx);
        let request = RequestKey::of(ctx, api, idempotency_key);
        resolve(async move {
            require_admin(ctx).await?;
            replay::once(api, request, |_| None, async move {
                let Some(projection) = api.projections.get(&name) else {
                    return Err(ApiError::NotFound(format!(
                        "no projection is called {name:?}"
                    )));
                };
                if !projection.info().replayable() {
                    return Err(ApiError::Validation(format!(
                        "projection {name} has outside effects and cannot be replayed"
                    )));
                }
                let rebuilds = api.rebuilds.as_ref().ok_or_else(|| {
                    ApiError::Unavailable("this API process cannot run rebuilds".into())
                })?;
                rebuilds.start(projection.name()).await?;
                let relayed = relayed_position(api).await?;
                let head = store::committed_head(&api.pool, relayed)
                    .await?
                    .max(relayed.global_position);
                Ok(status::report(&api.pool, projection, head).await?.into())
            })
            .await
        })
        .await
    }
}

/// Where the relay has published up to (lag is measured from the committed head past it).
async fn relayed_position(api: &ApiState) -> ApiResult<CommitPosition> {
    #[derive(sqlx::FromRow)]
    struct Relayed {
        tx_id: i64,
        global_position: i64,
    }
    let relayed: Option<Relayed> = sqlx::query_as(
        "SELECT tx_id::text::bigint AS tx_id, global_position FROM relay_checkpoints \
         WHERE relay = 'kafka'",
    )
    .fetch_optional(&api.pool)
    .await?;
    Ok(
        relayed.map_or(CommitPosition::default(), |r| CommitPosition {
            tx_id: r.tx_id as u64,
            global_position: r.global_position,
        }),
    )
}
