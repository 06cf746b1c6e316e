//! The activity feed through the real services, with both ways an activity reaches a feed:
//! the fan-out limit is one follower, so Cem (followed by Ada alone) is fanned out on write
//! into Ada's Redis feed and Bea (followed by Ada and Eve) is read from PostgreSQL.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{json, Value};
use wayfarer_tests::system::isolated_settings;
use wayfarer_tests::{GraphqlClient, Roles, TestSystem};

use crate::people::{banned_by_an_admin, person, Person};
use crate::support::create;

const FOLLOW: &str = "mutation($id: UUID!) { followUser(userId: $id) { position } }";
const UNFOLLOW: &str = "mutation($id: UUID!) { unfollowUser(userId: $id) { position } }";
const POST: &str =
    "mutation($c: String!) { createPost(input: { content: $c }) { postId position } }";
const FEED: &str = "query($first: Int, $after: String, $p: Position) { feed(first: $first, after: $after, afterPosition: $p) { edges { cursor node { id kind actorId post { id content } review { id rating } itinerary { id } } } pageInfo { hasNextPage } } }";
const ACTIVITY: &str = "query($id: UUID!, $p: Position) { userActivity(userId: $id, afterPosition: $p) { edges { node { kind post { content } } } } }";

/// What the feed shows, as (kind, actor, subject) in order, following every cursor.
async fn feed_of(client: &GraphqlClient, page: i32, at: &Value) -> Vec<(String, String, String)> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let found = client
            .data(FEED, json!({ "first": page, "after": after, "p": at }))
            .await["feed"]
            .clone();
        for edge in found["edges"].as_array().unwrap() {
            let node = &edge["node"];
            let subject = [
                &node["post"]["id"],
                &node["review"]["id"],
                &node["itinerary"]["id"],
            ]
            .into_iter()
            .find(|id| !id.is_null())
            .and_then(|id| id.as_str())
            .unwrap()
            .to_owned();
            seen.push((
                node["kind"].as_str().unwrap().to_owned(),
                node["actorId"].as_str().unwrap().to_owned(),
                subject,
            ));
            after = Some(edge["cursor"].as_str().unwrap().to_owned());
        }
        if found["pageInfo"]["hasNextPage"] != true {
            return seen;
        }
    }
}

async fn post(who: &Person, content: &str) -> (String, Value) {
    let made = who.client.data(POST, json!({ "c": content })).await["createPost"].clone();
    (
        made["postId"].as_str().unwrap().to_owned(),
        made["position"].clone(),
    )
}

fn item(kind: &str, who: &Person, subject: &str) -> (String, String, String) {
    (kind.to_owned(), who.id.clone(), subject.to_owned())
}

