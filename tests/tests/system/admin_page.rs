//! The `/admin` page in headless Chromium (Debian's `chromium` and `chromium-driver`, which
//! `services.sh up` installs): a plain user is turned away, an admin signs in, sees every
//! projection's standing and rebuilds one with its button.

use std::process::Stdio;
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;
use wayfarer_tests::{Roles, TestSystem};

use crate::people::{make_admin, person, Person};

/// A chromedriver of its own on a free port, killed with the test.
async fn chromedriver() -> (tokio::process::Child, String) {
    let driver =
        std::env::var("WAYFARER_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new(&driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|error| {
            panic!("{driver} does not start ({error}): run infra/scripts/services.sh up")
        });
    let url = format!("http://127.0.0.1:{port}");
    TestSystem::eventually(
        Duration::from_secs(20),
        "chromedriver to listen",
        || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
        },
    )
    .await;
    (child, url)
}

async fn browser(driver: &str) -> fantoccini::Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        }),
    );
    ClientBuilder::native()
        .capabilities(capabilities)
        .connect(driver)
        .await
        .expect("a headless Chromium session")
}

async fn sign_in(page: &fantoccini::Client, who: &Person) {
    for (field, value) in [
        ("#email", who.email.as_str()),
        ("#password", "correct horse battery"),
    ] {
        let input = page.find(Locator::Css(field)).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }
    page.find(Locator::Css("#sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The element's text; empty while it is missing or being replaced (the page redraws its
/// table every two seconds, which makes a found row stale).
async fn text_of(page: &fantoccini::Client, css: &str) -> String {
    match page.find(Locator::Css(css)).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_admin_rebuilds_a_projection_from_the_admin_page() {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec!["users", "itinerary_pg"],
    };
    let system = TestSystem::start("adminpage", roles).await.unwrap();
    let anonymous = system.graphql();
    let admin = person(&anonymous, "admin").await;
    let someone = person(&anonymous, "someone").await;
    make_admin(&system, &admin).await;
    let (_driver, driver_url) = chromedriver().await;
    let page = browser(&driver_url).await;
    let url = format!("{}/admin", system.api_url.as_deref().unwrap());
    page.goto(&url).await.unwrap();

    // Someone who is not an admin is turned away, and sees no projection.
    sign_in(&page, &someone).await;
    TestSystem::eventually(Duration::from_secs(20), "the refusal", || async {
        text_of(&page, "#error").await.contains("Only admins")
    })
    .await;
    let shown = |css: &'static str| {
        let page = page.clone();
        async move {
            page.find(Locator::Css(css))
                .await
                .unwrap()
                .is_displayed()
                .await
                .unwrap()
        }
    };
    assert!(shown("#login").await, "the sign-in form stays");
    assert!(!shown("#projections").await, "no projection is shown");

    // The admin sees every projection's standing.
    sign_in(&page, &admin).await;
    let row = "tr[data-projection='itinerary_pg']";
    TestSystem::eventually(Duration::from_secs(20), "the projections table", || async {
        page.find(Locator::Css(row)).await.is_ok()
    })
    .await;
    for name in [
        "users",
        "users_search",
        "itinerary_pg",
        "itinerary_search",
        "itinerary_cache",
    ] {
        page.find(Locator::Css(&format!("tr[data-projection='{name}']")))
            .await
            .unwrap_or_else(|_| panic!("a row for {name}"));
    }
    assert_eq!(text_of(&page, &format!("{row} td.state")).await, "live");

    // Its rebuild button rebuilds it; the page follows it back to live.
    let button = format!("{row} button.rebuild");
    TestSystem::eventually(Duration::from_secs(20), "a click on Rebuild", || async {
        match page.find(Locator::Css(&button)).await {
            Ok(element) => element.click().await.is_ok(),
            Err(_) => false,
        }
    })
    .await;
    TestSystem::eventually(Duration::from_secs(60), "the rebuild", || async {
        let rebuilt: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
            "SELECT rebuilt_at FROM projection_state WHERE projection = 'itinerary_pg'",
        )
        .fetch_optional(&system.pool)
        .await
        .unwrap()
        .flatten();
        rebuilt.is_some()
    })
    .await;
    TestSystem::eventually(
        Duration::from_secs(20),
        "the page to show it live",
        || async { text_of(&page, &format!("{row} td.state")).await == "live" },
    )
    .await;
    page.close().await.unwrap();
    system.stop().await;
}
