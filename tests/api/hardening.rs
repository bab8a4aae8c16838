//! No single request may take the gateway down, and no rule may be walked around: each
//! defect found by attacking the gateway with a valid token (or none) has a test here.

use std::time::Duration;

use partner_gateway::clock::Clock;
use partner_gateway::config::ConfigArgs;
use partner_gateway::domain::applications;
use partner_gateway::entities::enums::AppStatus;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

use crate::graphql::{post, query};
use crate::helpers::{TestApp, fixed_now};

const GRAPHQL_MEDIA: &str = "application/graphql-response+json";

async fn spawn_with(adjust: impl FnOnce(&mut ConfigArgs)) -> TestApp {
    let app = TestApp::spawn_with(fixed_now(), adjust).await;
    app.seed().await;
    app
}

/// `{ viewer { ...F0 } }` where each of `levels` fragments spreads the next twice, the last
/// selecting `end`.
fn fan_out(levels: usize, end: &str) -> String {
    let mut document = String::from("{ viewer { ...F0 } } ");
    for i in 0..levels {
        document.push_str(&format!(
            "fragment F{i} on Viewer {{ ...F{} ...F{} }} ",
            i + 1,
            i + 1
        ));
    }
    document.push_str(&format!("fragment F{levels} on Viewer {{ {end} }}"));
    document
}

