//! Moderation through the real services: flags citing the guidelines, once per person, the
//! queue ordered by flag count and age, HIDE making content invisible to everyone but its
//! author (who sees why), REMOVE deleting it, DISMISS closing the flags, ESCALATE handing
//! them to the admins, and versioned guidelines that only admins change.

use serde_json::{json, Value};
use uuid::Uuid;
use wayfarer_tests::{GraphqlClient, Roles, TestSystem};

use crate::people::{make_admin, person, Person};

const POST: &str =
    "mutation($c: String!) { createPost(input: { content: $c }) { postId position } }";
const READ_POST: &str = "query($id: UUID!, $p: Position) { post(id: $id, afterPosition: $p) { id content hidden hiddenReason } }";
const COMMENT: &str = "mutation($post: UUID!, $c: String!) { addComment(postId: $post, input: { content: $c }) { commentId position } }";
const FLAG: &str = "mutation($t: FlagTarget!, $id: UUID!, $rule: String!, $r: String) { flagContent(targetType: $t, targetId: $id, ruleCode: $rule, reason: $r) { flagId position } }";
const QUEUE: &str = "query($s: FlagStatus, $first: Int, $after: String, $p: Position) { moderationQueue(status: $s, first: $first, after: $after, afterPosition: $p) { edges { cursor node { id targetType targetId authorId status openFlags totalFlags flags { flaggedBy ruleCode reason } resolution { action note } } } pageInfo { hasNextPage } } }";
const RESOLVE: &str = "mutation($id: UUID!, $a: ModerationAction!, $n: String) { resolveFlag(flagId: $id, action: $a, note: $n) { flagId position contentPosition } }";
const GUIDELINES: &str =
    "query($v: Int) { guidelines(version: $v) { version rules { code title } } }";
const UPDATE_GUIDELINES: &str =
    "mutation($rules: [RuleInput!]!) { updateGuidelines(rules: $rules) { version position } }";

async fn flag(who: &Person, target: &str, id: &Value, rule: &str) -> Value {
    who.client
        .data(
            FLAG,
            json!({ "t": target, "id": id, "rule": rule, "r": "Looks like spam" }),
        )
        .await["flagContent"]
        .clone()
}

