//! The pages for people: the landing page, the playground page and its embedded bundle, and
//! the example operations, each of which must run against demo data without an error.

use partner_gateway::clock::Timestamp;
use partner_gateway::web::operations;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::graphql::query_with;
use crate::helpers::{TestApp, fixed_now};

/// The example operations' variables, `$TODAY` being the server's date.
fn variables(op: &operations::Operation, today: &str) -> Value {
    op.variables
        .map(|v| serde_json::from_str(&v.replace("$TODAY", today)).expect("variables JSON"))
        .unwrap_or(json!({}))
}

#[tokio::test]
async fn every_example_operation_runs_against_demo_data() {
    // Late in the (Bangkok) business day, so today's sales are under way.
    let evening = Timestamp::from_millis(fixed_now().millis() + 10 * 3_600_000).expect("in range");
    let app = TestApp::spawn_at(evening).await;
    app.seed().await;
    let full = app.token("demo-full-access", None).await;
    let today = evening.to_string()[..10].to_owned();
    assert_eq!(today, "2026-06-15");
    let all = operations::all();
    assert!(all.len() >= 12);
    for op in &all {
        let body = query_with(&app, &full, op.document, variables(op, &today)).await;
        assert!(
            body.get("errors").is_none(),
            "{}: {}",
            op.name,
            body.to_string().chars().take(400).collect::<String>()
        );
        let data = body["data"].as_object().expect("data");
        assert!(!data.is_empty(), "{}", op.name);
        for (field, value) in data {
            assert!(!value.is_null(), "{}: {field} is null", op.name);
            // Connections bring rows from the database.
            if let Some(edges) = value.get("edges") {
                assert!(
                    !edges.as_array().expect("edges").is_empty(),
                    "{}: {field} has no rows",
                    op.name
                );
            }
        }
    }

    // The card with PII, run with a token without the PII scope, still answers: the PII
    // fields are null and each says which scope it needs.
    let no_pii = app.token("demo-no-pii", None).await;
    let card = all
        .iter()
        .find(|op| op.name == "04-customer-card-with-pii")
        .expect("the PII card");
    let body = query_with(&app, &no_pii, card.document, json!({})).await;
    let node = &body["data"]["customers"]["edges"][0]["node"];
    assert!(node["name"].is_string());
    assert_eq!(node["phone"], Value::Null);
    let errors = body["errors"].as_array().expect("errors");
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|e| {
        e["extensions"]["code"] == "insufficient_scope"
            && e["extensions"]["required_scopes"] == json!(["read:customers:pii"])
    }));
}

#[tokio::test]
async fn the_landing_page_leads_everywhere() {
    let app = TestApp::spawn().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    assert!(
        headers["content-security-policy"]
            .to_str()
            .expect("ascii")
            .contains("default-src 'self'")
    );
    let html = response.text().await.expect("text");
    for link in [
        "href=\"/playground\"",
        "href=\"/api/partner/v1/openapi.json\"",
        "href=\"/healthz\"",
        "href=\"#quick-start\"",
    ] {
        assert!(html.contains(link), "{link}");
    }
    // The quick start is the README's own.
    assert!(html.contains("cargo run --release"));
    assert!(html.contains("cargo test"));
    // Every link on the page works.
    for path in [
        "/playground",
        "/api/partner/v1/openapi.json",
        "/healthz",
        "/readyz",
    ] {
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "{path}");
    }
}

/// The JSON configuration the playground page carries.
fn page_config(html: &str) -> Value {
    let start = html
        .find("id=\"playground-config\">")
        .expect("config script")
        + "id=\"playground-config\">".len();
    let end = start + html[start..].find("</script>").expect("end of script");
    serde_json::from_str(&html[start..end]).expect("config JSON")
}

#[tokio::test]
async fn the_playground_page_is_self_contained() {
    let app = TestApp::spawn().await;
    let response = app.get("/playground").await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    let html = response.text().await.expect("text");

    // Every resource the page names is on this server, and is served.
    let mut resources = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (i, _) in html.match_indices(attribute) {
            let rest = &html[i + attribute.len()..];
            resources.push(rest[..rest.find('"').expect("closing quote")].to_owned());
        }
    }
    assert!(resources.len() >= 2, "{resources:?}");
    for resource in &resources {
        if resource.starts_with("data:") {
            continue;
        }
        assert!(
            resource.starts_with('/') && !resource.starts_with("//"),
            "{resource} is not on this server"
        );
        let response = app.get(resource).await;
        assert_eq!(response.status(), StatusCode::OK, "{resource}");
    }
    for worker in ["editor.worker.js", "json.worker.js", "graphql.worker.js"] {
        let response = app.get(&format!("/playground/assets/{worker}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with("text/javascript")
        );
    }
    assert_eq!(
        app.get("/playground/assets/nope.js").await.status(),
        StatusCode::NOT_FOUND
    );

    // Outside demo mode the page carries no token and no credentials; the operations are
    // there as tabs.
    let config = page_config(&html);
    assert_eq!(config["demo"], false);
    assert_eq!(config["token"], Value::Null);
    assert_eq!(config["demoClientSecret"], Value::Null);
    let tabs = config["operations"].as_array().expect("operations");
    assert_eq!(tabs.len(), operations::all().len());
    assert!(
        tabs[0]["query"]
            .as_str()
            .expect("query")
            .contains("salesOrders")
    );
}

#[tokio::test]
async fn in_demo_mode_the_playground_comes_with_a_working_token() {
    let app = TestApp::spawn_with(fixed_now(), |args| args.mode.jwt_secret = None).await;
    app.seed().await;
    let html = app.get("/playground").await.text().await.expect("text");
    let config = page_config(&html);
    assert_eq!(config["demo"], true);
    assert_eq!(config["demoClientId"], "demo-full-access");
    let token = config["token"].as_str().expect("a demo token");
    let body = query_with(&app, token, "{ viewer { application scopes } }", json!({})).await;
    let scopes = body["data"]["viewer"]["scopes"].as_array().expect("scopes");
    assert!(scopes.contains(&json!("read:customers:pii")));
}

#[tokio::test]
async fn the_bundle_is_sent_compressed_to_browsers_that_accept_it() {
    let app = TestApp::spawn().await;
    let plain = app
        .get("/playground/assets/playground.js")
        .await
        .bytes()
        .await
        .expect("body");
    let response = app
        .client
        .get(app.url("/playground/assets/playground.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let compressed = response.bytes().await.expect("body");
    assert!(
        compressed.len() * 2 < plain.len(),
        "{} of {} bytes",
        compressed.len(),
        plain.len()
    );
}
