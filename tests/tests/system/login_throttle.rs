//! Login throttling, shared by API nodes through Redis: five attempts per account and twenty
//! per client address in fifteen minutes, then `TOO_MANY_REQUESTS` with a retry-after; a
//! success starts the account afresh.

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use wayfarer_tests::{GraphqlClient, Roles, TestSystem};

const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }";
const REGISTER: &str = "mutation($e: String!, $p: String!, $u: String!) { register(email: $e, password: $p, userName: $u) { accessToken } }";
const PASSWORD: &str = "correct horse battery";

async fn register(client: &GraphqlClient, name: &str) -> String {
    let email = format!("{name}@example.com");
    client
        .data(REGISTER, json!({ "e": email, "p": PASSWORD, "u": name }))
        .await;
    email
}

/// The error code of a login, or `OK` with a token.
async fn login(client: &GraphqlClient, email: &str, password: &str) -> (String, Value) {
    let response = client
        .execute(LOGIN, json!({ "e": email, "p": password }))
        .await;
    if response["data"]["login"]["accessToken"].is_string() {
        return ("OK".into(), response);
    }
    let code = response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("none")
        .to_owned();
    (code, response)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_account_is_throttled_on_every_node_and_a_success_starts_it_afresh() {
    let system = TestSystem::start("throttle", Roles::api_only())
        .await
        .unwrap();
    let first = system.graphql();
    let shutdown = CancellationToken::new();
    let second_api =
        wayfarer_infra::roles::spawn_api(&system.settings, &system.platform, shutdown.clone())
            .await
            .unwrap();
    let second = GraphqlClient::new(&format!("http://{}", second_api.addr));

    let target = register(&first, "throttled").await;
    for attempt in 0..5 {
        let node = if attempt % 2 == 0 { &first } else { &second };
        let (code, response) = login(node, &target, "wrong password").await;
        assert_eq!(code, "UNAUTHENTICATED", "attempt {attempt}: {response}");
    }
    // The sixth attempt is refused on either node, even with the right password.
    for node in [&first, &second] {
        let (code, response) = login(node, &target, PASSWORD).await;
        assert_eq!(code, "TOO_MANY_REQUESTS", "{response}");
        let retry_after = response["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .unwrap_or_else(|| panic!("a retry-after: {response}"));
        assert!((1..=900).contains(&retry_after), "{response}");
    }
    // Another account from the same address is not affected.
    let other = register(&first, "unaffected").await;
    assert_eq!(login(&second, &other, PASSWORD).await.0, "OK");

    // A success clears the account's count: four failures, a success, four more failures
    // and the right password still work.
    let careless = register(&first, "careless").await;
    for _ in 0..4 {
        assert_eq!(login(&first, &careless, "nope").await.0, "UNAUTHENTICATED");
    }
    assert_eq!(login(&second, &careless, PASSWORD).await.0, "OK");
    for _ in 0..4 {
        assert_eq!(login(&second, &careless, "nope").await.0, "UNAUTHENTICATED");
    }
    assert_eq!(login(&first, &careless, PASSWORD).await.0, "OK");

    shutdown.cancel();
    let _ = second_api.handle.await;
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_address_guessing_many_accounts_is_throttled() {
    let system = TestSystem::start("throttleaddr", Roles::api_only())
        .await
        .unwrap();
    let client = system.graphql();
    let known = register(&client, "victim").await;
    for guess in 0..20 {
        let (code, response) = login(&client, &format!("nobody{guess}@example.com"), "guess").await;
        assert_eq!(code, "UNAUTHENTICATED", "guess {guess}: {response}");
    }
    let (code, response) = login(&client, &known, PASSWORD).await;
    assert_eq!(code, "TOO_MANY_REQUESTS", "{response}");
    system.stop().await;
}