async fn healthy(app: &TestApp) {
    let response = app
        .client
        .get(app.url("/healthz"))
        .timeout(Duration::from_secs(1))
        .send()
        .await
        .expect("/healthz answers within 1 s");
    assert_eq!(response.status(), StatusCode::OK);
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn nesting_and_aliases_behind_a_carriage_return_comment_are_refused() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    for terminator in ["\r", "\r\n", "\n"] {
        let deep = format!(
            "{{ #x{terminator} salesOrders(first:1, filter:{{branchIds:{}\"a\"{}}}) {{ totalCount }} }}",
            "[".repeat(2_000),
            "]".repeat(2_000)
        );
        let aliases = format!(
            "{{ #x{terminator} {} }}",
            (0..200)
                .map(|i| format!("a{i}: viewer {{ plan }}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        for document in [deep, aliases] {
            let (status, _, body) = post(&app, Some(&token), json!({ "query": document })).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{terminator:?}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");
        }
    }
    healthy(&app).await;
    let body = query(&app, &token, "{ viewer { plan } }").await;
    assert_eq!(body["data"]["viewer"]["plan"], "PRO");
}

#[tokio::test]
async fn fragment_fan_out_is_refused_and_health_answers_meanwhile() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let document = fan_out(40, "plan");
    // Fan-outs that select nothing but spreads, and ones that end in a cycle or an unknown
    // fragment, are refused too (each would otherwise be walked without end).
    let cyclic = "{ __schema { ...A } } fragment A on __Schema { ...A ...A }";
    for hostile in [cyclic.to_owned(), fan_out(40, "...Missing")] {
        let (status, _, body) = post(&app, Some(&token), json!({ "query": hostile })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");
    }
    let attacks = (0..4).map(|_| post(&app, Some(&token), json!({ "query": document })));
    let (answers, ()) = tokio::join!(futures_util::future::join_all(attacks), healthy(&app));
    for (status, _, body) in answers {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let details = body["errors"][0]["extensions"]["details"].to_string();
        assert!(details.contains("fragments are expanded"), "{body}");
    }
    // Just under the cap, a fan-out is validated and answered.
    let small = fan_out(7, "plan");
    let body = query(&app, &token, &small).await;
    assert_eq!(body["data"]["viewer"]["plan"], "PRO", "{body}");
}

#[tokio::test]
async fn reports_cost_their_work_and_every_batch_operation_counts() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let many = format!(
        "{{ {} }}",
        (0..64)
            .map(|i| format!("r{i}: salesSummary {{ currency }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (status, _, body) = post(&app, Some(&token), json!({ "query": many })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "invalid_request");
    // The cost and the limit, in the message and as numbers.
    let limit = error["extensions"]["limit"].as_u64().expect("the limit");
    let measured = error["extensions"]["measured"].as_u64().expect("the cost");
    assert_eq!(limit, 20_000, "the test server's limit");
    assert!(measured > limit, "{body}");
    assert_eq!(
        error["message"],
        format!("Query is too complex: it measures {measured}, the limit is {limit}."),
        "{body}"
    );
    // Three reports fit in one operation; their cost is reported.
    let three = "{ a: salesSummary { currency } b: salesSummary { currency } c: inventorySummary { branchId } }";
    let body = query(&app, &token, three).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert!(
        body["extensions"]["analyzer"]["complexity"]
            .as_u64()
            .is_some_and(|c| c >= 15_000),
        "{body}"
    );

    // Each operation of a batch is one request of the quota.
    let remaining = |response: &reqwest::Response| -> u64 {
        header(response, "x-ratelimit-remaining")
            .and_then(|v| v.parse().ok())
            .expect("x-ratelimit-remaining")
    };
    let single = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({"query": "{ viewer { plan } }"}))
        .send()
        .await
        .expect("request");
    let before = remaining(&single);
    let batch: Vec<Value> = (0..7)
        .map(|_| json!({"query": "{ viewer { plan } }"}))
        .collect();
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&batch)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(remaining(&response), before - 7);
}

/// One tenant's heavy GraphQL batches, many at once, on a small pool: another tenant's REST and
/// GraphQL requests all succeed, and the heavy tenant gets answers or `service_unavailable`,
/// never a server error. (On the small test data the statements are quick, so this does not
/// prove the per-tenant share on its own; `a_tenant_never_holds_more_than_its_share_of_the_pool`
/// does, with statements that hold a connection for seconds.)
#[tokio::test]
async fn one_tenants_heavy_requests_do_not_fail_another_tenants() {
    let app = spawn_with(|args| {
        args.database.max_connections = Some(4);
        args.database_acquire_timeout_seconds = 1;
        args.graphql_timeout_seconds = 30;
    })
    .await;
    let heavy_token = app.token("demo-full-access", None).await;
    let other = app.other_tenant_token().await;
    let heavy_operation = json!({"query": "{ a: salesSummary { currency } b: salesSummary(from: \"2026-06-01\") { currency } c: salesOrders(first: 200) { totalCount edges { node { items { lineTotal } customer { name } } } } }"});
    let batch = Value::Array(vec![heavy_operation; 10]);
    let attacks = (0..6).map(|_| post(&app, Some(&heavy_token), batch.clone()));
    let others = (0..20).map(|i| {
        let app = &app;
        let other = &other;
        async move {
            tokio::time::sleep(Duration::from_millis(20 * i)).await;
            let rest = app.get_with("/api/partner/v1/sales?limit=1", other).await;
            let rest_status = rest.status();
            let graphql = post(
                app,
                Some(other),
                json!({"query": "{ salesOrders(first: 1) { totalCount } }"}),
            )
            .await;
            (rest_status, graphql.0, graphql.2)
        }
    });
    let (attacks, others) = tokio::join!(
        futures_util::future::join_all(attacks),
        futures_util::future::join_all(others)
    );
    for (rest, graphql, body) in others {
        assert_eq!(rest, StatusCode::OK);
        assert_eq!(graphql, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
    }
    // The heavy tenant waits for its own share: every operation is answered, and what could
    // not get a connection in time is `service_unavailable` — never a server error.
    let mut answered = 0;
    for (status, _, body) in attacks {
        assert_eq!(status, StatusCode::OK);
        let operations = body.as_array().expect("a batch answer");
        assert_eq!(operations.len(), 10);
        for operation in operations {
            answered += usize::from(operation["data"]["c"]["totalCount"].is_number());
            for error in operation["errors"].as_array().into_iter().flatten() {
                assert_eq!(error["extensions"]["code"], "service_unavailable");
            }
        }
    }
    assert!(answered > 0, "the heavy work itself was done");
}

#[tokio::test]
async fn graphql_over_its_time_limit_is_stopped_with_a_graphql_error() {
    let app = spawn_with(|args| args.graphql_timeout_seconds = 1).await;
    let token = app.token("demo-full-access", None).await;
    // Keep every guarded thread busy for longer than the limit.
    let guard = app.state.graphql.guard.clone();
    let blockers: Vec<_> = (0..guard.threads())
        .map(|_| {
            let guard = guard.clone();
            tokio::spawn(async move {
                guard
                    .run(|| std::thread::sleep(Duration::from_secs(3)))
                    .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, content_type, body) =
        post(&app, Some(&token), json!({"query": "{ viewer { plan } }"})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(content_type.as_deref(), Some(GRAPHQL_MEDIA));
    assert_eq!(body["errors"][0]["extensions"]["code"], "request_timeout");
    healthy(&app).await;
    for blocker in blockers {
        blocker.await.expect("task").expect("guard");
    }
    let body = query(&app, &token, "{ viewer { plan } }").await;
    assert_eq!(body["data"]["viewer"]["plan"], "PRO");
}

#[tokio::test]
async fn pool_exhaustion_is_a_503_with_retry_after_at_both_doors() {
    let app = spawn_with(|args| {
        args.database.max_connections = Some(2);
        args.database_acquire_timeout_seconds = 1;
    })
    .await;
    let token = app.token("demo-full-access", None).await;
    use sea_orm::TransactionTrait;
    let held = (
        app.state.db.begin().await.expect("first connection"),
        app.state.db.begin().await.expect("second connection"),
    );
    let rest = app.get_with("/api/partner/v1/sales?limit=1", &token).await;
    assert_eq!(rest.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&rest, "retry-after").as_deref(), Some("1"));
    let body: Value = rest.json().await.expect("json");
    assert_eq!(body["error"], "service_unavailable");
    let graphql = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({"query": "{ viewer { plan } }"}))
        .send()
        .await
        .expect("request");
    assert_eq!(graphql.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&graphql, "retry-after").as_deref(), Some("1"));
    let body: Value = graphql.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "service_unavailable"
    );
    drop(held);
    let rest = app.get_with("/api/partner/v1/sales?limit=1", &token).await;
    assert_eq!(rest.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_sales_lookback_holds_whichever_end_is_given() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    // Now is 2026-06-15T03:22:16.709Z; the lookback reaches back to 2026-05-16T03:22:16.709Z.
    let response = app
        .get_with("/api/partner/v1/sales?to=2026-05-06", &token)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["details"][0]["field"], "to", "{body}");

    let body = query(
        &app,
        &token,
        "{ salesOrders(filter: {to: \"2026-05-06\"}) { edges { node { orderDate } } } }",
    )
    .await;
    assert_eq!(body["data"]["salesOrders"], Value::Null);
    assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");
    assert_eq!(
        body["errors"][0]["extensions"]["details"][0]["field"], "filter.to",
        "{body}"
    );

    // `to` = yesterday still answers, from 30 days before now at the earliest.
    let response = app
        .get_with("/api/partner/v1/sales?to=2026-06-14&limit=200", &token)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    let mut cursor = body["pagination"]["next_cursor"]
        .as_str()
        .map(str::to_owned);
    let mut dates: Vec<String> = body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|o| o["order_date"].as_str().expect("date").to_owned())
        .collect();
    while let Some(next) = cursor {
        let response = app
            .get_with(
                &format!("/api/partner/v1/sales?to=2026-06-14&limit=200&cursor={next}"),
                &token,
            )
            .await;
        let body: Value = response.json().await.expect("json");
        dates.extend(
            body["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|o| o["order_date"].as_str().expect("date").to_owned()),
        );
        cursor = body["pagination"]["next_cursor"]
            .as_str()
            .map(str::to_owned);
    }
    assert!(!dates.is_empty());
    for date in &dates {
        assert!(
            date.as_str() >= "2026-05-16T03:22:16.709Z" && date.as_str() < "2026-06-15",
            "{date}"
        );
    }
}

#[tokio::test]
async fn revocation_is_final_and_reactivation_does_not_revive_old_tokens() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let db = &app.state.db;
    let now = app.clock.now();
    let before = app.token("demo-full-access", None).await;
    let sales = "/api/partner/v1/sales?limit=1";
    assert_eq!(app.get_with(sales, &before).await.status(), StatusCode::OK);

    applications::set_status(db, now, "demo-full-access", AppStatus::Suspended)
        .await
        .expect("suspend");
    assert_eq!(
        app.get_with(sales, &before).await.status(),
        StatusCode::UNAUTHORIZED
    );
    applications::set_status(db, now, "demo-full-access", AppStatus::Active)
        .await
        .expect("activate");
    let response = app.get_with(sales, &before).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_token");
    let after = app.token("demo-full-access", None).await;
    assert_eq!(app.get_with(sales, &after).await.status(), StatusCode::OK);

    applications::set_status(db, now, "demo-full-access", AppStatus::Revoked)
        .await
        .expect("revoke");
    let refused = applications::set_status(db, now, "demo-full-access", AppStatus::Active).await;
    assert!(
        matches!(refused, Err(applications::ApplicationError::Revoked(_))),
        "{refused:?}"
    );
    let refused = applications::set_status(db, now, "demo-full-access", AppStatus::Suspended).await;
    assert!(refused.is_err(), "a revoked application stays revoked");
    assert_eq!(
        app.get_with(sales, &after).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn malformed_ids_are_invalid_request_naming_the_argument() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    for (document, field, argument) in [
        (
            "{ customer(uuid: \"not-a-uuid\") { name } viewer { plan } }",
            "customer",
            "uuid",
        ),
        (
            "{ salesOrder(uuid: \"\") { orderNumber } viewer { plan } }",
            "salesOrder",
            "uuid",
        ),
        (
            "{ node(id: \"not a global id\") { id } viewer { plan } }",
            "node",
            "id",
        ),
    ] {
        let body = query(&app, &token, document).await;
        assert_eq!(body["data"][field], Value::Null, "{body}");
        assert_eq!(body["data"]["viewer"]["plan"], "PRO");
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "invalid_request", "{body}");
        assert_eq!(error["extensions"]["details"][0]["field"], argument);
        assert_eq!(error["path"], json!([field]));
    }
}

#[tokio::test]
async fn every_answer_at_graphql_is_a_graphql_response() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let deep = format!("{{ viewer {}{} }}", "{ a ".repeat(60), "}".repeat(60));
    // The GraphQL-over-HTTP media type: a document error is a 400 …
    let (status, content_type, body) = post(&app, Some(&token), json!({ "query": deep })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(content_type.as_deref(), Some(GRAPHQL_MEDIA));
    assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");
    assert!(body.get("data").is_none());
    // … with application/json it is a 200 carrying the same errors.
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("accept", "application/json")
        .json(&json!({ "query": deep }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");

    // A body over the server's limit: 413, still a GraphQL response.
    let huge =
        json!({ "query": "{ viewer { plan } }", "variables": { "x": "y".repeat(1_100_000) } });
    let (status, content_type, body) = post(&app, Some(&token), huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(content_type.as_deref(), Some(GRAPHQL_MEDIA));
    assert_eq!(body["errors"][0]["extensions"]["code"], "payload_too_large");

    // Not JSON, no query: 400 GraphQL responses.
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");
    let response = app.get_with("/graphql", &token).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["details"][0]["field"],
        "query"
    );

    // Another method: 405 with Allow, still a GraphQL response.
    let response = app
        .client
        .put(app.url("/graphql"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&response, "allow").as_deref(), Some("GET, POST"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");

    // A parse error does not echo a large document back.
    let long = format!("{{ {} !!! }}", "viewer ".repeat(10_000));
    let (status, _, body) = post(&app, Some(&token), json!({ "query": long })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.to_string().len() < 1_000,
        "{} bytes",
        body.to_string().len()
    );
}

/// One gate for both doors: the same refusal, status and headers at REST and at GraphQL.
#[tokio::test]
async fn the_gate_answers_alike_at_both_doors() {
    let app = spawn_with(|args| args.rate_limit_pro = 4).await;
    let valid = app.token("demo-one-branch", None).await;
    let free = app.token("demo-free-plan", None).await;
    let suspended_before = app.token("demo-no-pii", None).await;
    applications::set_status(
        &app.state.db,
        app.clock.now(),
        "demo-no-pii",
        AppStatus::Suspended,
    )
    .await
    .expect("suspend");
    let forged = format!("{}x", &valid[..valid.len() - 1]);
    let cases: Vec<(&str, Option<String>, StatusCode, &str)> = vec![
        ("missing", None, StatusCode::UNAUTHORIZED, "invalid_token"),
        (
            "garbage",
            Some("garbage".into()),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
        (
            "forged",
            Some(forged),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
        (
            "suspended",
            Some(suspended_before),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            "free plan",
            Some(free),
            StatusCode::FORBIDDEN,
            "access_denied",
        ),
    ];
    for (name, token, status, code) in cases {
        let mut rest = app.client.get(app.url("/api/partner/v1/sales"));
        let mut graphql = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({"query": "{ viewer { plan } }"}));
        if let Some(token) = &token {
            rest = rest.bearer_auth(token);
            graphql = graphql.bearer_auth(token);
        }
        let rest = rest.send().await.expect("rest");
        let graphql = graphql.send().await.expect("graphql");
        assert_eq!(rest.status(), status, "{name}: REST");
        assert_eq!(graphql.status(), status, "{name}: GraphQL");
        for header_name in [
            "www-authenticate",
            "retry-after",
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "content-type",
        ] {
            assert_eq!(
                header(&rest, header_name),
                header(&graphql, header_name),
                "{name}: {header_name}"
            );
        }
        // RFC 6750 allows only its own codes in the challenge: a suspended application's
        // token is `invalid_client` in the body (seed 000) and `invalid_token` there.
        if name == "suspended" {
            let challenge = header(&rest, "www-authenticate").unwrap_or_default();
            assert!(
                challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""),
                "{name}: {challenge}"
            );
        }
        let rest: Value = rest.json().await.expect("json");
        let graphql: Value = graphql.json().await.expect("json");
        assert_eq!(rest["error"], code, "{name}");
        assert_eq!(graphql["errors"][0]["extensions"]["code"], code, "{name}");
        assert_eq!(rest["message"], graphql["errors"][0]["message"], "{name}");
    }

    // The quota: 4 requests, alternating doors; both count against it and both say so.
    for i in 0..4 {
        let response = if i % 2 == 0 {
            app.get_with("/api/partner/v1/sales?limit=1", &valid).await
        } else {
            app.client
                .post(app.url("/graphql"))
                .bearer_auth(&valid)
                .json(&json!({"query": "{ viewer { plan } }"}))
                .send()
                .await
                .expect("graphql")
        };
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "x-ratelimit-limit").as_deref(), Some("4"));
        assert_eq!(
            header(&response, "x-ratelimit-remaining"),
            Some((3 - i).to_string())
        );
        assert!(header(&response, "x-ratelimit-reset").is_some());
    }
    let rest = app.get_with("/api/partner/v1/sales?limit=1", &valid).await;
    let graphql = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&valid)
        .json(&json!({"query": "{ viewer { plan } }"}))
        .send()
        .await
        .expect("graphql");
    for response in [&rest, &graphql] {
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(header(response, "x-ratelimit-limit").as_deref(), Some("4"));
        assert_eq!(
            header(response, "x-ratelimit-remaining").as_deref(),
            Some("0")
        );
        assert!(header(response, "retry-after").is_some());
        assert!(header(response, "x-ratelimit-reset").is_some());
    }
    assert_eq!(
        header(&rest, "retry-after"),
        header(&graphql, "retry-after")
    );
    let graphql: Value = graphql.json().await.expect("json");
    assert_eq!(graphql["errors"][0]["extensions"]["code"], "rate_limited");
}

/// Seed 000: "Max N requests per 15 minutes" — at most N in any 15-minute window.
#[tokio::test]
async fn the_rate_limit_is_at_most_n_in_any_fifteen_minutes() {
    let app = spawn_with(|args| args.rate_limit_pro = 3).await;
    let token = app.token("demo-full-access", None).await;
    let sales = "/api/partner/v1/sales?limit=1";
    // Requests at 0 s, 10 s and 20 s; the reset is when the oldest leaves the window.
    for (remaining, reset) in [("2", "900"), ("1", "890"), ("0", "880")] {
        let response = app.get_with(sales, &token).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(&response, "x-ratelimit-remaining").as_deref(),
            Some(remaining)
        );
        assert_eq!(
            header(&response, "x-ratelimit-reset").as_deref(),
            Some(reset)
        );
        app.clock.advance(chrono::Duration::seconds(10));
    }
    // At 100 s: refused until the request of 0 s leaves, at 900 s.
    app.clock.advance(chrono::Duration::seconds(70));
    let response = app.get_with(sales, &token).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&response, "retry-after").as_deref(), Some("800"));
    assert_eq!(
        header(&response, "x-ratelimit-reset").as_deref(),
        Some("800")
    );
    // No continuous refill: ten minutes later the window is still full.
    app.clock.advance(chrono::Duration::seconds(600));
    let response = app.get_with(sales, &token).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&response, "retry-after").as_deref(), Some("200"));
    // One millisecond before the oldest leaves: refused; at the boundary: one more passes.
    app.clock.advance(chrono::Duration::milliseconds(199_999));
    let response = app.get_with(sales, &token).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&response, "retry-after").as_deref(), Some("1"));
    app.clock.advance(chrono::Duration::milliseconds(1));
    let response = app.get_with(sales, &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "x-ratelimit-remaining").as_deref(),
        Some("0")
    );
    // … and the next waits for the request of 10 s, which leaves at 910 s.
    app.clock.advance(chrono::Duration::seconds(5));
    let response = app.get_with(sales, &token).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&response, "retry-after").as_deref(), Some("5"));
}

