//! The authorization matrix of planning together: every operation × {anonymous, stranger,
//! VIEW, COMMENT, EDIT, owner, admin, banned} × {PUBLIC, PRIVATE}. Allowed calls succeed;
//! the others get `UNAUTHENTICATED`, `FORBIDDEN` or `NOT_FOUND` (a private itinerary is
//! missing to anyone outside it) and store nothing. Admins have no say over other people's
//! itineraries: they stand as strangers.

use serde_json::{json, Value};
use wayfarer_tests::{GraphqlClient, Roles, TestSystem};

use crate::people::{make_admin, person};
use crate::support::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Anonymous,
    Stranger,
    Viewer,
    Commenter,
    Editor,
    Owner,
    Admin,
    Banned,
}

use Actor::*;

const ACTORS: [Actor; 8] = [
    Anonymous, Stranger, Viewer, Commenter, Editor, Owner, Admin, Banned,
];

struct Cast {
    clients: Vec<(Actor, GraphqlClient, String)>,
    /// Someone to invite, outside every scene.
    extra: String,
}

impl Cast {
    fn client(&self, actor: Actor) -> &GraphqlClient {
        &self.clients.iter().find(|(a, _, _)| *a == actor).unwrap().1
    }
    fn id(&self, actor: Actor) -> &str {
        &self.clients.iter().find(|(a, _, _)| *a == actor).unwrap().2
    }
}

async fn cast(system: &TestSystem) -> Cast {
    let anonymous = system.graphql();
    let mut clients = vec![(Anonymous, anonymous.clone(), String::new())];
    for actor in &ACTORS[1..] {
        let person = person(&anonymous, &format!("{actor:?}").to_lowercase()).await;
        if *actor == Admin {
            make_admin(system, &person).await;
        }
        clients.push((*actor, person.client, person.id));
    }
    let extra = person(&anonymous, "extra").await.id;
    let cast = Cast { clients, extra };
    let banned = cast
        .client(Admin)
        .data(
            "mutation($id: UUID!) { banUser(userId: $id, reason: \"matrix\") { position } }",
            json!({ "id": cast.id(Banned) }),
        )
        .await;
    cast.client(Admin)
        .data(
            "query($id: UUID!, $p: Position) { user(userId: $id, after: $p) { id } }",
            json!({ "id": cast.id(Banned), "p": banned["banUser"]["position"] }),
        )
        .await;
    cast
}

/// One itinerary with an item, renamed once (so version 2 differs from now), a VIEW, a
/// COMMENT and an EDIT collaborator who accepted, and a comment by the commenter.
struct Scene {
    id: String,
    item: String,
    comment: String,
    position: String,
}

async fn scene(cast: &Cast, visibility: &str) -> Scene {
    let owner = cast.client(Owner);
    let (id, _) = create(owner, "Matrix trip", visibility).await;
    let (item, _) = add(owner, &id, item("Museum", 2, None)).await;
    owner
        .data(
            "mutation($id: UUID!) { updateItinerary(id: $id, input: { title: \"Renamed\" }) { version } }",
            json!({ "id": id }),
        )
        .await;
    for (actor, level) in [(Viewer, "VIEW"), (Commenter, "COMMENT"), (Editor, "EDIT")] {
        owner
            .data(
                "mutation($id: UUID!, $u: UUID!, $l: AccessLevel!) { inviteCollaborator(itineraryId: $id, userId: $u, accessLevel: $l) { version } }",
                json!({ "id": id, "u": cast.id(actor), "l": level }),
            )
            .await;
        cast.client(actor)
            .data(
                "mutation($id: UUID!) { acceptInvitation(itineraryId: $id) { version } }",
                json!({ "id": id }),
            )
            .await;
    }
    let comment = cast
        .client(Commenter)
        .data(
            "mutation($id: UUID!, $item: UUID!) { addItemComment(itineraryId: $id, itemId: $item, text: \"Free on Sundays\") { commentId position } }",
            json!({ "id": id, "item": item }),
        )
        .await;
    Scene {
        id,
        item,
        comment: comment["addItemComment"]["commentId"]
            .as_str()
            .unwrap()
            .to_owned(),
        position: comment["addItemComment"]["position"]
            .as_str()
            .unwrap()
            .to_owned(),
    }
}

/// `OK` (data, not null), `NULL`, or the first error's code.
async fn outcome(client: &GraphqlClient, query: &str, variables: Value) -> String {
    let response = client.execute(query, variables).await;
    if let Some(code) = response["errors"][0]["extensions"]["code"].as_str() {
        return code.to_owned();
    }
    let data = response["data"].as_object().expect("data");
    let value = data.values().next().expect("one field");
    if value.is_null() {
        "NULL".to_owned()
    } else {
        "OK".to_owned()
    }
}

