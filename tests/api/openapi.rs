//! The committed OpenAPI document is the one the code generates, the server serves it, and
//! what it declares (scopes, headers, required keys, examples) is what the server does.

use std::collections::BTreeSet;

use partner_gateway::domain::scopes::Scope;
use partner_gateway::rest::openapi::{RESPONSE_EXAMPLES, document, document_json};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

/// Every `(path, method, operation)` of the document.
fn operations() -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in document()["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            all.push((path.clone(), method.clone(), operation.clone()));
        }
    }
    all
}

/// The scope an operation declares (the same under both schemes), if any.
fn declared_scope(operation: &Value) -> Option<String> {
    let security = operation["security"].as_array()?;
    let scopes: BTreeSet<String> = security
        .iter()
        .flat_map(|requirement| requirement.as_object().into_iter().flatten())
        .flat_map(|(_, scopes)| scopes.as_array().into_iter().flatten())
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    assert!(scopes.len() <= 1, "one scope per operation: {scopes:?}");
    scopes.into_iter().next()
}

/// A concrete URL for a documented path: `{id}` from real data.
async fn concrete(app: &TestApp, token: &str, path: &str) -> String {
    let list = if path.contains("/sales/") {
        "/api/partner/v1/sales"
    } else {
        "/api/partner/v1/purchase-orders"
    };
    if !path.contains("{id}") {
        return path.to_owned();
    }
    let page: Value = app
        .get_with(&format!("{list}?limit=1"), token)
        .await
        .json()
        .await
        .expect("json");
    let id = page["data"][0]["id"].as_str().expect("an id");
    path.replace("{id}", id)
}