#[tokio::test]
async fn token_requests_are_paced_per_address_whatever_their_outcome() {
    // Six a minute: a burst of one, then one every ten seconds.
    let app = spawn_with(|args| args.oauth_requests_per_minute_per_address = 6).await;
    let request = |client: &reqwest::Client| {
        client
            .post(app.url("/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "demo-full-access"),
                ("client_secret", "pgs_demo_full_access_secret"),
            ])
            .send()
    };
    let first = request(&app.client).await.expect("first");
    assert_eq!(first.status(), StatusCode::OK);
    // The right secret, at once again: too fast.
    let second = request(&app.client).await.expect("second");
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = header(&second, "retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    // Ten seconds to the next request, rounded up (never early).
    assert!((2..=11).contains(&wait), "{wait}");
    let body: Value = second.json().await.expect("a catalogue body");
    assert_eq!(body["error"], "rate_limited");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("from this address")),
        "{body}"
    );
    // Another address has its own allowance.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .expect("client");
    let other = request(&elsewhere).await.expect("other address");
    assert_eq!(other.status(), StatusCode::OK);
    // The rest of the API is not paced.
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn failed_token_requests_are_braked_per_client_and_per_address() {
    let app = spawn_with(|args| {
        args.oauth_max_failures_per_client = 3;
        args.oauth_max_failures_per_address = 6;
    })
    .await;
    let attempt = |client_id: &'static str, secret: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/oauth/token"))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    ("client_secret", secret),
                ])
                .send()
                .await
                .expect("token request")
        }
    };
    for _ in 0..3 {
        let response = attempt("demo-full-access", "wrong").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // The right secret no longer helps: the client id is braked.
    let response = attempt("demo-full-access", "pgs_demo_full_access_secret").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&response, "retry-after").as_deref(), Some("900"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "rate_limited");
    // Other clients from the same address still get in, until the address has failed 6 times.
    assert_eq!(
        attempt("demo-no-pii", "pgs_demo_no_pii_secret")
            .await
            .status(),
        StatusCode::OK
    );
    for _ in 0..3 {
        assert_eq!(
            attempt("demo-one-branch", "wrong").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        attempt("demo-no-pii", "pgs_demo_no_pii_secret")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Fifteen minutes after the failures the brakes are off.
    app.clock.advance(chrono::Duration::seconds(901));
    assert_eq!(
        attempt("demo-full-access", "pgs_demo_full_access_secret")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn oversized_and_slow_bodies_get_json_errors() {
    let app = spawn_with(|args| args.http_body_timeout_seconds = 1).await;
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&x={}",
            "a".repeat(2_000_000)
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "payload_too_large");

    // A body announced but never finished: 408 after the body timeout.
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).await.expect("connect");
    stream
        .write_all(
            b"POST /oauth/token HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\ngrant_type",
        )
        .await
        .expect("write");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server answered and closed within 10 s");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
}

/// Reads until the server closes the connection; `None` if it is still open after `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(seen),
            Ok(Ok(n)) => seen.extend_from_slice(&buffer[..n]),
        }
    }
}

