//! Reviews of places through the real services: one per person and place, the place's
//! average, count and histogram kept by the projection through updates and deletions,
//! `reviewsForPlace` by date, rating and relevance in cursor pages, media and helpful marks,
//! and who may do what (authors, others, hidden authors, banned and anonymous callers).

use serde_json::{json, Value};
use uuid::Uuid;
use wayfarer_tests::{GraphqlClient, Roles, TestSystem};

use crate::people::{banned_by_an_admin, person, set_privacy, Person};

const CREATE_PLACE: &str =
    "mutation($input: CreatePlaceInput!) { createPlace(input: $input) { placeId position } }";
const CREATE: &str = "mutation($input: CreateReviewInput!, $k: UUID) { createReview(input: $input, idempotencyKey: $k) { reviewId position replayed } }";
const UPDATE: &str = "mutation($id: UUID!, $input: UpdateReviewInput!) { updateReview(reviewId: $id, input: $input) { position } }";
const DELETE: &str = "mutation($id: UUID!) { deleteReview(reviewId: $id) { position } }";
const ADD_MEDIA: &str = "mutation($id: UUID!, $input: ReviewMediaInput!) { addReviewMedia(reviewId: $id, input: $input) { mediaId position } }";
const REMOVE_MEDIA: &str = "mutation($id: UUID!, $m: UUID!) { removeReviewMedia(reviewId: $id, mediaId: $m) { position } }";
const HELPFUL: &str =
    "mutation($id: UUID!) { markReviewHelpful(reviewId: $id) { position replayed } }";
const REVIEW: &str = "query($id: UUID!, $p: Position) { review(id: $id, afterPosition: $p) { id placeId authorId rating content helpfulCount markedHelpfulByMe media { id url type caption } author { id } } }";
const FOR_PLACE: &str = "query($id: UUID!, $s: ReviewSort, $q: String, $first: Int, $after: String, $p: Position) { reviewsForPlace(placeId: $id, sort: $s, query: $q, first: $first, after: $after, afterPosition: $p) { edges { cursor node { id rating helpfulCount } } pageInfo { hasNextPage } } }";
const RATING: &str = "query($id: UUID!, $p: Position) { place(id: $id, afterPosition: $p) { rating { average count histogram { stars count } } } }";

async fn review(who: &Person, place: &Value, rating: i32, content: &str) -> (Value, Value) {
    let made = who
        .client
        .data(
            CREATE,
            json!({ "input": { "placeId": place, "rating": rating, "content": content } }),
        )
        .await["createReview"]
        .clone();
    (made["reviewId"].clone(), made["position"].clone())
}

/// The place's (average, count, [1★ … 5★]) once the model has `position`.
async fn rating_of(
    client: &GraphqlClient,
    place: &Value,
    position: &Value,
) -> (Value, i64, Vec<i64>) {
    let rating = client
        .data(RATING, json!({ "id": place, "p": position }))
        .await["place"]["rating"]
        .clone();
    let histogram = rating["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(n, bar)| {
            assert_eq!(bar["stars"], n as i64 + 1);
            bar["count"].as_i64().unwrap()
        })
        .collect();
    (
        rating["average"].clone(),
        rating["count"].as_i64().unwrap(),
        histogram,
    )
}

