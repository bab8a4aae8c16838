//! `POST /oauth/token` and the token attacks of the partner API.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Duration;
use partner_gateway::auth::jwt::{Grant, JwtKeys};
use partner_gateway::config::{JwtConfig, Secret};
use partner_gateway::domain::scopes::ScopeSet;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TEST_JWT_SECRET, TestApp};

async fn error_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.expect("json error body"))
}

#[tokio::test]
async fn token_by_form_json_and_basic() {
    let app = TestApp::spawn().await;
    app.seed().await;

    let form = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-no-pii"),
            ("client_secret", "pgs_demo_no_pii_secret"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(form.status(), StatusCode::OK);
    assert_eq!(form.headers()["cache-control"], "no-store");
    let body: Value = form.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(!body["scope"].as_str().expect("scope").contains("pii"));

    let json_body = app
        .client
        .post(app.url("/oauth/token"))
        .json(&json!({
            "grant_type": "client_credentials",
            "client_id": "demo-full-access",
            "client_secret": "pgs_demo_full_access_secret",
            "scope": "read:sales read:customers",
        }))
        .send()
        .await
        .expect("request");
    assert_eq!(json_body.status(), StatusCode::OK);
    let body: Value = json_body.json().await.expect("json");
    assert_eq!(body["scope"], "read:sales read:customers");

    // A JSON body with a misplaced value names it; one that is not JSON names the body.
    for (body, field) in [
        (r#"{"grant_type":"client_credentials","scope":5}"#, "scope"),
        (r#"{"grant_type":"client_credentials","#, "body"),
        (r#"["client_credentials"]"#, "body"),
    ] {
        let refused = app
            .client
            .post(app.url("/oauth/token"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{body}");
        let answer: Value = refused.json().await.expect("json");
        assert_eq!(answer["error"], "invalid_request", "{body}");
        assert_eq!(answer["details"][0]["field"], field, "{body}: {answer}");
    }

    let basic = app
        .client
        .post(app.url("/oauth/token"))
        .header(
            "authorization",
            format!(
                "Basic {}",
                STANDARD.encode("demo-full-access:pgs_demo_full_access_secret")
            ),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("request");
    assert_eq!(basic.status(), StatusCode::OK);
}

#[tokio::test]
async fn token_errors_follow_the_catalogue() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let post = |form: Vec<(&'static str, &'static str)>| {
        app.client.post(app.url("/oauth/token")).form(&form).send()
    };

    let (status, body) = error_of(
        post(vec![
            ("grant_type", "client_credentials"),
            ("client_id", "demo-full-access"),
            ("client_secret", "wrong"),
        ])
        .await
        .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"error": "invalid_client", "message": "Invalid client_id or client_secret"})
    );

    let (status, body) = error_of(
        post(vec![
            ("grant_type", "client_credentials"),
            ("client_id", "demo-suspended"),
            ("client_secret", "pgs_demo_suspended_secret"),
        ])
        .await
        .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "API application is suspended or revoked");

    let (status, body) = error_of(
        post(vec![("grant_type", "password")])
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");

    let (status, body) = error_of(post(vec![("client_id", "x")]).await.expect("request")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["details"][0]["field"], "grant_type");

    // JSON without its content type: the seed's message, and details that say what to fix
    // (read as a form, it would only have said that grant_type is missing).
    let (status, body) = error_of(
        app.client
            .post(app.url("/oauth/token"))
            .body(r#" {"grant_type": "client_credentials", "client_id": "demo-full-access"}"#)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["message"], "Query parameter validation failed");
    assert_eq!(body["details"][0]["field"], "content-type", "{body}");
    assert!(
        body["details"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Content-Type: application/json")),
        "{body}"
    );

    for scope in ["read:everything", "read:customers:pii"] {
        let (status, body) = error_of(
            post(vec![
                ("grant_type", "client_credentials"),
                ("client_id", "demo-no-pii"),
                ("client_secret", "pgs_demo_no_pii_secret"),
                ("scope", scope),
            ])
            .await
            .expect("request"),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{scope}");
        assert_eq!(body["error"], "invalid_scope", "{scope}");
    }
}

fn keys(secret: &str, audience: &str) -> JwtKeys {
    JwtKeys::new(&JwtConfig {
        secret: Secret::new(secret),
        issuer: "partner-gateway".into(),
        audience: audience.into(),
        ttl: std::time::Duration::from_secs(3600),
    })
}

#[tokio::test]
async fn token_attacks_get_the_documented_answers() {
    let app = TestApp::spawn().await;
    let summary = app.seed().await;
    let full =
        partner_gateway::domain::applications::find_by_client_id(&app.state.db, "demo-full-access")
            .await
            .expect("query")
            .expect("app");
    let grant = Grant {
        application_id: full.id,
        tenant_id: summary.tenant_id,
        scopes: ScopeSet::all(),
        branches: None,
        generation: full.token_generation,
    };
    let now = partner_gateway::clock::Clock::now(app.clock.as_ref());
    let check = |token: String, status: StatusCode, error: &'static str, message: &'static str| {
        let app = &app;
        async move {
            let response = app.get_with("/api/partner/v1/sales", &token).await;
            let challenge = response.headers().get("www-authenticate").cloned();
            let (got, body) = error_of(response).await;
            assert_eq!(got, status, "{body}");
            assert_eq!(body["error"], error);
            assert_eq!(body["message"], message);
            if status == StatusCode::UNAUTHORIZED {
                assert!(challenge.is_some(), "401 without WWW-Authenticate");
            }
        }
    };

    // Missing.
    let (status, body) = error_of(app.get("/api/partner/v1/sales").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "Access token is required");

    // Wrong signature, wrong audience, alg none, garbage.
    let forged = keys("another-secret-0123456789-abcdefghijkl", "partner-api")
        .issue(&grant, now)
        .expect("sign")
        .access_token;
    check(
        forged,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "Access token is malformed or invalid",
    )
    .await;
    let wrong_audience = keys(TEST_JWT_SECRET, "someone-else")
        .issue(&grant, now)
        .expect("sign")
        .access_token;
    check(
        wrong_audience,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "Access token is malformed or invalid",
    )
    .await;
    let valid = app.state.jwt.issue(&grant, now).expect("sign").access_token;
    let payload = valid.split('.').nth(1).expect("payload");
    let none = format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
    );
    check(
        none,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "Access token is malformed or invalid",
    )
    .await;
    check(
        "not.a.jwt".into(),
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "Access token is malformed or invalid",
    )
    .await;

    // FREE plan.
    let free = app.token("demo-free-plan", None).await;
    check(
        free,
        StatusCode::FORBIDDEN,
        "access_denied",
        "API access is not available on your current subscription plan.",
    )
    .await;

    // Suspended after the token was issued: refused on the next request.
    let token = app.token("demo-no-pii", None).await;
    assert_eq!(
        app.get_with("/api/partner/v1/sales", &token).await.status(),
        StatusCode::OK
    );
    partner_gateway::domain::applications::set_status(
        &app.state.db,
        now,
        "demo-no-pii",
        partner_gateway::entities::enums::AppStatus::Suspended,
    )
    .await
    .expect("suspend");
    check(
        token,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "API application is suspended or revoked",
    )
    .await;

    // Expired.
    app.clock.advance(Duration::hours(2));
    check(
        valid,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "Access token has expired",
    )
    .await;
}

#[tokio::test]
async fn checks_run_in_the_documented_order() {
    let app = TestApp::spawn().await;
    app.seed().await;
    // No read:sales and an invalid query: the scope failure wins over validation.
    let token = app.token("demo-full-access", Some("read:customers")).await;
    let (status, body) =
        error_of(app.get_with("/api/partner/v1/sales?limit=0", &token).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "insufficient_scope");
    assert_eq!(body["required_scopes"], json!(["read:sales"]));
    // The plan check wins over the scope check.
    let free = app.token("demo-free-plan", None).await;
    let (status, body) = error_of(
        app.get_with("/api/partner/v1/customers?limit=0", &free)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "access_denied");
}

#[tokio::test]
async fn rate_limit_counts_per_application_and_answers_429() {
    let app =
        TestApp::spawn_with(crate::helpers::fixed_now(), |args| args.rate_limit_pro = 3).await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = app
            .get_with("/api/partner/v1/customers?limit=1", &token)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["x-ratelimit-limit"], "3");
        remaining.push(
            response.headers()["x-ratelimit-remaining"]
                .to_str()
                .expect("ascii")
                .to_owned(),
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let response = app
        .get_with("/api/partner/v1/customers?limit=1", &token)
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry_after >= 1);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"error": "rate_limited", "message": "Rate limit exceeded. Max 3 requests per 15 minutes."})
    );
    // Another application has its own budget.
    let other = app.token("demo-no-pii", None).await;
    assert_eq!(
        app.get_with("/api/partner/v1/customers?limit=1", &other)
            .await
            .status(),
        StatusCode::OK
    );
}
