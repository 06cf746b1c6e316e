//! Posts, nested comments and reactions through the real services: stories with media and
//! tags, shares that point to the original, views counted once a day per person in Redis,
//! threads at any depth that keep a deleted comment's place, hiding by the post's author,
//! one reaction per person and target on posts, comments and itineraries, and who may do
//! what (authors, others, private authors, moderators, banned and anonymous callers).

use serde_json::{json, Value};
use uuid::Uuid;
use wayfarer_tests::{GraphqlClient, Roles, TestSystem};

use crate::people::{banned_by_an_admin, make_admin, person, set_privacy, Person};
use crate::support::create;

const CREATE: &str = "mutation($input: PostInput!, $k: UUID) { createPost(input: $input, idempotencyKey: $k) { postId position replayed } }";
const UPDATE: &str = "mutation($id: UUID!, $input: PostInput!) { updatePost(postId: $id, input: $input) { position } }";
const DELETE: &str = "mutation($id: UUID!) { deletePost(postId: $id) { position } }";
const SHARE: &str =
    "mutation($id: UUID!, $c: String) { sharePost(postId: $id, content: $c) { postId position } }";
const POST: &str = "query($id: UUID!, $p: Position) { post(id: $id, afterPosition: $p) { id authorId content hashtags placeId itineraryId location { name lat lon } media { url type caption } sharedPostId sharedPost { id content } totalComments totalShares totalViews reactions { total counts { reaction count } mine } } }";
const POSTS_BY: &str = "query($id: UUID!, $first: Int, $after: String, $p: Position) { postsBy(userId: $id, first: $first, after: $after, afterPosition: $p) { edges { cursor node { id } } pageInfo { hasNextPage } } }";
const COMMENT: &str = "mutation($post: UUID!, $input: CommentInput!) { addComment(postId: $post, input: $input) { commentId position } }";
const UPDATE_COMMENT: &str =
    "mutation($id: UUID!, $c: String!) { updateComment(commentId: $id, content: $c) { position } }";
const DELETE_COMMENT: &str = "mutation($id: UUID!) { deleteComment(commentId: $id) { position } }";
const HIDE: &str =
    "mutation($id: UUID!, $r: String) { hideComment(commentId: $id, reason: $r) { position } }";
const UNHIDE: &str = "mutation($id: UUID!) { unhideComment(commentId: $id) { position } }";
const THREAD: &str = "query($post: UUID!, $parent: UUID, $p: Position) { comments(postId: $post, parentCommentId: $parent, afterPosition: $p) { edges { node { id parentCommentId authorId content deleted hidden hiddenReason totalReplies reactions { total } replies { edges { node { id content replies { edges { node { id content } } } } } } } } } }";
const REACT: &str = "mutation($t: ReactionTarget!, $id: UUID!, $r: ReactionType!) { addReaction(targetType: $t, targetId: $id, reaction: $r) { position } }";
const UNREACT: &str = "mutation($t: ReactionTarget!, $id: UUID!) { removeReaction(targetType: $t, targetId: $id) { position } }";
const REACTIONS: &str = "query($t: ReactionTarget!, $id: UUID!, $p: Position) { reactions(targetType: $t, targetId: $id, afterPosition: $p) { total counts { reaction count } mine } }";

async fn post(client: &GraphqlClient, id: &Value, at: &Value) -> Value {
    client.data(POST, json!({ "id": id, "p": at })).await["post"].clone()
}

/// Waits until the model has each of `positions` (writes to different posts, comments or
/// reactions may be applied in any order).
async fn settled(client: &GraphqlClient, positions: &[&Value]) {
    for position in positions {
        client
            .data(POST, json!({ "id": Uuid::nil(), "p": position }))
            .await;
    }
}

async fn write(who: &Person, query: &str, variables: Value) -> Value {
    let data = who.client.data(query, variables).await;
    let field = data.as_object().unwrap().values().next().unwrap().clone();
    field
}