/// Waits until the feed model has each of `positions`.
async fn settled(client: &GraphqlClient, positions: &[&Value]) {
    for position in positions {
        client
            .data(FEED, json!({ "first": 1, "p": position }))
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_feed_holds_what_followed_people_did_newest_first_as_far_as_it_may_be_seen() {
    let mut settings = isolated_settings("feed");
    settings.api.feed_fan_out_limit = 1;
    let system = TestSystem::start_with(settings, Roles::all())
        .await
        .unwrap();
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let bea = person(&anonymous, "bea").await;
    let cem = person(&anonymous, "cem").await;
    let dan = person(&anonymous, "dan").await;
    let eve = person(&anonymous, "eve").await;
    let mut follows = Vec::new();
    for (who, whom) in [(&ada, &bea), (&ada, &cem), (&eve, &bea)] {
        follows.push(
            who.client.data(FOLLOW, json!({ "id": whom.id })).await["followUser"]["position"]
                .clone(),
        );
    }
    settled(&ada.client, &follows.iter().collect::<Vec<_>>()).await;

    // Bea posts, Cem reviews a place, Dan (not followed) posts, Bea posts again, Cem plans a
    // public trip and a private one.
    let (first, p1) = post(&bea, "Day one in #Porto").await;
    let place = cem
        .client
        .data(
            "mutation { createPlace(input: { name: \"Livraria Lello\", category: SHOP, lat: 41.1469, lon: -8.6148 }) { placeId } }",
            json!({}),
        )
        .await["createPlace"]["placeId"]
        .clone();
    let reviewed = cem
        .client
        .data(
            "mutation($p: UUID!) { createReview(input: { placeId: $p, rating: 4, content: \"Crowded but lovely\" }) { reviewId position } }",
            json!({ "p": place }),
        )
        .await["createReview"]
        .clone();
    let review = reviewed["reviewId"].as_str().unwrap().to_owned();
    let (unseen, p3) = post(&dan, "Nobody follows me").await;
    let (second, p4) = post(&bea, "Day two").await;
    let (trip, p5) = create(&cem.client, "Douro valley", "PUBLIC").await;
    let (_secret_trip, p6) = create(&cem.client, "Surprise", "PRIVATE").await;
    let positions = [
        p1,
        reviewed["position"].clone(),
        p3,
        p4,
        json!(p5),
        json!(p6),
    ];
    settled(&ada.client, &positions.iter().collect::<Vec<_>>()).await;

    let expected = vec![
        item("ITINERARY_CREATED", &cem, &trip),
        item("POST", &bea, &second),
        item("REVIEW", &cem, &review),
        item("POST", &bea, &first),
    ];
    assert_eq!(feed_of(&ada.client, 100, &Value::Null).await, expected);
    assert_eq!(
        feed_of(&ada.client, 1, &Value::Null).await,
        expected,
        "in pages of one"
    );
    assert!(!feed_of(&ada.client, 100, &Value::Null)
        .await
        .iter()
        .any(|(_, _, subject)| *subject == unseen));
    // Eve follows Bea only; Dan follows nobody.
    assert_eq!(
        feed_of(&eve.client, 100, &Value::Null).await,
        vec![item("POST", &bea, &second), item("POST", &bea, &first)]
    );
    assert!(feed_of(&dan.client, 100, &Value::Null).await.is_empty());
    assert_eq!(
        anonymous.error_code(FEED, json!({})).await,
        "UNAUTHENTICATED"
    );
    // A profile's activity: anyone may read it.
    let bea_activity =
        anonymous.data(ACTIVITY, json!({ "id": bea.id })).await["userActivity"]["edges"].clone();
    assert_eq!(
        bea_activity,
        json!([{ "node": { "kind": "POST", "post": { "content": "Day two" } } }, { "node": { "kind": "POST", "post": { "content": "Day one in #Porto" } } }])
    );

    // Live: Ada hears Cem (fanned out on write) and Bea (fanned out on read) as they post.
    // The server subscribes after the acknowledgement, so the first posts may come early.
    let mut hears = ada
        .client
        .subscribe(
            "subscription { feedUpdated { activityId kind actorId subjectId } }",
            json!({}),
        )
        .await;
    for author in [&cem, &bea] {
        let mut heard = None;
        for n in 0..5 {
            let (made, _) = post(author, &format!("Live {n}")).await;
            if let Ok(Some(message)) =
                tokio::time::timeout(Duration::from_secs(5), hears.next()).await
            {
                heard = Some((made, message));
                break;
            }
        }
        let (made, message) = heard.expect("Ada hears the new post");
        let update = &message["data"]["feedUpdated"];
        assert_eq!(update["actorId"].as_str(), Some(author.id.as_str()));
        assert_eq!(
            (update["kind"].as_str(), update["subjectId"].as_str()),
            (Some("POST"), Some(made.as_str()))
        );
    }

    // A deleted post leaves every feed.
    let gone = bea
        .client
        .data(
            "mutation($id: UUID!) { deletePost(postId: $id) { position } }",
            json!({ "id": second }),
        )
        .await["deletePost"]["position"]
        .clone();
    for reader in [&ada, &eve] {
        assert!(!feed_of(&reader.client, 100, &gone)
            .await
            .iter()
            .any(|(_, _, subject)| *subject == second));
    }

    // A rebuild of the feed gives the same feed.
    let live = feed_of(&ada.client, 100, &Value::Null).await;
    system.rebuild(wayfarer_projections::feed::NAME).await;
    assert_eq!(feed_of(&ada.client, 100, &Value::Null).await, live);
    assert_eq!(
        feed_of(&ada.client, 3, &Value::Null).await,
        live,
        "in pages of three"
    );

    // Unfollowing Cem takes Cem's items out of Ada's later pages.
    let at = ada.client.data(UNFOLLOW, json!({ "id": cem.id })).await["unfollowUser"]["position"]
        .clone();
    let after_unfollow = feed_of(&ada.client, 100, &at).await;
    assert!(!after_unfollow.is_empty());
    assert!(
        after_unfollow.iter().all(|(_, actor, _)| *actor == bea.id),
        "{after_unfollow:?}"
    );

    // A banned author's items leave every feed.
    banned_by_an_admin(&system, &anonymous, &bea).await;
    assert!(feed_of(&ada.client, 100, &Value::Null).await.is_empty());
    assert!(feed_of(&eve.client, 100, &Value::Null).await.is_empty());
    // Their profile's activity looks like that of someone who never did anything.
    let hidden = ada
        .client
        .data(
            "query($id: UUID!) { userActivity(userId: $id, first: 1) { edges { node { id } } pageInfo { hasNextPage } } }",
            json!({ "id": bea.id }),
        )
        .await["userActivity"]
        .clone();
    assert_eq!(
        hidden,
        json!({ "edges": [], "pageInfo": { "hasNextPage": false } })
    );
    system.stop().await;
}