#[tokio::test]
async fn slow_and_idle_clients_are_cut_off() {
    let app = spawn_with(|args| args.http_header_timeout_seconds = 1).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    // A partial request line and headers, then nothing.
    let mut slow = TcpStream::connect(&address).await.expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
        .await
        .expect("write");
    let closed = closed_within(&mut slow, Duration::from_secs(10)).await;
    assert!(closed.is_some(), "a stalled request is closed");
    // Connected and silent.
    let mut silent = TcpStream::connect(&address).await.expect("connect");
    assert!(
        closed_within(&mut silent, Duration::from_secs(10))
            .await
            .is_some()
    );
    // Idle after a response on a keep-alive connection.
    let mut idle = TcpStream::connect(&address).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("write");
    let seen = closed_within(&mut idle, Duration::from_secs(10))
        .await
        .expect("an idle keep-alive connection is closed");
    assert!(String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200"));
    healthy(&app).await;
}

/// A client that asks for large answers and never reads them loses its connection once a
/// write has waited the write timeout.
#[tokio::test]
async fn a_client_that_never_reads_is_cut_off() {
    let app = spawn_with(|args| args.http_write_timeout_seconds = 1).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).await.expect("connect");
    // Twenty pipelined requests for the 5 MB playground bundle: far more than socket buffers.
    let request = b"GET /playground/assets/playground.js HTTP/1.1\r\nhost: x\r\n\r\n".repeat(20);
    stream.write_all(&request).await.expect("write");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let received = closed_within(&mut stream, Duration::from_secs(10))
        .await
        .expect("the server closed the connection");
    assert!(
        received.len() < 20 * 5_000_000,
        "the server stopped writing: {} bytes",
        received.len()
    );
    healthy(&app).await;
}