/// Every review of the place in `sort`, following cursors `page` at a time.
async fn all_pages(
    client: &GraphqlClient,
    place: &Value,
    sort: &str,
    query: Option<&str>,
    page: i32,
) -> Vec<Value> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let found = client
            .data(
                FOR_PLACE,
                json!({ "id": place, "s": sort, "q": query, "first": page, "after": after }),
            )
            .await["reviewsForPlace"]
            .clone();
        for edge in found["edges"].as_array().unwrap() {
            ids.push(edge["node"]["id"].clone());
            after = Some(edge["cursor"].as_str().unwrap().to_owned());
        }
        if found["pageInfo"]["hasNextPage"] != true {
            return ids;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reviews_rate_a_place_once_per_person_and_read_in_three_orders() {
    let system = TestSystem::start("reviews", Roles::all()).await.unwrap();
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let bea = person(&anonymous, "bea").await;
    let cem = person(&anonymous, "cem").await;
    let dan = person(&anonymous, "dan").await;
    let place = ada
        .client
        .data(
            CREATE_PLACE,
            json!({ "input": { "name": "Du Pain et des Idées", "category": "CAFE", "lat": 48.87155, "lon": 2.36251 } }),
        )
        .await["createPlace"]
        .clone();
    let place_id = place["placeId"].clone();
    let (none_average, none_count, none_bars) =
        rating_of(&anonymous, &place_id, &place["position"]).await;
    assert_eq!(
        (none_average, none_count, none_bars),
        (Value::Null, 0, vec![0; 5])
    );

    // One review each; a second by the same person is a conflict, and a retried request
    // with its key is the first one again.
    let key = Uuid::new_v4();
    let input = json!({ "placeId": place_id, "rating": 5, "content": "Wonderful croissants,\nand the coffee too." });
    let first = ada
        .client
        .data(CREATE, json!({ "input": input, "k": key }))
        .await["createReview"]
        .clone();
    let again = ada
        .client
        .data(CREATE, json!({ "input": input, "k": key }))
        .await["createReview"]
        .clone();
    assert_eq!(
        (first["reviewId"].clone(), again["replayed"].clone()),
        (again["reviewId"].clone(), json!(true))
    );
    assert_eq!(
        ada.client
            .error_code(CREATE, json!({ "input": input, "k": Uuid::new_v4() }))
            .await,
        "CONFLICT"
    );
    let ada_review = first["reviewId"].clone();
    let (bea_review, bea_at) = review(
        &bea,
        &place_id,
        3,
        "The coffee was fine, the croissants stale.",
    )
    .await;
    let (cem_review, at) = review(&cem, &place_id, 1, "Rude service, long queue.").await;
    // Read-your-writes follows one review: each is waited for.
    settled(&anonymous, &[&first["position"], &bea_at]).await;
    let shown = bea
        .client
        .data(REVIEW, json!({ "id": ada_review, "p": at }))
        .await["review"]
        .clone();
    assert_eq!(shown["rating"], 5);
    assert_eq!(
        shown["content"],
        "Wonderful croissants,\nand the coffee too."
    );
    assert_eq!(shown["authorId"].as_str(), Some(ada.id.as_str()));
    assert_eq!(shown["author"]["id"].as_str(), Some(ada.id.as_str()));
    assert_eq!(shown["markedHelpfulByMe"], false);
    assert!(
        anonymous.data(REVIEW, json!({ "id": ada_review })).await["review"]["markedHelpfulByMe"]
            .is_null()
    );
    let (average, count, bars) = rating_of(&anonymous, &place_id, &at).await;
    assert_eq!((average, count, bars), (json!(3.0), 3, vec![1, 0, 1, 0, 1]));

    // Re-rated: the histogram moves the review from 5 to 4 stars.
    let at = ada
        .client
        .data(UPDATE, json!({ "id": ada_review, "input": { "rating": 4, "content": "Wonderful croissants." } }))
        .await["updateReview"]["position"]
        .clone();
    let (average, count, bars) = rating_of(&anonymous, &place_id, &at).await;
    assert_eq!(
        (average.as_f64().unwrap() * 3.0, count, bars),
        (8.0, 3, vec![1, 0, 1, 1, 0])
    );

    // Helpful marks: others, once each; never the author.
    bea.client.data(HELPFUL, json!({ "id": ada_review })).await;
    // The last mark of each review, to read after.
    let marked_at = cem.client.data(HELPFUL, json!({ "id": ada_review })).await
        ["markReviewHelpful"]["position"]
        .clone();
    let twice =
        bea.client.data(HELPFUL, json!({ "id": ada_review })).await["markReviewHelpful"].clone();
    let at = dan.client.data(HELPFUL, json!({ "id": cem_review })).await["markReviewHelpful"]
        ["position"]
        .clone();
    assert_eq!(
        twice["position"], "0",
        "a second mark adds nothing: {twice}"
    );
    assert_eq!(
        ada.client
            .error_code(HELPFUL, json!({ "id": ada_review }))
            .await,
        "FORBIDDEN"
    );
    bea.client
        .data(REVIEW, json!({ "id": cem_review, "p": at }))
        .await;
    let marked = bea
        .client
        .data(REVIEW, json!({ "id": ada_review, "p": marked_at }))
        .await["review"]
        .clone();
    assert_eq!(
        (
            marked["helpfulCount"].clone(),
            marked["markedHelpfulByMe"].clone()
        ),
        (json!(2), json!(true))
    );

    // The three orders, each the same list in pages of one as in one page.
    let expected = [
        ("DATE", None, vec![&cem_review, &bea_review, &ada_review]),
        ("RATING", None, vec![&ada_review, &bea_review, &cem_review]),
        // Two marks, then one: helpfulness outweighs minutes of age.
        (
            "RELEVANCE",
            None,
            vec![&ada_review, &cem_review, &bea_review],
        ),
        // Only the reviews that match the text, in either order.
        (
            "RELEVANCE",
            Some("croissants"),
            vec![&ada_review, &bea_review],
        ),
        ("DATE", Some("croissants"), vec![&bea_review, &ada_review]),
        ("RATING", Some("stale croissants"), vec![&bea_review]),
    ];
    for (sort, query, order) in expected {
        let order: Vec<Value> = order.into_iter().cloned().collect();
        assert_eq!(
            all_pages(&anonymous, &place_id, sort, query, 100).await,
            order,
            "{sort} {query:?}"
        );
        assert_eq!(
            all_pages(&anonymous, &place_id, sort, query, 1).await,
            order,
            "{sort} {query:?} in ones"
        );
    }
    let date_page = anonymous
        .data(
            FOR_PLACE,
            json!({ "id": place_id, "s": "DATE", "first": 1 }),
        )
        .await;
    let date_cursor = &date_page["reviewsForPlace"]["edges"][0]["cursor"];
    for bad in [
        json!({ "id": place_id, "s": "RATING", "after": date_cursor }),
        json!({ "id": place_id, "after": "bm9uc2Vuc2U" }),
        json!({ "id": place_id, "first": 0 }),
        json!({ "id": place_id, "s": "RELEVANCE", "q": "x\u{0}" }),
    ] {
        assert_eq!(
            anonymous.error_code(FOR_PLACE, bad.clone()).await,
            "VALIDATION",
            "{bad}"
        );
    }

    // Media: the author adds and removes photos and videos by URL.
    let photo = ada
        .client
        .data(ADD_MEDIA, json!({ "id": ada_review, "input": { "url": "https://img.example.com/croissant.jpg", "type": "PHOTO", "caption": "Still warm" } }))
        .await["addReviewMedia"]
        .clone();
    let video = ada
        .client
        .data(ADD_MEDIA, json!({ "id": ada_review, "input": { "url": "https://video.example.com/queue.mp4", "type": "VIDEO" } }))
        .await["addReviewMedia"]
        .clone();
    let media = anonymous
        .data(REVIEW, json!({ "id": ada_review, "p": video["position"] }))
        .await["review"]["media"]
        .clone();
    assert_eq!(
        media,
        json!([
            { "id": photo["mediaId"], "url": "https://img.example.com/croissant.jpg", "type": "PHOTO", "caption": "Still warm" },
            { "id": video["mediaId"], "url": "https://video.example.com/queue.mp4", "type": "VIDEO", "caption": null },
        ])
    );
    let at = ada
        .client
        .data(
            REMOVE_MEDIA,
            json!({ "id": ada_review, "m": photo["mediaId"] }),
        )
        .await["removeReviewMedia"]["position"]
        .clone();
    let media = anonymous
        .data(REVIEW, json!({ "id": ada_review, "p": at }))
        .await["review"]["media"]
        .clone();
    assert_eq!(media.as_array().unwrap().len(), 1);
    assert_eq!(media[0]["id"], video["mediaId"]);
    for bad in [
        json!({ "url": "ftp://files.example.com/a.jpg", "type": "PHOTO" }),
        json!({ "url": "https://", "type": "PHOTO" }),
        json!({ "url": format!("https://example.com/{}", "a".repeat(2048)), "type": "PHOTO" }),
        json!({ "url": "https://example.com/a.jpg", "type": "PHOTO", "caption": "two\nlines" }),
    ] {
        assert_eq!(
            ada.client
                .error_code(ADD_MEDIA, json!({ "id": ada_review, "input": bad }))
                .await,
            "VALIDATION",
            "{bad}"
        );
    }
    assert_eq!(
        ada.client
            .error_code(
                REMOVE_MEDIA,
                json!({ "id": ada_review, "m": photo["mediaId"] })
            )
            .await,
        "NOT_FOUND"
    );

    // Only the author changes a review.
    let photo_input = json!({ "url": "https://img.example.com/x.jpg", "type": "PHOTO" });
    for (query, variables) in [
        (
            UPDATE,
            json!({ "id": ada_review, "input": { "rating": 1, "content": "Awful" } }),
        ),
        (DELETE, json!({ "id": ada_review })),
        (ADD_MEDIA, json!({ "id": ada_review, "input": photo_input })),
        (
            REMOVE_MEDIA,
            json!({ "id": ada_review, "m": video["mediaId"] }),
        ),
    ] {
        assert_eq!(
            bea.client.error_code(query, variables.clone()).await,
            "FORBIDDEN",
            "{query}"
        );
        assert_eq!(
            anonymous.error_code(query, variables).await,
            "UNAUTHENTICATED",
            "{query}"
        );
    }

    // Checked input; nothing is stored.
    let events_before = review_events(&system).await;
    for (rating, content) in [
        (0, "ok"),
        (6, "ok"),
        (3, " "),
        (3, "nul\u{0}"),
        (3, &"x".repeat(5001)[..]),
    ] {
        assert_eq!(
            dan.client
                .error_code(CREATE, json!({ "input": { "placeId": place_id, "rating": rating, "content": content } }))
                .await,
            "VALIDATION",
            "{rating} {content:.20}"
        );
    }
    assert_eq!(
        dan.client
            .error_code(
                CREATE,
                json!({ "input": { "placeId": Uuid::new_v4(), "rating": 4, "content": "Nowhere" } })
            )
            .await,
        "NOT_FOUND"
    );
    assert_eq!(
        ada.client
            .error_code(UPDATE, json!({ "id": ada_review, "input": { "rating": 4, "content": "Wonderful croissants." } }))
            .await,
        "VALIDATION",
        "an update that changes nothing"
    );
    for (query, variables) in [
        (
            UPDATE,
            json!({ "id": Uuid::new_v4(), "input": { "rating": 2, "content": "?" } }),
        ),
        (HELPFUL, json!({ "id": Uuid::new_v4() })),
    ] {
        assert_eq!(
            dan.client.error_code(query, variables).await,
            "NOT_FOUND",
            "{query}"
        );
    }
    assert_eq!(review_events(&system).await, events_before);

    // Deleted: gone from reads and from the figures; the place can be reviewed again.
    let at = cem.client.data(DELETE, json!({ "id": cem_review })).await["deleteReview"]["position"]
        .clone();
    assert!(anonymous
        .data(REVIEW, json!({ "id": cem_review, "p": at }))
        .await["review"]
        .is_null());
    assert_eq!(
        all_pages(&anonymous, &place_id, "DATE", None, 10).await,
        vec![bea_review.clone(), ada_review.clone()]
    );
    let (_, count, bars) = rating_of(&anonymous, &place_id, &at).await;
    assert_eq!((count, bars), (2, vec![0, 0, 1, 1, 0]));
    assert_eq!(
        cem.client
            .error_code(DELETE, json!({ "id": cem_review }))
            .await,
        "NOT_FOUND"
    );
    let (again, at) = review(&cem, &place_id, 2, "Better on a second visit.").await;
    assert_eq!(again, cem_review, "the same review id, written anew");
    let rewritten = anonymous
        .data(REVIEW, json!({ "id": again, "p": at }))
        .await["review"]
        .clone();
    assert_eq!(
        (
            rewritten["rating"].clone(),
            rewritten["helpfulCount"].clone()
        ),
        (json!(2), json!(0))
    );
    let (_, count, bars) = rating_of(&anonymous, &place_id, &at).await;
    assert_eq!((count, bars), (3, vec![0, 1, 1, 1, 0]));

    // A private author's review counts in the figures but looks missing to others.
    let at = set_privacy(&dan, "PRIVATE").await;
    dan.client
        .data(
            "query($p: Position) { me(after: $p) { id } }",
            json!({ "p": at }),
        )
        .await;
    let (dan_review, at) = review(&dan, &place_id, 5, "Best bakery in town.").await;
    assert_eq!(
        dan.client
            .data(REVIEW, json!({ "id": dan_review, "p": at }))
            .await["review"]["rating"],
        5
    );
    assert!(bea.client.data(REVIEW, json!({ "id": dan_review })).await["review"].is_null());
    assert!(!all_pages(&bea.client, &place_id, "DATE", None, 10)
        .await
        .contains(&dan_review));
    for (query, variables) in [
        (HELPFUL, json!({ "id": dan_review })),
        (
            UPDATE,
            json!({ "id": dan_review, "input": { "rating": 1, "content": "x" } }),
        ),
        (DELETE, json!({ "id": dan_review })),
    ] {
        assert_eq!(
            bea.client.error_code(query, variables).await,
            "NOT_FOUND",
            "{query}"
        );
    }
    let (_, count, _) = rating_of(&anonymous, &place_id, &at).await;
    assert_eq!(count, 4);

    // Banned people write nothing.
    banned_by_an_admin(&system, &anonymous, &bea).await;
    assert_eq!(
        bea.client
            .error_code(
                UPDATE,
                json!({ "id": bea_review, "input": { "rating": 2, "content": "Meh" } })
            )
            .await,
        "FORBIDDEN"
    );
    system.stop().await;
}

/// Waits until the model has each of `positions` (writes to different reviews may be applied
/// in any order).
async fn settled(client: &GraphqlClient, positions: &[&Value]) {
    for position in positions {
        client
            .data(REVIEW, json!({ "id": Uuid::nil(), "p": position }))
            .await;
    }
}

async fn review_events(system: &TestSystem) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'review'")
        .fetch_one(&system.pool)
        .await
        .unwrap()
}
