//! Browser access: preflights answered for origins some active application allows, real
//! requests checked against the calling application's own list, never `*`.

use partner_gateway::domain::applications;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

const PAGE: &str = "http://127.0.0.1:5173";
const SUSPENDED_PAGE: &str = "https://suspended.example.com";
const STRANGER: &str = "https://evil.example.com";

async fn app_with_origins() -> TestApp {
    let app = TestApp::spawn().await;
    app.seed().await;
    let now = partner_gateway::clock::Clock::now(app.clock.as_ref());
    applications::set_origins(&app.state.db, now, "demo-full-access", &[PAGE.to_owned()])
        .await
        .expect("origins");
    applications::set_origins(
        &app.state.db,
        now,
        "demo-suspended",
        &[SUSPENDED_PAGE.to_owned()],
    )
    .await
    .expect("origins of a suspended application");
    app
}

async fn preflight(app: &TestApp, path: &str, origin: &str, method: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type",
        )
        .send()
        .await
        .expect("preflight")
}

/// Whether the answer tells caches it varies by `Origin`.
fn varies_by_origin(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("Origin"))
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered_at_both_doors() {
    let app = app_with_origins().await;
    for (path, method, methods) in [
        ("/graphql", "POST", "GET, POST"),
        ("/api/partner/v1/sales", "GET", "GET"),
    ] {
        let response = preflight(&app, path, PAGE, method).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{path}");
        assert_eq!(header(&response, "access-control-allow-origin"), Some(PAGE));
        assert_eq!(
            header(&response, "access-control-allow-methods"),
            Some(methods)
        );
        let allowed = header(&response, "access-control-allow-headers").unwrap_or_default();
        assert!(allowed.contains("authorization") && allowed.contains("content-type"));
        assert_eq!(header(&response, "access-control-max-age"), Some("600"));
        assert!(varies_by_origin(&response), "{path}");
    }
}

#[tokio::test]
async fn a_preflight_from_any_other_origin_is_refused_without_cors_headers() {
    let app = app_with_origins().await;
    // Unknown, and listed only by a suspended application.
    for origin in [STRANGER, SUSPENDED_PAGE, "null"] {
        for path in ["/graphql", "/api/partner/v1/sales"] {
            let response = preflight(&app, path, origin, "GET").await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{origin} {path}");
            assert_eq!(header(&response, "access-control-allow-origin"), None);
            let body: Value = response.json().await.expect("json");
            let code = if path == "/graphql" {
                body["errors"][0]["extensions"]["code"].clone()
            } else {
                body["error"].clone()
            };
            assert_eq!(code, "access_denied", "{origin} {path}: {body}");
        }
    }
}