/// One level of a thread, as `who` sees it, once the model has `at`.
async fn thread(
    client: &GraphqlClient,
    post: &Value,
    parent: Option<&Value>,
    at: &Value,
) -> Vec<Value> {
    client
        .data(THREAD, json!({ "post": post, "parent": parent, "p": at }))
        .await["comments"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn posts_are_shared_commented_and_reacted_to_by_those_who_may_see_them() {
    let system = TestSystem::start("posts", Roles::all()).await.unwrap();
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let bea = person(&anonymous, "bea").await;
    let cem = person(&anonymous, "cem").await;
    let place = write(
        &ada,
        "mutation($input: CreatePlaceInput!) { createPlace(input: $input) { placeId } }",
        json!({ "input": { "name": "Miradouro de Santa Luzia", "category": "ATTRACTION", "lat": 38.7116, "lon": -9.1301 } }),
    )
    .await["placeId"]
        .clone();
    let (trip, trip_at) = create(&ada.client, "Lisbon in spring", "PUBLIC").await;
    ada.client
        .data(
            "query($id: UUID!, $p: Position) { itinerary(id: $id, after: $p) { id } }",
            json!({ "id": trip, "p": trip_at }),
        )
        .await;

    // A story with a photo, a place, the trip, a location and hashtags; a retry with its key
    // is the same post.
    let story = json!({
        "content": "Sunrise over #Lisbon from the #Miradouro",
        "media": [{ "url": "https://images.example.com/lisbon.jpg", "type": "PHOTO", "caption": "6 am" }],
        "placeId": place, "itineraryId": trip,
        "location": { "name": "Alfama", "lat": 38.7118, "lon": -9.1300 },
    });
    let key = Uuid::new_v4();
    let made = write(&ada, CREATE, json!({ "input": story, "k": key })).await;
    let again = write(&ada, CREATE, json!({ "input": story, "k": key })).await;
    assert_eq!(
        (again["postId"].clone(), again["replayed"].clone()),
        (made["postId"].clone(), json!(true))
    );
    let original = made["postId"].clone();
    let shown = post(&bea.client, &original, &made["position"]).await;
    assert_eq!(shown["content"], "Sunrise over #Lisbon from the #Miradouro");
    assert_eq!(shown["hashtags"], json!(["lisbon", "miradouro"]));
    assert_eq!(
        (shown["placeId"].clone(), shown["itineraryId"].clone()),
        (place.clone(), json!(trip))
    );
    assert_eq!(
        shown["location"],
        json!({ "name": "Alfama", "lat": 38.7118, "lon": -9.13 })
    );
    assert_eq!(
        shown["media"],
        json!([{ "url": "https://images.example.com/lisbon.jpg", "type": "PHOTO", "caption": "6 am" }])
    );
    assert_eq!(shown["authorId"].as_str(), Some(ada.id.as_str()));

    // Views: each signed-in reader once a day, never the author.
    assert_eq!(shown["totalViews"], 1);
    assert_eq!(
        post(&bea.client, &original, &Value::Null).await["totalViews"],
        1
    );
    assert_eq!(
        post(&cem.client, &original, &Value::Null).await["totalViews"],
        2
    );
    assert_eq!(
        post(&ada.client, &original, &Value::Null).await["totalViews"],
        2
    );

    // Checked input; tags must exist.
    for (bad, code) in [
        (json!({ "content": " " }), "VALIDATION"),
        (
            json!({ "content": "x", "media": [{ "url": "ftp://x.example.com/a.jpg", "type": "PHOTO" }] }),
            "VALIDATION",
        ),
        (
            json!({ "content": "x", "location": { "name": "Nowhere", "lat": 91.0, "lon": 0.0 } }),
            "VALIDATION",
        ),
        (json!({ "content": "bell\u{7}" }), "VALIDATION"),
        (
            json!({ "content": "x", "placeId": Uuid::new_v4() }),
            "NOT_FOUND",
        ),
        (
            json!({ "content": "x", "itineraryId": Uuid::new_v4() }),
            "NOT_FOUND",
        ),
    ] {
        assert_eq!(
            ada.client.error_code(CREATE, json!({ "input": bad })).await,
            code,
            "{bad}"
        );
    }
    assert_eq!(
        anonymous
            .error_code(CREATE, json!({ "input": story }))
            .await,
        "UNAUTHENTICATED"
    );

    // Only the author edits.
    assert_eq!(
        bea.client
            .error_code(
                UPDATE,
                json!({ "id": original, "input": { "content": "mine" } })
            )
            .await,
        "FORBIDDEN"
    );
    let at = write(
        &ada,
        UPDATE,
        json!({ "id": original, "input": { "content": "Sunrise over #Lisboa", "placeId": place } }),
    )
    .await["position"]
        .clone();
    let edited = post(&anonymous, &original, &at).await;
    assert_eq!(
        (edited["hashtags"].clone(), edited["media"].clone()),
        (json!(["lisboa"]), json!([]))
    );

    // Shares point to the original, also when sharing a share.
    let share = write(&bea, SHARE, json!({ "id": original, "c": "Go there!" })).await;
    let reshare = write(&cem, SHARE, json!({ "id": share["postId"] })).await;
    settled(&anonymous, &[&share["position"]]).await;
    let shown = post(&anonymous, &reshare["postId"], &reshare["position"]).await;
    assert_eq!(shown["sharedPostId"], original);
    assert_eq!(shown["sharedPost"]["content"], "Sunrise over #Lisboa");
    assert_eq!(
        post(&anonymous, &original, &reshare["position"]).await["totalShares"],
        2
    );
    assert_eq!(
        bea.client
            .error_code(
                UPDATE,
                json!({ "id": share["postId"], "input": { "content": "x", "placeId": place } })
            )
            .await,
        "VALIDATION",
        "a share carries a text only"
    );

    // A thread three deep.
    let top = write(
        &bea,
        COMMENT,
        json!({ "post": original, "input": { "content": "Which viewpoint?" } }),
    )
    .await;
    let reply = write(&cem, COMMENT, json!({ "post": original, "input": { "content": "Santa Luzia!", "parentCommentId": top["commentId"] } })).await;
    let deeper = write(&ada, COMMENT, json!({ "post": original, "input": { "content": "Yes, at 6 am.", "parentCommentId": reply["commentId"] } })).await;
    settled(&anonymous, &[&top["position"], &reply["position"]]).await;
    let level = thread(&anonymous, &original, None, &deeper["position"]).await;
    assert_eq!(level.len(), 1);
    assert_eq!(level[0]["content"], "Which viewpoint?");
    assert_eq!(level[0]["totalReplies"], 1);
    assert_eq!(
        level[0]["replies"]["edges"][0]["node"]["content"],
        "Santa Luzia!"
    );
    assert_eq!(
        level[0]["replies"]["edges"][0]["node"]["replies"]["edges"][0]["node"]["content"],
        "Yes, at 6 am."
    );
    assert_eq!(
        post(&anonymous, &original, &deeper["position"]).await["totalComments"],
        3
    );
    // A reply names a comment of the same post.
    assert_eq!(
        bea.client
            .error_code(COMMENT, json!({ "post": share["postId"], "input": { "content": "x", "parentCommentId": top["commentId"] } }))
            .await,
        "NOT_FOUND"
    );
    for bad in [" ", "nul\u{0}"] {
        assert_eq!(
            bea.client
                .error_code(
                    COMMENT,
                    json!({ "post": original, "input": { "content": bad } })
                )
                .await,
            "VALIDATION"
        );
    }
    assert_eq!(
        cem.client
            .error_code(
                UPDATE_COMMENT,
                json!({ "id": top["commentId"], "c": "edited" })
            )
            .await,
        "FORBIDDEN"
    );
    assert_eq!(
        cem.client
            .error_code(DELETE_COMMENT, json!({ "id": top["commentId"] }))
            .await,
        "FORBIDDEN"
    );
    write(
        &bea,
        UPDATE_COMMENT,
        json!({ "id": top["commentId"], "c": "Which miradouro?" }),
    )
    .await;

    // Deleted: the thread keeps its place, the replies stay.
    let at =
        write(&bea, DELETE_COMMENT, json!({ "id": top["commentId"] })).await["position"].clone();
    let level = thread(&anonymous, &original, None, &at).await;
    assert_eq!(
        (
            level[0]["deleted"].clone(),
            level[0]["content"].clone(),
            level[0]["authorId"].clone()
        ),
        (json!(true), Value::Null, Value::Null)
    );
    assert_eq!(
        level[0]["replies"]["edges"][0]["node"]["content"],
        "Santa Luzia!"
    );
    assert_eq!(post(&anonymous, &original, &at).await["totalComments"], 2);

    // Hidden by the post's author: gone for others, shown with the reason to its author.
    assert_eq!(
        bea.client
            .error_code(HIDE, json!({ "id": reply["commentId"] }))
            .await,
        "FORBIDDEN",
        "only the post's author or a moderator hides"
    );
    let at = write(
        &ada,
        HIDE,
        json!({ "id": reply["commentId"], "r": "Off topic" }),
    )
    .await["position"]
        .clone();
    assert!(thread(&bea.client, &original, Some(&top["commentId"]), &at)
        .await
        .is_empty());
    let own = thread(&cem.client, &original, Some(&top["commentId"]), &at).await;
    assert_eq!(
        (own[0]["hidden"].clone(), own[0]["hiddenReason"].clone()),
        (json!(true), json!("Off topic"))
    );
    assert_eq!(post(&anonymous, &original, &at).await["totalComments"], 1);
    assert_eq!(
        bea.client
            .error_code(
                REACT,
                json!({ "t": "COMMENT", "id": reply["commentId"], "r": "LIKE" })
            )
            .await,
        "NOT_FOUND"
    );
    let at = write(&ada, UNHIDE, json!({ "id": reply["commentId"] })).await["position"].clone();
    assert_eq!(
        thread(&bea.client, &original, Some(&top["commentId"]), &at)
            .await
            .len(),
        1
    );
    assert_eq!(post(&anonymous, &original, &at).await["totalComments"], 2);

    // Reactions: one per person and target, another type replaces it.
    write(
        &bea,
        REACT,
        json!({ "t": "POST", "id": original, "r": "LOVE" }),
    )
    .await;
    let liked = write(
        &cem,
        REACT,
        json!({ "t": "POST", "id": original, "r": "LIKE" }),
    )
    .await;
    settled(&anonymous, &[&liked["position"]]).await;
    let at = write(
        &bea,
        REACT,
        json!({ "t": "POST", "id": original, "r": "WOW" }),
    )
    .await["position"]
        .clone();
    let same = write(
        &bea,
        REACT,
        json!({ "t": "POST", "id": original, "r": "WOW" }),
    )
    .await;
    assert_eq!(same["position"], "0");
    let reactions = post(&bea.client, &original, &at).await["reactions"].clone();
    assert_eq!(
        reactions,
        json!({ "total": 2, "counts": [{ "reaction": "LIKE", "count": 1 }, { "reaction": "WOW", "count": 1 }], "mine": "WOW" })
    );
    let at = write(&cem, UNREACT, json!({ "t": "POST", "id": original })).await["position"].clone();
    assert_eq!(
        cem.client
            .error_code(UNREACT, json!({ "t": "POST", "id": original }))
            .await,
        "NOT_FOUND"
    );
    let summary = cem
        .client
        .data(REACTIONS, json!({ "t": "POST", "id": original, "p": at }))
        .await["reactions"]
        .clone();
    assert_eq!(
        summary,
        json!({ "total": 1, "counts": [{ "reaction": "WOW", "count": 1 }], "mine": null })
    );
    let at = write(
        &cem,
        REACT,
        json!({ "t": "COMMENT", "id": deeper["commentId"], "r": "HAHA" }),
    )
    .await["position"]
        .clone();
    let loved = write(
        &bea,
        REACT,
        json!({ "t": "ITINERARY", "id": trip, "r": "LOVE" }),
    )
    .await;
    settled(&anonymous, &[&loved["position"]]).await;
    let at_trip = write(
        &cem,
        REACT,
        json!({ "t": "ITINERARY", "id": trip, "r": "LOVE" }),
    )
    .await["position"]
        .clone();
    assert_eq!(
        anonymous
            .data(
                REACTIONS,
                json!({ "t": "COMMENT", "id": deeper["commentId"], "p": at })
            )
            .await["reactions"]["total"],
        1
    );
    assert_eq!(
        anonymous
            .data(
                REACTIONS,
                json!({ "t": "ITINERARY", "id": trip, "p": at_trip })
            )
            .await["reactions"]["counts"],
        json!([{ "reaction": "LOVE", "count": 2 }])
    );
    for target in ["POST", "COMMENT", "ITINERARY"] {
        assert_eq!(
            bea.client
                .error_code(
                    REACT,
                    json!({ "t": target, "id": Uuid::new_v4(), "r": "LIKE" })
                )
                .await,
            "NOT_FOUND",
            "{target}"
        );
    }
    assert_eq!(
        anonymous
            .error_code(REACT, json!({ "t": "POST", "id": original, "r": "LIKE" }))
            .await,
        "UNAUTHENTICATED"
    );

    // A private author's posts look missing to strangers, also to every mutation.
    let at = set_privacy(&cem, "PRIVATE").await;
    cem.client
        .data(
            "query($p: Position) { me(after: $p) { id } }",
            json!({ "p": at }),
        )
        .await;
    let secret = write(
        &cem,
        CREATE,
        json!({ "input": { "content": "Hidden beach" } }),
    )
    .await;
    assert_eq!(
        post(&cem.client, &secret["postId"], &secret["position"]).await["content"],
        "Hidden beach"
    );
    assert!(post(&bea.client, &secret["postId"], &Value::Null)
        .await
        .is_null());
    let by_cem = bea.client.data(POSTS_BY, json!({ "id": cem.id })).await["postsBy"].clone();
    assert_eq!(by_cem["edges"], json!([]));
    for (query, variables) in [
        (
            COMMENT,
            json!({ "post": secret["postId"], "input": { "content": "hi" } }),
        ),
        (
            REACT,
            json!({ "t": "POST", "id": secret["postId"], "r": "LIKE" }),
        ),
        (SHARE, json!({ "id": secret["postId"] })),
        (
            UPDATE,
            json!({ "id": secret["postId"], "input": { "content": "x" } }),
        ),
        (DELETE, json!({ "id": secret["postId"] })),
    ] {
        assert_eq!(
            bea.client.error_code(query, variables).await,
            "NOT_FOUND",
            "{query}"
        );
    }

    // postsBy: newest first, in pages.
    let mine = ada
        .client
        .data(POSTS_BY, json!({ "id": ada.id, "first": 1 }))
        .await["postsBy"]
        .clone();
    assert_eq!(mine["edges"][0]["node"]["id"], original);
    assert_eq!(mine["pageInfo"]["hasNextPage"], false);
    let by_bea =
        anonymous.data(POSTS_BY, json!({ "id": bea.id })).await["postsBy"]["edges"].clone();
    assert_eq!(by_bea[0]["node"]["id"], share["postId"]);

    // Deleting: not others; a moderator may. The shares then show no original.
    assert_eq!(
        bea.client
            .error_code(DELETE, json!({ "id": original }))
            .await,
        "FORBIDDEN"
    );
    let moderator = person(&anonymous, "mod").await;
    make_admin(&system, &moderator).await;
    let at = write(&moderator, DELETE, json!({ "id": original })).await["position"].clone();
    assert!(post(&ada.client, &original, &at).await.is_null());
    assert!(post(&anonymous, &share["postId"], &at).await["sharedPost"].is_null());
    assert_eq!(
        post(&anonymous, &share["postId"], &at).await["sharedPostId"],
        original
    );
    assert_eq!(
        bea.client
            .error_code(
                COMMENT,
                json!({ "post": original, "input": { "content": "late" } })
            )
            .await,
        "NOT_FOUND"
    );
    assert_eq!(
        ada.client
            .error_code(DELETE, json!({ "id": original }))
            .await,
        "NOT_FOUND"
    );

    // Banned people write nothing.
    banned_by_an_admin(&system, &anonymous, &bea).await;
    assert_eq!(
        bea.client
            .error_code(CREATE, json!({ "input": { "content": "spam" } }))
            .await,
        "FORBIDDEN"
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn authors_hear_of_comments_replies_reactions_and_shares() {
    let system = TestSystem::start("postnotices", Roles::all())
        .await
        .unwrap();
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let bea = person(&anonymous, "bea").await;
    let cem = person(&anonymous, "cem").await;
    let dan = person(&anonymous, "dan").await;
    let story = write(
        &ada,
        CREATE,
        json!({ "input": { "content": "Sunrise over #Lisbon\nmore text" } }),
    )
    .await;
    let top = write(
        &bea,
        COMMENT,
        json!({ "post": story["postId"], "input": { "content": "Where?" } }),
    )
    .await;
    let reply = write(&cem, COMMENT, json!({ "post": story["postId"], "input": { "content": "Alfama", "parentCommentId": top["commentId"] } })).await;
    let mut reacted = Vec::new();
    for who in [&bea, &cem, &dan] {
        reacted.push(
            write(
                who,
                REACT,
                json!({ "t": "POST", "id": story["postId"], "r": "LOVE" }),
            )
            .await["position"]
                .clone(),
        );
    }
    // Ada reacting to her own post, and Bea changing her reaction, are not news.
    write(
        &ada,
        REACT,
        json!({ "t": "POST", "id": story["postId"], "r": "LIKE" }),
    )
    .await;
    let changed = write(
        &bea,
        REACT,
        json!({ "t": "POST", "id": story["postId"], "r": "WOW" }),
    )
    .await["position"]
        .clone();
    let shared = write(&dan, SHARE, json!({ "id": story["postId"] })).await["position"].clone();
    let mut positions = vec![
        top["position"].clone(),
        reply["position"].clone(),
        changed,
        shared,
    ];
    positions.extend(reacted);

    let heard = |client: GraphqlClient| {
        let positions = positions.clone();
        async move {
            let mut found = Value::Null;
            for at in &positions {
                found = client
                    .data(
                        "query($p: Position) { notifications(first: 50, afterPosition: $p) { edges { node { kind message targetType targetId changes } } } }",
                        json!({ "p": at }),
                    )
                    .await["notifications"]["edges"]
                    .clone();
            }
            found
                .as_array()
                .unwrap()
                .iter()
                .map(|edge| edge["node"].clone())
                .collect::<Vec<Value>>()
        }
    };
    let to_ada = heard(ada.client.clone()).await;
    let messages: Vec<&str> = to_ada
        .iter()
        .map(|n| n["message"].as_str().unwrap())
        .collect();
    assert_eq!(to_ada.len(), 4, "{messages:?}");
    let kinds: Vec<&str> = to_ada.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["POST_SHARED", "REACTED", "POST_COMMENTED", "POST_COMMENTED"],
        "{messages:?}"
    );
    let folded = &to_ada[1];
    assert_eq!(folded["changes"], 3);
    assert!(
        folded["message"]
            .as_str()
            .unwrap()
            .contains("and 2 others reacted to your post “Sunrise over #Lisbon”"),
        "{folded}"
    );
    assert!(to_ada
        .iter()
        .all(|n| n["targetType"] == "POST" && n["targetId"] == story["postId"]));
    // Bea hears of Cem's reply to her comment.
    let to_bea = heard(bea.client.clone()).await;
    assert_eq!(to_bea.len(), 1);
    assert_eq!(to_bea[0]["kind"], "COMMENT_REPLIED");
    assert!(to_bea[0]["message"]
        .as_str()
        .unwrap()
        .ends_with("replied to your comment on a post “Sunrise over #Lisbon”"));
    system.stop().await;
}
