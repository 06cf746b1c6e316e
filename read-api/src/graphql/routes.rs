//! HTTP and WebSocket routes for `/graphql`.

use async_graphql::http::{GraphiQLSource, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, Request};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tracing::Instrument;
use uuid::Uuid;

use super::context::{Caller, CorrelationId};
use super::parsed_queries::ParsedQueries;
use super::subscription::ConnectionSubscriptions;
use super::WayfarerSchema;
use crate::auth::tokens::bearer;
use crate::auth::{AccessRevoked, ClientAddress};
use crate::error::ApiError;
use crate::people::access::check_standing;
use crate::state::ApiState;

/// The largest WebSocket message read (as the HTTP body limit, 1 MiB).
const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
struct RouteState {
    schema: WayfarerSchema,
    /// For the standing of each caller (banned or closed accounts are refused) and for
    /// provisioning people who sign in with an external provider.
    api: ApiState,
    parsed_queries: ParsedQueries,
}

/// `/graphql`: POST for queries and mutations, GET for GraphiQL in a browser or a
/// graphql-transport-ws WebSocket upgrade (also served at `/graphql/ws`).
pub fn router(schema: WayfarerSchema, state: &ApiState) -> Router {
    let route_state = RouteState {
        schema,
        api: state.clone(),
        parsed_queries: ParsedQueries::default(),
    };
    Router::new()
        .route("/graphql", get(get_graphql).post(post_graphql))
        .route("/graphql/ws", get(get_graphql))
        .route("/admin", get(crate::admin::page))
        .route("/admin.js", get(crate::admin::script))
        .route("/webhooks/gateway", post(gateway_webhook))
        .with_state(route_state)
}

/// The payment gateway's signed events (see [`crate::gateway_webhook`]).
async fn gateway_webhook(
    State(state): State<RouteState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> axum::http::StatusCode {
    crate::gateway_webhook::receive(&state.api, &headers, &body).await
}

/// The caller a bearer token names: one of our access tokens, or an external provider's
/// (whose person is provisioned on first sight). `Ok(None)` without a token; an error for a
/// token that does not verify, or whose account is banned or closed.
async fn authenticate(api: &ApiState, token: Option<&str>) -> Result<Option<Caller>, ApiError> {
    let Some(token) = token else {
        return Ok(None);
    };
    let caller = match api.keys.verify_access_token_with_expiry(token) {
        Some((user_id, expires_at)) => Caller {
            user_id,
            expires_at,
        },
        None => {
            let verifier = api.oidc.as_ref().ok_or(ApiError::InvalidCredentials)?;
            let claims = verifier
                .verify(token)
                .await
                .ok_or(ApiError::InvalidCredentials)?;
            Caller {
                user_id: crate::people::commands::provision_external(api, &claims).await?,
                expires_at: claims.expires_at,
            }
        }
    };
    check_standing(&api.pool, caller.user_id).await?;
    Ok(Some(caller))
}

/// A flag the connection's operations check, set once the caller is banned or closes their
/// account (the same signals that end their subscriptions). The watcher ends with the
/// connection.
async fn watch_access(api: &ApiState, user_id: uuid::Uuid) -> AccessRevoked {
    let revoked = AccessRevoked::default();
    let Ok(mut ended) = super::subscription::access_ended(api, Some(user_id)).await else {
        // No announcements now: the connection's subscriptions check on their own.
        return revoked;
    };
    let flag = std::sync::Arc::downgrade(&revoked.0);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = &mut ended => {
                    if let Some(flag) = flag.upgrade() {
                        flag.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                    return;
                }
                _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => {
                    if flag.strong_count() == 0 {
                        return;
                    }
                }
            }
        }
    });
    revoked
}

fn header_token(headers: &HeaderMap) -> Option<&str> {
    bearer(headers.get(header::AUTHORIZATION)?.to_str().ok()?)
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
    match authenticate(&state.api, header_token(&headers)).await {
        Ok(Some(caller)) => request = request.data(caller),
        // A token that was sent but does not verify (expired, tampered) is an error, not an
        // anonymous request: the client must refresh rather than silently see less.
        Ok(None) if headers.contains_key(header::AUTHORIZATION) => {
            return coded_error("invalid or expired access token", "UNAUTHENTICATED").into();
        }
        Ok(None) => {}
        Err(ApiError::InvalidCredentials) => {
            return coded_error("invalid or expired access token", "UNAUTHENTICATED").into();
        }
        // A banned or closed account's tokens stop working from the next request.
        Err(error) => return coded_error(&error.to_string(), error.code()).into(),
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
    let header_token = header_token(&parts.headers).map(str::to_owned);
    let address = client_address(&parts.extensions);
    let api = state.api.clone();
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
                        .map(str::to_owned);
                    let token = from_payload.or(header_token);
                    if let Some(caller) = authenticate(&api, token.as_deref())
                        .await
                        .map_err(|error| async_graphql::Error::new(error.to_string()))?
                    {
                        data.insert(watch_access(&api, caller.user_id).await);
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
