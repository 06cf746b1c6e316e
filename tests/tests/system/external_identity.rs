//! Signing in with an external identity provider (OpenID Connect): the API accepts the RS256
//! access tokens of configured issuers, checked against their JWKS (fetched again when a
//! token names an unknown key), and provisions a person on a subject's first token.

use serde_json::{json, Value};
use wayfarer_read_api::auth::oidc::OidcIssuer;
use wayfarer_tests::identity_provider::{IdentityProvider, SigningKey};
use wayfarer_tests::system::isolated_settings;
use wayfarer_tests::{GraphqlClient, Roles, TestSystem};

const AUDIENCE: &str = "wayfarer-api";
const ME: &str = "{ me { id userName email } }";

async fn me(client: &GraphqlClient, token: &str) -> Value {
    client.with_token(token).execute(ME, json!({})).await
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("OK")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_external_token_provisions_a_person_once_and_rotated_keys_are_fetched() {
    let provider = IdentityProvider::start(&[SigningKey::A]).await;
    let mut settings = isolated_settings("oidc");
    settings.api.oidc_issuers = vec![OidcIssuer {
        issuer: provider.issuer.clone(),
        audience: AUDIENCE.to_owned(),
        jwks_url: provider.jwks_url.clone(),
    }];
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec!["users"],
    };
    let system = TestSystem::start_with(settings, roles).await.unwrap();
    let client = system.graphql();

    // The first token of a subject provisions a person from its claims.
    let token = provider.token(
        SigningKey::A,
        "kc-subject-1",
        AUDIENCE,
        json!({ "email": "grace@example.com", "email_verified": true, "preferred_username": "grace" }),
    );
    let first = me(&client, &token).await;
    assert_eq!(code(&first), "OK", "{first}");
    assert_eq!(first["data"]["me"]["userName"], "grace");
    assert_eq!(first["data"]["me"]["email"], "grace@example.com");
    let id = first["data"]["me"]["id"].clone();
    // The same subject is the same person, whatever the later claims say.
    let again = provider.token(
        SigningKey::A,
        "kc-subject-1",
        AUDIENCE,
        json!({ "preferred_username": "other" }),
    );
    assert_eq!(me(&client, &again).await["data"]["me"]["id"], id);
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM external_identities")
        .fetch_one(&system.pool)
        .await
        .unwrap();
    assert_eq!(accounts, 1);
    // An unverified email is not taken; a taken or invalid user name gets a fresh one.
    let second = provider.token(
        SigningKey::A,
        "kc-subject-2",
        AUDIENCE,
        json!({ "email": "ada@example.com", "preferred_username": "grace" }),
    );
    let person = me(&client, &second).await;
    assert_ne!(person["data"]["me"]["email"], "ada@example.com", "{person}");
    assert!(person["data"]["me"]["userName"]
        .as_str()
        .unwrap()
        .starts_with("traveller-"));
    // Nobody signs in with the provisioned account's password.
    let login = client
        .execute(
            "mutation { login(email: \"grace@example.com\", password: \"!\") { accessToken } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&login), "UNAUTHENTICATED", "{login}");

    // A key rotated in is fetched when a token names it (keys are fetched at most once a
    // second per issuer).
    provider.publish(SigningKey::B);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let rotated = provider.token(SigningKey::B, "kc-subject-1", AUDIENCE, json!({}));
    assert_eq!(me(&client, &rotated).await["data"]["me"]["id"], id);

    // Wrong audience, expired, unknown issuer or unpublished key: UNAUTHENTICATED.
    let wrong_audience = provider.token(SigningKey::A, "kc-subject-1", "another-api", json!({}));
    let expired = provider.token(
        SigningKey::A,
        "kc-subject-1",
        AUDIENCE,
        json!({ "exp": chrono::Utc::now().timestamp() - 600 }),
    );
    let stranger = provider.token(
        SigningKey::A,
        "kc-subject-1",
        AUDIENCE,
        json!({ "iss": "http://127.0.0.1:1/realms/elsewhere" }),
    );
    for token in [wrong_audience, expired, stranger, "not.a.token".to_owned()] {
        assert_eq!(
            code(&me(&client, &token).await),
            "UNAUTHENTICATED",
            "{token}"
        );
    }
    system.stop().await;
}
