//! A small GraphQL client over HTTP and graphql-transport-ws.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone)]
pub struct GraphqlClient {
    http: reqwest::Client,
    base: String,
    pub token: Option<String>,
}

impl GraphqlClient {
    pub fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
            token: None,
        }
    }

    pub fn with_token(&self, token: &str) -> Self {
        let mut client = self.clone();
        client.token = Some(token.to_owned());
        client
    }

    /// The whole response (`data` and `errors`).
    pub async fn execute(&self, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        request
            .send()
            .await
            .expect("graphql request sent")
            .json()
            .await
            .expect("graphql response is json")
    }

    /// `data`, panicking with the errors if there were any.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let response = self.execute(query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response}"
        );
        response["data"].clone()
    }

    /// The `extensions.code` of the first error.
    pub async fn error_code(&self, query: &str, variables: Value) -> String {
        let response = self.execute(query, variables).await;
        response["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error, got {response}"))
            .to_owned()
    }

    /// Registers a fresh user and returns a client signed in as them plus their id.
    pub async fn register_user(&self, name: &str) -> (GraphqlClient, String) {
        let unique = &uuid::Uuid::new_v4().simple().to_string()[..8];
        let data = self
            .data(
                "mutation($e: String!, $p: String!, $u: String!) { register(email: $e, password: $p, userName: $u) { accessToken user { id } } }",
                json!({ "e": format!("{name}-{unique}@example.com"), "p": "correct horse battery", "u": format!("{name}_{unique}") }),
            )
            .await;
        let token = data["register"]["accessToken"]
            .as_str()
            .expect("token")
            .to_owned();
        let id = data["register"]["user"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        (self.with_token(&token), id)
    }

    /// Opens a graphql-transport-ws connection, initialised (with this client's token).
    pub async fn ws(&self) -> WsConnection {
        let url = format!("{}/graphql", self.base.replacen("http", "ws", 1));
        let mut request = url.into_client_request().expect("valid ws url");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().expect("valid header"),
        );
        let (mut socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket connects");
        let init = match &self.token {
            Some(token) => {
                json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } })
            }
            None => json!({ "type": "connection_init", "payload": {} }),
        };
        socket
            .send(Message::text(init.to_string()))
            .await
            .expect("init sent");
        loop {
            let message = socket.next().await.expect("ack arrives").expect("ws ok");
            if let Message::Text(text) = message {
                let value: Value = serde_json::from_str(&text).expect("json");
                if value["type"] == "connection_ack" {
                    break;
                }
            }
        }
        WsConnection { socket }
    }

    /// Opens a graphql-transport-ws subscription; returns a stream of its `payload` values,
    /// `{"errors": …}` for an error and `{"complete": true}` when the server ends it.
    pub async fn subscribe(
        &self,
        query: &str,
        variables: Value,
    ) -> impl futures::Stream<Item = Value> + Unpin {
        let mut connection = self.ws().await;
        connection.subscribe("1", query, variables).await;
        Box::pin(connection.socket.filter_map(|message| async move {
            match message.ok()? {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).ok()?;
                    match value["type"].as_str() {
                        Some("next") => Some(value["payload"].clone()),
                        Some("error") => Some(json!({ "errors": value["payload"] })),
                        // The server ended the subscription.
                        Some("complete") => Some(json!({ "complete": true })),
                        _ => None,
                    }
                }
                _ => None,
            }
        }))
    }
}

/// One graphql-transport-ws connection that can carry several subscriptions.
pub struct WsConnection {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl WsConnection {
    /// Starts a subscription with the client-chosen `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let subscribe = json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } });
        self.socket
            .send(Message::text(subscribe.to_string()))
            .await
            .expect("subscribe sent");
    }

    /// The next protocol message (`{"type": …, "id": …, "payload": …}`), or `None` when none
    /// arrives within `timeout`.
    pub async fn next_message(&mut self, timeout: std::time::Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()??
                .ok()?;
            if let Message::Text(text) = message {
                return serde_json::from_str(&text).ok();
            }
        }
    }
}
