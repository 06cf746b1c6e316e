//! The authorization matrix of the people operations: every operation × {anonymous, self,
//! stranger, pending follower, follower, moderator, admin, banned} × the target's privacy.
//! Allowed calls succeed; the others get `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND` or
//! `VALIDATION` and store nothing on the target's stream.

use serde_json::{json, Value};
use wayfarer_tests::{GraphqlClient, Roles, TestSystem};

use crate::people::{make_admin, person};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Anonymous,
    Myself,
    Stranger,
    Pending,
    Follower,
    Moderator,
    Admin,
    Banned,
}

use Actor::*;

const ACTORS: [Actor; 8] = [
    Anonymous, Myself, Stranger, Pending, Follower, Moderator, Admin, Banned,
];

struct Cast {
    clients: Vec<(Actor, GraphqlClient, String)>,
    target: String,
}

impl Cast {
    fn client(&self, actor: Actor) -> &GraphqlClient {
        &self.clients.iter().find(|(a, _, _)| *a == actor).unwrap().1
    }
    fn id(&self, actor: Actor) -> &str {
        &self.clients.iter().find(|(a, _, _)| *a == actor).unwrap().2
    }
}

/// The outcome code of a call: `OK` or the first error's code.
async fn outcome(client: &GraphqlClient, query: &str, variables: Value) -> String {
    let response = client.execute(query, variables).await;
    match response["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => code.to_owned(),
        None => "OK".to_owned(),
    }
}

async fn stream_length(system: &TestSystem, id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'user' AND aggregate_id = $1",
    )
    .bind(id)
    .fetch_one(&system.pool)
    .await
    .unwrap()
}

/// Sets the cast up around a target with `privacy`: a pending and an approved follower, a
/// moderator, an admin and a banned person.
async fn cast(system: &TestSystem, privacy: &str) -> Cast {
    let anonymous = system.graphql();
    let mut clients = vec![(Anonymous, anonymous.clone(), String::new())];
    for actor in &ACTORS[1..] {
        let person = person(&anonymous, &format!("{actor:?}").to_lowercase()).await;
        if *actor == Admin {
            make_admin(system, &person).await;
        }
        clients.push((*actor, person.client, person.id));
    }
    let cast = Cast {
        target: clients[1].2.clone(),
        clients,
    };
    let admin = cast.client(Admin);
    admin
        .data(
            "mutation($id: UUID!) { assignRole(userId: $id, role: MODERATOR) { position } }",
            json!({ "id": cast.id(Moderator) }),
        )
        .await;
    let me = cast.client(Myself);
    me.data(
        "mutation { updateUser(input: {privacy: FOLLOWERS_ONLY}) { position } }",
        json!({}),
    )
    .await;
    for actor in [Pending, Follower] {
        cast.client(actor)
            .data(
                "mutation($id: UUID!) { followUser(userId: $id) { status } }",
                json!({ "id": cast.target }),
            )
            .await;
    }
    me.data(
        "mutation($id: UUID!) { approveFollowRequest(userId: $id) { status } }",
        json!({ "id": cast.id(Follower) }),
    )
    .await;
    if privacy != "FOLLOWERS_ONLY" {
        me.data(
            &format!("mutation {{ updateUser(input: {{privacy: {privacy}}}) {{ position }} }}"),
            json!({}),
        )
        .await;
    }
    let banned = admin
        .data(
            "mutation($id: UUID!) { banUser(userId: $id, reason: \"matrix\") { position } }",
            json!({ "id": cast.id(Banned) }),
        )
        .await;
    // Every write above is in the model before the matrix reads it.
    admin
        .data(
            "query($id: UUID!, $p: Position) { user(userId: $id, after: $p) { id } }",
            json!({ "id": cast.target, "p": banned["banUser"]["position"] }),
        )
        .await;
    cast
}

