//! Planning together, end to end through the real services: three people invite, accept and
//! edit; the others' subscriptions hear who changed what; the history tells it; the
//! itinerary as of before the edit is the old one; a restore brings it back; comments thread.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{json, Value};
use wayfarer_tests::{GraphqlClient, Roles, TestSystem};

use crate::support::*;

const INVITE: &str = "mutation($id: UUID!, $u: UUID!, $l: AccessLevel!) { inviteCollaborator(itineraryId: $id, userId: $u, accessLevel: $l) { position version } }";
const ACCEPT: &str =
    "mutation($id: UUID!) { acceptInvitation(itineraryId: $id) { position version } }";
const ACCESS: &str = "query($id: UUID!, $after: Position) { itinerary(id: $id, after: $after) { title version status myAccess ownerId collaborators { userId accessLevel accepted } items { id title } lastChange { changedBy description } } }";
const RENAME_ITEM: &str = "mutation($id: UUID!, $item: UUID!, $t: String!) { updateItineraryItem(itineraryId: $id, itemId: $item, input: { title: $t }) { position version } }";
const HISTORY: &str = "query($id: UUID!, $first: Int) { itineraryHistory(id: $id, first: $first) { edges { node { version changedBy eventType description subjectUserId } } } }";

fn position(data: &Value, field: &str) -> String {
    data[field]["position"].as_str().unwrap().to_owned()
}