/// Who may do each mutation.
fn allowed(operation: &str, actor: Actor) -> bool {
    match operation {
        "updateItinerary"
        | "addItineraryItem"
        | "changeItineraryStatus"
        | "restoreItineraryVersion" => matches!(actor, Owner | Editor),
        "deleteItinerary"
        | "inviteCollaborator"
        | "shareItinerary"
        | "updateCollaboratorAccess"
        | "removeCollaborator"
        | "transferOwnership" => actor == Owner,
        "addItemComment" => matches!(actor, Owner | Editor | Commenter),
        "updateItemComment" => actor == Commenter,
        "deleteItemComment" => matches!(actor, Owner | Commenter),
        "leaveItinerary" => matches!(actor, Viewer | Commenter | Editor),
        "acceptInvitation" => false,
        other => panic!("no rule for {other}"),
    }
}

/// What a refused mutation answers.
fn refusal(operation: &str, actor: Actor, visibility: &str) -> &'static str {
    let member = matches!(actor, Viewer | Commenter | Editor | Owner);
    match (operation, actor) {
        (_, Anonymous) => "UNAUTHENTICATED",
        (_, Banned) => "FORBIDDEN",
        // No member here has a pending invitation to answer.
        ("acceptInvitation", _) if member => "NOT_FOUND",
        ("leaveItinerary", Owner) => "CONFLICT",
        _ if member || visibility == "PUBLIC" => "FORBIDDEN",
        _ => "NOT_FOUND",
    }
}

fn mutations(cast: &Cast, scene: &Scene) -> Vec<(&'static str, String, Value)> {
    let id = &scene.id;
    let with = |extra: Value| {
        let mut variables = json!({ "id": id });
        for (key, value) in extra.as_object().unwrap() {
            variables[key] = value.clone();
        }
        variables
    };
    vec![
        ("updateItinerary", "mutation($id: UUID!) { updateItinerary(id: $id, input: { title: \"Matrix again\" }) { version } }".into(), with(json!({}))),
        ("deleteItinerary", "mutation($id: UUID!) { deleteItinerary(id: $id) { version } }".into(), with(json!({}))),
        ("addItineraryItem", ADD_ITEM.into(), with(json!({ "input": item("Park", 3, None) }))),
        ("changeItineraryStatus", "mutation($id: UUID!) { changeItineraryStatus(id: $id, status: PLANNED) { version } }".into(), with(json!({}))),
        ("inviteCollaborator", "mutation($id: UUID!, $u: UUID!) { inviteCollaborator(itineraryId: $id, userId: $u, accessLevel: VIEW) { version } }".into(), with(json!({ "u": cast.extra }))),
        ("shareItinerary", "mutation($id: UUID!, $u: UUID!) { shareItinerary(itineraryId: $id, userIds: [$u]) { version } }".into(), with(json!({ "u": cast.extra }))),
        ("updateCollaboratorAccess", "mutation($id: UUID!, $u: UUID!) { updateCollaboratorAccess(itineraryId: $id, userId: $u, accessLevel: EDIT) { version } }".into(), with(json!({ "u": cast.id(Viewer) }))),
        ("removeCollaborator", "mutation($id: UUID!, $u: UUID!) { removeCollaborator(itineraryId: $id, userId: $u) { version } }".into(), with(json!({ "u": cast.id(Viewer) }))),
        ("transferOwnership", "mutation($id: UUID!, $u: UUID!) { transferOwnership(itineraryId: $id, newOwnerId: $u) { version } }".into(), with(json!({ "u": cast.id(Editor) }))),
        ("addItemComment", "mutation($id: UUID!, $item: UUID!) { addItemComment(itineraryId: $id, itemId: $item, text: \"Nice\") { version } }".into(), with(json!({ "item": scene.item }))),
        ("updateItemComment", "mutation($id: UUID!, $c: UUID!) { updateItemComment(itineraryId: $id, commentId: $c, text: \"Edited\") { version } }".into(), with(json!({ "c": scene.comment }))),
        ("deleteItemComment", "mutation($id: UUID!, $c: UUID!) { deleteItemComment(itineraryId: $id, commentId: $c) { version } }".into(), with(json!({ "c": scene.comment }))),
        ("restoreItineraryVersion", "mutation($id: UUID!) { restoreItineraryVersion(id: $id, version: 2) { version } }".into(), with(json!({}))),
        ("acceptInvitation", "mutation($id: UUID!) { acceptInvitation(itineraryId: $id) { version } }".into(), with(json!({}))),
        ("leaveItinerary", "mutation($id: UUID!) { leaveItinerary(itineraryId: $id) { version } }".into(), with(json!({}))),
    ]
}

