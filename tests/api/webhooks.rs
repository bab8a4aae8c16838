//! Webhooks (SPEC §7, seed 000, seed 003 §6): subscriptions over REST, the operator door and
//! GraphQL, events fanned out from the outbox, signed deliveries to a real receiver on a
//! loopback port, retries, restarts, private targets, and several workers on one database.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use partner_gateway::clock::Clock;
use partner_gateway::demo::DEMO_API_KEY;
use partner_gateway::domain::applications::{self, NewApplication};
use partner_gateway::domain::scopes::ScopeSet;
use partner_gateway::entities::{webhook_deliveries, webhook_delivery_attempts, webhook_events};
use partner_gateway::webhooks::sign;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::push_documents::{fixture, post as push};

/// What a receiver answers.
#[derive(Clone, Copy, Debug)]
enum Answer {
    Status(u16),
    /// Never answers (the attempt ends at the timeout).
    Hang,
}

/// One message as it arrived.
#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: i64,
    signature: String,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON payload")
    }

    fn verifies_with(&self, secret: &str) -> bool {
        sign::verify(
            secret,
            &self.id,
            self.timestamp,
            self.body.as_bytes(),
            &self.signature,
        )
    }
}

/// A webhook receiver on a loopback port: records every message and answers as scripted
/// (then 200).
#[derive(Clone)]
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    always: Arc<Mutex<Option<Answer>>>,
}

