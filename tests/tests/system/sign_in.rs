//! Signing in: login throttling shared by API nodes through Redis (five attempts per account
//! and twenty per client address in fifteen minutes, then `TOO_MANY_REQUESTS` with a
//! retry-after; a success starts the account afresh), and password changes that sign out
//! every other session.

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

const CHANGE: &str = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { accessToken refreshToken } }";
const REFRESH: &str = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changing_the_password_signs_out_every_other_session() {
    let system = TestSystem::start("passwd", Roles::api_only())
        .await
        .unwrap();
    let anonymous = system.graphql();
    let email = "changer@example.com";
    let registered = anonymous
        .data(
            REGISTER,
            json!({ "e": email, "p": PASSWORD, "u": "changer" }),
        )
        .await;
    let first_session = registered["register"]["accessToken"].as_str().unwrap();
    let other = anonymous
        .execute(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { refreshToken } }",
            json!({ "e": email, "p": PASSWORD }),
        )
        .await;
    let other_refresh = other["data"]["login"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = anonymous.with_token(first_session);
    let new_password = "a much longer passphrase";

    // Refusals change nothing.
    let change = |c: &str, n: &str| json!({ "c": c, "n": n });
    assert_eq!(
        anonymous
            .error_code(CHANGE, change(PASSWORD, new_password))
            .await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        me.error_code(CHANGE, change("not my password", new_password))
            .await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        me.error_code(CHANGE, change(PASSWORD, "short")).await,
        "VALIDATION"
    );
    assert_eq!(
        me.error_code(CHANGE, change(PASSWORD, PASSWORD)).await,
        "VALIDATION"
    );
    assert_eq!(login(&anonymous, email, PASSWORD).await.0, "OK");

    let changed = me.data(CHANGE, change(PASSWORD, new_password)).await;
    let kept_refresh = changed["changePassword"]["refreshToken"].as_str().unwrap();
    // Every earlier refresh token is revoked; the new session's works.
    assert_eq!(
        anonymous
            .error_code(REFRESH, json!({ "t": other_refresh }))
            .await,
        "UNAUTHENTICATED"
    );
    let refreshed = anonymous
        .execute(REFRESH, json!({ "t": kept_refresh }))
        .await;
    assert!(
        refreshed["data"]["refreshToken"]["accessToken"].is_string(),
        "{refreshed}"
    );
    assert_eq!(
        login(&anonymous, email, PASSWORD).await.0,
        "UNAUTHENTICATED"
    );
    assert_eq!(login(&anonymous, email, new_password).await.0, "OK");
    system.stop().await;
}

const REQUEST_RESET: &str = "mutation($e: String!) { requestPasswordReset(email: $e) }";
const RESET: &str =
    "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }";