#[tokio::test]
async fn a_request_from_an_allowed_origin_reads_the_data_and_its_headers() {
    let app = app_with_origins().await;
    let token = app.token("demo-full-access", None).await;
    let rest = app
        .client
        .get(app.url("/api/partner/v1/sales?limit=2"))
        .bearer_auth(&token)
        .header("Origin", PAGE)
        .send()
        .await
        .expect("request");
    assert_eq!(rest.status(), StatusCode::OK);
    assert_eq!(header(&rest, "access-control-allow-origin"), Some(PAGE));
    let exposed = header(&rest, "access-control-expose-headers").unwrap_or_default();
    for name in [
        "x-request-id",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "retry-after",
        "www-authenticate",
    ] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
    let rest: Value = rest.json().await.expect("json");
    assert_eq!(rest["data"].as_array().expect("orders").len(), 2);

    let graphql = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("Origin", PAGE)
        .json(&serde_json::json!({ "query": "{ salesOrders(first: 2) { edges { node { orderNumber } } } }" }))
        .send()
        .await
        .expect("request");
    assert_eq!(graphql.status(), StatusCode::OK);
    assert_eq!(header(&graphql, "access-control-allow-origin"), Some(PAGE));
    let graphql: Value = graphql.json().await.expect("json");
    let edges = graphql["data"]["salesOrders"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(edges.len(), 2);
    for (i, edge) in edges.iter().enumerate() {
        assert_eq!(edge["node"]["orderNumber"], rest["data"][i]["order_number"]);
    }
}

#[tokio::test]
async fn another_applications_token_from_that_origin_is_refused_before_it_runs() {
    let app = app_with_origins().await;
    // demo-no-pii lists no origin: no browser access with its tokens.
    let token = app.token("demo-no-pii", None).await;
    let remaining = |response: &reqwest::Response| -> u64 {
        header(response, "x-ratelimit-remaining")
            .and_then(|v| v.parse().ok())
            .expect("x-ratelimit-remaining")
    };
    let before = remaining(&app.get_with("/api/partner/v1/sales?limit=1", &token).await);
    let response = app
        .client
        .get(app.url("/api/partner/v1/sales"))
        .bearer_auth(&token)
        .header("Origin", PAGE)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The page may read the refusal (its origin is allowed at all); the endpoint did not run,
    // but the request was counted like any other (sending an Origin is no way around the
    // quota).
    assert_eq!(header(&response, "access-control-allow-origin"), Some(PAGE));
    // Counted, so it says where the quota stands, like every counted answer.
    assert_eq!(remaining(&response), before - 1);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "access_denied");
    assert!(body.get("data").is_none());
    assert!(body["message"].as_str().unwrap_or_default().contains(PAGE));
    let after = remaining(&app.get_with("/api/partner/v1/sales?limit=1", &token).await);
    assert_eq!(after, before - 2, "the refused request was counted");

    let graphql = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("Origin", PAGE)
        .json(&serde_json::json!({ "query": "{ viewer { application } }" }))
        .send()
        .await
        .expect("request");
    assert_eq!(graphql.status(), StatusCode::FORBIDDEN);
    assert_eq!(remaining(&graphql), after - 1);
    let body: Value = graphql.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "access_denied");
    assert!(body.get("data").is_none() || body["data"].is_null());

    // A stranger's page with a valid token of an application that lists other origins.
    let full = app.token("demo-full-access", None).await;
    let response = app
        .client
        .get(app.url("/api/partner/v1/sales"))
        .bearer_auth(&full)
        .header("Origin", STRANGER)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&response, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn requests_without_origin_or_from_the_server_itself_are_untouched() {
    let app = app_with_origins().await;
    // demo-no-pii has no origins, yet server-side and same-origin (the playground) calls work.
    let token = app.token("demo-no-pii", None).await;
    let plain = app.get_with("/api/partner/v1/sales?limit=1", &token).await;
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(header(&plain, "access-control-allow-origin"), None);
    let own = app.url("");
    let same = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("Origin", own.trim_end_matches('/'))
        .json(&serde_json::json!({ "query": "{ viewer { application } }" }))
        .send()
        .await
        .expect("request");
    assert_eq!(same.status(), StatusCode::OK);
    assert_eq!(header(&same, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn the_browsers_own_word_on_same_origin_survives_a_proxy_that_rewrites_host() {
    let app = app_with_origins().await;
    let token = app.token("demo-no-pii", None).await;
    // Behind a proxy the server sees its internal Host; the browser still says same-origin.
    let proxied = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("Origin", "https://api.example.com")
        .header("Sec-Fetch-Site", "same-origin")
        .json(&serde_json::json!({ "query": "{ viewer { application } }" }))
        .send()
        .await
        .expect("request");
    assert_eq!(proxied.status(), StatusCode::OK);
    // And a browser saying cross-site is cross-origin even when Origin names the Host.
    let own = app.url("");
    let cross = app
        .client
        .get(app.url("/api/partner/v1/sales?limit=1"))
        .bearer_auth(&token)
        .header("Origin", own.trim_end_matches('/'))
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .expect("request");
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn answers_made_outside_the_endpoints_are_readable_and_every_answer_varies_by_origin() {
    let app = app_with_origins().await;
    let token = app.token("demo-full-access", None).await;
    // A body over the limit is refused before the GraphQL door reads it.
    let big = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("Origin", PAGE)
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .expect("request");
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(header(&big, "access-control-allow-origin"), Some(PAGE));
    // Vary: Origin without any Origin too, so caches keep the answers apart.
    let plain = app.get_with("/api/partner/v1/sales?limit=1", &token).await;
    assert!(varies_by_origin(&plain));
}

#[tokio::test]
async fn an_origin_added_while_the_server_runs_is_answered_soon_after() {
    let app = app_with_origins().await;
    let later = "https://later.example.com";
    let refused = preflight(&app, "/graphql", later, "POST").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    applications::set_origins(
        &app.state.db,
        partner_gateway::clock::Clock::now(app.clock.as_ref()),
        "demo-no-pii",
        &[later.to_owned()],
    )
    .await
    .expect("origins");
    // An unknown origin rereads the lists once a second at most.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let answered = preflight(&app, "/graphql", later, "POST").await;
    assert_eq!(answered.status(), StatusCode::NO_CONTENT);
}