async fn read(client: &GraphqlClient, id: &str, after: &str) -> Value {
    client
        .data(ACCESS, json!({ "id": id, "after": after }))
        .await["itinerary"]
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_people_plan_together_and_history_tells_who_did_what() {
    let system = TestSystem::start("together", Roles::all()).await.unwrap();
    let anonymous = system.graphql();
    let (ada, ada_id) = anonymous.register_user("ada").await;
    let (bea, bea_id) = anonymous.register_user("bea").await;
    let (cem, cem_id) = anonymous.register_user("cem").await;
    let (id, _) = create(&ada, "Lisbon with friends", "PRIVATE").await;
    let (tram, _) = add(
        &ada,
        &id,
        item("Tram 28", 2, Some(("Graça", 38.7167, -9.1300))),
    )
    .await;

    // Invitations: the invitee reads the itinerary before answering; a stranger does not.
    let invited = ada
        .data(INVITE, json!({ "id": id, "u": bea_id, "l": "EDIT" }))
        .await;
    ada.data(INVITE, json!({ "id": id, "u": cem_id, "l": "VIEW" }))
        .await;
    let seen = read(&bea, &id, &position(&invited, "inviteCollaborator")).await;
    assert_eq!(seen["myAccess"], "INVITED");
    let invitations = bea
        .data(
            "{ myInvitations { edges { node { id title } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        invitations["myInvitations"]["edges"][0]["node"]["id"], id,
        "{invitations}"
    );
    let (stranger, _) = anonymous.register_user("stranger").await;
    assert!(
        read(&stranger, &id, &position(&invited, "inviteCollaborator"))
            .await
            .is_null()
    );

    let accepted = bea.data(ACCEPT, json!({ "id": id })).await;
    let accepted_cem = cem.data(ACCEPT, json!({ "id": id })).await;
    let seen = read(&cem, &id, &position(&accepted_cem, "acceptInvitation")).await;
    assert_eq!(seen["myAccess"], "VIEW");
    assert_eq!(seen["collaborators"].as_array().unwrap().len(), 2);
    let seen = read(&bea, &id, &position(&accepted, "acceptInvitation")).await;
    assert_eq!(seen["myAccess"], "EDIT");
    let shared = bea
        .data("{ sharedItineraries { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(shared["sharedItineraries"]["edges"][0]["node"]["id"], id);

    // VIEW reads only.
    let code = cem
        .error_code(
            RENAME_ITEM,
            json!({ "id": id, "item": tram, "t": "Tram 12" }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");

    // Ada and Cem listen; Bea edits. The server subscribes to Redis after the ack, so Bea
    // edits until the change is heard (at most three times).
    let subscription = "subscription($id: UUID!) { itineraryChanged(id: $id) { version items { title } lastChange { changedBy description } } }";
    let mut ada_hears = ada.subscribe(subscription, json!({ "id": id })).await;
    let mut cem_hears = cem.subscribe(subscription, json!({ "id": id })).await;
    let before_edit = read(&ada, &id, &position(&accepted_cem, "acceptInvitation")).await;
    let version_before_edit = before_edit["version"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let edit_started = chrono::Utc::now();
    let mut heard = None;
    for attempt in 1..=3 {
        let title = format!("Tram 28 at dawn {attempt}");
        bea.data(RENAME_ITEM, json!({ "id": id, "item": tram, "t": title }))
            .await;
        if let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_secs(5), ada_hears.next()).await
        {
            heard = Some((message, title));
            break;
        }
    }
    let (message, title) = heard.expect("Ada heard Bea's change");
    let change = &message["data"]["itineraryChanged"]["lastChange"];
    assert_eq!(change["changedBy"], bea_id.as_str(), "{message}");
    let described = change["description"].as_str().unwrap();
    assert!(described.contains(&title), "{described}");
    let cem_message = tokio::time::timeout(Duration::from_secs(10), cem_hears.next())
        .await
        .expect("Cem heard it too")
        .expect("stream open");
    assert_eq!(
        cem_message["data"]["itineraryChanged"]["lastChange"]["changedBy"],
        bea_id.as_str()
    );

    // The history, newest first, says who did what.
    let history = ada.data(HISTORY, json!({ "id": id, "first": 50 })).await;
    let edges = history["itineraryHistory"]["edges"].as_array().unwrap();
    let newest = &edges[0]["node"];
    assert_eq!(newest["changedBy"], bea_id.as_str());
    assert_eq!(newest["eventType"], "ItineraryItemUpdated");
    let oldest = &edges.last().unwrap()["node"];
    assert_eq!(oldest["changedBy"], ada_id.as_str());
    assert_eq!(
        oldest["description"],
        "created the itinerary “Lisbon with friends”"
    );
    assert!(edges
        .iter()
        .any(|e| e["node"]["eventType"] == "CollaboratorInvited"
            && e["node"]["subjectUserId"] == bea_id.as_str()));

    // As of before the edit, the item had its old title.
    let as_of = ada
        .data(
            "query($id: UUID!, $at: DateTime!) { itineraryAsOf(id: $id, at: $at) { version items { title } } }",
            json!({ "id": id, "at": edit_started.to_rfc3339() }),
        )
        .await;
    assert_eq!(as_of["itineraryAsOf"]["items"][0]["title"], "Tram 28");
    assert_eq!(
        as_of["itineraryAsOf"]["version"].as_u64(),
        Some(version_before_edit)
    );
    // Before it existed, there was nothing; a stranger sees no past at all.
    let long_ago = ada
        .data(
            "query($id: UUID!) { itineraryAsOf(id: $id, at: \"2001-01-01T00:00:00Z\") { version } }",
            json!({ "id": id }),
        )
        .await;
    assert!(long_ago["itineraryAsOf"].is_null());
    let hidden = stranger
        .data(HISTORY, json!({ "id": id, "first": 5 }))
        .await;
    assert!(hidden["itineraryHistory"].is_null());

    // Bea restores the version before her edit: new events, nothing rewritten.
    let events_before = event_count(&system.pool, &id).await;
    let restored = bea
        .data(
            "mutation($id: UUID!, $v: Int!) { restoreItineraryVersion(id: $id, version: $v) { position version } }",
            json!({ "id": id, "v": version_before_edit }),
        )
        .await;
    assert!(event_count(&system.pool, &id).await > events_before);
    let seen = read(&ada, &id, &position(&restored, "restoreItineraryVersion")).await;
    assert_eq!(seen["items"][0]["title"], "Tram 28");
    let history = ada.data(HISTORY, json!({ "id": id, "first": 5 })).await;
    assert!(history["itineraryHistory"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["node"]["description"]
            == format!("restored version {version_before_edit}").as_str()));
    // Cem may not restore.
    let code = cem
        .error_code(
            "mutation($id: UUID!) { restoreItineraryVersion(id: $id, version: 2) { version } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    drop(ada_hears);
    drop(cem_hears);
    system.stop().await;
}

const COMMENT: &str = "mutation($id: UUID!, $item: UUID!, $t: String!, $parent: UUID) { addItemComment(itineraryId: $id, itemId: $item, text: $t, parentCommentId: $parent) { commentId position } }";
const COMMENTS: &str = "query($id: UUID!, $item: UUID!, $p: Position) { itemComments(itineraryId: $id, itemId: $item, afterPosition: $p) { edges { node { id parentCommentId authorId text deleted } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn comments_thread_on_items_and_collaborators_come_and_go() {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec![
            wayfarer_projections::itinerary::pg::NAME,
            wayfarer_projections::itinerary::comments::NAME,
        ],
    };
    let system = TestSystem::start("comments", roles).await.unwrap();
    let anonymous = system.graphql();
    let (ada, _) = anonymous.register_user("ada").await;
    let (bea, bea_id) = anonymous.register_user("bea").await;
    let (cem, cem_id) = anonymous.register_user("cem").await;
    let (id, _) = create(&ada, "Porto", "PRIVATE").await;
    let (item_id, _) = add(&ada, &id, item("Livraria Lello", 2, None)).await;
    for (user, level) in [(&bea_id, "COMMENT"), (&cem_id, "VIEW")] {
        ada.data(INVITE, json!({ "id": id, "u": user, "l": level }))
            .await;
    }
    bea.data(ACCEPT, json!({ "id": id })).await;
    cem.data(ACCEPT, json!({ "id": id })).await;

    // COMMENT comments; VIEW may not; replies thread under their parent.
    let first = bea
        .data(
            COMMENT,
            json!({ "id": id, "item": item_id, "t": "Queue from 9, tickets online" }),
        )
        .await;
    let first_id = first["addItemComment"]["commentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = cem
        .error_code(COMMENT, json!({ "id": id, "item": item_id, "t": "me too" }))
        .await;
    assert_eq!(code, "FORBIDDEN");
    let reply = ada
        .data(
            COMMENT,
            json!({ "id": id, "item": item_id, "t": "Booked!", "parent": first_id }),
        )
        .await;
    let code = bea
        .error_code(COMMENT, json!({ "id": id, "item": item_id, "t": "  " }))
        .await;
    assert_eq!(code, "VALIDATION");
    let comments = cem
        .data(
            COMMENTS,
            json!({ "id": id, "item": item_id, "p": reply["addItemComment"]["position"] }),
        )
        .await;
    let edges = comments["itemComments"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2, "{comments}");
    assert_eq!(edges[1]["node"]["parentCommentId"], first_id.as_str());

    // Only the author edits; the author (or the owner) deletes, and the reply survives.
    let edit = "mutation($id: UUID!, $c: UUID!, $t: String!) { updateItemComment(itineraryId: $id, commentId: $c, text: $t) { position } }";
    let code = ada
        .error_code(edit, json!({ "id": id, "c": first_id, "t": "mine now" }))
        .await;
    assert_eq!(code, "FORBIDDEN");
    bea.data(
        edit,
        json!({ "id": id, "c": first_id, "t": "Queue from 8" }),
    )
    .await;
    let deleted = bea
        .data(
            "mutation($id: UUID!, $c: UUID!) { deleteItemComment(itineraryId: $id, commentId: $c) { position } }",
            json!({ "id": id, "c": first_id }),
        )
        .await;
    let comments = ada
        .data(
            COMMENTS,
            json!({ "id": id, "item": item_id, "p": deleted["deleteItemComment"]["position"] }),
        )
        .await;
    let edges = comments["itemComments"]["edges"].as_array().unwrap();
    assert_eq!(edges[0]["node"]["deleted"], true);
    assert!(edges[0]["node"]["text"].is_null());
    assert_eq!(edges[1]["node"]["text"], "Booked!");

    // Cem leaves and can no longer see it; the comments are as hidden as the itinerary.
    let left = cem
        .data(
            "mutation($id: UUID!) { leaveItinerary(itineraryId: $id) { position } }",
            json!({ "id": id }),
        )
        .await;
    let after = left["leaveItinerary"]["position"].as_str().unwrap();
    assert!(read(&cem, &id, after).await.is_null());
    let hidden = cem
        .data(COMMENTS, json!({ "id": id, "item": item_id }))
        .await;
    assert!(hidden["itemComments"].is_null());

    // Ownership goes to Bea; Ada stays on as an editor and cannot leave as owner any more.
    let code = ada
        .error_code(
            "mutation($id: UUID!, $u: UUID!) { transferOwnership(itineraryId: $id, newOwnerId: $u) { position } }",
            json!({ "id": id, "u": cem_id }),
        )
        .await;
    assert_eq!(
        code, "VALIDATION",
        "only an accepted collaborator becomes owner"
    );
    let moved = ada
        .data(
            "mutation($id: UUID!, $u: UUID!) { transferOwnership(itineraryId: $id, newOwnerId: $u) { position } }",
            json!({ "id": id, "u": bea_id }),
        )
        .await;
    let after = moved["transferOwnership"]["position"].as_str().unwrap();
    let seen = read(&bea, &id, after).await;
    assert_eq!(seen["myAccess"], "OWNER");
    assert_eq!(seen["ownerId"], bea_id.as_str());
    let seen = read(&ada, &id, after).await;
    assert_eq!(seen["myAccess"], "EDIT");
    // Inviting someone who does not exist is NOT_FOUND, and stores nothing.
    let before = event_count(&system.pool, &id).await;
    let code = bea
        .error_code(
            INVITE,
            json!({ "id": id, "u": uuid::Uuid::now_v7(), "l": "VIEW" }),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    assert_eq!(event_count(&system.pool, &id).await, before);
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_guarded_model_fills_in_events_it_never_received_from_the_store() {
    use wayfarer_projections::projection::{Envelope, Tables, TransactionalProjection};
    // The API alone: commands are stored, nothing projects them.
    let system = TestSystem::start("gapfill", Roles::api_only())
        .await
        .unwrap();
    let (ada, _) = system.graphql().register_user("ada").await;
    let (id, _) = create(&ada, "Gaps", "PRIVATE").await;
    let (item_id, _) = add(&ada, &id, item("Museum", 2, None)).await;
    for text in ["first", "second"] {
        ada.data(COMMENT, json!({ "id": id, "item": item_id, "t": text }))
            .await;
    }
    // Deliver only the last event to the comments model, as if the others were lost.
    let raw = wayfarer_projections::store::read_stream(&system.pool, &id)
        .await
        .unwrap();
    let last = raw.last().unwrap();
    let envelope: Envelope = serde_json::from_value(
        serde_json::to_value(last.envelope(&system.platform.events).unwrap()).unwrap(),
    )
    .unwrap();
    let model = wayfarer_projections::itinerary::stream_guard::Guarded(
        wayfarer_projections::itinerary::comments::ItineraryCommentsModel,
    );
    let mut tx = system.pool.begin().await.unwrap();
    let tables = Tables::live(model.tables());
    model
        .apply(&mut tx, &tables, std::slice::from_ref(&envelope))
        .await
        .unwrap();
    // A redelivery changes nothing.
    model.apply(&mut tx, &tables, &[envelope]).await.unwrap();
    tx.commit().await.unwrap();
    let texts: Vec<String> = sqlx::query_scalar(
        "SELECT text FROM itinerary_comment_view WHERE itinerary_id = $1::uuid ORDER BY position",
    )
    .bind(&id)
    .fetch_all(&system.pool)
    .await
    .unwrap();
    assert_eq!(texts, ["first", "second"]);
    system.stop().await;
}