/// The caller's notifications as (kind, message), once the model has `at`.
async fn notifications(client: &GraphqlClient, at: &Value) -> Vec<(String, String)> {
    client
        .data(
            "query($p: Position) { notifications(first: 50, afterPosition: $p) { edges { node { kind message } } } }",
            json!({ "p": at }),
        )
        .await["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            (
                edge["node"]["kind"].as_str().unwrap().to_owned(),
                edge["node"]["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn queue(client: &GraphqlClient, status: &str, at: &Value) -> Vec<Value> {
    client.data(QUEUE, json!({ "s": status, "p": at })).await["moderationQueue"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn flags_reach_the_queue_and_a_moderators_decision_is_applied_and_recorded() {
    let system = TestSystem::start("moderation", Roles::all()).await.unwrap();
    let anonymous = system.graphql();
    let author = person(&anonymous, "author").await;
    let [ana, ben, cyd] = [
        person(&anonymous, "ana").await,
        person(&anonymous, "ben").await,
        person(&anonymous, "cyd").await,
    ];
    let admin = person(&anonymous, "admin").await;
    make_admin(&system, &admin).await;

    // The built-in guidelines; flags cite one of their rules.
    let rules = anonymous.data(GUIDELINES, json!({})).await["guidelines"].clone();
    assert_eq!(rules["version"], 1);
    assert!(rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "SPAM"));

    let spam = author
        .client
        .data(POST, json!({ "c": "Cheap followers here!!!" }))
        .await["createPost"]
        .clone();
    let other = author
        .client
        .data(POST, json!({ "c": "A real trip report" }))
        .await["createPost"]
        .clone();
    let spam_id = spam["postId"].clone();
    let remark = ana
        .client
        .data(
            COMMENT,
            json!({ "post": other["postId"], "c": "You are an idiot" }),
        )
        .await["addComment"]
        .clone();

    // Three flags on the spam, one on the comment; once per person, never one's own, a rule
    // of the guidelines only.
    let mut last = Value::Null;
    for who in [&ana, &ben, &cyd] {
        last = flag(who, "POST", &spam_id, "SPAM").await["position"].clone();
    }
    let on_comment = flag(&ben, "COMMENT", &remark["commentId"], "HARASSMENT").await;
    assert_eq!(
        ana.client
            .error_code(FLAG, json!({ "t": "POST", "id": spam_id, "rule": "SPAM" }))
            .await,
        "CONFLICT"
    );
    assert_eq!(
        author
            .client
            .error_code(FLAG, json!({ "t": "POST", "id": spam_id, "rule": "SPAM" }))
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        ben.client
            .error_code(
                FLAG,
                json!({ "t": "POST", "id": other["postId"], "rule": "NOT_A_RULE" })
            )
            .await,
        "VALIDATION"
    );
    assert_eq!(
        ben.client
            .error_code(
                FLAG,
                json!({ "t": "REVIEW", "id": Uuid::new_v4(), "rule": "SPAM" })
            )
            .await,
        "NOT_FOUND"
    );
    assert_eq!(
        anonymous
            .error_code(FLAG, json!({ "t": "POST", "id": spam_id, "rule": "SPAM" }))
            .await,
        "UNAUTHENTICATED"
    );

    // The queue: moderators and admins only; the most flagged first.
    assert_eq!(ana.client.error_code(QUEUE, json!({})).await, "FORBIDDEN");
    assert_eq!(
        anonymous.error_code(QUEUE, json!({})).await,
        "UNAUTHENTICATED"
    );
    admin
        .client
        .data(QUEUE, json!({ "p": on_comment["position"] }))
        .await;
    let open = queue(&admin.client, "OPEN", &last).await;
    assert_eq!(open.len(), 2);
    assert_eq!(
        (open[0]["targetId"].clone(), open[0]["openFlags"].clone()),
        (spam_id.clone(), json!(3))
    );
    assert_eq!(open[0]["authorId"].as_str(), Some(author.id.as_str()));
    assert_eq!(open[0]["flags"].as_array().unwrap().len(), 3);
    assert_eq!(open[0]["flags"][0]["ruleCode"], "SPAM");
    assert_eq!(open[1]["targetType"], "COMMENT");

    // HIDE: the post is gone for everyone but its author, who sees why.
    let hidden = admin
        .client
        .data(
            RESOLVE,
            json!({ "id": open[0]["id"], "a": "HIDE", "n": "Advertising" }),
        )
        .await["resolveFlag"]
        .clone();
    for who in [&ana, &ben] {
        assert!(who
            .client
            .data(
                READ_POST,
                json!({ "id": spam_id, "p": hidden["contentPosition"] })
            )
            .await["post"]
            .is_null());
    }
    assert!(anonymous.data(READ_POST, json!({ "id": spam_id })).await["post"].is_null());
    let own = author
        .client
        .data(READ_POST, json!({ "id": spam_id }))
        .await["post"]
        .clone();
    assert_eq!(
        (own["hidden"].clone(), own["hiddenReason"].clone()),
        (json!(true), json!("Advertising"))
    );
    // Hidden looks missing to others' mutations too.
    assert_eq!(
        ana.client
            .error_code("mutation($id: UUID!) { addReaction(targetType: POST, targetId: $id, reaction: LIKE) { position } }", json!({ "id": spam_id }))
            .await,
        "NOT_FOUND"
    );
    // The author is told why; everyone who flagged it, that it was decided.
    let told = notifications(&author.client, &hidden["position"]).await;
    assert!(
        told.contains(&(
            "CONTENT_HIDDEN".to_owned(),
            "A moderator hid your post: Advertising".to_owned()
        )),
        "{told:?}"
    );
    for who in [&ana, &ben, &cyd] {
        let told = notifications(&who.client, &hidden["position"]).await;
        assert!(
            told.contains(&(
                "FLAG_RESOLVED".to_owned(),
                "Moderators reviewed the post you flagged: it was hidden".to_owned()
            )),
            "{told:?}"
        );
    }
    let resolved = queue(&admin.client, "RESOLVED", &hidden["position"]).await;
    assert_eq!(
        resolved[0]["resolution"],
        json!({ "action": "HIDE", "note": "Advertising" })
    );
    assert_eq!(
        admin
            .client
            .error_code(RESOLVE, json!({ "id": open[0]["id"], "a": "DISMISS" }))
            .await,
        "NOT_FOUND",
        "nothing open any more"
    );

    // ESCALATE, then the admin removes the comment.
    let moderator = person(&anonymous, "moderator").await;
    let assigned = admin
        .client
        .data(
            "mutation($id: UUID!) { assignRole(userId: $id, role: MODERATOR) { position } }",
            json!({ "id": moderator.id }),
        )
        .await["assignRole"]["position"]
        .clone();
    moderator
        .client
        .data(
            "query($p: Position) { me(after: $p) { role } }",
            json!({ "p": assigned }),
        )
        .await;
    let escalated = moderator
        .client
        .data(
            RESOLVE,
            json!({ "id": on_comment["flagId"], "a": "ESCALATE" }),
        )
        .await["resolveFlag"]
        .clone();
    let waiting = queue(&moderator.client, "ESCALATED", &escalated["position"]).await;
    assert_eq!(waiting[0]["targetId"], remark["commentId"]);
    assert_eq!(
        moderator
            .client
            .error_code(
                RESOLVE,
                json!({ "id": on_comment["flagId"], "a": "REMOVE" })
            )
            .await,
        "FORBIDDEN",
        "escalated flags are the admins'"
    );
    let removed = admin
        .client
        .data(
            RESOLVE,
            json!({ "id": on_comment["flagId"], "a": "REMOVE" }),
        )
        .await["resolveFlag"]
        .clone();
    let thread = anonymous
        .data(
            "query($post: UUID!, $p: Position) { comments(postId: $post, afterPosition: $p) { edges { node { deleted content } } } }",
            json!({ "post": other["postId"], "p": removed["contentPosition"] }),
        )
        .await["comments"]["edges"]
        .clone();
    assert_eq!(
        thread,
        json!([{ "node": { "deleted": true, "content": null } }])
    );

    // What a moderator hid, the post's author cannot show again; a moderator can.
    let rude = ben
        .client
        .data(
            COMMENT,
            json!({ "post": other["postId"], "c": "Spam spam spam" }),
        )
        .await["addComment"]["commentId"]
        .clone();
    let rude_flag = flag(&cyd, "COMMENT", &rude, "SPAM").await;
    admin
        .client
        .data(RESOLVE, json!({ "id": rude_flag["flagId"], "a": "HIDE" }))
        .await;
    let unhide = "mutation($id: UUID!) { unhideComment(commentId: $id) { position } }";
    assert_eq!(
        author
            .client
            .error_code(unhide, json!({ "id": rude }))
            .await,
        "FORBIDDEN"
    );
    moderator.client.data(unhide, json!({ "id": rude })).await;

    // DISMISS closes a flag; a new flag by someone else opens it again.
    let mild = flag(&cyd, "POST", &other["postId"], "OFF_TOPIC").await;
    admin
        .client
        .data(RESOLVE, json!({ "id": mild["flagId"], "a": "DISMISS" }))
        .await;
    assert!(!author
        .client
        .data(READ_POST, json!({ "id": other["postId"] }))
        .await["post"]
        .is_null());
    let again = flag(&ana, "POST", &other["postId"], "OFF_TOPIC").await;
    let reopened = queue(&admin.client, "OPEN", &again["position"]).await;
    assert_eq!(
        (
            reopened[0]["openFlags"].clone(),
            reopened[0]["totalFlags"].clone()
        ),
        (json!(1), json!(2))
    );
    assert_eq!(
        ana.client
            .error_code(RESOLVE, json!({ "id": again["flagId"], "a": "HIDE" }))
            .await,
        "FORBIDDEN"
    );

    // Guidelines: versioned, admins only; flags cite the rules in force.
    let new_rules = json!([{ "code": "SPAM", "title": "No spam", "description": "No ads." }, { "code": "NO_DRONES", "title": "No drones", "description": "No drone shots over crowds." }]);
    assert_eq!(
        ana.client
            .error_code(UPDATE_GUIDELINES, json!({ "rules": new_rules }))
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        admin
            .client
            .error_code(
                UPDATE_GUIDELINES,
                json!({ "rules": [{ "code": "bad code", "title": "x", "description": "y" }] })
            )
            .await,
        "VALIDATION"
    );
    let updated = admin
        .client
        .data(UPDATE_GUIDELINES, json!({ "rules": new_rules }))
        .await["updateGuidelines"]
        .clone();
    assert_eq!(updated["version"], 2);
    assert_eq!(
        anonymous.data(GUIDELINES, json!({})).await["guidelines"]["version"],
        2
    );
    assert_eq!(
        anonymous.data(GUIDELINES, json!({ "v": 1 })).await["guidelines"]["rules"],
        rules["rules"]
    );
    assert!(anonymous.data(GUIDELINES, json!({ "v": 3 })).await["guidelines"].is_null());
    let fresh = author
        .client
        .data(POST, json!({ "c": "Drone video of the festival crowd" }))
        .await["createPost"]["postId"]
        .clone();
    assert_eq!(
        ben.client
            .error_code(
                FLAG,
                json!({ "t": "POST", "id": fresh, "rule": "OFF_TOPIC" })
            )
            .await,
        "VALIDATION",
        "a rule of version 1 only"
    );
    flag(&ben, "POST", &fresh, "NO_DRONES").await;
    system.stop().await;
}
