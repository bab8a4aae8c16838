//! The Push Integration API's keys, key guard, envelopes and request log (seed 003 §1, §3, §8).

use std::time::Duration;

use partner_gateway::demo::DEMO_API_KEY;
use partner_gateway::entities::{api_key_requests, api_keys};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;

const INTEGRATION: &str = "/api/v1/integration/v1";

fn operator_token(app: &TestApp) -> String {
    use partner_gateway::clock::Clock;
    app.state
        .operator
        .issue("tests", 600, app.clock.now())
        .expect("operator token")
}

/// Creates a key over HTTP; the answer's `data`.
async fn create_key(app: &TestApp, body: Value) -> Value {
    let response = app
        .client
        .post(app.url("/api/v1/api-keys"))
        .bearer_auth(operator_token(app))
        .json(&body)
        .send()
        .await
        .expect("create key");
    assert_eq!(response.status(), StatusCode::CREATED);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["status"], "success");
    answer["data"].clone()
}

async fn key_for(app: &TestApp, tenant: Uuid, extra: Value) -> String {
    let mut body = json!({ "name": "Test key", "scopes": ["read", "write"], "tenantId": tenant });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    create_key(app, body).await["rawKey"]
        .as_str()
        .expect("rawKey")
        .to_owned()
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut request = app
        .client
        .request(method, app.url(&format!("{INTEGRATION}{path}")));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// An error envelope: its code and message, with the request id the header carries.
fn assert_envelope(headers: &reqwest::header::HeaderMap, body: &Value, code: &str, message: &str) {
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["message"], message, "{body}");
    assert_eq!(
        body["requestId"].as_str(),
        headers["x-request-id"].to_str().ok(),
        "{body}"
    );
}

/// The guard's refusal shape: `{statusCode, message, error, retryAfter?, requestId}`.
fn assert_guard_body(
    headers: &reqwest::header::HeaderMap,
    body: &Value,
    status: u16,
    message: &str,
) {
    assert_eq!(body["statusCode"], status, "{body}");
    assert_eq!(body["message"], message, "{body}");
    assert!(body["error"].is_string(), "{body}");
    assert_eq!(
        body["requestId"].as_str(),
        headers["x-request-id"].to_str().ok(),
        "{body}"
    );
    assert!(body.get("status").is_none(), "{body}");
}