/// What each actor gets from each operation on the target.
fn expected(operation: &str, actor: Actor, privacy: &str) -> &'static str {
    match (operation, actor) {
        (_, Anonymous) if operation != "followers" => "UNAUTHENTICATED",
        (_, Banned) => "FORBIDDEN",
        ("followUser" | "unfollowUser", Myself) => "VALIDATION",
        ("followUser" | "unfollowUser", _) => "OK",
        ("assignRole" | "banUser" | "unbanUser" | "forgetUser", Admin) => "OK",
        ("assignRole" | "banUser" | "unbanUser" | "forgetUser", _) => "FORBIDDEN",
        ("approveFollowRequest", Myself) => "OK",
        ("approveFollowRequest", _) => "NOT_FOUND",
        ("followers", Myself | Moderator | Admin) => "OK",
        ("followers", Follower) if privacy != "PRIVATE" => "OK",
        // Going public approved the pending request.
        ("followers", Pending) if privacy == "PUBLIC" => "OK",
        ("followers", _) if privacy == "PUBLIC" => "OK",
        ("followers", _) => "FORBIDDEN",
        (operation, actor) => panic!("no expectation for {operation} by {actor:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_people_operation_allows_exactly_who_it_should() {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec!["users"],
    };
    let system = TestSystem::start("peoplematrix2", roles).await.unwrap();
    for privacy in ["PUBLIC", "FOLLOWERS_ONLY", "PRIVATE"] {
        let cast = cast(&system, privacy).await;
        let target = cast.target.clone();
        let pending = cast.id(Pending).to_owned();
        let operations: [(&str, String, Value); 8] = [
            (
                "followers",
                "query($id: UUID!) { followers(userId: $id) { edges { node { id } } } }".into(),
                json!({ "id": target }),
            ),
            (
                "followUser",
                "mutation($id: UUID!) { followUser(userId: $id) { status } }".into(),
                json!({ "id": target }),
            ),
            (
                "assignRole",
                "mutation($id: UUID!) { assignRole(userId: $id, role: USER) { position } }".into(),
                json!({ "id": target }),
            ),
            (
                "unbanUser",
                "mutation($id: UUID!) { unbanUser(userId: $id) { position } }".into(),
                json!({ "id": target }),
            ),
            (
                "approveFollowRequest",
                "mutation($id: UUID!) { approveFollowRequest(userId: $id) { status } }".into(),
                json!({ "id": pending }),
            ),
            (
                "banUser",
                "mutation($id: UUID!) { banUser(userId: $id, reason: \"matrix\") { position } }"
                    .into(),
                json!({ "id": target }),
            ),
            (
                "forgetUser",
                "mutation($id: UUID!) { forgetUser(userId: $id) { position } }".into(),
                json!({ "id": target }),
            ),
            (
                "unfollowUser",
                "mutation($id: UUID!) { unfollowUser(userId: $id) { status } }".into(),
                json!({ "id": target }),
            ),
        ];
        for (operation, query, variables) in &operations {
            for actor in ACTORS {
                let want = expected(operation, actor, privacy);
                // Allowed calls that would end the target or change the cast are left to
                // their own tests; their refusals are checked here.
                let destructive = matches!(
                    (*operation, actor),
                    ("forgetUser", Admin)
                        | ("unfollowUser", Pending | Follower)
                        | ("approveFollowRequest", Myself)
                );
                if destructive && want == "OK" {
                    continue;
                }
                let before = stream_length(&system, &target).await;
                let got = outcome(cast.client(actor), query, variables.clone()).await;
                assert_eq!(got, want, "{operation} by {actor:?} on a {privacy} person");
                if want != "OK" {
                    assert_eq!(
                        stream_length(&system, &target).await,
                        before,
                        "a refused {operation} by {actor:?} stored nothing"
                    );
                }
                if *operation == "banUser" && got == "OK" {
                    cast.client(Admin)
                        .data(
                            "mutation($id: UUID!) { unbanUser(userId: $id) { position } }",
                            json!({ "id": target }),
                        )
                        .await;
                }
            }
        }
        // Operations on one's own account: anonymous and banned callers are refused.
        for (query, variables) in [
            (
                "mutation { updateUser(input: {bio: \"hi\"}) { position } }",
                json!({}),
            ),
            ("mutation { deleteUser { position } }", json!({})),
            ("mutation { enableTwoFactor { secret } }", json!({})),
            ("{ me { id } }", json!({})),
        ] {
            assert_eq!(
                outcome(cast.client(Anonymous), query, variables.clone()).await,
                "UNAUTHENTICATED",
                "{query}"
            );
            assert_eq!(
                outcome(cast.client(Banned), query, variables.clone()).await,
                "FORBIDDEN",
                "{query}"
            );
        }
        for actor in [Myself, Stranger, Follower, Moderator, Admin] {
            let got = outcome(
                cast.client(actor),
                "mutation { updateUser(input: {bio: \"matrix\"}) { position } }",
                json!({}),
            )
            .await;
            assert_eq!(got, "OK", "{actor:?} edits their own profile");
        }
    }
    system.stop().await;
}
