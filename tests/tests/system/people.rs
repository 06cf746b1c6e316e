//! People through GraphQL on the real services: profiles and privacy, follows and requests,
//! roles and bans (with an open subscription cut), account deletion, and who may do what.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{json, Value};
use wayfarer_tests::{GraphqlClient, Roles, TestSystem};

use crate::support::cli;

const UPDATE: &str = "mutation($input: UpdateUserInput!, $key: UUID) { updateUser(input: $input, idempotencyKey: $key) { userId position replayed user { userName firstName bio githubProfileLink privacy travelPreferences { interests } } } }";
const USER: &str = "query($id: UUID!, $after: Position) { user(userId: $id, after: $after) { id userName profilePicUrl detailsVisible firstName bio privacy role followStatus followerCount followingCount email isBanned } }";
const FOLLOW: &str = "mutation($id: UUID!) { followUser(userId: $id) { userId position status } }";
const UNFOLLOW: &str = "mutation($id: UUID!) { unfollowUser(userId: $id) { position status } }";
const APPROVE: &str =
    "mutation($id: UUID!) { approveFollowRequest(userId: $id) { position status } }";
const DECLINE: &str =
    "mutation($id: UUID!) { declineFollowRequest(userId: $id) { position status } }";
const FOLLOWERS: &str = "query($id: UUID!, $first: Int, $after: String) { followers(userId: $id, first: $first, after: $after) { edges { cursor node { id userName followStatus } } pageInfo { hasNextPage } } }";
const FOLLOWING: &str = "query($id: UUID!) { following(userId: $id) { edges { node { id } } } }";
const REQUESTS: &str = "{ followRequests { edges { node { id userName } } } }";
const BAN: &str =
    "mutation($id: UUID!, $reason: String!) { banUser(userId: $id, reason: $reason) { position } }";
const UNBAN: &str = "mutation($id: UUID!) { unbanUser(userId: $id) { position } }";
const ASSIGN: &str =
    "mutation($id: UUID!, $role: Role!) { assignRole(userId: $id, role: $role) { position } }";

fn people_roles() -> Roles {
    Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec!["users", "users_search", "itinerary_pg", "itinerary_cache"],
    }
}

/// A signed-in person: their client, id and email.
pub(crate) struct Person {
    pub(crate) client: GraphqlClient,
    pub(crate) id: String,
    pub(crate) email: String,
}

pub(crate) async fn person(anonymous: &GraphqlClient, name: &str) -> Person {
    let unique = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let email = format!("{name}-{unique}@example.com");
    let data = anonymous
        .data(
            "mutation($e: String!, $u: String!) { register(email: $e, password: \"correct horse battery\", userName: $u) { accessToken position user { id } } }",
            json!({ "e": email, "u": format!("{name}_{unique}") }),
        )
        .await;
    let client = anonymous.with_token(data["register"]["accessToken"].as_str().unwrap());
    // The profile is readable once the model has the registration.
    client
        .data(
            "query($p: Position) { me(after: $p) { id } }",
            json!({ "p": data["register"]["position"] }),
        )
        .await;
    Person {
        client,
        id: data["register"]["user"]["id"].as_str().unwrap().to_owned(),
        email,
    }
}

async fn user(client: &GraphqlClient, id: &str, after: &Value) -> Value {
    client.data(USER, json!({ "id": id, "after": after })).await["user"].clone()
}

pub(crate) async fn set_privacy(person: &Person, privacy: &str) -> Value {
    person
        .client
        .data(UPDATE, json!({ "input": { "privacy": privacy } }))
        .await["updateUser"]["position"]
        .clone()
}

/// Has a fresh admin ban `who` and waits until the people model knows it.
pub(crate) async fn banned_by_an_admin(
    system: &TestSystem,
    anonymous: &GraphqlClient,
    who: &Person,
) {
    let admin = person(anonymous, "banning-admin").await;
    make_admin(system, &admin).await;
    let banned = admin
        .client
        .data(
            "mutation($id: UUID!) { banUser(userId: $id, reason: \"abuse\") { position } }",
            json!({ "id": who.id }),
        )
        .await;
    admin
        .client
        .data(
            "query($id: UUID!, $p: Position) { user(userId: $id, after: $p) { id } }",
            json!({ "id": who.id, "p": banned["banUser"]["position"] }),
        )
        .await;
}