/// A webhook subscription of `demo-full-access` with one delivery attempted (to this server's
/// own `/healthz`, which refuses a POST: a failed attempt is an attempt all the same).
async fn subscription_with_a_delivery(app: &TestApp) -> String {
    use partner_gateway::clock::Clock;
    use partner_gateway::domain::context::Ctx;
    use partner_gateway::domain::scope::TenantScope;
    use partner_gateway::domain::webhooks::{self, NewSubscription, Owner};
    use partner_gateway::entities::{api_applications, webhook_delivery_attempts};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let application = api_applications::Entity::find()
        .filter(api_applications::Column::ClientId.eq("demo-full-access"))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("demo application");
    let scope = TenantScope::whole_tenant(application.tenant_id);
    let ctx = Ctx::new(&app.state.db, &scope, app.clock.now(), &app.state.cursors);
    let owner = Owner::Application {
        id: application.id,
        plan: partner_gateway::entities::enums::Plan::Pro,
    };
    let created = webhooks::create(
        &ctx,
        owner,
        app.state.config.webhooks.targets,
        NewSubscription {
            url: app.url("/healthz"),
            events: vec!["ping".into()],
            description: Some("For the document's checks".into()),
        },
    )
    .await
    .expect("subscription");
    let id = created.subscription.id;
    webhooks::ping(&ctx, owner, id).await.expect("ping");
    app.state.webhook_wake.ring();
    for _ in 0..200 {
        if webhook_delivery_attempts::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count")
            > 0
        {
            return id.to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the ping was not attempted");
}

/// Sends the request that exercises an operation: its method, a concrete URL (`{id}` of a
/// webhook subscription is `subscription`, or a fresh one for a deletion), a body for writes.
async fn exercise(
    app: &TestApp,
    token: &str,
    path: &str,
    method: &str,
    subscription: &str,
) -> reqwest::Response {
    let url = if path.starts_with("/api/partner/v1/webhooks/{id}") {
        let id = if method == "delete" {
            fresh_subscription(app).await
        } else {
            subscription.to_owned()
        };
        path.replace("{id}", &id)
    } else {
        let full = app.token("demo-full-access", None).await;
        concrete(app, &full, path).await
    };
    let body = match method {
        "post" if path == "/api/partner/v1/webhooks" => {
            Some(serde_json::json!({"url": app.url("/healthz"), "events": ["ping"]}))
        }
        "patch" => Some(serde_json::json!({"description": "Changed"})),
        _ => None,
    };
    let method: reqwest::Method = method.to_ascii_uppercase().parse().expect("method");
    let mut request = app.client.request(method, app.url(&url)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

/// A subscription created (with the full-access token) to be deleted.
async fn fresh_subscription(app: &TestApp) -> String {
    let full = app.token("demo-full-access", None).await;
    let created: Value = app
        .client
        .post(app.url("/api/partner/v1/webhooks"))
        .bearer_auth(full)
        .json(&serde_json::json!({"url": app.url("/healthz"), "events": ["ping"]}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    created["data"]["id"].as_str().expect("id").to_owned()
}

/// The key paths of a JSON value: objects by key, arrays through their first element.
fn shape(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = format!("{prefix}.{key}");
                out.insert(path.clone());
                shape(child, &path, out);
            }
        }
        Value::Array(items) => {
            if let Some(first) = items.first() {
                shape(first, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn committed_openapi_json_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let committed = std::fs::read_to_string(path).expect("openapi.json is committed");
    assert!(
        committed == document_json(),
        "openapi.json is out of date: run `cargo run -- export-openapi --output openapi.json`"
    );
}

#[tokio::test]
async fn the_document_is_served_without_a_token() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/partner/v1/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let served: Value = response.json().await.expect("json");
    let generated: Value = serde_json::from_str(&document_json()).expect("json");
    assert_eq!(served, generated);
    assert_eq!(served["openapi"], "3.1.0");
    for path in [
        "/oauth/token",
        "/api/partner/v1/sales",
        "/api/partner/v1/sales/{id}/items",
        "/api/partner/v1/customers",
        "/api/partner/v1/reports/sales-summary",
    ] {
        assert!(served["paths"].get(path).is_some(), "{path} is documented");
    }
}

#[tokio::test]
async fn each_operation_declares_the_scope_its_endpoint_enforces() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let subscription = subscription_with_a_delivery(&app).await;
    let mut checked = 0;
    for (path, method, operation) in operations() {
        if path == "/oauth/token" {
            assert_eq!(
                operation["security"],
                serde_json::json!([]),
                "no bearer token"
            );
            continue;
        }
        let scope = declared_scope(&operation).unwrap_or_else(|| panic!("{path}: a scope"));
        let schemes: BTreeSet<&str> = operation["security"]
            .as_array()
            .expect("security")
            .iter()
            .flat_map(|r| r.as_object().expect("requirement").keys())
            .map(String::as_str)
            .collect();
        assert_eq!(schemes, BTreeSet::from(["oauth2", "bearer"]), "{path}");
        let others: Vec<&str> = Scope::ALL
            .iter()
            .map(|s| s.as_str())
            .filter(|s| *s != scope && *s != "read:customers:pii")
            .collect();
        let without = app.token("demo-full-access", Some(&others.join(" "))).await;
        let response = exercise(&app, &without, &path, &method, &subscription).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(
            body["required_scopes"],
            serde_json::json!([scope]),
            "{path}"
        );
        let with = app.token("demo-full-access", Some(&scope)).await;
        let response = exercise(&app, &with, &path, &method, &subscription).await;
        assert!(
            response.status().is_success(),
            "{method} {path} with {scope}: {}",
            response.status()
        );
        checked += 1;
    }
    assert_eq!(checked, 18);
}

#[test]
fn tokens_are_fetched_with_client_credentials_for_every_scope() {
    let doc = document();
    assert_eq!(doc["servers"][0]["url"], "/");
    let flow = &doc["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"];
    assert_eq!(flow["tokenUrl"], "/oauth/token");
    let scopes: BTreeSet<&str> = flow["scopes"]
        .as_object()
        .expect("scopes")
        .keys()
        .map(String::as_str)
        .collect();
    let all: BTreeSet<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(scopes, all);
    let token = &doc["paths"]["/oauth/token"]["post"]["requestBody"]["content"];
    assert!(token.get("application/x-www-form-urlencoded").is_some());
    let description = doc["paths"]["/oauth/token"]["post"]["description"]
        .as_str()
        .expect("description");
    for form in ["application/json", "HTTP Basic", "x-www-form-urlencoded"] {
        assert!(
            description.contains(form),
            "the token endpoint documents {form}"
        );
    }
}

#[tokio::test]
async fn declared_response_headers_are_sent() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let sales = &document()["paths"]["/api/partner/v1/sales"]["get"]["responses"];
    let required = |status: &str| -> Vec<String> {
        sales[status]["headers"]
            .as_object()
            .expect("headers")
            .iter()
            .filter(|(_, h)| h["required"] == true)
            .map(|(name, _)| name.to_ascii_lowercase())
            .collect()
    };
    let cases = [
        ("200", "/api/partner/v1/sales?limit=1", Some(&token)),
        ("400", "/api/partner/v1/sales?limit=0", Some(&token)),
        ("401", "/api/partner/v1/sales", None),
    ];
    for (status, url, token) in cases {
        let response = match token {
            Some(token) => app.get_with(url, token).await,
            None => app.get(url).await,
        };
        assert_eq!(response.status().as_str(), status);
        let names = required(status);
        assert!(names.contains(&"x-request-id".to_owned()), "{status}");
        for name in names {
            assert!(
                response.headers().contains_key(&name),
                "{status} lacks {name}"
            );
        }
    }
    // The 401 of a missing token has no rate-limit headers, and does not declare them.
    let response = app.get("/api/partner/v1/sales").await;
    assert!(!response.headers().contains_key("x-ratelimit-limit"));
    assert!(sales["401"]["headers"].get("X-RateLimit-Limit").is_none());
}

#[test]
fn keys_always_sent_are_required_and_only_personal_data_may_be_absent() {
    let pii: BTreeSet<&str> = [
        "phone",
        "email",
        "date_of_birth",
        "address",
        "city",
        "state",
        "postal_code",
        "country",
        "tax_id",
    ]
    .into();
    for (name, schema) in document()["components"]["schemas"]
        .as_object()
        .expect("schemas")
    {
        let parts: Vec<&Value> = match schema["allOf"].as_array() {
            Some(parts) => parts.iter().collect(),
            None => vec![schema],
        };
        for part in parts {
            check_required(name, part, &pii);
        }
    }
}

fn check_required(name: &str, schema: &Value, pii: &BTreeSet<&str>) {
    {
        let Some(properties) = schema["properties"].as_object() else {
            return;
        };
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for key in properties.keys() {
            // What a client sends may leave out what it need not say.
            let optional_by_design = (name == "CustomerResponse" && pii.contains(key.as_str()))
                || name == "TokenRequestBody"
                || name.ends_with("Request")
                || (name == "ErrorResponse" && (key == "details" || key == "required_scopes"));
            assert!(
                required.contains(key.as_str()) || optional_by_design,
                "{name}.{key} is always sent, so it must be required"
            );
        }
    }
}

#[test]
fn every_named_schema_is_used_and_no_text_refers_to_internals() {
    let text = document_json();
    for name in document()["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
    {
        let reference = format!("\"#/components/schemas/{name}\"");
        assert!(text.contains(&reference), "{name} is never referenced");
    }
    for internal in ["seed 0", "seeds 0", "AppError", "(seed"] {
        assert!(
            !text.contains(internal),
            "the document mentions {internal:?}"
        );
    }
    let codes: Vec<&str> = document()["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("an enum of codes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(codes.contains(&"insufficient_scope"));
    assert!(codes.contains(&"limit_reached"), "webhook quotas");
}

#[tokio::test]
async fn every_operation_has_examples_and_its_answer_example_has_the_live_shape() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let subscription = subscription_with_a_delivery(&app).await;
    for (path, method, operation) in operations() {
        let id = operation["operationId"].as_str().expect("operationId");
        for (status, response) in operation["responses"].as_object().expect("responses") {
            assert!(
                !response["description"]
                    .as_str()
                    .unwrap_or_default()
                    .is_empty(),
                "{id} {status}: a description"
            );
            if status == "204" {
                assert!(response["content"].is_null(), "{id}: 204 has no body");
                continue;
            }
            assert!(
                response["content"]["application/json"]["example"].is_object(),
                "{id} {status}: an example"
            );
        }
        if path == "/oauth/token" || method == "delete" {
            continue;
        }
        let (_, text) = RESPONSE_EXAMPLES
            .iter()
            .find(|(op, _)| *op == id)
            .expect("an example");
        let example: Value = serde_json::from_str(text).expect("example is JSON");
        let live: Value = exercise(&app, &token, &path, &method, &subscription)
            .await
            .json()
            .await
            .expect("json");
        let (mut want, mut got) = (BTreeSet::new(), BTreeSet::new());
        shape(&example, "", &mut want);
        shape(&live, "", &mut got);
        assert_eq!(
            want, got,
            "{id}: the example has the shape of a live answer"
        );
    }
}

#[tokio::test]
async fn refusals_carry_the_headers_their_responses_declare() {
    let app = TestApp::spawn_with(crate::helpers::fixed_now(), |args| {
        args.rate_limit_pro = 6;
    })
    .await;
    app.seed().await;
    let full = app.token("demo-full-access", None).await;
    let no_sales = app.token("demo-full-access", Some("read:products")).await;
    let items = &document()["paths"]["/api/partner/v1/sales/{id}/items"]["get"]["responses"];
    let declared = |status: &str, required_only: bool| -> Vec<String> {
        items[status]["headers"]
            .as_object()
            .expect("headers")
            .iter()
            .filter(|(_, h)| !required_only || h["required"] == true)
            .map(|(name, _)| name.to_ascii_lowercase())
            .collect()
    };
    let unknown = "/api/partner/v1/sales/00000000-0000-0000-0000-000000000000/items";
    let cases = [
        ("404", app.get_with(unknown, &full).await),
        // Not even UTF-8: answered like an unknown id, in the error format.
        (
            "404",
            app.get_with("/api/partner/v1/sales/%FF/items", &full).await,
        ),
        ("403", app.get_with(unknown, &no_sales).await),
    ];
    for (status, response) in cases {
        assert_eq!(response.status().as_str(), status);
        for name in declared(status, true) {
            assert!(
                response.headers().contains_key(&name),
                "{status} lacks {name}"
            );
        }
        // insufficient_scope is past the gate: the optional rate-limit headers are there.
        if status == "403" {
            assert!(declared(status, false).contains(&"x-ratelimit-remaining".to_owned()));
            assert!(response.headers().contains_key("x-ratelimit-remaining"));
        }
        let body: Value = response.json().await.expect("an error body");
        assert!(body["error"].is_string(), "{body}");
    }
    // Spend the rest of the quota; the 429 carries everything it declares.
    let mut limited = None;
    for _ in 0..10 {
        let response = app.get_with(unknown, &full).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("the quota runs out");
    let names = declared("429", true);
    assert!(names.contains(&"retry-after".to_owned()));
    for name in names {
        assert!(limited.headers().contains_key(&name), "429 lacks {name}");
    }
}

#[test]
fn both_documents_publish_their_event_catalogue() {
    use partner_gateway::domain::outbox::{Catalogue, Event};
    let partner = document_json();
    let push = partner_gateway::push::openapi::document_json();
    for event in Event::ALL {
        let (mine, other) = match event.catalogue() {
            Catalogue::Partner => (&partner, &push),
            Catalogue::Wms => (&push, &partner),
        };
        let row = format!(
            "| `{}` | {} |",
            event.name(),
            if event.emitted() { "yes" } else { "not yet" }
        );
        assert!(mine.contains(&row), "{} in its catalogue", event.name());
        assert!(
            !other.contains(&format!("| `{}` |", event.name())),
            "{}",
            event.name()
        );
    }
}