/// What each actor reads.
fn read_expectation(query: &str, actor: Actor, visibility: &str) -> &'static str {
    let member = matches!(actor, Viewer | Commenter | Editor | Owner);
    match (query, actor) {
        (_, Banned) => "FORBIDDEN",
        ("collaborators", Anonymous) => "UNAUTHENTICATED",
        ("itinerary" | "itemComments", _) if member || visibility == "PUBLIC" => "OK",
        ("collaborators" | "itineraryHistory" | "itineraryAsOf", _) if member => "OK",
        _ => "NULL",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_collaboration_operation_allows_exactly_who_it_should() {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec![
            wayfarer_projections::itinerary::pg::NAME,
            wayfarer_projections::itinerary::comments::NAME,
            "users",
        ],
    };
    let system = TestSystem::start("collabmatrix", roles).await.unwrap();
    let cast = cast(&system).await;
    let mut failures = Vec::new();
    for visibility in ["PRIVATE", "PUBLIC"] {
        // Reads, on one scene the models have caught up with.
        let shared = scene(&cast, visibility).await;
        cast.client(Owner)
            .data(
                "query($id: UUID!, $p: Position) { itinerary(id: $id, after: $p) { id } }",
                json!({ "id": shared.id, "p": shared.position }),
            )
            .await;
        cast.client(Owner)
            .data(
                "query($id: UUID!, $item: UUID!, $p: Position) { itemComments(itineraryId: $id, itemId: $item, afterPosition: $p) { edges { node { id } } } }",
                json!({ "id": shared.id, "item": shared.item, "p": shared.position }),
            )
            .await;
        let reads: [(&str, &str); 5] = [
            ("itinerary", "query($id: UUID!) { itinerary(id: $id) { id title } }"),
            ("collaborators", "query($id: UUID!) { collaborators(itineraryId: $id) { userId } }"),
            ("itineraryHistory", "query($id: UUID!) { itineraryHistory(id: $id) { edges { node { description } } } }"),
            ("itineraryAsOf", "query($id: UUID!) { itineraryAsOf(id: $id, at: \"2100-01-01T00:00:00Z\") { title } }"),
            ("itemComments", "query($id: UUID!, $item: UUID!) { itemComments(itineraryId: $id, itemId: $item) { edges { node { text } } } }"),
        ];
        for (name, query) in reads {
            for actor in ACTORS {
                let variables = if name == "itemComments" {
                    json!({ "id": shared.id, "item": shared.item })
                } else {
                    json!({ "id": shared.id })
                };
                let got = outcome(cast.client(actor), query, variables).await;
                let expected = read_expectation(name, actor, visibility);
                if got != expected {
                    failures.push(format!(
                        "{name} by {actor:?} on {visibility}: {got}, expected {expected}"
                    ));
                }
            }
        }

        // Refused mutations, all on the shared scene: none may store anything.
        let stored = event_count(&system.pool, &shared.id).await;
        for (name, query, variables) in mutations(&cast, &shared) {
            for actor in ACTORS.into_iter().filter(|actor| !allowed(name, *actor)) {
                let got = outcome(cast.client(actor), &query, variables.clone()).await;
                let expected = refusal(name, actor, visibility);
                if got != expected {
                    failures.push(format!(
                        "{name} by {actor:?} on {visibility}: {got}, expected {expected}"
                    ));
                }
            }
        }
        assert_eq!(
            event_count(&system.pool, &shared.id).await,
            stored,
            "a refused mutation stored something"
        );

        // Allowed mutations, each on a scene of its own.
        for actor in ACTORS {
            let names: Vec<&str> = mutations(&cast, &shared)
                .into_iter()
                .map(|(name, _, _)| name)
                .filter(|name| allowed(name, actor))
                .collect();
            for name in names {
                let fresh = scene(&cast, visibility).await;
                let (_, query, variables) = mutations(&cast, &fresh)
                    .into_iter()
                    .find(|(n, _, _)| *n == name)
                    .unwrap();
                let got = outcome(cast.client(actor), &query, variables).await;
                if got != "OK" {
                    failures.push(format!(
                        "{name} by {actor:?} on {visibility}: {got}, expected OK"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    system.stop().await;
}
