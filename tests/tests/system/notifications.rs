//! Notifications through the real services: delivered in the app and live to the people an
//! event concerns, emailed through the SMTP sink as each person's preferences say, read marks
//! kept in the inbox, and a rebuild of the projection that mails nobody again.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use serde_json::{json, Value};
use wayfarer_tests::{GraphqlClient, Roles, TestSystem};

use crate::people::{person, Person};
use crate::support::*;

const NOTIFICATIONS: &str = "query($p: Position, $first: Int, $after: String) { notifications(afterPosition: $p, first: $first, after: $after) { edges { cursor node { id kind message actorId actorName itineraryId itemId subject changes read } } pageInfo { hasNextPage } } unreadNotificationsCount(afterPosition: $p) }";
const MARK_READ: &str = "mutation($id: UUID!) { markNotificationAsRead(id: $id) { position } }";
const MARK_ALL: &str = "mutation { markAllNotificationsAsRead { position } }";
const PREFERENCES: &str = "mutation($input: [NotificationPreferenceInput!]!) { updateNotificationPreferences(input: $input) { position } }";
const INVITE: &str = "mutation($id: UUID!, $u: UUID!, $l: AccessLevel!) { inviteCollaborator(itineraryId: $id, userId: $u, accessLevel: $l) { position } }";
const ACCEPT: &str = "mutation($id: UUID!) { acceptInvitation(itineraryId: $id) { position } }";
const DECLINE: &str = "mutation($id: UUID!) { declineInvitation(itineraryId: $id) { position } }";
const RENAME_ITEM: &str = "mutation($id: UUID!, $item: UUID!, $t: String!) { updateItineraryItem(itineraryId: $id, itemId: $item, input: { title: $t }) { position } }";
const COMMENT: &str = "mutation($id: UUID!, $item: UUID!, $t: String!) { addItemComment(itineraryId: $id, itemId: $item, text: $t) { position } }";
const FOLLOW: &str = "mutation($id: UUID!) { followUser(userId: $id) { position } }";
const UNFOLLOW: &str = "mutation($id: UUID!) { unfollowUser(userId: $id) { position } }";
const CHANGE_PASSWORD: &str = "mutation { changePassword(currentPassword: \"correct horse battery\", newPassword: \"battery staple horse\") { accessToken } }";

/// The caller's notifications (after `position`), newest first, and their unread count.
async fn inbox(client: &GraphqlClient, position: &Value) -> (Vec<Value>, i64) {
    let data = client
        .data(NOTIFICATIONS, json!({ "p": position, "first": 100 }))
        .await;
    let nodes = data["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect();
    (nodes, data["unreadNotificationsCount"].as_i64().unwrap())
}

fn of_kind<'a>(notifications: &'a [Value], kind: &str) -> Vec<&'a Value> {
    notifications.iter().filter(|n| n["kind"] == kind).collect()
}

/// The kinds of the notification mails to `to` in the SMTP sink's Maildir, with counts.
fn mails_to(to: &str) -> BTreeMap<String, usize> {
    let dir = std::env::var("WAYFARER_MAIL_DIR")
        .expect("WAYFARER_MAIL_DIR (set by infra/scripts/services.sh env) names the mail folder");
    let mut kinds = BTreeMap::new();
    for entry in std::fs::read_dir(std::path::Path::new(&dir).join("new"))
        .expect("the mail folder exists")
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if !text.contains(&format!("X-RcptTo: {to}")) {
            continue;
        }
        if let Some(kind) = text
            .lines()
            .find_map(|line| line.strip_prefix("X-Wayfarer-Notification: "))
        {
            *kinds.entry(kind.trim().to_owned()).or_default() += 1;
        }
    }
    kinds
}