impl Receiver {
    async fn start() -> Self {
        let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script: Arc<Mutex<VecDeque<Answer>>> = Arc::default();
        let always: Arc<Mutex<Option<Answer>>> = Arc::default();
        let (s, sc, al) = (seen.clone(), script.clone(), always.clone());
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let (seen, script, always) = (s.clone(), sc.clone(), al.clone());
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                seen.lock().expect("lock").push(Received {
                    id: header("webhook-id"),
                    timestamp: header("webhook-timestamp").parse().unwrap_or(0),
                    signature: header("webhook-signature"),
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                let answer = script
                    .lock()
                    .expect("lock")
                    .pop_front()
                    .or(*always.lock().expect("lock"))
                    .unwrap_or(Answer::Status(200));
                match answer {
                    Answer::Status(code) => {
                        (AxumStatus::from_u16(code).expect("status"), "received").into_response()
                    }
                    Answer::Hang => {
                        std::future::pending::<()>().await;
                        unreachable!()
                    }
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hooks", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url,
            seen,
            script,
            always,
        }
    }

    fn then(&self, answers: &[Answer]) {
        self.script.lock().expect("lock").extend(answers);
    }

    fn always(&self, answer: Option<Answer>) {
        *self.always.lock().expect("lock") = answer;
    }

    fn seen(&self) -> Vec<Received> {
        self.seen.lock().expect("lock").clone()
    }

    /// Waits (up to 20 s) until `n` messages have arrived.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            let seen = self.seen();
            if seen.len() >= n {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{} messages arrived, expected {n}", self.seen().len());
    }
}

use axum::response::IntoResponse;

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .request(method, app.url(&format!("/api/partner/v1{path}")))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn subscribe(app: &TestApp, token: &str, url: &str, events: &[&str]) -> (Uuid, String) {
    let (status, created) = call(
        app,
        reqwest::Method::POST,
        "/webhooks",
        token,
        Some(json!({"url": url, "events": events})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (
        created["data"]["id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("uuid"),
        created["data"]["secret"]
            .as_str()
            .expect("secret")
            .to_owned(),
    )
}

/// Waits until the subscription's deliveries reach `done` (succeeded or failed), up to 20 s.
async fn settled(app: &TestApp, subscription: Uuid, done: usize) -> Vec<webhook_deliveries::Model> {
    for _ in 0..400 {
        let rows = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::SubscriptionId.eq(subscription))
            .all(&app.state.db)
            .await
            .expect("deliveries");
        if rows.iter().filter(|d| d.completed_at.is_some()).count() >= done {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deliveries of {subscription} did not settle");
}

fn operator_token(app: &TestApp) -> String {
    app.state
        .operator
        .issue("tests", 600, app.clock.now())
        .expect("operator token")
}

#[tokio::test]
async fn subscriptions_belong_to_their_application_and_bad_ones_are_refused() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let full = app.token("demo-full-access", None).await;
    let other = app.token("demo-no-pii", None).await;
    let receiver = Receiver::start().await;

    let response = app
        .client
        .post(app.url("/api/partner/v1/webhooks"))
        .bearer_auth(&full)
        .json(
            &json!({"url": receiver.url, "events": ["sales.order.created", "sales.order.created"],
            "description": "  orders  "}),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    let created: Value = response.json().await.expect("json");
    let data = &created["data"];
    let id = data["id"].as_str().expect("id").to_owned();
    assert!(
        data["secret"]
            .as_str()
            .expect("secret")
            .starts_with("whsec_")
    );
    assert_eq!(
        data["events"],
        json!(["sales.order.created"]),
        "repeats dropped"
    );
    assert_eq!(data["description"], "orders");
    assert_eq!(data["status"], "ACTIVE");

    // Listed and read without the secret, by its application only.
    let (status, listed) = call(&app, reqwest::Method::GET, "/webhooks", &full, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["data"][0]["id"], id.as_str());
    assert!(listed["data"][0]["secret"].is_null());
    assert_eq!(listed["pagination"]["has_more"], false);
    let (status, listed) = call(&app, reqwest::Method::GET, "/webhooks", &other, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["data"], json!([]));
    for (method, path) in [
        (reqwest::Method::GET, format!("/webhooks/{id}")),
        (reqwest::Method::PATCH, format!("/webhooks/{id}")),
        (reqwest::Method::DELETE, format!("/webhooks/{id}")),
        (reqwest::Method::GET, format!("/webhooks/{id}/deliveries")),
        (reqwest::Method::POST, format!("/webhooks/{id}/ping")),
        (reqwest::Method::GET, "/webhooks/not-a-uuid".to_owned()),
    ] {
        let body = (method == reqwest::Method::PATCH).then(|| json!({"status": "DISABLED"}));
        let (status, refused) = call(&app, method.clone(), &path, &other, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(refused["error"], "not_found");
        assert_eq!(refused["message"], "Webhook subscription not found");
    }

    // Changes: disabled, the description cleared, the events replaced.
    let (status, changed) = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/webhooks/{id}"),
        &full,
        Some(json!({"status": "DISABLED", "description": null, "events": ["ping", "sales.order.completed"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["data"]["status"], "DISABLED");
    assert!(changed["data"]["description"].is_null());
    assert_eq!(
        changed["data"]["events"],
        json!(["ping", "sales.order.completed"])
    );

    // Bad input, each named.
    for (body, field) in [
        (
            json!({"url": "ftp://example.com/", "events": ["ping"]}),
            "url",
        ),
        (
            json!({"url": "https://user:pw@example.com/", "events": ["ping"]}),
            "url",
        ),
        (
            json!({"url": "https://example.com/#x", "events": ["ping"]}),
            "url",
        ),
        (json!({"url": "not a url", "events": ["ping"]}), "url"),
        (json!({"url": receiver.url, "events": []}), "events"),
        // A huge list is one problem, not one per name.
        (
            json!({"url": receiver.url, "events": vec!["nope"; 50_000]}),
            "events",
        ),
        (
            json!({"url": receiver.url, "events": ["sales.order.shipped"]}),
            "events[0]",
        ),
        (
            json!({"url": receiver.url, "events": ["ping", "asn.received"]}),
            "events[1]",
        ),
        (
            json!({"url": receiver.url, "events": ["ping"], "description": "x".repeat(501)}),
            "description",
        ),
    ] {
        let (status, refused) = call(
            &app,
            reqwest::Method::POST,
            "/webhooks",
            &full,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        assert_eq!(refused["error"], "invalid_request");
        assert_eq!(refused["details"][0]["field"], field, "{refused}");
        assert!(refused["details"].as_array().expect("details").len() <= 2);
    }
    let (status, refused) = call(
        &app,
        reqwest::Method::POST,
        "/webhooks",
        &full,
        Some(json!({"url": receiver.url, "events": ["ping"], "secret": "mine"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    // Without read:webhooks: 403 insufficient_scope.
    let narrow = app.token("demo-full-access", Some("read:sales")).await;
    let (status, refused) = call(&app, reqwest::Method::GET, "/webhooks", &narrow, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(refused["required_scopes"], json!(["read:webhooks"]));

    // Deleted: gone, and 404 afterwards.
    let (status, _) = call(
        &app,
        reqwest::Method::DELETE,
        &format!("/webhooks/{id}"),
        &full,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        &format!("/webhooks/{id}"),
        &full,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_plan_has_a_quota_of_subscriptions() {
    let app = TestApp::spawn().await;
    app.seed().await;
    // A PRO tenant's application: five.
    let token = app.other_tenant_token().await;
    let receiver = Receiver::start().await;
    for _ in 0..5 {
        subscribe(&app, &token, &receiver.url, &["ping"]).await;
    }
    let (status, refused) = call(
        &app,
        reqwest::Method::POST,
        "/webhooks",
        &token,
        Some(json!({"url": receiver.url, "events": ["ping"]})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(refused["error"], "limit_reached");
    assert_eq!(
        refused["message"],
        "You have reached the webhook subscription limit (5 on this plan)."
    );
    // Concurrent creations cannot overshoot: delete one, then race six for the one place.
    let (_, listed) = call(&app, reqwest::Method::GET, "/webhooks", &token, None).await;
    let first = listed["data"][0]["id"].as_str().expect("id").to_owned();
    let (status, _) = call(
        &app,
        reqwest::Method::DELETE,
        &format!("/webhooks/{first}"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let racers = (0..6).map(|_| {
        let (app, token, url) = (&app, token.clone(), receiver.url.clone());
        async move {
            call(
                app,
                reqwest::Method::POST,
                "/webhooks",
                &token,
                Some(json!({"url": url, "events": ["ping"]})),
            )
            .await
            .0
        }
    });
    let statuses = futures_util::future::join_all(racers).await;
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_ping_arrives_signed_and_every_attempt_is_recorded() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let receiver = Receiver::start().await;
    let (id, secret) = subscribe(&app, &token, &receiver.url, &["sales.order.created"]).await;
    // Failing twice, then answering.
    receiver.then(&[Answer::Status(500), Answer::Status(503)]);
    let (status, queued) = call(
        &app,
        reqwest::Method::POST,
        &format!("/webhooks/{id}/ping"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert_eq!(queued["data"]["event_type"], "ping");
    assert_eq!(queued["data"]["status"], "PENDING");

    let first = receiver.wait_for(1).await;
    // The retry is due after the backoff: time moves on, the worker finds it.
    for n in 2..=3 {
        settled_attempts(&app, id, n - 1).await;
        app.clock.advance(chrono::Duration::hours(2));
        receiver.wait_for(n as usize).await;
    }
    let seen = receiver.wait_for(3).await;
    let deliveries = settled(&app, id, 1).await;
    assert_eq!(deliveries.len(), 1);
    let delivery = &deliveries[0];
    assert_eq!(
        delivery.status,
        partner_gateway::entities::enums::DeliveryStatus::Succeeded
    );
    assert_eq!(delivery.attempts, 3);
    // One message, three times: one webhook-id, each signed with the subscription's secret.
    for message in &seen {
        assert_eq!(message.id, first[0].id);
        assert_eq!(message.id, delivery.event_id.to_string());
        assert!(message.verifies_with(&secret), "{message:?}");
        assert!(!message.verifies_with("whsec_b3RoZXI="));
        let payload = message.json();
        assert_eq!(payload["event"], "ping");
        // snake_case, like the partner API.
        assert_eq!(payload["data"], json!({"subscription_id": id}));
        assert!(payload["timestamp"].as_str().expect("time").ends_with('Z'));
    }
    // (Hours went by: a fresh token.)
    let token = app.token("demo-full-access", None).await;
    let (status, listed) = call(
        &app,
        reqwest::Method::GET,
        &format!("/webhooks/{id}/deliveries"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let shown = &listed["data"][0];
    assert_eq!(shown["status"], "SUCCEEDED");
    assert_eq!(shown["attempt_count"], 3);
    let outcomes: Vec<(&str, i64)> = shown["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| {
            (
                a["outcome"].as_str().expect("outcome"),
                a["response_status"].as_i64().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![("FAILED", 500), ("FAILED", 503), ("SUCCEEDED", 200)]
    );
    assert_eq!(shown["attempts"][2]["response_body"], "received");
}

/// Waits until the subscription's deliveries have recorded `n` attempts in all.
async fn settled_attempts(app: &TestApp, subscription: Uuid, n: u64) {
    for _ in 0..400 {
        let ids: Vec<Uuid> = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::SubscriptionId.eq(subscription))
            .all(&app.state.db)
            .await
            .expect("deliveries")
            .into_iter()
            .map(|d| d.id)
            .collect();
        let recorded = webhook_delivery_attempts::Entity::find()
            .filter(webhook_delivery_attempts::Column::DeliveryId.is_in(ids))
            .count(&app.state.db)
            .await
            .expect("attempts");
        if recorded >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{n} attempts were not recorded");
}

#[tokio::test]
async fn a_delivery_is_given_up_after_its_last_attempt() {
    let app = TestApp::spawn_with(crate::helpers::fixed_now(), |args| {
        args.webhook_max_attempts = 2;
    })
    .await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let receiver = Receiver::start().await;
    receiver.always(Some(Answer::Status(500)));
    let (id, _) = subscribe(&app, &token, &receiver.url, &["ping"]).await;
    call(
        &app,
        reqwest::Method::POST,
        &format!("/webhooks/{id}/ping"),
        &token,
        None,
    )
    .await;
    settled_attempts(&app, id, 1).await;
    app.clock.advance(chrono::Duration::hours(2));
    let deliveries = settled(&app, id, 1).await;
    assert_eq!(
        deliveries[0].status,
        partner_gateway::entities::enums::DeliveryStatus::Failed
    );
    assert_eq!(deliveries[0].attempts, 2);
    assert_eq!(deliveries[0].last_response_status, Some(500));
    // Nothing more is tried, however long one waits.
    app.clock.advance(chrono::Duration::days(2));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.seen().len(), 2);
}

#[tokio::test]
async fn every_emitted_event_arrives_in_its_catalogue_signed_and_filtered() {
    let f = fixture().await;
    let app = &f.app;
    let token = app.token("demo-full-access", None).await;
    let partners = Receiver::start().await;
    let (partner_sub, partner_secret) = subscribe(
        app,
        &token,
        &partners.url,
        &[
            "sales.order.created",
            "sales.order.cancelled",
            "inventory.movement.created",
            "purchase_order.received",
        ],
    )
    .await;
    // An application without read:inventory and one limited to a branch of no event: told
    // only what they may read.
    let narrow = Receiver::start().await;
    let mut narrow_subs = Vec::new();
    let warehouse = partner_gateway::entities::warehouses::Entity::find_by_id(f.warehouse)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("warehouse");
    let elsewhere = partner_gateway::entities::branches::Entity::find()
        .filter(partner_gateway::entities::branches::Column::TenantId.eq(f.tenant))
        .filter(partner_gateway::entities::branches::Column::Id.ne(warehouse.branch_id))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("another branch")
        .id;
    for (scopes, branches) in [
        ("read:sales read:webhooks", None),
        (
            "read:sales read:inventory read:purchasing read:webhooks",
            Some(vec![elsewhere]),
        ),
    ] {
        let created = applications::create(
            &app.state.db,
            app.clock.now(),
            NewApplication {
                tenant_id: f.tenant,
                name: format!("Narrow {scopes}"),
                scopes: ScopeSet::parse(scopes).expect("scopes"),
                allowed_branch_ids: branches,
            },
        )
        .await
        .expect("application");
        let token = client_token(app, &created.application.client_id, &created.client_secret).await;
        narrow_subs.push(
            subscribe(
                app,
                &token,
                &narrow.url,
                &["sales.order.created", "inventory.movement.created"],
            )
            .await
            .0,
        );
    }
    // The tenant's own WMS subscription, through the operator door.
    let wms = Receiver::start().await;
    let response = app
        .client
        .post(app.url("/api/v1/webhook-subscriptions"))
        .bearer_auth(operator_token(app))
        .json(&json!({"tenantId": f.tenant, "url": wms.url,
            "events": ["asn.received", "asn.completed", "order.allocated", "order.cancelled"]}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.expect("json");
    let wms_secret = created["data"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let wms_sub: Uuid = created["data"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    // A partner event name is not a WMS one.
    let response = app
        .client
        .post(app.url("/api/v1/webhook-subscriptions"))
        .bearer_auth(operator_token(app))
        .json(&json!({"tenantId": f.tenant, "url": wms.url, "events": ["sales.order.created"]}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // Receipts (one without ASN, one completing an ASN of a purchase order), an order, a cancel.
    f.receive(json!([{"sku": "PLAIN-1", "qty": 10}])).await;
    f.purchase_order().await;
    let (status, asn) = push(
        app,
        DEMO_API_KEY,
        "/asn",
        json!({"warehouseCode": "WH-T-01",
        "supplierCode": "SUP-T-01", "referenceNo": "PO-T-0001",
        "lines": [{"lineNo": 1, "sku": "PLAIN-1", "expectedQty": 10}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{asn}");
    let asn_no = asn["data"]["asnNo"].as_str().expect("number").to_owned();
    let (status, _) = push(
        app,
        DEMO_API_KEY,
        "/grn",
        json!({"warehouseCode": "WH-T-01",
        "asnNo": asn_no, "lines": [{"sku": "PLAIN-1", "qty": 10}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, order) = push(app, DEMO_API_KEY, "/orders", json!({"warehouseCode": "WH-T-01",
        "referenceNo": "HOOK-1", "lines": [{"lineNo": 1, "sku": "PLAIN-1", "qtyOrdered": 3, "unitPrice": 10}]})).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let order_no = order["data"]["orderNo"]
        .as_str()
        .expect("number")
        .to_owned();
    let (status, _) = push(
        app,
        DEMO_API_KEY,
        &format!("/orders/{order_no}/cancel"),
        json!(null),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Partner events: one of each, signed, snake_case like the partner API.
    let seen = partners.wait_for(4).await;
    let by_type: HashMap<String, Value> = seen
        .iter()
        .inspect(|m| assert!(m.verifies_with(&partner_secret), "{m:?}"))
        .map(|m| {
            (
                m.json()["event"].as_str().expect("event").to_owned(),
                m.json(),
            )
        })
        .collect();
    assert_eq!(by_type.len(), 4, "{:?}", by_type.keys());
    let created = &by_type["sales.order.created"]["data"];
    assert_eq!(created["order_number"], order_no.as_str());
    assert_eq!(created["status"], "ACTIVE");
    assert_eq!(created["total_amount"], "30");
    assert_eq!(created["items"][0]["sku_code"], "PLAIN-1");
    assert_eq!(
        by_type["sales.order.cancelled"]["data"]["status"],
        "CANCELLED"
    );
    let moved = &by_type["inventory.movement.created"]["data"]["movements"][0];
    assert_eq!(moved["movement_type"], "RECEIVE");
    assert_eq!(moved["quantity"], "10");
    let received = &by_type["purchase_order.received"]["data"];
    assert_eq!(received["po_number"], "PO-T-0001");
    assert_eq!(received["status"], "RECEIVED");

    // WMS events: seed 003's form.
    let seen = wms.wait_for(4).await;
    let by_type: HashMap<String, Value> = seen
        .iter()
        .inspect(|m| assert!(m.verifies_with(&wms_secret), "{m:?}"))
        .map(|m| {
            (
                m.json()["event"].as_str().expect("event").to_owned(),
                m.json(),
            )
        })
        .collect();
    assert_eq!(by_type.len(), 4, "{:?}", by_type.keys());
    assert_eq!(by_type["asn.received"]["data"]["asnNo"], asn_no.as_str());
    assert_eq!(by_type["asn.completed"]["data"]["status"], "completed");
    assert_eq!(
        by_type["order.allocated"]["data"]["orderNo"],
        order_no.as_str()
    );
    assert_eq!(
        by_type["order.cancelled"]["data"]["orderNo"],
        order_no.as_str()
    );
    for message in &seen {
        assert!(
            message.json()["timestamp"]
                .as_str()
                .expect("time")
                .ends_with('Z')
        );
    }

    // The narrow applications: the one with read:sales but not read:inventory hears of the
    // order only; the one limited to another branch hears of nothing.
    settled(app, partner_sub, 4).await;
    settled(app, wms_sub, 4).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heard: Vec<String> = narrow
        .seen()
        .iter()
        .map(|m| m.json()["event"].as_str().expect("event").to_owned())
        .collect();
    assert_eq!(heard, vec!["sales.order.created".to_owned()]);
    let for_branch = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::SubscriptionId.eq(narrow_subs[1]))
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(for_branch, 0);
    // Each event was fanned out once (no event left waiting).
    let waiting = webhook_events::Entity::find()
        .filter(webhook_events::Column::DispatchedAt.is_null())
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(waiting, 0);

    // A ping speaks its catalogue's language: camelCase to a WMS subscriber.
    let response = app
        .client
        .post(app.url(&format!("/api/v1/webhook-subscriptions/{wms_sub}/ping")))
        .bearer_auth(operator_token(app))
        .send()
        .await
        .expect("ping");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let seen = wms.wait_for(5).await;
    let ping = seen
        .iter()
        .map(|m| m.json())
        .find(|p| p["event"] == "ping")
        .expect("the ping");
    assert_eq!(ping["data"], json!({"subscriptionId": wms_sub}));
}

async fn client_token(app: &TestApp, client_id: &str, secret: &str) -> String {
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    body["access_token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn private_addresses_are_refused_at_registration_and_at_send() {
    let app = TestApp::spawn_with(crate::helpers::fixed_now(), |args| {
        args.targets.allow_private = Some(false);
    })
    .await;
    let tenant = app.seed().await.tenant_id;
    let token = app.token("demo-full-access", None).await;
    for url in [
        "http://127.0.0.1:9/",
        "http://localhost/",
        "http://[::1]/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/",
        "http://[fd00::1]/",
        "http://[::ffff:192.168.0.1]/",
    ] {
        let (status, refused) = call(
            &app,
            reqwest::Method::POST,
            "/webhooks",
            &token,
            Some(json!({"url": url, "events": ["ping"]})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {refused}");
        assert_eq!(refused["details"][0]["field"], "url");
    }
    // A subscription that points inside after registration (written here straight into the
    // database) is refused at send time: the receiver hears nothing.
    let receiver = Receiver::start().await;
    let application = partner_gateway::entities::api_applications::Entity::find()
        .filter(
            partner_gateway::entities::api_applications::Column::ClientId.eq("demo-full-access"),
        )
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("the demo application");
    let id = partner_gateway::entities::webhook_subscriptions::Entity::insert(
        partner_gateway::entities::webhook_subscriptions::ActiveModel {
            id: sea_orm::Set(Uuid::new_v4()),
            tenant_id: sea_orm::Set(tenant),
            api_application_id: sea_orm::Set(Some(application.id)),
            url: sea_orm::Set(receiver.url.clone()),
            events: sea_orm::Set(r#"["ping"]"#.into()),
            description: sea_orm::Set(None),
            secret: sea_orm::Set("whsec_c2VjcmV0".into()),
            status: sea_orm::Set(partner_gateway::entities::enums::WebhookStatus::Active),
            created_at: sea_orm::Set(app.clock.now()),
            updated_at: sea_orm::Set(app.clock.now()),
        },
    )
    .exec_with_returning(&app.state.db)
    .await
    .expect("insert")
    .id;
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        &format!("/webhooks/{id}/ping"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    settled_attempts(&app, id, 1).await;
    let attempt = webhook_delivery_attempts::Entity::find()
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("an attempt");
    assert_eq!(attempt.outcome, "FAILED");
    assert!(
        attempt
            .error
            .as_deref()
            .unwrap_or_default()
            .starts_with("refused"),
        "{attempt:?}"
    );
    assert!(attempt.response_status.is_none());
    assert!(receiver.seen().is_empty());
}

/// A WMS subscription of `tenant` to `order.allocated`, straight through the domain.
/// Queues a ping for a tenant's WMS subscription through the domain (the worker is not woken).
async fn queue_wms_ping(app: &TestApp, tenant: Uuid, subscription: Uuid) {
    let scope = partner_gateway::domain::scope::TenantScope::whole_tenant(tenant);
    let ctx = partner_gateway::domain::context::Ctx::new(
        &app.state.db,
        &scope,
        app.clock.now(),
        &app.state.cursors,
    );
    partner_gateway::domain::webhooks::ping(
        &ctx,
        partner_gateway::domain::webhooks::Owner::Tenant,
        subscription,
    )
    .await
    .expect("ping");
}

async fn wms_subscription(app: &TestApp, tenant: Uuid, url: &str) -> Uuid {
    use partner_gateway::domain::context::Ctx;
    use partner_gateway::domain::scope::TenantScope;
    use partner_gateway::domain::webhooks::{self, NewSubscription, Owner};
    let scope = TenantScope::whole_tenant(tenant);
    let ctx = Ctx::new(&app.state.db, &scope, app.clock.now(), &app.state.cursors);
    webhooks::create(
        &ctx,
        Owner::Tenant,
        partner_gateway::webhooks::target::TargetPolicy {
            allow_private: true,
        },
        NewSubscription {
            url: url.to_owned(),
            events: vec!["order.allocated".into()],
            description: None,
        },
    )
    .await
    .expect("subscription")
    .subscription
    .id
}

/// `n` `order.allocated` events of `tenant`, written into the outbox as a write would.
async fn record_events(app: &TestApp, tenant: Uuid, n: usize) {
    use partner_gateway::domain::context::Ctx;
    use partner_gateway::domain::outbox::{self, Event};
    use partner_gateway::domain::scope::TenantScope;
    let scope = TenantScope::whole_tenant(tenant);
    let txn = sea_orm::TransactionTrait::begin(&app.state.db)
        .await
        .expect("begin");
    let ctx = Ctx::new(&txn, &scope, app.clock.now(), &app.state.cursors);
    for i in 0..n {
        outbox::record(
            &ctx,
            Event::OrderAllocated,
            None,
            &json!({"orderNo": format!("SO-{i}")}),
        )
        .await
        .expect("event");
    }
    txn.commit().await.expect("commit");
    app.state.webhook_wake.ring();
}

/// Of the deliveries of `subscription`: how many succeeded with exactly one successful
/// attempt, and whether any had two.
async fn succeeded_once(app: &TestApp, subscription: Uuid) -> (usize, bool) {
    let deliveries = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::SubscriptionId.eq(subscription))
        .all(&app.state.db)
        .await
        .expect("deliveries");
    let ids: Vec<Uuid> = deliveries.iter().map(|d| d.id).collect();
    let mut successes: HashMap<Uuid, usize> = HashMap::new();
    for chunk in ids.chunks(500) {
        for attempt in webhook_delivery_attempts::Entity::find()
            .filter(webhook_delivery_attempts::Column::DeliveryId.is_in(chunk.to_vec()))
            .filter(webhook_delivery_attempts::Column::Outcome.eq("SUCCEEDED"))
            .all(&app.state.db)
            .await
            .expect("attempts")
        {
            *successes.entry(attempt.delivery_id).or_default() += 1;
        }
    }
    let once = deliveries
        .iter()
        .filter(|d| {
            d.status == partner_gateway::entities::enums::DeliveryStatus::Succeeded
                && successes.get(&d.id) == Some(&1)
        })
        .count();
    (once, successes.values().any(|n| *n > 1))
}

#[tokio::test]
async fn what_is_queued_is_delivered_after_a_restart() {
    let mut app = TestApp::spawn().await;
    let tenant = app.seed().await.tenant_id;
    let receiver = Receiver::start().await;
    receiver.always(Some(Answer::Status(503)));
    let subscription = wms_subscription(&app, tenant, &receiver.url).await;
    record_events(&app, tenant, 20).await;
    // Each tried once, failing; then the server stops with all of them waiting.
    settled_attempts(&app, subscription, 20).await;
    app.stop_server().await;
    // Written while no server runs.
    record_events(&app, tenant, 5).await;
    receiver.always(None);
    app.clock.advance(chrono::Duration::hours(2));
    let restarted = app.another_server().await;
    for _ in 0..400 {
        if succeeded_once(&app, subscription).await.0 == 25 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (once, twice) = succeeded_once(&app, subscription).await;
    assert_eq!(once, 25, "every event delivered");
    assert!(!twice, "none delivered twice");
    let ids: std::collections::BTreeSet<String> =
        receiver.seen().into_iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), 25);
    restarted.stop().await;
}

#[tokio::test]
async fn two_workers_on_one_database_deliver_each_event_once() {
    let app = TestApp::spawn().await;
    let tenant = app.seed().await.tenant_id;
    let receiver = Receiver::start().await;
    let subscription = wms_subscription(&app, tenant, &receiver.url).await;
    let second = app.another_server().await;
    for _ in 0..10 {
        record_events(&app, tenant, 100).await;
        second.state.webhook_wake.ring();
    }
    for _ in 0..1200 {
        if succeeded_once(&app, subscription).await.0 == 1000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (once, twice) = succeeded_once(&app, subscription).await;
    assert_eq!(once, 1000);
    assert!(!twice);
    let seen = receiver.seen();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for message in &seen {
        *counts.entry(message.id.as_str()).or_default() += 1;
    }
    assert_eq!(counts.len(), 1000);
    assert!(counts.values().all(|n| *n == 1), "a message arrived twice");
    second.stop().await;
}

#[tokio::test]
async fn a_receiver_that_hangs_delays_only_its_own_deliveries() {
    let app = TestApp::spawn_with(crate::helpers::fixed_now(), |args| {
        args.webhook_timeout_seconds = 1;
    })
    .await;
    let tenant = app.seed().await.tenant_id;
    let stuck = Receiver::start().await;
    stuck.always(Some(Answer::Hang));
    let fine = Receiver::start().await;
    let stuck_sub = wms_subscription(&app, tenant, &stuck.url).await;
    let fine_sub = wms_subscription(&app, tenant, &fine.url).await;
    let ping = |id| {
        let app = &app;
        async move {
            queue_wms_ping(app, tenant, id).await;
            app.state.webhook_wake.ring();
        }
    };
    // A backlog longer than any window of candidates the worker looks at.
    for _ in 0..200 {
        ping(stuck_sub).await;
    }
    stuck.wait_for(4).await;
    for _ in 0..5 {
        ping(fine_sub).await;
    }
    fine.wait_for(5).await;
    // The hanging receiver holds four attempts at a time, each until the timeout: when the
    // other's five have arrived, almost all of its two hundred have not even been tried.
    let recorded = webhook_delivery_attempts::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert!(stuck.seen().len() < 50, "{} tried", stuck.seen().len());
    assert!(recorded < 55, "{recorded} attempts recorded");
    // Then the stuck ones time out, recorded as such.
    settled_attempts(&app, stuck_sub, 4).await;
    let attempt = webhook_delivery_attempts::Entity::find()
        .filter(webhook_delivery_attempts::Column::Outcome.eq("FAILED"))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("a failed attempt");
    assert_eq!(attempt.error.as_deref(), Some("timed out"));
}

async fn graphql(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    app.client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn graphql_manages_the_same_subscriptions_through_the_same_rules() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let other = app.token("demo-no-pii", None).await;
    let receiver = Receiver::start().await;
    let created = graphql(
        &app,
        &token,
        "mutation($input: CreateWebhookSubscriptionInput!) { createWebhookSubscription(input: $input) \
         { secret subscription { id uuid url events description status } } }",
        json!({"input": {"url": receiver.url, "events": ["sales.order.completed"], "description": "GraphQL"}}),
    )
    .await;
    let payload = &created["data"]["createWebhookSubscription"];
    let secret = payload["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    let uuid = payload["subscription"]["uuid"]
        .as_str()
        .expect("uuid")
        .to_owned();
    let global = payload["subscription"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(payload["subscription"]["status"], "ACTIVE");

    // The same subscription through REST, and through node(id:).
    let (status, rest) = call(
        &app,
        reqwest::Method::GET,
        &format!("/webhooks/{uuid}"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rest["data"]["description"], "GraphQL");
    let found = graphql(
        &app,
        &token,
        "query($id: ID!) { node(id: $id) { ... on WebhookSubscription { uuid } } }",
        json!({"id": global}),
    )
    .await;
    assert_eq!(found["data"]["node"]["uuid"], uuid.as_str());
    // Another application sees nothing and changes nothing.
    let hidden = graphql(&app, &other, "query($id: UUID!) { webhookSubscription(uuid: $id) { uuid } webhookSubscriptions { totalCount } }", json!({"id": uuid})).await;
    assert!(hidden["data"]["webhookSubscription"].is_null(), "{hidden}");
    assert_eq!(hidden["data"]["webhookSubscriptions"]["totalCount"], 0);
    let refused = graphql(
        &app,
        &other,
        "mutation($id: UUID!) { deleteWebhookSubscription(uuid: $id) { deletedUuid } }",
        json!({"id": uuid}),
    )
    .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "not_found",
        "{refused}"
    );
    assert_eq!(
        refused["errors"][0]["message"],
        "Webhook subscription not found"
    );

    // Bad input: the same codes and fields as REST.
    let bad = graphql(
        &app,
        &token,
        "mutation { createWebhookSubscription(input: {url: \"http://x/\", events: [\"order.shipped\"]}) { secret } }",
        json!({}),
    )
    .await;
    assert_eq!(
        bad["errors"][0]["extensions"]["code"], "invalid_request",
        "{bad}"
    );
    let fields: Vec<&str> = bad["errors"][0]["extensions"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| d["field"].as_str().expect("field"))
        .collect();
    assert!(fields.contains(&"events[0]"), "{bad}");
    // Without read:webhooks: refused, nothing created.
    let narrow = app.token("demo-full-access", Some("read:sales")).await;
    let refused = graphql(&app, &narrow, "mutation { createWebhookSubscription(input: {url: \"http://127.0.0.1:9/\", events: [\"ping\"]}) { secret } }", json!({})).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "insufficient_scope",
        "{refused}"
    );
    // Mutations are not sent over GET.
    let over_get = app
        .client
        .get(app.url("/graphql"))
        .bearer_auth(&token)
        .query(&[(
            "query",
            format!("mutation {{ deleteWebhookSubscription(uuid: \"{uuid}\") {{ deletedUuid }} }}"),
        )])
        .send()
        .await
        .expect("request");
    let status = over_get.status();
    let allow = over_get.headers().get("allow").cloned();
    let body: Value = over_get.json().await.expect("json");
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(allow.as_ref().map(|v| v.as_bytes()), Some(&b"POST"[..]));
    assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");

    // Changed, pinged (delivered, signed), listed with its deliveries, deleted.
    let changed = graphql(
        &app,
        &token,
        "mutation($id: UUID!) { updateWebhookSubscription(uuid: $id, input: {description: null, events: [\"ping\"]}) { description events } }",
        json!({"id": uuid}),
    )
    .await;
    assert_eq!(
        changed["data"]["updateWebhookSubscription"],
        json!({"description": null, "events": ["ping"]})
    );
    let pinged = graphql(
        &app,
        &token,
        "mutation($id: UUID!) { pingWebhookSubscription(uuid: $id) { eventType status } }",
        json!({"id": uuid}),
    )
    .await;
    assert_eq!(
        pinged["data"]["pingWebhookSubscription"],
        json!({"eventType": "ping", "status": "PENDING"})
    );
    let seen = receiver.wait_for(1).await;
    assert!(seen[0].verifies_with(&secret));
    settled(&app, uuid.parse().expect("uuid"), 1).await;
    let listed = graphql(
        &app,
        &token,
        "{ webhookSubscriptions(first: 10) { totalCount edges { node { uuid deliveries(first: 5) { totalCount edges { node { status attemptCount attempts { outcome responseStatus } } } } } } } }",
        json!({}),
    )
    .await;
    let node = &listed["data"]["webhookSubscriptions"]["edges"][0]["node"];
    assert_eq!(
        listed["data"]["webhookSubscriptions"]["totalCount"], 1,
        "{listed}"
    );
    assert_eq!(node["deliveries"]["totalCount"], 1);
    assert_eq!(
        node["deliveries"]["edges"][0]["node"],
        json!({"status": "SUCCEEDED", "attemptCount": 1, "attempts": [{"outcome": "SUCCEEDED", "responseStatus": 200}]})
    );
    let deleted = graphql(
        &app,
        &token,
        "mutation($id: UUID!) { deleteWebhookSubscription(uuid: $id) { deletedUuid } }",
        json!({"id": uuid}),
    )
    .await;
    assert_eq!(
        deleted["data"]["deleteWebhookSubscription"]["deletedUuid"],
        uuid.as_str()
    );
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        &format!("/webhooks/{uuid}"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_simulation_places_and_completes_sales_that_partners_hear_of() {
    use partner_gateway::entities::{inventory_movements, sales_orders};
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let receiver = Receiver::start().await;
    let (_, secret) = subscribe(
        &app,
        &token,
        &receiver.url,
        &["sales.order.created", "sales.order.completed"],
    )
    .await;
    let first = partner_gateway::demo::simulate::step(&app.state, None)
        .await
        .expect("a first sale")
        .expect("something to sell");
    let second = partner_gateway::demo::simulate::step(&app.state, Some(first.clone()))
        .await
        .expect("a second sale")
        .expect("something to sell");
    app.state.webhook_wake.ring();
    let seen = receiver.wait_for(3).await;
    let events: Vec<(String, String)> = seen
        .iter()
        .inspect(|m| assert!(m.verifies_with(&secret)))
        .map(|m| {
            let payload = m.json();
            (
                payload["event"].as_str().expect("event").to_owned(),
                payload["data"]["order_number"]
                    .as_str()
                    .expect("number")
                    .to_owned(),
            )
        })
        .collect();
    for expected in [
        ("sales.order.created".to_owned(), first.1.clone()),
        ("sales.order.completed".to_owned(), first.1.clone()),
        ("sales.order.created".to_owned(), second.1.clone()),
    ] {
        assert!(events.contains(&expected), "{expected:?} in {events:?}");
    }
    let completed = sales_orders::Entity::find()
        .filter(sales_orders::Column::OrderNumber.eq(first.1.as_str()))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("the first order");
    assert_eq!(
        completed.status,
        partner_gateway::entities::enums::SalesStatus::Completed
    );
    assert_eq!(completed.paid_amount, completed.total_amount);
    // What was allocated to it left the warehouse as a sale.
    let sold = inventory_movements::Entity::find()
        .filter(inventory_movements::Column::ReferenceId.eq(completed.id))
        .all(&app.state.db)
        .await
        .expect("movements");
    assert_eq!(sold.len(), 1);
    assert_eq!(
        sold[0].movement_type,
        partner_gateway::entities::enums::MovementType::Sale
    );
    assert_eq!(sold[0].quantity.to_string(), "-1");
    // A completed order is not completed again.
    let scope = partner_gateway::domain::scope::TenantScope::whole_tenant(first.0);
    let ctx = partner_gateway::domain::context::Ctx::new(
        &app.state.db,
        &scope,
        app.clock.now(),
        &app.state.cursors,
    );
    let again = partner_gateway::domain::outbound::complete_order(&ctx, &first.1).await;
    assert!(
        matches!(
            again,
            Err(partner_gateway::error::AppError::Conflict { .. })
        ),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_disabled_subscriptions_waiting_deliveries_block_neither_its_ping_nor_others() {
    use partner_gateway::entities::enums::WebhookStatus;
    use partner_gateway::entities::webhook_subscriptions;
    use sea_orm::sea_query::Expr;
    let app = TestApp::spawn().await;
    let tenant = app.seed().await.tenant_id;
    let refusing = Receiver::start().await;
    refusing.always(Some(Answer::Status(500)));
    let fine = Receiver::start().await;
    let disabled = wms_subscription(&app, tenant, &refusing.url).await;
    wms_subscription(&app, tenant, &fine.url).await;
    // Six deliveries each; the refusing receiver's wait for a retry.
    record_events(&app, tenant, 6).await;
    refusing.wait_for(6).await;
    fine.wait_for(6).await;
    // Disabled with its six due again: more than its four slots, all older than what follows.
    webhook_subscriptions::Entity::update_many()
        .col_expr(
            webhook_subscriptions::Column::Status,
            Expr::value(WebhookStatus::Disabled),
        )
        .filter(webhook_subscriptions::Column::Id.eq(disabled))
        .exec(&app.state.db)
        .await
        .expect("disable");
    let before = app.clock.now().millis() - 1_000;
    webhook_deliveries::Entity::update_many()
        .col_expr(
            webhook_deliveries::Column::NextAttemptAt,
            Expr::value(partner_gateway::clock::Timestamp::from_millis(before).expect("time")),
        )
        .col_expr(
            webhook_deliveries::Column::LockedUntil,
            Expr::value(Option::<partner_gateway::clock::Timestamp>::None),
        )
        .filter(webhook_deliveries::Column::SubscriptionId.eq(disabled))
        .exec(&app.state.db)
        .await
        .expect("due again");

    // A ping to the disabled one goes; the other's new event goes; the waiting six do not.
    queue_wms_ping(&app, tenant, disabled).await;
    app.state.webhook_wake.ring_for(disabled);
    record_events(&app, tenant, 1).await;
    fine.wait_for(7).await;
    let arrived = refusing.wait_for(7).await;
    assert!(
        arrived[6].body.contains("\"ping\""),
        "the seventh message is the ping: {}",
        arrived[6].body
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        refusing.seen().len(),
        7,
        "a disabled subscription's deliveries wait"
    );
}

#[tokio::test]
async fn operators_list_a_tenants_subscriptions_and_bad_queries_get_the_envelope() {
    let app = TestApp::spawn().await;
    let tenant = app.seed().await.tenant_id;
    let receiver = Receiver::start().await;
    let id = wms_subscription(&app, tenant, &receiver.url).await;
    let token = operator_token(&app);
    let list = |query: String| {
        let request = app
            .client
            .get(app.url(&format!("/api/v1/webhook-subscriptions{query}")))
            .bearer_auth(&token);
        async move {
            let response = request.send().await.expect("list");
            let status = response.status();
            let body: Value = response.json().await.expect("a JSON envelope");
            (status, body)
        }
    };
    let (status, body) = list(format!("?tenantId={tenant}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"][0]["id"], id.to_string(), "{body}");
    for query in [
        String::new(),
        "?tenantId=not-a-uuid".to_owned(),
        format!("?tenantId={tenant}&tenantId={tenant}"),
        "?tenantId=%FF%FE".to_owned(),
    ] {
        let (status, body) = list(query.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["code"], "VALIDATION_FAILED", "{query}: {body}");
        assert!(body["requestId"].is_string(), "{query}: {body}");
    }
}

#[tokio::test]
async fn finished_history_past_its_retention_is_deleted_and_waiting_work_is_kept() {
    use partner_gateway::entities::enums::DeliveryStatus;
    use partner_gateway::entities::webhook_subscriptions;
    use partner_gateway::webhooks::retention;
    use sea_orm::Set;

    let app = TestApp::spawn().await;
    let tenant = app.seed().await.tenant_id;
    let db = &app.state.db;
    let now = app.clock.now();
    let day = Duration::from_secs(86_400);
    let mut subscriptions = Vec::new();
    for _ in 0..2 {
        subscriptions.push(
            webhook_subscriptions::Entity::insert(webhook_subscriptions::ActiveModel {
                id: Set(Uuid::new_v4()),
                tenant_id: Set(tenant),
                api_application_id: Set(None),
                url: Set("http://127.0.0.1:9/".into()),
                events: Set(r#"["asn.received"]"#.into()),
                description: Set(None),
                secret: Set("whsec_c2VjcmV0".into()),
                status: Set(partner_gateway::entities::enums::WebhookStatus::Active),
                created_at: Set(now.minus(day * 60)),
                updated_at: Set(now.minus(day * 60)),
            })
            .exec_with_returning(db)
            .await
            .expect("subscription")
            .id,
        );
    }
    let event = |dispatched: Option<Duration>| webhook_events::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant),
        event_type: Set("asn.received".into()),
        branch_id: Set(None),
        payload: Set("{}".into()),
        created_at: Set(now.minus(day * 45)),
        dispatched_at: Set(dispatched.map(|ago| now.minus(ago))),
    };
    let delivery =
        |subscription: Uuid, event: Uuid, status: DeliveryStatus| webhook_deliveries::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(tenant),
            subscription_id: Set(subscription),
            event_id: Set(event),
            event_type: Set("asn.received".into()),
            status: Set(status),
            attempts: Set(1),
            next_attempt_at: Set(None),
            locked_until: Set(None),
            last_response_status: Set(None),
            last_error: Set(None),
            completed_at: Set(None),
            created_at: Set(now.minus(day * 40)),
            updated_at: Set(now.minus(day * 40)),
        };
    let mut kept = Vec::new();
    let mut gone = Vec::new();
    // Old and finished (succeeded, failed, fanned out to no one): deleted.
    for status in [
        Some(DeliveryStatus::Succeeded),
        Some(DeliveryStatus::Failed),
        None,
    ] {
        let id = webhook_events::Entity::insert(event(Some(day * 40)))
            .exec_with_returning(db)
            .await
            .expect("event")
            .id;
        if let Some(status) = status {
            let delivered =
                webhook_deliveries::Entity::insert(delivery(subscriptions[0], id, status))
                    .exec_with_returning(db)
                    .await
                    .expect("delivery")
                    .id;
            webhook_delivery_attempts::Entity::insert(webhook_delivery_attempts::ActiveModel {
                id: Set(Uuid::new_v4()),
                tenant_id: Set(tenant),
                delivery_id: Set(delivered),
                attempt: Set(1),
                started_at: Set(now.minus(day * 40)),
                duration_ms: Set(5),
                outcome: Set("SUCCEEDED".into()),
                response_status: Set(Some(200)),
                response_body: Set(None),
                error: Set(None),
            })
            .exec(db)
            .await
            .expect("attempt");
        }
        gone.push(id);
    }
    // Old, but one of its deliveries still waits: kept whole.
    let waiting = webhook_events::Entity::insert(event(Some(day * 40)))
        .exec_with_returning(db)
        .await
        .expect("event")
        .id;
    for (subscription, status) in subscriptions
        .iter()
        .zip([DeliveryStatus::Succeeded, DeliveryStatus::Pending])
    {
        webhook_deliveries::Entity::insert(delivery(*subscription, waiting, status))
            .exec(db)
            .await
            .expect("delivery");
    }
    kept.push(waiting);
    // Recent, or never dispatched: kept.
    for dispatched in [Some(day * 10), None] {
        kept.push(
            webhook_events::Entity::insert(event(dispatched))
                .exec_with_returning(db)
                .await
                .expect("event")
                .id,
        );
    }
    // More than one batch of old ones.
    let many: Vec<_> = (0..2_100).map(|_| event(Some(day * 31))).collect();
    for chunk in many.chunks(500) {
        webhook_events::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .expect("events");
    }

    let deleted = retention::trim(db, now, day * 30).await.expect("trim");
    assert_eq!(deleted, 3 + 2_100);
    let left: Vec<Uuid> = webhook_events::Entity::find()
        .filter(webhook_events::Column::TenantId.eq(tenant))
        .all(db)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.id)
        .collect();
    for id in &kept {
        assert!(left.contains(id), "{id} was to be kept");
    }
    for id in &gone {
        assert!(!left.contains(id), "{id} was to be deleted");
    }
    assert_eq!(left.len(), kept.len());
    // Their deliveries and attempts went with them; the waiting event's stayed.
    let deliveries = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::TenantId.eq(tenant))
        .all(db)
        .await
        .expect("deliveries");
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries.iter().all(|d| d.event_id == waiting));
    let attempts = webhook_delivery_attempts::Entity::find()
        .filter(webhook_delivery_attempts::Column::TenantId.eq(tenant))
        .count(db)
        .await
        .expect("attempts");
    assert_eq!(attempts, 0);
    // Nothing more to do.
    assert_eq!(retention::trim(db, now, day * 30).await.expect("trim"), 0);
}