#[tokio::test]
async fn operators_create_list_and_revoke_keys_and_the_raw_key_is_shown_once() {
    let app = TestApp::spawn().await;
    let seeded = app.seed().await;

    // Without an operator token, or with a partner access token: 401 in the envelope.
    let anonymous = app
        .client
        .get(app.url("/api/v1/api-keys"))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let headers = anonymous.headers().clone();
    let body: Value = anonymous.json().await.expect("json");
    assert_envelope(
        &headers,
        &body,
        "UNAUTHORIZED",
        "Operator token is required",
    );
    let partner = app.token("demo-full-access", None).await;
    let refused = app
        .client
        .get(app.url("/api/v1/api-keys"))
        .bearer_auth(&partner)
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    let created = create_key(
        &app,
        json!({
            "name": "ERP Integration",
            "scopes": ["read", "write"],
            "tenantId": seeded.tenant_id,
            "expiresAt": "2027-01-01T00:00:00.000Z",
            "ipWhitelist": ["203.0.113.5", "198.51.100.0/24"],
            "rateLimitPerMinute": 120,
        }),
    )
    .await;
    let raw = created["rawKey"].as_str().expect("raw key").to_owned();
    assert!(raw.starts_with("wms_") && raw.len() >= 4 + 32, "{raw}");
    assert!(
        raw[4..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
    assert_eq!(created["scopes"], json!(["read", "write"]));
    assert_eq!(
        created["ipWhitelist"],
        json!(["198.51.100.0/24", "203.0.113.5"])
    );
    assert_eq!(created["expiresAt"], "2027-01-01T00:00:00.000Z");
    assert_eq!(created["rateLimitPerMinute"], 120);
    let id = created["id"].as_str().expect("id").to_owned();

    // A name with a control character (a NUL, which PostgreSQL refuses) is a 400, not a 500.
    let refused = app
        .client
        .post(app.url("/api/v1/api-keys"))
        .bearer_auth(operator_token(&app))
        .json(&json!({"name": "ERP\u{0}", "scopes": ["read"], "tenantId": seeded.tenant_id}))
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    // Stored as a hash: no column of any key holds the raw text.
    let rows = api_keys::Entity::find()
        .all(&app.state.db)
        .await
        .expect("keys");
    let stored = rows
        .iter()
        .find(|k| k.id.to_string() == id)
        .expect("stored");
    assert_ne!(stored.key_hash, raw);
    assert!(
        !format!("{rows:?}").contains(&raw[4..]),
        "the raw key is stored"
    );

    // Listed without the raw key.
    let list = app
        .client
        .get(app.url(&format!("/api/v1/api-keys?tenantId={}", seeded.tenant_id)))
        .bearer_auth(operator_token(&app))
        .send()
        .await
        .expect("list");
    assert_eq!(list.status(), StatusCode::OK);
    let listed: Value = list.json().await.expect("json");
    let keys = listed["data"].as_array().expect("keys");
    assert!(keys.iter().any(|k| k["id"] == id.as_str()));
    assert!(keys.iter().all(|k| k.get("rawKey").is_none()));
    assert!(!listed.to_string().contains(&raw));

    // Validation: each problem names its field.
    for (body, field) in [
        (
            json!({"name": "x", "scopes": ["delete"], "tenantId": seeded.tenant_id}),
            "scopes",
        ),
        (
            json!({"name": "x", "scopes": [], "tenantId": seeded.tenant_id}),
            "scopes",
        ),
        (
            json!({"name": " ", "scopes": ["read"], "tenantId": seeded.tenant_id}),
            "name",
        ),
        (
            json!({"name": "x", "scopes": ["read"], "tenantId": Uuid::nil()}),
            "tenantId",
        ),
        (
            json!({"name": "x", "scopes": ["read"], "tenantId": seeded.tenant_id, "ipWhitelist": ["10.0.0.0/33"]}),
            "ipWhitelist",
        ),
        (
            json!({"name": "x", "scopes": ["read"], "tenantId": seeded.tenant_id, "expiresAt": "2020-01-01T00:00:00.000Z"}),
            "expiresAt",
        ),
        (
            json!({"name": "x", "scopes": "read", "tenantId": seeded.tenant_id}),
            "scopes",
        ),
        (
            json!({"name": "x", "scopes": ["read"], "tenantId": seeded.tenant_id, "colour": 1}),
            "colour",
        ),
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/api-keys"))
            .bearer_auth(operator_token(&app))
            .json(&body)
            .send()
            .await
            .expect("create");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let answer: Value = response.json().await.expect("json");
        assert_eq!(answer["code"], "VALIDATION_FAILED", "{answer}");
        assert_eq!(answer["message"], "Validation failed", "{answer}");
        assert_eq!(answer["details"][0]["field"], field, "{body}: {answer}");
    }

    // The key works until revoked; then it is refused, and revoking again is harmless.
    let (status, _, _) = call(&app, Method::GET, "/nothing-here", &[("x-api-key", &raw)]).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "its allow-list does not hold 127.0.0.1"
    );
    for _ in 0..2 {
        let revoked = app
            .client
            .delete(app.url(&format!("/api/v1/api-keys/{id}")))
            .bearer_auth(operator_token(&app))
            .send()
            .await
            .expect("revoke");
        assert_eq!(revoked.status(), StatusCode::OK);
        let body: Value = revoked.json().await.expect("json");
        assert!(body["data"]["revokedAt"].is_string());
    }
    let (status, headers, body) =
        call(&app, Method::GET, "/nothing-here", &[("x-api-key", &raw)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_envelope(
        &headers,
        &body,
        "UNAUTHORIZED",
        "Invalid, revoked, or expired API key",
    );
    let missing = app
        .client
        .delete(app.url(&format!("/api/v1/api-keys/{}", Uuid::nil())))
        .bearer_auth(operator_token(&app))
        .send()
        .await
        .expect("revoke");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // An id that is not even UTF-8 is not found either, in the envelope.
    for path in [
        "/api/v1/api-keys/%FF",
        "/api/v1/webhook-subscriptions/%C3%28",
    ] {
        let missing = app
            .client
            .delete(app.url(path))
            .bearer_auth(operator_token(&app))
            .send()
            .await
            .expect("delete");
        let status = missing.status();
        let headers = missing.headers().clone();
        let body: Value = missing.json().await.unwrap_or(Value::Null);
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(body["code"], "NOT_FOUND", "{path}: {body}");
        assert!(
            headers
                .get("content-type")
                .is_some_and(|v| v.as_bytes().starts_with(b"application/json")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_guard_checks_the_key_then_address_origin_rate_and_scope_in_that_order() {
    let app = TestApp::spawn().await;
    let seeded = app.seed().await;
    let tenant = seeded.tenant_id;

    // No key; a key in the other header form; an unknown key; an expired one.
    let (status, headers, body) = call(&app, Method::GET, "/nothing-here", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_envelope(&headers, &body, "UNAUTHORIZED", "Missing API key");
    let (status, _, _) = call(
        &app,
        Method::GET,
        "/nothing-here",
        &[("authorization", &format!("ApiKey {DEMO_API_KEY}"))],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the ApiKey form is a key too"
    );
    let (status, headers, body) = call(
        &app,
        Method::GET,
        "/nothing-here",
        &[("x-api-key", "wms_not-a-key-of-this-gateway-0000000000000")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_envelope(
        &headers,
        &body,
        "UNAUTHORIZED",
        "Invalid, revoked, or expired API key",
    );
    let expiring = key_for(
        &app,
        tenant,
        json!({ "expiresAt": "2026-06-15T04:00:00.000Z" }),
    )
    .await;
    let (status, _, _) = call(&app, Method::GET, "/x", &[("x-api-key", &expiring)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "usable before it expires");
    app.clock.advance(chrono::Duration::seconds(3600));
    let (status, _, _) = call(&app, Method::GET, "/x", &[("x-api-key", &expiring)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "refused once expired");
    app.clock.set(crate::helpers::fixed_now());

    // The address before the origin, the rate limit and the scope: a read-only key with a
    // foreign allow-list, sent a write from a foreign origin, is refused for its address.
    let fenced = key_for(
        &app,
        tenant,
        json!({
            "scopes": ["read"],
            "ipWhitelist": ["203.0.113.0/24"],
            "allowedOrigins": ["https://erp.example.com"],
            "rateLimitPerMinute": 1,
        }),
    )
    .await;
    let (status, headers, body) = call(
        &app,
        Method::POST,
        "/items",
        &[("x-api-key", &fenced), ("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_guard_body(
        &headers,
        &body,
        403,
        "Client IP \"127.0.0.1\" is not in this API key's whitelist.",
    );

    // The origin before the rate limit and the scope.
    let open = key_for(
        &app,
        tenant,
        json!({
            "scopes": ["read"],
            "allowedOrigins": ["https://erp.example.com"],
            "rateLimitPerMinute": 1,
        }),
    )
    .await;
    let (status, headers, body) = call(
        &app,
        Method::POST,
        "/items",
        &[("x-api-key", &open), ("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_guard_body(
        &headers,
        &body,
        403,
        "Origin \"https://evil.example\" is not allowed for this API key.",
    );
    assert!(headers.get("access-control-allow-origin").is_none());
    // A listed origin passes the origin check (and is echoed for the browser); the scope then
    // refuses the write; the rate limit counted it.
    let (status, headers, body) = call(
        &app,
        Method::POST,
        "/items",
        &[("x-api-key", &open), ("origin", "https://erp.example.com")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_envelope(
        &headers,
        &body,
        "UNAUTHORIZED",
        "API key missing required scope(s)",
    );
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://erp.example.com"
    );
    assert_eq!(headers["x-ratelimit-limit"], "1");
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    // The rate limit before the scope: the next write is 429, not 401.
    let (status, headers, body) = call(&app, Method::POST, "/items", &[("x-api-key", &open)]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_guard_body(
        &headers,
        &body,
        429,
        &format!("Rate limit exceeded for API key (1 req/min). Retry in {retry}s."),
    );
    assert_eq!(body["retryAfter"], retry);
    assert_eq!(body["error"], "Too Many Requests");
    assert_eq!(headers["x-ratelimit-limit"], "1");
    assert_eq!(headers["x-ratelimit-remaining"], "0");

    // Scopes: read allows GET only; admin passes every check.
    let reader = key_for(&app, tenant, json!({ "scopes": ["read"] })).await;
    let (status, _, _) = call(&app, Method::GET, "/x", &[("x-api-key", &reader)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let admin = key_for(&app, tenant, json!({ "scopes": ["admin"] })).await;
    let (status, headers, body) = call(&app, Method::POST, "/x", &[("x-api-key", &admin)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_envelope(&headers, &body, "NOT_FOUND", "Resource not found");
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_a_trusted_proxy() {
    let app = TestApp::spawn_with(crate::helpers::fixed_now(), |args| {
        args.trusted_proxies = "127.0.0.0/8".into();
    })
    .await;
    let seeded = app.seed().await;
    let key = key_for(
        &app,
        seeded.tenant_id,
        json!({ "ipWhitelist": ["203.0.113.0/24"] }),
    )
    .await;
    let refused_as = |body: &Value, address: &str| {
        assert_eq!(
            body["message"],
            format!("Client IP \"{address}\" is not in this API key's whitelist."),
            "{body}"
        );
    };
    for (forwarded, allowed, seen) in [
        // The address the (trusted) proxies saw.
        ("203.0.113.9", true, ""),
        ("203.0.113.9, 127.0.0.5", true, ""),
        ("198.51.100.7", false, "198.51.100.7"),
        // A client's forged entry before the one its proxy appended is not believed.
        ("203.0.113.9, 198.51.100.7", false, "198.51.100.7"),
        // Something that names no address is no address: refused, not the proxy's.
        ("203.0.113.9:443", false, "unknown"),
    ] {
        let (status, _, body) = call(
            &app,
            Method::GET,
            "/x",
            &[("x-api-key", &key), ("x-forwarded-for", forwarded)],
        )
        .await;
        if allowed {
            assert_eq!(status, StatusCode::NOT_FOUND, "{forwarded}: {body}");
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "{forwarded}");
            refused_as(&body, seen);
        }
    }

    // Without trusted proxies the header is the client's word, and ignored.
    let plain = TestApp::spawn().await;
    let seeded = plain.seed().await;
    let key = key_for(
        &plain,
        seeded.tenant_id,
        json!({ "ipWhitelist": ["203.0.113.0/24"] }),
    )
    .await;
    let (status, _, body) = call(
        &plain,
        Method::GET,
        "/x",
        &[("x-api-key", &key), ("x-forwarded-for", "203.0.113.9")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    refused_as(&body, "127.0.0.1");
}

#[tokio::test]
async fn preflights_are_answered_for_origins_some_usable_key_allows() {
    let app = TestApp::spawn().await;
    let seeded = app.seed().await;
    key_for(
        &app,
        seeded.tenant_id,
        json!({ "allowedOrigins": ["https://shop.example.com"] }),
    )
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url(&format!("{INTEGRATION}/items")))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "x-api-key, content-type, idempotency-key",
            )
            .send()
    };
    let allowed = preflight("https://shop.example.com")
        .await
        .expect("preflight");
    assert_eq!(allowed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://shop.example.com"
    );
    let allow_headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .expect("ascii");
    for needed in ["x-api-key", "idempotency-key", "content-type"] {
        assert!(allow_headers.contains(needed), "{allow_headers}");
    }
    let refused = preflight("https://evil.example").await.expect("preflight");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let headers = refused.headers().clone();
    let body: Value = refused.json().await.expect("json");
    assert_guard_body(
        &headers,
        &body,
        403,
        "Origin \"https://evil.example\" is not allowed for any API key.",
    );
}

#[tokio::test]
async fn the_rate_limit_is_a_sliding_minute_with_its_headers_on_every_answer() {
    let app = TestApp::spawn().await;
    let seeded = app.seed().await;
    let key = key_for(&app, seeded.tenant_id, json!({ "rateLimitPerMinute": 3 })).await;
    for remaining in ["2", "1", "0"] {
        let (status, headers, _) = call(&app, Method::GET, "/x", &[("x-api-key", &key)]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers["x-ratelimit-limit"], "3");
        assert_eq!(headers["x-ratelimit-remaining"], remaining);
        app.clock.advance(chrono::Duration::seconds(20));
    }
    // 60 s after the first request it has left the window; the others have not.
    let (status, _, _) = call(&app, Method::GET, "/x", &[("x-api-key", &key)]).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the first request left the window"
    );
    let (status, headers, _) = call(&app, Method::GET, "/x", &[("x-api-key", &key)]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        headers["retry-after"], "20",
        "until the second request leaves the window"
    );
    // A key without a limit has no rate headers.
    let (_, headers, _) = call(&app, Method::GET, "/x", &[("x-api-key", DEMO_API_KEY)]).await;
    assert!(headers.get("x-ratelimit-limit").is_none());
}

#[tokio::test]
async fn every_guarded_request_of_a_known_key_is_logged_after_its_answer() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let (status, _, _) = call(
        &app,
        Method::GET,
        "/x?secret=1",
        &[("x-api-key", DEMO_API_KEY)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = call(&app, Method::GET, "/y", &[]).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "no key: nothing to log it under"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let n = api_key_requests::Entity::find()
            .count(&app.state.db)
            .await
            .expect("log");
        if n > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the entry is written within seconds"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Anything else queued would have been written by now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rows = api_key_requests::Entity::find()
        .all(&app.state.db)
        .await
        .expect("log");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(row.method, "GET");
    assert_eq!(row.endpoint, "/x", "no query string");
    assert_eq!(row.status, 404);
    assert_eq!(row.ip.as_deref(), Some("127.0.0.1"));
    let key = api_keys::Entity::find_by_id(row.api_key_id)
        .one(&app.state.db)
        .await
        .expect("key")
        .expect("the demo key");
    assert!(key.last_used_at.is_some(), "the key's last use is noted");
}

/// The log's writer stuck behind a held database lock: requests are answered all the same.
#[tokio::test]
async fn a_stuck_request_log_slows_no_request() {
    let app = TestApp::spawn_with(crate::helpers::fixed_now(), |args| {
        args.request_log_queue = 4;
    })
    .await;
    app.seed().await;
    let db = &app.state.db;
    let backend = db.get_database_backend();
    // Hold the log table: on SQLite the database's write lock, on PostgreSQL the table.
    let blocker = sea_orm::TransactionTrait::begin(db).await.expect("begin");
    let lock = match backend {
        sea_orm::DbBackend::Postgres => "LOCK TABLE api_key_requests IN ACCESS EXCLUSIVE MODE",
        _ => "DELETE FROM api_key_requests WHERE 1 = 0",
    };
    blocker
        .execute_raw(Statement::from_string(backend, lock))
        .await
        .expect("lock");
    for round in 0..2 {
        for _ in 0..20 {
            // Well under the writer's own 3 s give-up: a request that waited for the stuck
            // writer would miss this.
            let (status, _, _) = tokio::time::timeout(
                Duration::from_secs(2),
                call(&app, Method::GET, "/x", &[("x-api-key", DEMO_API_KEY)]),
            )
            .await
            .expect("answered while the log is stuck");
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
        if round == 0 {
            // The writer gathers for a while, then is stuck writing its batch.
            tokio::time::sleep(
                partner_gateway::push::request_log::LINGER + Duration::from_millis(300),
            )
            .await;
        }
    }
    assert!(
        app.state.push.request_log.dropped() > 0,
        "a queue of 4 could not hold 20 entries behind a stuck writer"
    );
    blocker.rollback().await.expect("release");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let written = loop {
        let n = api_key_requests::Entity::find()
            .count(db)
            .await
            .expect("count");
        if n > 0 {
            break n;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "what the queue kept is written once the database is free"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(written <= 40 - app.state.push.request_log.dropped());
}

#[tokio::test]
async fn the_door_answers_in_its_envelope_outside_its_handlers_too() {
    let app = TestApp::spawn().await;
    app.seed().await;
    // A body over 1 MB: 413 in the envelope.
    let response = app
        .client
        .post(app.url(&format!("{INTEGRATION}/items")))
        .header("x-api-key", DEMO_API_KEY)
        .header("content-type", "application/json")
        .body(vec![b' '; 1024 * 1024 + 10])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let headers = response.headers().clone();
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], "PAYLOAD_TOO_LARGE", "{body}");
    assert_eq!(
        body["requestId"].as_str(),
        headers["x-request-id"].to_str().ok()
    );
    // Outside the integration routes but inside the door: 404 in the envelope.
    let (status, headers, body) = {
        let response = app
            .client
            .get(app.url("/api/v1/nothing"))
            .send()
            .await
            .expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        (
            status,
            headers,
            response.json::<Value>().await.expect("json"),
        )
    };
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_envelope(&headers, &body, "NOT_FOUND", "Resource not found");
    // A path that does not take the method: 405 in the envelope.
    let response = app
        .client
        .put(app.url("/api/v1/api-keys"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let headers = response.headers().clone();
    let body: Value = response.json().await.expect("json");
    assert_envelope(
        &headers,
        &body,
        "METHOD_NOT_ALLOWED",
        "This path does not take this method",
    );
}

#[test]
fn committed_push_openapi_json_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/push-openapi.json");
    let committed = std::fs::read_to_string(path).expect("push-openapi.json is committed");
    assert!(
        committed == partner_gateway::push::openapi::document_json(),
        "push-openapi.json is stale: run `cargo run -- export-openapi --push --output push-openapi.json`"
    );
}

/// The document is served without a key, and each of its operations is a route of the door
/// (answered by the guard or the operator check, never 404 or 405).
#[tokio::test]
async fn the_push_document_is_served_and_names_only_real_operations() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.expect("json");
    assert_eq!(&document, partner_gateway::push::openapi::document());
    let paths = document["paths"].as_object().expect("paths");
    assert!(paths.len() >= 9, "{:?}", paths.keys());
    let ids: Vec<&str> = paths
        .values()
        .flat_map(|ops| ops.as_object().expect("operations").values())
        .map(|op| op["operationId"].as_str().expect("an operationId"))
        .collect();
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "operationIds are unique: {ids:?}");
    for (path, operations) in paths {
        let concrete = path
            .replace("{id}", &Uuid::nil().to_string())
            .replace("{sku}", "X");
        for method in operations.as_object().expect("operations").keys() {
            let method: Method = method.to_uppercase().parse().expect("a method");
            let status = app
                .client
                .request(method.clone(), app.url(&concrete))
                .send()
                .await
                .expect("request")
                .status();
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        }
    }
}