/// Waits until `to` has had a mail of each of `kinds`; returns every kind mailed to them.
async fn mailed(to: &str, kinds: &[&str]) -> BTreeMap<String, usize> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mails = mails_to(to);
        if kinds.iter().all(|kind| mails.contains_key(*kind)) {
            return mails;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{to} was not mailed {kinds:?}; got {mails:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn position(data: &Value, field: &str) -> Value {
    data[field]["position"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn people_are_notified_in_the_app_live_and_by_email_and_a_rebuild_mails_nobody_again() {
    let system = TestSystem::start("notify", Roles::all()).await.unwrap();
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let bea = person(&anonymous, "bea").await;
    let cem = person(&anonymous, "cem").await;
    let name_of = |p: &Person| {
        let client = p.client.clone();
        async move {
            client.data("{ me { userName } }", json!({})).await["me"]["userName"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let ada_name = name_of(&ada).await;

    // Bea listens. Cem follows her until she hears it live (the server subscribes after the
    // acknowledgement), which is also a NEW_FOLLOWER notification each time.
    let mut bea_hears = bea
        .client
        .subscribe(
            "subscription { notificationReceived { id kind message actorId read } }",
            json!({}),
        )
        .await;
    let mut heard = None;
    for _ in 0..5 {
        cem.client.data(FOLLOW, json!({ "id": bea.id })).await;
        if let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_secs(5), bea_hears.next()).await
        {
            heard = Some(message);
            break;
        }
        cem.client.data(UNFOLLOW, json!({ "id": bea.id })).await;
    }
    let heard = heard.expect("Bea heard that Cem follows her");
    assert_eq!(
        heard["data"]["notificationReceived"]["kind"],
        "NEW_FOLLOWER"
    );
    assert_eq!(
        heard["data"]["notificationReceived"]["actorId"],
        cem.id.as_str()
    );

    // Ada plans, and invites Bea (EDIT) and Cem (VIEW).
    let (id, _) = create(&ada.client, "Porto", "PRIVATE").await;
    let (walk, _) = add(&ada.client, &id, item("Ribeira walk", 1, None)).await;
    let invited = ada
        .client
        .data(INVITE, json!({ "id": id, "u": bea.id, "l": "EDIT" }))
        .await;
    let live = tokio::time::timeout(Duration::from_secs(10), bea_hears.next())
        .await
        .expect("Bea hears the invitation live")
        .unwrap();
    let live = &live["data"]["notificationReceived"];
    assert_eq!(live["kind"], "INVITED");
    assert_eq!(
        live["message"],
        format!("{ada_name} invited you to “Porto”").as_str()
    );
    assert_eq!(live["read"], false);
    let (notifications, unread) =
        inbox(&bea.client, &position(&invited, "inviteCollaborator")).await;
    assert_eq!(notifications[0]["kind"], "INVITED", "newest first");
    assert_eq!(notifications[0]["itineraryId"], id.as_str());
    assert!(unread >= 2, "the follow(s) and the invitation are unread");

    // Bea accepts, Cem declines: Ada hears both.
    bea.client.data(ACCEPT, json!({ "id": id })).await;
    ada.client
        .data(INVITE, json!({ "id": id, "u": cem.id, "l": "VIEW" }))
        .await;
    cem.client.data(DECLINE, json!({ "id": id })).await;
    // Bea edits twice and comments on Ada's item; edits within the hour fold into one.
    for title in ["Ribeira walk at dusk", "Ribeira walk at dawn"] {
        bea.client
            .data(RENAME_ITEM, json!({ "id": id, "item": walk, "t": title }))
            .await;
    }
    let commented = bea
        .client
        .data(
            COMMENT,
            json!({ "id": id, "item": walk, "t": "Bring a coat" }),
        )
        .await;
    // One stream, one topic: once the comment is in, so is everything before it.
    let (ada_sees, ada_unread) = inbox(&ada.client, &position(&commented, "addItemComment")).await;
    assert_eq!(of_kind(&ada_sees, "INVITATION_ACCEPTED").len(), 1);
    assert_eq!(
        of_kind(&ada_sees, "INVITATION_DECLINED")[0]["actorId"],
        cem.id.as_str()
    );
    let changes: i64 = of_kind(&ada_sees, "ITINERARY_CHANGED")
        .iter()
        .map(|n| n["changes"].as_i64().unwrap())
        .sum();
    assert_eq!(changes, 2, "both of Bea's edits, folded: {ada_sees:?}");
    let comment = of_kind(&ada_sees, "ITEM_COMMENTED")[0];
    assert_eq!(comment["itemId"], walk.as_str());
    assert!(comment["message"]
        .as_str()
        .unwrap()
        .ends_with("commented on “Ribeira walk at dawn” in “Porto”"));
    assert!(
        of_kind(&ada_sees, "INVITED").is_empty(),
        "Ada did the inviting"
    );
    assert_eq!(ada_unread, ada_sees.len() as i64, "all unread");
    // Nobody is told of their own doing: Bea has no note of her edits.
    let (bea_sees, _) = inbox(&bea.client, &position(&commented, "addItemComment")).await;
    assert!(of_kind(&bea_sees, "ITINERARY_CHANGED").is_empty());
    assert!(of_kind(&bea_sees, "ITEM_COMMENTED").is_empty());

    // Email by default for all but edits.
    let ada_mail = mailed(
        &ada.email,
        &[
            "INVITATION_ACCEPTED",
            "INVITATION_DECLINED",
            "ITEM_COMMENTED",
        ],
    )
    .await;
    assert!(!ada_mail.contains_key("ITINERARY_CHANGED"), "{ada_mail:?}");
    mailed(&bea.email, &["INVITED", "NEW_FOLLOWER"]).await;

    // Read marks: one, then all. Someone else's notification looks missing.
    let first = ada_sees[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        bea.client
            .error_code(MARK_READ, json!({ "id": first }))
            .await,
        "NOT_FOUND"
    );
    assert_eq!(
        anonymous
            .error_code(MARK_READ, json!({ "id": first }))
            .await,
        "UNAUTHENTICATED"
    );
    assert_eq!(
        anonymous.error_code(NOTIFICATIONS, json!({})).await,
        "UNAUTHENTICATED"
    );
    let marked = ada.client.data(MARK_READ, json!({ "id": first })).await;
    let (after_one, unread_after_one) =
        inbox(&ada.client, &position(&marked, "markNotificationAsRead")).await;
    assert_eq!(after_one[0]["read"], true);
    assert_eq!(unread_after_one, ada_unread - 1);
    let all = ada.client.data(MARK_ALL, json!({})).await;
    let (after_all, unread_after_all) =
        inbox(&ada.client, &position(&all, "markAllNotificationsAsRead")).await;
    assert_eq!(unread_after_all, 0);
    assert!(after_all.iter().all(|n| n["read"] == true));

    // Preferences: comments neither shown nor mailed; bad lists are refused.
    for bad in [
        json!([]),
        json!([{ "kind": "PASSWORD_CHANGED", "inApp": true, "email": false }]),
        json!([
            { "kind": "NEW_FOLLOWER", "inApp": true, "email": false },
            { "kind": "NEW_FOLLOWER", "inApp": false, "email": false }
        ]),
    ] {
        assert_eq!(
            ada.client
                .error_code(PREFERENCES, json!({ "input": bad }))
                .await,
            "VALIDATION"
        );
    }
    let quiet = ada
        .client
        .data(
            PREFERENCES,
            json!({ "input": [{ "kind": "ITEM_COMMENTED", "inApp": false, "email": false }] }),
        )
        .await;
    let shown = ada
        .client
        .data(
            "query($p: Position) { notificationPreferences(afterPosition: $p) { kind inApp email } }",
            json!({ "p": position(&quiet, "updateNotificationPreferences") }),
        )
        .await;
    let preferences = shown["notificationPreferences"].as_array().unwrap();
    assert_eq!(
        preferences.len(),
        wayfarer_schemas::NotificationKind::ALL.len()
    );
    assert!(
        preferences.contains(&json!({ "kind": "ITEM_COMMENTED", "inApp": false, "email": false }))
    );
    assert!(preferences
        .contains(&json!({ "kind": "ITINERARY_CHANGED", "inApp": true, "email": false })));
    let again = bea
        .client
        .data(
            COMMENT,
            json!({ "id": id, "item": walk, "t": "And an umbrella" }),
        )
        .await;
    let (quietly, unread) = inbox(&ada.client, &position(&again, "addItemComment")).await;
    assert_eq!(of_kind(&quietly, "ITEM_COMMENTED").len(), 1, "no new one");
    assert_eq!(unread, 0);

    // A password change is a security notice, in the app and by email.
    let changed = bea.client.data(CHANGE_PASSWORD, json!({})).await;
    let bea_again =
        anonymous.with_token(changed["changePassword"]["accessToken"].as_str().unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (notes, _) = inbox(&bea_again, &Value::Null).await;
        if let Some(note) = of_kind(&notes, "PASSWORD_CHANGED").first() {
            assert!(note["actorId"].is_null());
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no password notice");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    mailed(&bea.email, &["PASSWORD_CHANGED"]).await;

    // Rebuilding gives back the same notifications, read marks included, and mails nobody.
    let emails_before: i64 = sqlx::query_scalar("SELECT count(*) FROM notification_emails")
        .fetch_one(&system.pool)
        .await
        .unwrap();
    let (ada_before, _) = inbox(&ada.client, &Value::Null).await;
    let (bea_before, _) = inbox(&bea_again, &Value::Null).await;
    let mails_before = (mails_to(&ada.email), mails_to(&bea.email));
    system
        .rebuild(wayfarer_projections::notification::NAME)
        .await;
    let (ada_after, ada_unread) = inbox(&ada.client, &Value::Null).await;
    let (bea_after, _) = inbox(&bea_again, &Value::Null).await;
    assert_eq!(ada_after, ada_before);
    assert_eq!(bea_after, bea_before);
    assert_eq!(ada_unread, 0);
    // Longer than the sender's poll, so anything asked for would have gone out.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let emails_after: i64 = sqlx::query_scalar("SELECT count(*) FROM notification_emails")
        .fetch_one(&system.pool)
        .await
        .unwrap();
    assert_eq!(emails_after, emails_before);
    assert_eq!((mails_to(&ada.email), mails_to(&bea.email)), mails_before);
    let unsent: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notification_emails WHERE sent_at IS NULL")
            .fetch_one(&system.pool)
            .await
            .unwrap();
    assert_eq!(unsent, 0, "every email asked for went out once");
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_of_notifications_follow_their_cursor_and_an_erased_person_leaves_none() {
    let system = TestSystem::start("notepages", Roles::all()).await.unwrap();
    let anonymous = system.graphql();
    let star = person(&anonymous, "star").await;
    let mut follows = Vec::new();
    for n in 0..5 {
        let fan = person(&anonymous, &format!("fan{n}")).await;
        follows.push(fan.client.data(FOLLOW, json!({ "id": star.id })).await);
    }
    // Each person is a stream of their own: wait for each follow.
    for followed in &follows {
        inbox(&star.client, &position(followed, "followUser")).await;
    }
    let (all, unread) = inbox(&star.client, &Value::Null).await;
    assert_eq!(all.len(), 5);
    assert_eq!(unread, 5);
    let page = star.client.data(NOTIFICATIONS, json!({ "first": 2 })).await;
    let edges = page["notifications"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2);
    assert_eq!(page["notifications"]["pageInfo"]["hasNextPage"], true);
    let rest = star
        .client
        .data(
            NOTIFICATIONS,
            json!({ "first": 10, "after": edges[1]["cursor"] }),
        )
        .await;
    let rest: Vec<Value> = rest["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    assert_eq!(rest.len(), 3);
    let paged: Vec<&Value> = edges
        .iter()
        .map(|e| &e["node"])
        .chain(rest.iter())
        .collect();
    assert_eq!(paged, all.iter().collect::<Vec<_>>());
    assert_eq!(
        star.client
            .error_code(NOTIFICATIONS, json!({ "after": "not a cursor" }))
            .await,
        "VALIDATION"
    );

    // Closing the account removes the person's notifications from the model.
    let closed = star
        .client
        .data("mutation { deleteUser { position } }", json!({}))
        .await;
    let star_id: uuid::Uuid = star.id.parse().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left: i64 =
            sqlx::query_scalar("SELECT count(*) FROM notifications WHERE recipient_id = $1")
                .bind(star_id)
                .fetch_one(&system.pool)
                .await
                .unwrap();
        if left == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "notifications outlived the account ({closed})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    system.stop().await;
}

/// Each notification operation × {anonymous, stranger, recipient, admin, banned}: only the
/// recipient reads or marks theirs; to anyone else it is missing, admins included.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_the_recipient_reads_or_marks_a_notification() {
    let system = TestSystem::start("notematrix", Roles::all()).await.unwrap();
    let anonymous = system.graphql();
    let star = person(&anonymous, "star").await;
    let fan = person(&anonymous, "fan").await;
    let admin = person(&anonymous, "admin").await;
    crate::people::make_admin(&system, &admin).await;
    let banned = person(&anonymous, "banned").await;
    let followed = fan.client.data(FOLLOW, json!({ "id": star.id })).await;
    let (notes, _) = inbox(&star.client, &position(&followed, "followUser")).await;
    let id = notes[0]["id"].as_str().unwrap().to_owned();
    let ban = admin
        .client
        .data(
            "mutation($id: UUID!) { banUser(userId: $id, reason: \"matrix\") { position } }",
            json!({ "id": banned.id }),
        )
        .await;
    admin
        .client
        .data(
            "query($id: UUID!, $p: Position) { user(userId: $id, after: $p) { id } }",
            json!({ "id": banned.id, "p": ban["banUser"]["position"] }),
        )
        .await;
    const ONE: &str = "query($id: UUID!) { notification(id: $id) { id kind } }";
    let operations: [(&str, Value); 6] = [
        (NOTIFICATIONS, json!({})),
        (ONE, json!({ "id": id })),
        ("{ notificationPreferences { kind } }", json!({})),
        (MARK_READ, json!({ "id": id })),
        (MARK_ALL, json!({})),
        (
            PREFERENCES,
            json!({ "input": [{ "kind": "NEW_FOLLOWER", "inApp": true, "email": false }] }),
        ),
    ];
    for (operation, variables) in &operations {
        assert_eq!(
            anonymous.error_code(operation, variables.clone()).await,
            "UNAUTHENTICATED",
            "{operation}"
        );
        assert_eq!(
            banned.client.error_code(operation, variables.clone()).await,
            "FORBIDDEN",
            "{operation}"
        );
    }
    for outsider in [&fan, &admin] {
        let seen = outsider.client.data(ONE, json!({ "id": id })).await;
        assert!(seen["notification"].is_null());
        assert_eq!(
            outsider
                .client
                .error_code(MARK_READ, json!({ "id": id }))
                .await,
            "NOT_FOUND"
        );
        let (theirs, _) = inbox(&outsider.client, &Value::Null).await;
        assert!(theirs.iter().all(|n| n["id"] != id.as_str()));
    }
    let mine = star.client.data(ONE, json!({ "id": id })).await;
    assert_eq!(mine["notification"]["kind"], "NEW_FOLLOWER");
    let marked = star.client.data(MARK_READ, json!({ "id": id })).await;
    let (after, unread) = inbox(&star.client, &position(&marked, "markNotificationAsRead")).await;
    assert_eq!(after[0]["read"], true);
    assert_eq!(unread, 0);
    system.stop().await;
}

const REMOVE: &str = "mutation($id: UUID!, $u: UUID!) { removeCollaborator(itineraryId: $id, userId: $u) { position } }";

/// Waits until nothing asked of the mail sender for `recipient` and `kind` is still pending
/// (each was sent or given up).
async fn no_email_pending(system: &TestSystem, recipient: &str, kind: &str) {
    let recipient: uuid::Uuid = recipient.parse().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let pending: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notification_emails WHERE recipient_id = $1 AND kind = $2 \
             AND sent_at IS NULL AND abandoned_at IS NULL",
        )
        .bind(recipient)
        .bind(kind)
        .fetch_one(&system.pool)
        .await
        .unwrap();
        if pending == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{kind} mail pending"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn withdrawn_invitations_and_requests_are_taken_back_and_a_closed_account_hears_nothing_more()
{
    let system = TestSystem::start("notewithdraw", Roles::all())
        .await
        .unwrap();
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let bea = person(&anonymous, "bea").await;
    let cem = person(&anonymous, "cem").await;

    // Bea is private: Cem asks to follow her, then withdraws his request.
    bea.client
        .data(
            "mutation { updateUser(input: {privacy: PRIVATE}) { position } }",
            json!({}),
        )
        .await;
    let asked = cem.client.data(FOLLOW, json!({ "id": bea.id })).await;
    let (notes, _) = inbox(&bea.client, &position(&asked, "followUser")).await;
    assert_eq!(of_kind(&notes, "FOLLOW_REQUESTED").len(), 1, "{notes:?}");
    let withdrawn = cem.client.data(UNFOLLOW, json!({ "id": bea.id })).await;
    let (notes, unread) = inbox(&bea.client, &position(&withdrawn, "unfollowUser")).await;
    assert!(of_kind(&notes, "FOLLOW_REQUESTED").is_empty(), "{notes:?}");
    assert_eq!(unread, 0);
    no_email_pending(&system, &bea.id, "FOLLOW_REQUESTED").await;

    // Ada invites Bea, then withdraws the invitation.
    let (id, _) = create(&ada.client, "Oslo", "PRIVATE").await;
    let invited = ada
        .client
        .data(INVITE, json!({ "id": id, "u": bea.id, "l": "VIEW" }))
        .await;
    let (notes, _) = inbox(&bea.client, &position(&invited, "inviteCollaborator")).await;
    assert_eq!(of_kind(&notes, "INVITED").len(), 1);
    let removed = ada
        .client
        .data(REMOVE, json!({ "id": id, "u": bea.id }))
        .await;
    let (notes, _) = inbox(&bea.client, &position(&removed, "removeCollaborator")).await;
    assert!(of_kind(&notes, "INVITED").is_empty(), "{notes:?}");
    no_email_pending(&system, &bea.id, "INVITED").await;

    // Cem and Bea join; Cem adds an item, then closes his account. A comment on his item
    // afterwards notifies nobody: he is still named as its author and as a member.
    for member in [&cem, &bea] {
        ada.client
            .data(INVITE, json!({ "id": id, "u": member.id, "l": "EDIT" }))
            .await;
        member.client.data(ACCEPT, json!({ "id": id })).await;
    }
    let (cabin, _) = add(&cem.client, &id, item("Cem's cabin", 1, None)).await;
    cem.client
        .data("mutation { deleteUser { position } }", json!({}))
        .await;
    let cem_id: uuid::Uuid = cem.id.parse().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let closed: Option<bool> =
            sqlx::query_scalar("SELECT closed FROM notification_inboxes WHERE user_id = $1")
                .bind(cem_id)
                .fetch_optional(&system.pool)
                .await
                .unwrap();
        if closed == Some(true) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Cem's inbox never closed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ada.client
        .data(
            COMMENT,
            json!({ "id": id, "item": cabin, "t": "Is there a sauna?" }),
        )
        .await;
    let (_, after_comment) = add(&ada.client, &id, item("Fjord cruise", 2, None)).await;
    // One stream: once Bea hears of the later edit, the comment has been processed too.
    let (bea_sees, _) = inbox(&bea.client, &json!(after_comment)).await;
    assert!(!of_kind(&bea_sees, "ITINERARY_CHANGED").is_empty());
    let cem_has: i64 =
        sqlx::query_scalar("SELECT count(*) FROM notifications WHERE recipient_id = $1")
            .bind(cem_id)
            .fetch_one(&system.pool)
            .await
            .unwrap();
    assert_eq!(cem_has, 0, "a closed account is notified of nothing");
    let cem_mails: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notification_emails WHERE recipient_id = $1 \
         AND kind = 'ITEM_COMMENTED'",
    )
    .bind(cem_id)
    .fetch_one(&system.pool)
    .await
    .unwrap();
    assert_eq!(cem_mails, 0, "nor mailed");
    system.stop().await;
}