/// Makes `person` an admin with the CLI and waits until the model knows it.
pub(crate) async fn make_admin(system: &TestSystem, person: &Person) -> String {
    let printed = cli(system, &["users", "create-admin", &person.email]).await;
    if let Some(position) = printed
        .trim()
        .strip_suffix(')')
        .and_then(|s| s.rsplit(' ').next())
    {
        let role = person
            .client
            .data(
                "query($p: Position) { me(after: $p) { role } }",
                json!({ "p": position }),
            )
            .await;
        assert_eq!(role["me"]["role"], "ADMIN");
    }
    printed
}

async fn user_events(system: &TestSystem, id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'user' AND aggregate_id = $1",
    )
    .bind(id)
    .fetch_one(&system.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_person_edits_their_profile_and_privacy_decides_who_sees_it() {
    let system = TestSystem::start("profiles", people_roles()).await.unwrap();
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let bob = person(&anonymous, "bob").await;

    // Every field, once; the same key and input answer the same without a second event.
    let key = uuid::Uuid::new_v4();
    let input = json!({
        "userName": format!("ada_l_{}", &ada.id[..8]), "firstName": "Ada", "bio": "Counts trains.",
        "githubProfileLink": "https://github.com/ada",
        "travelPreferences": { "preferredCategories": ["DINING"], "interests": ["Hiking", "hiking", "street-food"] },
    });
    let first = ada
        .client
        .data(UPDATE, json!({ "input": input, "key": key }))
        .await["updateUser"]
        .clone();
    assert_eq!(first["user"]["firstName"], "Ada");
    assert_eq!(
        first["user"]["travelPreferences"]["interests"],
        json!(["hiking", "street-food"])
    );
    let events = user_events(&system, &ada.id).await;
    let again = ada
        .client
        .data(UPDATE, json!({ "input": input, "key": key }))
        .await["updateUser"]
        .clone();
    assert_eq!(again["replayed"], true);
    assert_eq!(again["position"], first["position"]);
    assert_eq!(user_events(&system, &ada.id).await, events);

    // Bad input is refused with VALIDATION and stores nothing; a taken name is a CONFLICT.
    for bad in [
        json!({ "facebookProfileLink": "https://evil.example/ada" }),
        json!({ "twitterProfileLink": "http://twitter.com/ada" }),
        json!({ "profilePicUrl": "javascript:alert(1)" }),
        json!({ "bio": "x".repeat(501) }),
        json!({ "userName": "a!" }),
        json!({ "firstName": "Ada\u{0}" }),
        json!({ "bio": "line\u{1b}[2J" }),
        json!({ "travelPreferences": { "interests": ["x".repeat(33)] } }),
        json!({}),
    ] {
        let code = ada.client.error_code(UPDATE, json!({ "input": bad })).await;
        assert_eq!(code, "VALIDATION", "{bad}");
    }
    let bob_name = user(&bob.client, &bob.id, &Value::Null).await["userName"].clone();
    let taken = ada
        .client
        .error_code(UPDATE, json!({ "input": { "userName": bob_name } }))
        .await;
    assert_eq!(taken, "CONFLICT");
    assert_eq!(user_events(&system, &ada.id).await, events);
    assert_eq!(
        anonymous
            .error_code(UPDATE, json!({ "input": { "bio": "x" } }))
            .await,
        "UNAUTHENTICATED"
    );

    // PUBLIC: everyone sees the details; only Ada sees her email.
    let seen = user(&bob.client, &ada.id, &first["position"]).await;
    assert_eq!(seen["detailsVisible"], true);
    assert_eq!(seen["bio"], "Counts trains.");
    assert_eq!(seen["email"], Value::Null);
    assert_eq!(
        user(&ada.client, &ada.id, &Value::Null).await["email"],
        ada.email
    );

    // PRIVATE: others see the user name and picture only.
    let position = set_privacy(&ada, "PRIVATE").await;
    for viewer in [&bob.client, &anonymous] {
        let seen = user(viewer, &ada.id, &position).await;
        assert_eq!(seen["detailsVisible"], false);
        assert_eq!(seen["firstName"], Value::Null);
        assert_eq!(seen["followerCount"], Value::Null);
        assert_eq!(seen["userName"], first["user"]["userName"]);
    }
    assert_eq!(
        user(&ada.client, &ada.id, &Value::Null).await["bio"],
        "Counts trains."
    );

    // FOLLOWERS_ONLY: an approved follower sees the details, a pending one does not.
    let position = set_privacy(&ada, "FOLLOWERS_ONLY").await;
    let carol = person(&anonymous, "carol").await;
    let asked = bob.client.data(FOLLOW, json!({ "id": ada.id })).await;
    assert_eq!(asked["followUser"]["status"], "PENDING");
    carol.client.data(FOLLOW, json!({ "id": ada.id })).await;
    assert_eq!(
        user(&bob.client, &ada.id, &position).await["detailsVisible"],
        false
    );
    let approved = ada.client.data(APPROVE, json!({ "id": bob.id })).await;
    assert_eq!(approved["approveFollowRequest"]["status"], "FOLLOWING");
    let seen = user(
        &bob.client,
        &ada.id,
        &approved["approveFollowRequest"]["position"],
    )
    .await;
    assert_eq!(seen["detailsVisible"], true);
    assert_eq!(seen["followStatus"], "FOLLOWING");
    assert_eq!(
        user(&carol.client, &ada.id, &Value::Null).await["detailsVisible"],
        false
    );
    assert_eq!(
        user(&carol.client, &ada.id, &Value::Null).await["followStatus"],
        "PENDING"
    );

    // Unknown people look missing.
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(user(&bob.client, &unknown, &Value::Null).await, Value::Null);

    // The reserved user name is the profile's, even after a replayed rename.
    let key = uuid::Uuid::new_v4();
    let (x, y) = (
        format!("ada_x_{}", &ada.id[..6]),
        format!("ada_y_{}", &ada.id[..6]),
    );
    ada.client
        .data(UPDATE, json!({ "input": { "userName": x }, "key": key }))
        .await;
    ada.client
        .data(UPDATE, json!({ "input": { "userName": y } }))
        .await;
    let replayed = ada
        .client
        .data(UPDATE, json!({ "input": { "userName": x }, "key": key }))
        .await;
    assert_eq!(replayed["updateUser"]["replayed"], true);
    let reserved: String =
        sqlx::query_scalar("SELECT user_name FROM accounts WHERE user_id = $1::uuid")
            .bind(&ada.id)
            .fetch_one(&system.pool)
            .await
            .unwrap();
    assert_eq!(reserved, y);
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn people_follow_ask_approve_decline_and_page_through_connections() {
    let system = TestSystem::start("follows", people_roles()).await.unwrap();
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let mut fans = Vec::new();
    for name in ["bob", "carol", "dan"] {
        fans.push(person(&anonymous, name).await);
    }

    // Following a public person is immediate; repeating it writes nothing.
    let mut last = Value::Null;
    for fan in &fans {
        let followed = fan.client.data(FOLLOW, json!({ "id": ada.id })).await["followUser"].clone();
        assert_eq!(followed["status"], "FOLLOWING");
        last = followed["position"].clone();
    }
    let events = user_events(&system, &ada.id).await;
    let repeated = fans[0].client.data(FOLLOW, json!({ "id": ada.id })).await["followUser"].clone();
    assert_eq!(repeated["position"], Value::Null);
    assert_eq!(repeated["status"], "FOLLOWING");
    assert_eq!(user_events(&system, &ada.id).await, events);
    assert_eq!(
        ada.client.error_code(FOLLOW, json!({ "id": ada.id })).await,
        "VALIDATION",
        "no self-follow"
    );
    assert_eq!(
        anonymous.error_code(FOLLOW, json!({ "id": ada.id })).await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        ada.client
            .error_code(FOLLOW, json!({ "id": uuid::Uuid::new_v4() }))
            .await,
        "NOT_FOUND"
    );

    // Counts and pages of two, oldest first.
    let seen = user(&anonymous, &ada.id, &last).await;
    assert_eq!(seen["followerCount"], 3);
    assert_eq!(
        user(&anonymous, &fans[0].id, &Value::Null).await["followingCount"],
        1
    );
    let page = anonymous
        .data(FOLLOWERS, json!({ "id": ada.id, "first": 2 }))
        .await["followers"]
        .clone();
    let ids: Vec<&str> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [fans[0].id.as_str(), fans[1].id.as_str()]);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let cursor = page["edges"][1]["cursor"].clone();
    let rest = anonymous
        .data(
            FOLLOWERS,
            json!({ "id": ada.id, "first": 2, "after": cursor }),
        )
        .await["followers"]
        .clone();
    assert_eq!(rest["edges"].as_array().unwrap().len(), 1);
    assert_eq!(rest["edges"][0]["node"]["id"], fans[2].id.as_str());
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    let following = anonymous.data(FOLLOWING, json!({ "id": fans[1].id })).await;
    assert_eq!(
        following["following"]["edges"][0]["node"]["id"],
        ada.id.as_str()
    );
    assert_eq!(
        anonymous
            .error_code(FOLLOWERS, json!({ "id": ada.id, "first": 0 }))
            .await,
        "VALIDATION"
    );

    // Unfollowing ends it; unfollowing again is a no-op.
    let left = fans[2].client.data(UNFOLLOW, json!({ "id": ada.id })).await["unfollowUser"].clone();
    assert_eq!(left["status"], "NONE");
    assert_eq!(
        user(&anonymous, &ada.id, &left["position"]).await["followerCount"],
        2
    );
    let again =
        fans[2].client.data(UNFOLLOW, json!({ "id": ada.id })).await["unfollowUser"].clone();
    assert_eq!(again["position"], Value::Null);

    // A private person is asked; requests are approved or declined by them alone.
    set_privacy(&ada, "PRIVATE").await;
    let asked = fans[2].client.data(FOLLOW, json!({ "id": ada.id })).await["followUser"].clone();
    assert_eq!(asked["status"], "PENDING");
    let requests = ada.client.data(REQUESTS, json!({})).await;
    assert_eq!(
        requests["followRequests"]["edges"][0]["node"]["id"],
        fans[2].id.as_str()
    );
    assert_eq!(
        fans[0]
            .client
            .error_code(APPROVE, json!({ "id": fans[2].id }))
            .await,
        "NOT_FOUND",
        "nobody asked fans[0]"
    );
    let declined =
        ada.client.data(DECLINE, json!({ "id": fans[2].id })).await["declineFollowRequest"].clone();
    assert_eq!(declined["status"], "NONE");
    assert_eq!(
        ada.client
            .error_code(DECLINE, json!({ "id": fans[2].id }))
            .await,
        "NOT_FOUND",
        "the request is gone"
    );
    // Her connections are private to strangers now; existing followers remain.
    assert_eq!(
        fans[2]
            .client
            .error_code(FOLLOWERS, json!({ "id": ada.id }))
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        anonymous
            .error_code(FOLLOWERS, json!({ "id": uuid::Uuid::new_v4() }))
            .await,
        "NOT_FOUND"
    );
    let own = ada.client.data(FOLLOWERS, json!({ "id": ada.id })).await;
    assert_eq!(own["followers"]["edges"].as_array().unwrap().len(), 2);
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admins_assign_roles_and_a_ban_cuts_tokens_sessions_and_subscriptions() {
    let system = TestSystem::start("bans", people_roles()).await.unwrap();
    let anonymous = system.graphql();
    let root = person(&anonymous, "root").await;
    let mallory = person(&anonymous, "mallory").await;
    let bob = person(&anonymous, "bob").await;

    // Only admins assign roles; the CLI bootstraps the first one.
    assert_eq!(
        root.client
            .error_code(ASSIGN, json!({ "id": bob.id, "role": "MODERATOR" }))
            .await,
        "FORBIDDEN"
    );
    let printed = make_admin(&system, &root).await;
    assert!(printed.contains("is now an admin"), "{printed}");
    let again = make_admin(&system, &root).await;
    assert!(again.contains("an admin already"), "{again}");
    let made = root
        .client
        .data(ASSIGN, json!({ "id": bob.id, "role": "MODERATOR" }))
        .await;
    assert_eq!(
        user(&bob.client, &bob.id, &made["assignRole"]["position"]).await["role"],
        "MODERATOR"
    );
    assert_eq!(
        root.client
            .error_code(ASSIGN, json!({ "id": root.id, "role": "USER" }))
            .await,
        "CONFLICT",
        "the last admin keeps the role"
    );
    assert_eq!(
        bob.client
            .error_code(BAN, json!({ "id": mallory.id, "reason": "spam" }))
            .await,
        "FORBIDDEN",
        "moderators do not ban"
    );
    assert_eq!(
        root.client
            .error_code(BAN, json!({ "id": mallory.id, "reason": " " }))
            .await,
        "VALIDATION"
    );

    // Mallory has a refresh token and an open subscription on her own itinerary.
    let login = anonymous
        .data(
            "mutation($e: String!) { login(email: $e, password: \"correct horse battery\") { refreshToken } }",
            json!({ "e": mallory.email }),
        )
        .await;
    let (itinerary, position) =
        crate::support::create(&mallory.client, "Spam tour", "PRIVATE").await;
    mallory
        .client
        .data(
            crate::support::READ,
            json!({ "id": itinerary, "after": position }),
        )
        .await;
    let mut changes = mallory
        .client
        .subscribe(
            "subscription($id: UUID!) { itineraryChanged(id: $id) { id } }",
            json!({ "id": itinerary }),
        )
        .await;
    // And a second connection she only sends queries on.
    let mut socket = mallory.client.ws().await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let banned = root
        .client
        .data(BAN, json!({ "id": mallory.id, "reason": "spam" }))
        .await;
    // Her open connection stops acting for her (the announcement reaches it at once).
    let mut cut = false;
    for attempt in 0..50 {
        socket
            .subscribe(&format!("q{attempt}"), "{ me { id } }", json!({}))
            .await;
        let answer = socket
            .next_message(Duration::from_secs(5))
            .await
            .expect("an answer");
        let text = answer.to_string();
        assert!(!text.contains(&mallory.id) || attempt < 49, "{text}");
        if text.contains("UNAUTHENTICATED") || text.contains("authentication required") {
            cut = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(cut, "the connection still acts for a banned person");
    // The subscription ends, her token and refresh token stop working, she cannot sign in.
    // (The creation's own notification may still arrive first.)
    tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(message) = changes.next().await {
            if message["complete"] == true {
                return;
            }
            assert!(message["data"]["itineraryChanged"].is_object(), "{message}");
        }
    })
    .await
    .expect("the subscription ends at once");
    assert_eq!(
        mallory.client.error_code("{ me { id } }", json!({})).await,
        "FORBIDDEN"
    );
    assert_eq!(
        anonymous
            .error_code(
                "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
                json!({ "t": login["login"]["refreshToken"] }),
            )
            .await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        anonymous
            .error_code(
                "mutation($e: String!) { login(email: $e, password: \"correct horse battery\") { accessToken } }",
                json!({ "e": mallory.email }),
            )
            .await,
        "FORBIDDEN"
    );
    // Hidden from everyone but staff.
    let position = &banned["banUser"]["position"];
    assert_eq!(user(&anonymous, &mallory.id, position).await, Value::Null);
    let as_staff = user(&bob.client, &mallory.id, position).await;
    assert_eq!(as_staff["isBanned"], true);
    assert_eq!(
        anonymous
            .error_code(FOLLOW, json!({ "id": mallory.id }))
            .await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        bob.client
            .error_code(FOLLOW, json!({ "id": mallory.id }))
            .await,
        "NOT_FOUND"
    );

    // Lifted: she signs in again.
    let lifted = root.client.data(UNBAN, json!({ "id": mallory.id })).await;
    assert_eq!(
        user(&anonymous, &mallory.id, &lifted["unbanUser"]["position"]).await["id"],
        mallory.id.as_str()
    );
    assert_eq!(
        mallory.client.data("{ me { isBanned } }", json!({})).await["me"]["isBanned"],
        false
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deleted_account_disappears_and_frees_its_email() {
    let system = TestSystem::start("deletion", people_roles()).await.unwrap();
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let bob = person(&anonymous, "bob").await;
    let followed = bob.client.data(FOLLOW, json!({ "id": ada.id })).await;
    assert_eq!(
        user(&anonymous, &bob.id, &followed["followUser"]["position"]).await["followingCount"],
        1
    );

    let deleted = ada
        .client
        .data("mutation { deleteUser { position } }", json!({}))
        .await;
    assert_eq!(
        user(&bob.client, &ada.id, &deleted["deleteUser"]["position"]).await,
        Value::Null
    );
    assert_eq!(
        user(&anonymous, &bob.id, &Value::Null).await["followingCount"],
        0
    );
    assert_eq!(
        ada.client.error_code("{ me { id } }", json!({})).await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        anonymous
            .error_code(
                "mutation($e: String!) { login(email: $e, password: \"correct horse battery\") { accessToken } }",
                json!({ "e": ada.email }),
            )
            .await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        bob.client.error_code(FOLLOW, json!({ "id": ada.id })).await,
        "NOT_FOUND"
    );
    // The email can be registered again, as a new person.
    let again = anonymous
        .data(
            "mutation($e: String!) { register(email: $e, password: \"correct horse battery\", userName: \"ada_again\") { user { id } } }",
            json!({ "e": ada.email }),
        )
        .await;
    assert_ne!(again["register"]["user"]["id"], ada.id.as_str());
    system.stop().await;
}

/// Reads of a person by every kind of viewer, for each privacy setting: what each may see.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn who_sees_what_of_a_person() {
    let system = TestSystem::start("peoplematrix", people_roles())
        .await
        .unwrap();
    let anonymous = system.graphql();
    let owner = person(&anonymous, "owner").await;
    let stranger = person(&anonymous, "stranger").await;
    let pending = person(&anonymous, "pending").await;
    let follower = person(&anonymous, "follower").await;
    let moderator = person(&anonymous, "moderator").await;
    let admin = person(&anonymous, "admin").await;
    make_admin(&system, &admin).await;
    admin
        .client
        .data(ASSIGN, json!({ "id": moderator.id, "role": "MODERATOR" }))
        .await;
    set_privacy(&owner, "FOLLOWERS_ONLY").await;
    pending.client.data(FOLLOW, json!({ "id": owner.id })).await;
    follower
        .client
        .data(FOLLOW, json!({ "id": owner.id }))
        .await;
    owner
        .client
        .data(APPROVE, json!({ "id": follower.id }))
        .await;

    // (viewer, PUBLIC, FOLLOWERS_ONLY, PRIVATE): details visible?
    let viewers: [(&str, &GraphqlClient, [bool; 3]); 7] = [
        ("anonymous", &anonymous, [true, false, false]),
        ("self", &owner.client, [true, true, true]),
        ("stranger", &stranger.client, [true, false, false]),
        ("pending follower", &pending.client, [true, false, false]),
        ("follower", &follower.client, [true, true, false]),
        ("moderator", &moderator.client, [true, true, true]),
        ("admin", &admin.client, [true, true, true]),
    ];
    // Going public approves pending requests, so PUBLIC comes last.
    for (column, privacy) in [(2, "PRIVATE"), (1, "FOLLOWERS_ONLY"), (0, "PUBLIC")] {
        let after = set_privacy(&owner, privacy).await;
        for (name, client, expected) in &viewers {
            let seen = user(client, &owner.id, &after).await;
            assert!(
                seen["userName"].is_string(),
                "{name} sees the name under {privacy}"
            );
            assert_eq!(
                seen["detailsVisible"], expected[column],
                "{name} under {privacy}: {seen}"
            );
            assert_eq!(
                seen["bio"].is_null() && seen["followerCount"].is_null(),
                !expected[column]
            );
        }
        // Mutations on someone else's profile are refused for everyone but its owner.
        for (name, client, _) in &viewers[2..] {
            let code = client
                .error_code(APPROVE, json!({ "id": pending.id }))
                .await;
            assert_eq!(
                code, "NOT_FOUND",
                "{name} answers only requests made to them"
            );
        }
    }
    system.stop().await;
}

const SEARCH: &str = "query($q: String!, $after: Position) { searchUsers(query: $q, afterPosition: $after) { edges { node { id detailsVisible } } } }";

async fn found(client: &GraphqlClient, query: &str, after: &Value) -> Vec<String> {
    let data = client
        .data(SEARCH, json!({ "q": query, "after": after }))
        .await;
    data["searchUsers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn search_finds_people_by_name_and_public_details_only() {
    let system = TestSystem::start("peoplesearch", people_roles())
        .await
        .unwrap();
    let anonymous = system.graphql();
    let public = person(&anonymous, "walker").await;
    let private = person(&anonymous, "hermit").await;
    let banned = person(&anonymous, "spammer").await;
    let admin = person(&anonymous, "admin").await;
    make_admin(&system, &admin).await;
    let tag = format!("glacier{}", &public.id[..4]);
    public
        .client
        .data(
            UPDATE,
            json!({ "input": { "bio": format!("Hiking the {tag}") } }),
        )
        .await;
    private
        .client
        .data(
            UPDATE,
            json!({ "input": { "bio": format!("Also the {tag}"), "privacy": "PRIVATE" } }),
        )
        .await;
    let written = banned
        .client
        .data(
            UPDATE,
            json!({ "input": { "bio": format!("Buy {tag} tours") } }),
        )
        .await;
    let after = written["updateUser"]["position"].clone();
    let mut all = found(&anonymous, &tag, &after).await;
    all.sort();
    let mut expected = vec![public.id.clone(), banned.id.clone()];
    expected.sort();
    assert_eq!(all, expected, "a private bio is not searchable");
    // By user name, the private person is found, and shown limited.
    let by_name = anonymous
        .data(SEARCH, json!({ "q": "hermit", "after": after }))
        .await;
    let hits = by_name["searchUsers"]["edges"].as_array().unwrap().clone();
    let hermit = hits
        .iter()
        .find(|edge| edge["node"]["id"] == private.id.as_str())
        .expect("found by user name");
    assert_eq!(hermit["node"]["detailsVisible"], false);

    // A banned person disappears from search at once (the model decides), then from the index.
    let ban = admin
        .client
        .data(BAN, json!({ "id": banned.id, "reason": "spam" }))
        .await;
    let position = ban["banUser"]["position"].clone();
    assert_eq!(
        found(&anonymous, &tag, &position).await,
        vec![public.id.clone()]
    );
    let deleted = public
        .client
        .data("mutation { deleteUser { position } }", json!({}))
        .await;
    assert!(found(&anonymous, &tag, &deleted["deleteUser"]["position"])
        .await
        .is_empty());
    assert_eq!(
        anonymous.error_code(SEARCH, json!({ "q": " " })).await,
        "VALIDATION"
    );
    system.stop().await;
}

/// Forgetting a person destroys their key: their personal data is unreadable in the store, on
/// the topic, in every read model and index, and after rebuilding them from scratch.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_forgotten_person_is_erased_from_every_model_and_the_log_holds_ciphertext_only() {
    let system = TestSystem::start("erasure", people_roles()).await.unwrap();
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let admin = person(&anonymous, "admin").await;
    make_admin(&system, &admin).await;
    let secret = format!("Lovelace{}", &ada.id[..8]);
    let written = ada
        .client
        .data(
            UPDATE,
            json!({ "input": { "lastName": secret, "bio": format!("Born {secret}") } }),
        )
        .await;
    let position = written["updateUser"]["position"].clone();
    assert_eq!(
        found(&anonymous, &secret, &position).await,
        vec![ada.id.clone()]
    );

    // The store and the topic hold the personal data sealed, never in the clear.
    let shown = cli(&system, &["events", "show", &ada.id]).await;
    assert!(shown.contains("\"sealed\""), "{shown}");
    assert!(!shown.contains(&secret), "{shown}");
    let topic = system.settings.names().topic("user");
    let brokers = system.settings.kafka.brokers.clone();
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'user'")
            .fetch_one(&system.pool)
            .await
            .unwrap();
    let records = tokio::task::spawn_blocking(move || {
        wayfarer_tests::kafka_reader::read_topic(
            &brokers,
            &topic,
            total as usize,
            Duration::from_secs(30),
        )
    })
    .await
    .unwrap();
    assert!(!records.is_empty());
    for record in &records {
        assert!(
            !record.value.to_string().contains(&secret),
            "{}",
            record.value
        );
    }

    // Only admins forget; an admin's forget erases everywhere at once.
    assert_eq!(
        ada.client
            .error_code(
                "mutation($id: UUID!) { forgetUser(userId: $id) { position } }",
                json!({ "id": admin.id }),
            )
            .await,
        "FORBIDDEN"
    );
    // Her events are signed before she is forgotten: erasure leaves them verifiable.
    cli(&system, &["events", "checkpoint"]).await;
    let forgotten = admin
        .client
        .data(
            "mutation($id: UUID!) { forgetUser(userId: $id) { position } }",
            json!({ "id": ada.id }),
        )
        .await;
    let position = forgotten["forgetUser"]["position"].clone();
    assert_eq!(user(&admin.client, &ada.id, &position).await, Value::Null);
    assert!(found(&anonymous, &secret, &position).await.is_empty());
    assert_eq!(
        ada.client.error_code("{ me { id } }", json!({})).await,
        "UNAUTHENTICATED"
    );
    let key_destroyed: bool =
        sqlx::query_scalar("SELECT wrapped_key IS NULL FROM user_keys WHERE subject = $1::uuid")
            .bind(&ada.id)
            .fetch_one(&system.pool)
            .await
            .unwrap();
    assert!(key_destroyed);
    // Asking again is harmless (it finishes an interrupted erasure).
    admin
        .client
        .data(
            "mutation($id: UUID!) { forgetUser(userId: $id) { position } }",
            json!({ "id": ada.id }),
        )
        .await;

    // Rebuilt from the log, the models still know nothing of her.
    for name in ["users", "users_search"] {
        system.rebuild(name).await;
    }
    let profile: Value = sqlx::query_scalar("SELECT profile FROM users WHERE user_id = $1::uuid")
        .bind(&ada.id)
        .fetch_one(&system.pool)
        .await
        .unwrap();
    assert!(!profile.to_string().contains(&secret), "{profile}");
    assert!(found(&anonymous, &secret, &Value::Null).await.is_empty());
    // The log is whole and append-only: her events are all still there, sealed.
    let replayed = cli(&system, &["events", "show", &ada.id]).await;
    assert!(replayed.contains("UserForgotten"), "{replayed}");
    // Her sealed fields still verify, against their chain and the signed checkpoint.
    let verified = cli(&system, &["events", "verify", "--aggregate", &ada.id]).await;
    assert!(verified.ends_with("intact\n"), "{verified}");
    system.stop().await;
}

/// A person's public itineraries follow their privacy: a private person's are theirs alone, a
/// followers-only person's are for approved followers, a banned person's for staff only.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn public_itineraries_follow_their_owners_privacy_and_ban() {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec![
            "users",
            "itinerary_pg",
            "itinerary_search",
            "itinerary_cache",
        ],
    };
    let system = TestSystem::start("ownerprivacy", roles).await.unwrap();
    let anonymous = system.graphql();
    let owner = person(&anonymous, "owner").await;
    let follower = person(&anonymous, "follower").await;
    let stranger = person(&anonymous, "stranger").await;
    let admin = person(&anonymous, "admin").await;
    make_admin(&system, &admin).await;
    let title = format!("Fjords{}", &owner.id[..8]);
    let (itinerary, position) = crate::support::create(&owner.client, &title, "PUBLIC").await;
    let read = |client: &GraphqlClient, after: Value| {
        let client = client.clone();
        let itinerary = itinerary.clone();
        async move {
            client
                .data(
                    crate::support::READ,
                    json!({ "id": itinerary, "after": after }),
                )
                .await["itinerary"]
                .clone()
        }
    };
    let search = |client: &GraphqlClient| {
        let client = client.clone();
        let title = title.clone();
        let position = position.clone();
        async move {
            let data = client
                .data(
                    "query($q: String!, $p: Position) { searchItineraries(query: $q, afterPosition: $p) { edges { node { id } } } }",
                    json!({ "q": title, "p": position }),
                )
                .await;
            data["searchItineraries"]["edges"].as_array().unwrap().len()
        }
    };
    assert!(read(&stranger.client, json!(position)).await.is_object());
    assert_eq!(search(&anonymous).await, 1);

    follower
        .client
        .data(FOLLOW, json!({ "id": owner.id }))
        .await;
    // A stranger watching the itinerary stops getting its changes once the owner goes private.
    let mut changes = stranger
        .client
        .subscribe(
            "subscription($id: UUID!) { itineraryChanged(id: $id) { title } }",
            json!({ "id": itinerary }),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let private = set_privacy(&owner, "PRIVATE").await;
    owner
        .client
        .data(
            "mutation($id: UUID!, $t: String!) { updateItinerary(id: $id, input: {title: $t}) { position } }",
            json!({ "id": itinerary, "t": format!("{title} secret") }),
        )
        .await;
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(message) = changes.next().await {
            assert!(!message.to_string().contains("secret"), "{message}");
            if message["complete"] == true {
                return;
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the subscription ends without the private change"
    );
    for viewer in [&stranger.client, &follower.client, &anonymous] {
        assert!(read(viewer, private.clone()).await.is_null());
        assert_eq!(search(viewer).await, 0);
    }
    assert!(read(&owner.client, private.clone()).await.is_object());
    assert!(
        read(&admin.client, private.clone()).await.is_object(),
        "staff see it"
    );

    let followers_only = set_privacy(&owner, "FOLLOWERS_ONLY").await;
    assert!(read(&follower.client, followers_only.clone())
        .await
        .is_object());
    assert!(read(&stranger.client, followers_only.clone())
        .await
        .is_null());
    assert_eq!(search(&follower.client).await, 1);

    let public = set_privacy(&owner, "PUBLIC").await;
    assert!(read(&stranger.client, public).await.is_object());
    let banned = admin
        .client
        .data(BAN, json!({ "id": owner.id, "reason": "spam" }))
        .await["banUser"]["position"]
        .clone();
    assert!(read(&stranger.client, banned.clone()).await.is_null());
    assert_eq!(search(&stranger.client).await, 0);
    assert!(read(&admin.client, banned).await.is_object());
    system.stop().await;
}

/// An erasure interrupted after its event (key and credentials still there) is finished by the
/// API's housekeeping.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_interrupted_erasure_is_finished_by_housekeeping() {
    let system = TestSystem::start("erasuresweep", people_roles())
        .await
        .unwrap();
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    ada.client
        .data(UPDATE, json!({ "input": { "bio": "Counts trains." } }))
        .await;
    // As if the request died right after storing UserDeleted: the model shows the deletion,
    // the key and the credentials are still there.
    sqlx::query("UPDATE users SET deleted = true WHERE user_id = $1::uuid")
        .bind(&ada.id)
        .execute(&system.pool)
        .await
        .unwrap();
    let vault = system.settings.auth.vault().unwrap();
    let finished = wayfarer_read_api::people::commands::finish_erasures(&system.pool, &vault)
        .await
        .unwrap();
    assert_eq!(finished, 1);
    let (accounts, live_keys): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM accounts WHERE user_id = $1::uuid), \
                (SELECT count(*) FROM user_keys WHERE subject = $1::uuid AND wrapped_key IS NOT NULL)",
    )
    .bind(&ada.id)
    .fetch_one(&system.pool)
    .await
    .unwrap();
    assert_eq!((accounts, live_keys), (0, 0));
    assert_eq!(
        wayfarer_read_api::people::commands::finish_erasures(&system.pool, &vault)
            .await
            .unwrap(),
        0,
        "nothing left to finish"
    );
    system.stop().await;
}
