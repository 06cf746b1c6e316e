//! HTTP and WebSocket routes for `/graphql`.

use async_graphql::http::{GraphiQLSource, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, Request};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tracing::Instrument;
use uuid::Uuid;

use super::context::{Caller, CorrelationId};
use super::parsed_queries::ParsedQueries;
use super::subscription::ConnectionSubscriptions;
use super::WayfarerSchema;
use crate::auth::tokens::{bearer, TokenKeys};
use crate::auth::ClientAddress;
use crate::people::access::check_standing;
use crate::state::ApiState;

/// The largest WebSocket message read (as the HTTP body limit, 1 MiB).
const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
struct RouteState {
    schema: WayfarerSchema,
    /// For the standing of each caller (banned or closed accounts are refused).
    pool: sqlx::PgPool,
    keys: TokenKeys,
    parsed_queries: ParsedQueries,
}

/// `/graphql`: POST for queries and mutations, GET for GraphiQL in a browser or a
/// graphql-transport-ws WebSocket upgrade (also served at `/graphql/ws`).
pub fn router(schema: WayfarerSchema, state: &ApiState) -> Router {
    let route_state = RouteState {
        schema,
        pool: state.pool.clone(),
        keys: state.keys.clone(),
        parsed_queries: ParsedQueries::default(),
    };
    Router::new()
        .route("/graphql", get(get_graphql).post(post_graphql))
        .route("/graphql/ws", get(get_graphql))
        .with_state(route_state)
}

fn caller_from(headers: &HeaderMap, keys: &TokenKeys) -> Option<Caller> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    keys.verify_access_token_with_expiry(bearer(value)?)
        .map(|(user_id, expires_at)| Caller {
            user_id,
            expires_at,
        })
}

fn correlation_from(headers: &HeaderMap) -> CorrelationId {
    CorrelationId(
        headers
            .get("x-correlation-id")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Uuid::parse_str(v).ok())
            .unwrap_or_else(Uuid::now_v7),
    )
}

/// The peer's address, when the server was started with connection info (the `wayfarer`
/// API always is).
fn client_address(extensions: &axum::http::Extensions) -> Option<ClientAddress> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| ClientAddress(info.0.ip()))
}

async fn post_graphql(
    State(state): State<RouteState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let mut request = request.into_inner();
    if let Some(address) = client_address(&extensions) {
        request = request.data(address);
    }
    let correlation = correlation_from(&headers);
    match caller_from(&headers, &state.keys) {
        Some(caller) => {
            // A banned or closed account's tokens stop working from the next request.
            if let Err(error) = check_standing(&state.pool, caller.user_id).await {
                return coded_error(&error.to_string(), error.code()).into();
            }
            request = request.data(caller)
        }
        // A token that was sent but does not verify (expired, tampered) is an error, not an
        // anonymous request: the client must refresh rather than silently see less.
        None if headers.contains_key(header::AUTHORIZATION) => {
            return coded_error("invalid or expired access token", "UNAUTHENTICATED").into();
        }
        None => {}
    }
    state.parsed_queries.prepare(&mut request);
    let span = tracing::info_span!("graphql", correlation_id = %correlation.0);
    crate::trace::join_trace(&span, correlation.0, correlation.0.as_u128() as u64);
    request = request.data(correlation);
    let mut response = state.schema.execute(request).instrument(span).await;
    code_request_errors(&mut response);
    response.into()
}

/// A response carrying one error with `extensions.code`.
fn coded_error(message: &str, code: &str) -> async_graphql::Response {
    let mut error = async_graphql::ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    async_graphql::Response::from_errors(vec![error])
}

/// Resolver errors carry their `extensions.code` already (see [`crate::error`]). Every other
/// error is the GraphQL layer refusing the request itself (unparsable text, unknown fields,
/// variables of the wrong type, limits exceeded), which is bad input: `VALIDATION`.
fn code_request_errors(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "VALIDATION");
        }
    }
}

async fn get_graphql(
    State(state): State<RouteState>,
    request: Request<axum::body::Body>,
) -> Response {
    let (mut parts, _body) = request.into_parts();
    let is_upgrade = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !is_upgrade {
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql/ws")
                .finish(),
        )
        .into_response();
    }
    let protocol = match GraphQLProtocol::from_request_parts(&mut parts, &()).await {
        Ok(protocol) => protocol,
        Err(rejection) => return rejection.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let header_caller = caller_from(&parts.headers, &state.keys);
    let address = client_address(&parts.extensions);
    let keys = state.keys.clone();
    let pool = state.pool.clone();
    let schema = state.schema.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        // The same bound as HTTP bodies: no message bigger than a request may be.
        .max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let mut data = Data::default();
                    // Browsers can't set headers on WebSockets: accept the token in the
                    // connection_init payload as `{"authorization": "Bearer …"}`.
                    let from_payload = payload
                        .get("authorization")
                        .or_else(|| payload.get("Authorization"))
                        .and_then(|v| v.as_str())
                        .and_then(bearer)
                        .and_then(|token| keys.verify_access_token_with_expiry(token))
                        .map(|(user_id, expires_at)| Caller {
                            user_id,
                            expires_at,
                        });
                    if let Some(caller) = from_payload.or(header_caller) {
                        check_standing(&pool, caller.user_id)
                            .await
                            .map_err(|error| async_graphql::Error::new(error.to_string()))?;
                        data.insert(caller);
                    }
                    data.insert(CorrelationId(Uuid::now_v7()));
                    data.insert(ConnectionSubscriptions::default());
                    if let Some(address) = address {
                        data.insert(address);
                    }
                    Ok(data)
                })
                .serve()
                .await
        })
}