/// The token of the newest reset mail to `to` in the SMTP sink's Maildir, waiting for it.
async fn reset_token_mailed_to(to: &str, skip: &[String]) -> String {
    let dir = std::env::var("WAYFARER_MAIL_DIR")
        .expect("WAYFARER_MAIL_DIR (set by infra/scripts/services.sh env) names the mail folder");
    let new = std::path::Path::new(&dir).join("new");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        for entry in std::fs::read_dir(&new)
            .expect("the mail folder exists")
            .flatten()
        {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if !text.contains(&format!("X-RcptTo: {to}")) {
                continue;
            }
            // The code line is short, so quoted-printable leaves it whole (the link may be
            // wrapped; mail clients undo that).
            let Some(token) = text
                .split("Reset code: ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
            else {
                continue;
            };
            if !skip.iter().any(|seen| seen == token) {
                return token.to_owned();
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reset mail to {to} in {}",
            new.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mailed_link_resets_the_password_once() {
    let system = TestSystem::start("reset", Roles::api_only()).await.unwrap();
    let client = system.graphql();
    // Unique per run: the sink's folder is shared by every test and run.
    let name = format!(
        "resetter{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let email = register(&client, &name).await;
    let session = client
        .execute(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { refreshToken } }",
            json!({ "e": email, "p": PASSWORD }),
        )
        .await["data"]["login"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();

    // Known or not, the answer is the same; a malformed address is refused.
    let unknown = format!("nobody-{name}@example.com");
    for address in [&email, &unknown] {
        let answer = client.data(REQUEST_RESET, json!({ "e": address })).await;
        assert_eq!(answer["requestPasswordReset"], true);
    }
    assert_eq!(
        client
            .error_code(REQUEST_RESET, json!({ "e": "not an address" }))
            .await,
        "VALIDATION"
    );
    let token = reset_token_mailed_to(&email, &[]).await;

    // Refusals change nothing: a made-up token, a short password.
    assert_eq!(
        client
            .error_code(RESET, json!({ "t": "made-up", "p": "a new passphrase" }))
            .await,
        "VALIDATION"
    );
    assert_eq!(
        client
            .error_code(RESET, json!({ "t": token, "p": "short" }))
            .await,
        "VALIDATION"
    );
    assert_eq!(login(&client, &email, PASSWORD).await.0, "OK");

    let new_password = "a new passphrase";
    let reset = client
        .data(RESET, json!({ "t": token, "p": new_password }))
        .await;
    assert_eq!(reset["resetPassword"], true);
    assert_eq!(login(&client, &email, PASSWORD).await.0, "UNAUTHENTICATED");
    assert_eq!(login(&client, &email, new_password).await.0, "OK");
    assert_eq!(
        client.error_code(REFRESH, json!({ "t": session })).await,
        "UNAUTHENTICATED",
        "sessions from before the reset are signed out"
    );
    // The link works once.
    assert_eq!(
        client
            .error_code(RESET, json!({ "t": token, "p": "yet another passphrase" }))
            .await,
        "VALIDATION"
    );

    // An expired link is refused.
    client.data(REQUEST_RESET, json!({ "e": email })).await;
    let second = reset_token_mailed_to(&email, std::slice::from_ref(&token)).await;
    sqlx::query("UPDATE password_resets SET expires_at = now() - interval '1 second'")
        .execute(&system.pool)
        .await
        .unwrap();
    assert_eq!(
        client
            .error_code(RESET, json!({ "t": second, "p": "yet another passphrase" }))
            .await,
        "VALIDATION"
    );
    assert_eq!(login(&client, &email, new_password).await.0, "OK");

    // At most three reset mails per address typed in fifteen minutes: nobody can flood an inbox.
    let third = client.data(REQUEST_RESET, json!({ "e": email })).await;
    assert_eq!(third["requestPasswordReset"], true);
    assert_eq!(
        client
            .error_code(REQUEST_RESET, json!({ "e": email }))
            .await,
        "TOO_MANY_REQUESTS"
    );
    system.stop().await;
}

/// The app's code for the time step `steps_ahead` steps from now.
fn app_code(secret: &str, steps_ahead: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        "test".into(),
    );
    let time = chrono::Utc::now().timestamp() + steps_ahead * 30;
    totp.generate(time as u64)
}

const LOGIN_2FA: &str = "mutation($e: String!, $p: String!, $c: String) { login(email: $e, password: $p, twoFactorCode: $c) { accessToken } }";

async fn login_with(client: &GraphqlClient, email: &str, code: Option<&str>) -> Value {
    client
        .execute(LOGIN_2FA, json!({ "e": email, "p": PASSWORD, "c": code }))
        .await
}

fn code_of(response: &Value) -> &str {
    if response["data"]["login"]["accessToken"].is_string() {
        return "OK";
    }
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("none")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_factor_sign_in_takes_each_code_once() {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec!["users"],
    };
    let system = TestSystem::start("twofactor", roles).await.unwrap();
    let anonymous = system.graphql();
    let email = register(&anonymous, "twofactor").await;
    let token = login(&anonymous, &email, PASSWORD).await.1["data"]["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = anonymous.with_token(&token);
    assert_eq!(
        anonymous
            .error_code("mutation { enableTwoFactor { secret } }", json!({}))
            .await,
        "UNAUTHENTICATED"
    );

    let setup = me
        .data(
            "mutation { enableTwoFactor { otpauthUri secret } }",
            json!({}),
        )
        .await["enableTwoFactor"]
        .clone();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let uri = setup["otpauthUri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Wayfarer:"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    // Until confirmed, sign-in needs no code.
    assert_eq!(code_of(&login_with(&anonymous, &email, None).await), "OK");

    const CONFIRM: &str = "mutation($c: String!) { confirmTwoFactor(code: $c) }";
    let current = app_code(&secret, 0);
    let wrong: String = current
        .chars()
        .map(|c| char::from_digit((c.to_digit(10).unwrap() + 1) % 10, 10).unwrap())
        .collect();
    assert_eq!(
        me.error_code(CONFIRM, json!({ "c": wrong })).await,
        "VALIDATION"
    );
    let confirmed = me.data(CONFIRM, json!({ "c": current })).await;
    let recovery: Vec<String> = confirmed["confirmTwoFactor"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    assert_eq!(
        me.error_code("mutation { enableTwoFactor { secret } }", json!({}))
            .await,
        "CONFLICT"
    );
    assert_eq!(
        me.data("{ me { twoFactorEnabled } }", json!({})).await["me"]["twoFactorEnabled"],
        true
    );

    // Without a code: UNAUTHENTICATED, saying a code is needed.
    let without = login_with(&anonymous, &email, None).await;
    assert_eq!(code_of(&without), "UNAUTHENTICATED", "{without}");
    assert_eq!(
        without["errors"][0]["extensions"]["twoFactorRequired"],
        true
    );
    assert_eq!(
        code_of(&login_with(&anonymous, &email, Some(&wrong)).await),
        "UNAUTHENTICATED"
    );
    // The code used to confirm is spent; the next step's code works once.
    assert_eq!(
        code_of(&login_with(&anonymous, &email, Some(&current)).await),
        "UNAUTHENTICATED",
        "a code is accepted once"
    );
    let next = app_code(&secret, 1);
    assert_eq!(
        code_of(&login_with(&anonymous, &email, Some(&next)).await),
        "OK"
    );
    assert_eq!(
        code_of(&login_with(&anonymous, &email, Some(&next)).await),
        "UNAUTHENTICATED"
    );
    // A recovery code works once, typed in any case.
    let lower = recovery[0].to_lowercase();
    assert_eq!(
        code_of(&login_with(&anonymous, &email, Some(&lower)).await),
        "OK"
    );
    assert_eq!(
        code_of(&login_with(&anonymous, &email, Some(&recovery[0])).await),
        "UNAUTHENTICATED"
    );

    // Off with another recovery code; sign-in needs no code again.
    const DISABLE: &str = "mutation($c: String!) { disableTwoFactor(code: $c) }";
    assert_eq!(
        me.error_code(DISABLE, json!({ "c": recovery[0] })).await,
        "VALIDATION"
    );
    me.data(DISABLE, json!({ "c": recovery[1] })).await;
    assert_eq!(code_of(&login_with(&anonymous, &email, None).await), "OK");
    assert_eq!(
        me.error_code(DISABLE, json!({ "c": recovery[2] })).await,
        "NOT_FOUND"
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn account_mutations_answer_a_repeated_key_with_the_first_answer() {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec!["users"],
    };
    let system = TestSystem::start("accountkeys", roles).await.unwrap();
    let anonymous = system.graphql();
    const KEYED_REGISTER: &str = "mutation($e: String!, $u: String!, $k: UUID) { register(email: $e, password: \"correct horse battery\", userName: $u, idempotencyKey: $k) { accessToken refreshToken user { id } } }";
    let key = uuid::Uuid::new_v4();
    let input = json!({ "e": "keyed@example.com", "u": "keyed", "k": key });
    let first = anonymous.data(KEYED_REGISTER, input.clone()).await;
    let again = anonymous.data(KEYED_REGISTER, input).await;
    assert_eq!(first, again, "a retried registration gets its first answer");
    assert_eq!(
        anonymous
            .error_code(
                KEYED_REGISTER,
                json!({ "e": "other@example.com", "u": "other", "k": key })
            )
            .await,
        "CONFLICT",
        "the key was used for another request"
    );
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts")
        .fetch_one(&system.pool)
        .await
        .unwrap();
    assert_eq!(accounts, 1);
    // The stored answer holds tokens: it is sealed, not in the clear.
    let stored: String = sqlx::query_scalar("SELECT outcome FROM account_requests LIMIT 1")
        .fetch_one(&system.pool)
        .await
        .unwrap();
    let token = first["register"]["accessToken"].as_str().unwrap();
    assert!(!stored.contains(token), "{stored}");

    // A retried refresh gets the same new pair instead of tripping reuse detection.
    const REFRESH: &str = "mutation($t: String!, $k: UUID) { refreshToken(refreshToken: $t, idempotencyKey: $k) { accessToken refreshToken } }";
    let key = uuid::Uuid::new_v4();
    let old = first["register"]["refreshToken"].clone();
    let rotated = anonymous.data(REFRESH, json!({ "t": old, "k": key })).await;
    let retried = anonymous.data(REFRESH, json!({ "t": old, "k": key })).await;
    assert_eq!(rotated, retried);
    let next = anonymous
        .data(
            REFRESH,
            json!({ "t": rotated["refreshToken"]["refreshToken"], "k": null }),
        )
        .await;
    assert!(
        next["refreshToken"]["accessToken"].is_string(),
        "the family is intact"
    );

    // Signed-in mutations are keyed per caller.
    let me = anonymous.with_token(next["refreshToken"]["accessToken"].as_str().unwrap());
    const ENABLE: &str = "mutation($k: UUID) { enableTwoFactor(idempotencyKey: $k) { secret } }";
    let key = uuid::Uuid::new_v4();
    let setup = me.data(ENABLE, json!({ "k": key })).await;
    assert_eq!(me.data(ENABLE, json!({ "k": key })).await, setup);
    assert_ne!(
        me.data(ENABLE, json!({ "k": null })).await,
        setup,
        "no key: a fresh secret"
    );
    const CHANGE: &str = "mutation($k: UUID) { changePassword(currentPassword: \"correct horse battery\", newPassword: \"battery staple horse\", idempotencyKey: $k) { accessToken } }";
    let key = uuid::Uuid::new_v4();
    let changed = me.data(CHANGE, json!({ "k": key })).await;
    assert_eq!(me.data(CHANGE, json!({ "k": key })).await, changed);
    assert_eq!(
        me.error_code(CHANGE, json!({ "k": null })).await,
        "UNAUTHENTICATED",
        "the password changed once"
    );
    system.stop().await;
}