#[tokio::test]
async fn at_the_connection_cap_health_still_answers_and_the_excess_is_refused() {
    let app = spawn_with(|args| {
        args.http_header_timeout_seconds = 60;
        args.http_max_connections = Some(16);
        args.http_health_connections = 8;
    })
    .await;
    // A token from a client that keeps no connection open: the test counts every connection.
    let response = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
        .post(app.url("/oauth/token"))
        .basic_auth("demo-full-access", Some("pgs_demo_full_access_secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token");
    let body: Value = response.json().await.expect("json");
    let token = body["access_token"].as_str().expect("token").to_owned();
    let address = app.address.trim_start_matches("http://").to_owned();
    // Sixteen connections that never send a request hold the cap.
    let mut held = Vec::new();
    for _ in 0..16 {
        held.push(TcpStream::connect(&address).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The headroom serves health checks, and nothing else.
    let fresh = || {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(5))
            .build()
            .expect("client")
    };
    let response = fresh()
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(response.status(), StatusCode::OK);
    let response = fresh()
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(response.status(), StatusCode::OK);
    let response = fresh()
        .get(app.url("/api/partner/v1/sales?limit=1"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sales");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(header(&response, "retry-after").as_deref(), Some("1"));
    // Fill the headroom too: the next connection gets a canned 503 and is closed at once.
    for _ in 0..8 {
        held.push(TcpStream::connect(&address).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut excess = TcpStream::connect(&address).await.expect("connect");
    let seen = closed_within(&mut excess, Duration::from_secs(5))
        .await
        .expect("the excess connection is closed at once");
    assert!(
        String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 503"),
        "{}",
        String::from_utf8_lossy(&seen)
    );
    // Released connections make room again.
    drop(held);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let response = fresh()
        .get(app.url("/api/partner/v1/sales?limit=1"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sales");
    assert_eq!(response.status(), StatusCode::OK);
}

#[test]
fn the_connection_cap_stays_below_the_open_file_limit() {
    use partner_gateway::startup::connection_cap;
    assert_eq!(
        connection_cap(None, 32, 8, Some(1_024)).expect("derived"),
        1_024 - 64 - 8 - 32
    );
    assert_eq!(
        connection_cap(None, 32, 8, Some(1_000_000)).expect("derived"),
        10_000
    );
    assert_eq!(
        connection_cap(Some(500), 32, 8, Some(1_024)).expect("fits"),
        500
    );
    let err = connection_cap(Some(5_000), 32, 8, Some(1_024)).expect_err("above the limit");
    assert!(err.to_string().contains("HTTP_MAX_CONNECTIONS"), "{err}");
    assert!(connection_cap(None, 32, 8, Some(100)).is_err());
}

#[tokio::test]
async fn demo_credentials_never_work_outside_demo_mode() {
    let app = TestApp::spawn().await;
    app.seed().await;
    // A restart on the same database outside demo mode (the test server runs with a real
    // secret) revokes every application holding a public demo secret.
    let config = (*app.state.config).clone();
    assert!(!config.demo);
    let clock: std::sync::Arc<dyn Clock> = app.clock.clone();
    let restarted = partner_gateway::startup::build_state_with(config, clock, app.state.db.clone())
        .await
        .expect("restart");
    let mut revoked = (*restarted.revoked_demo_apps).clone();
    revoked.sort();
    assert_eq!(
        revoked,
        [
            "API key wms_demo_pus",
            "demo-free-plan",
            "demo-full-access",
            "demo-no-pii",
            "demo-one-branch",
            "demo-suspended"
        ]
    );
    // The public push API key is refused too.
    let key = partner_gateway::domain::api_keys::authenticate(
        &app.state.db,
        partner_gateway::demo::DEMO_API_KEY,
        app.clock.now(),
    )
    .await
    .expect("query");
    assert!(key.is_none(), "the demo API key still works");
    let banner = partner_gateway::cli::banner(&restarted, 8080)
        .await
        .expect("banner");
    assert!(banner.contains("Revoked at start"), "{banner}");
    assert!(!banner.contains("pgs_demo"), "{banner}");
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth("demo-full-access", Some("pgs_demo_full_access_secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["message"], "API application is suspended or revoked");
    let stored = applications::find_by_client_id(&app.state.db, "demo-full-access")
        .await
        .expect("query")
        .expect("stored");
    assert_eq!(stored.status, AppStatus::Revoked);
}

/// async-graphql emits root fields in the order they finish; the answer is put back in the
/// order of the selection, every time.
#[tokio::test]
async fn root_fields_come_back_in_selection_order() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let document = "{ slow: salesOrders(first: 100) { totalCount edges { node { items { skuName } customer { name } } } } \
                    fastViewer: viewer { plan } typeName: __typename report: salesSummary { currency } lastViewer: viewer { scopes } }";
    for _ in 0..10 {
        let text = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .json(&json!({ "query": document }))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("text");
        let at = |key: &str| text.find(&format!("\"{key}\":")).expect(key);
        let keys = ["slow", "fastViewer", "typeName", "report", "lastViewer"];
        for pair in keys.windows(2) {
            assert!(at(pair[0]) < at(pair[1]), "{pair:?}: {text}");
        }
    }
}

/// The connection budgets themselves, with statements that hold a connection for seconds: one
/// tenant's many requests never hold more than its share of the pool, so another tenant's
/// statement gets a connection at once; a request that waits past the acquire timeout for its
/// tenant's share is told the service is busy.
#[tokio::test]
async fn a_tenant_never_holds_more_than_its_share_of_the_pool() {
    use sea_orm::ConnectionTrait;

    let app = TestApp::spawn_with(fixed_now(), |args| {
        args.database.max_connections = Some(4);
        args.database_connections_per_tenant = Some(2);
        args.database_connections_per_request = Some(1);
        args.database_acquire_timeout_seconds = 1;
    })
    .await;
    let slow = match app.state.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "SELECT pg_sleep(3)".to_owned(),
        _ => "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 15000000) \
              SELECT count(*) FROM c"
            .to_owned(),
    };
    let heavy = Uuid::new_v4();
    let attacks: Vec<_> = (0..6)
        .map(|_| {
            let db = app.state.db_budgets.for_request(&app.state.db, heavy);
            let slow = slow.clone();
            tokio::spawn(async move { db.execute_unprepared(&slow).await.map(|_| ()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let other = app
        .state
        .db_budgets
        .for_request(&app.state.db, Uuid::new_v4());
    other
        .execute_unprepared("SELECT 1")
        .await
        .expect("another tenant gets a connection while the heavy one is busy");
    let mut done = 0;
    let mut busy = 0;
    for attack in attacks {
        match attack.await.expect("task") {
            Ok(()) => done += 1,
            Err(sea_orm::DbErr::ConnectionAcquire(_)) => busy += 1,
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!(done, 2, "two statements of the heavy tenant ran, its share");
    assert_eq!(busy, 4, "the rest waited past the acquire timeout");
}

/// Arguments of the wrong JSON type (a number where an id or a day is expected, literal or
/// variable) are the client's mistake: `invalid_request`, never a server error.
#[tokio::test]
async fn arguments_of_the_wrong_type_are_client_errors() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    for (document, variables) in [
        ("{ customer(uuid: 5) { name } viewer { plan } }", json!({})),
        (
            "{ salesOrders(filter: {from: 5}) { totalCount } viewer { plan } }",
            json!({}),
        ),
        (
            "{ salesSummary(to: [1]) { currency } viewer { plan } }",
            json!({}),
        ),
        (
            "query($d: Date) { salesSummary(from: $d) { currency } viewer { plan } }",
            json!({"d": {"x": 1}}),
        ),
        (
            "query($u: UUID!) { customer(uuid: $u) { name } viewer { plan } }",
            json!({"u": 12}),
        ),
    ] {
        let (status, _, body) = post(
            &app,
            Some(&token),
            json!({ "query": document, "variables": variables }),
        )
        .await;
        assert!(
            status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
            "{document}: {status}"
        );
        let text = body.to_string();
        assert!(!text.contains("server_error"), "{document}: {text}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "invalid_request",
            "{document}: {text}"
        );
    }
}
