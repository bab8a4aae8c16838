//! `/sales`, `/sales/{id}/items` and `/customers` over HTTP against demo data.

use std::collections::{BTreeSet, HashSet};

use partner_gateway::entities::enums::{DocumentSource, OrderType, PaymentStatus, SalesStatus};
use partner_gateway::entities::sales_orders;
use partner_gateway::money::Amount;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::TestApp;

async fn json(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.expect("json body"))
}

/// New orders written between pages, at the newest end of the list.
struct Arrivals {
    tenant: Uuid,
    branch: Uuid,
    at: partner_gateway::clock::Timestamp,
}

/// The seed-001 `fetchAll` loop, in Rust.
async fn fetch_all(
    app: &TestApp,
    token: &str,
    path: &str,
    arrivals: Option<&Arrivals>,
) -> Vec<Value> {
    let mut results = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{separator}cursor={c}"),
            None => path.to_owned(),
        };
        let (status, body) = json(app.get_with(&url, token).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        results.extend(body["data"].as_array().expect("data").iter().cloned());
        let has_more = body["pagination"]["has_more"].as_bool().expect("has_more");
        let next = body["pagination"]["next_cursor"]
            .as_str()
            .map(str::to_owned);
        assert_eq!(
            has_more,
            next.is_some(),
            "next_cursor is null exactly when has_more is false"
        );
        pages += 1;
        if let Some(a) = arrivals {
            new_order(a.tenant, a.branch, pages, a.at)
                .insert(&app.state.db)
                .await
                .expect("insert between pages");
        }
        match next {
            Some(next) if has_more => cursor = Some(next),
            _ => break,
        }
    }
    results
}

fn new_order(
    tenant: Uuid,
    branch: Uuid,
    n: usize,
    at: partner_gateway::clock::Timestamp,
) -> sales_orders::ActiveModel {
    sales_orders::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant),
        branch_id: Set(branch),
        customer_id: Set(None),
        order_number: Set(format!("NEW{n:05}")),
        order_date: Set(at),
        status: Set(SalesStatus::Completed),
        order_type: Set(OrderType::Takeaway),
        subtotal: Set(Amount::from_int(10).expect("fits")),
        discount_amount: Set(Amount::ZERO),
        tax_amount: Set(Amount::ZERO),
        service_charge_amount: Set(Amount::ZERO),
        total_amount: Set(Amount::from_int(10).expect("fits")),
        paid_amount: Set(Amount::from_int(10).expect("fits")),
        refunded_amount: Set(Amount::ZERO),
        payment_status: Set(PaymentStatus::Paid),
        source: Set(DocumentSource::Pos),
        external_reference: Set(None),
        warehouse_id: Set(None),
        required_date: Set(None),
        priority: Set(None),
        ship_to_name: Set(None),
        ship_to_address: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

#[tokio::test]
async fn fetch_all_walks_every_order_once_in_order_while_orders_arrive() {
    let app = TestApp::spawn().await;
    let summary = app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let now = partner_gateway::clock::Clock::now(app.clock.as_ref());
    let window_start = now.millis() - 30 * 86_400_000;
    let expected: Vec<Uuid> = {
        let mut rows = sales_orders::Entity::find()
            .filter(sales_orders::Column::OrderDate.gte(window_start))
            .all(&app.state.db)
            .await
            .expect("orders");
        rows.sort_by_key(|o| std::cmp::Reverse((o.order_date, o.id)));
        rows.into_iter().map(|o| o.id).collect()
    };
    assert!(expected.len() > 100);

    // Orders keep arriving at the newest end while the walk runs.
    let arrivals = Arrivals {
        tenant: summary.tenant_id,
        branch: summary.first_branch_id,
        at: now,
    };
    let walked = fetch_all(
        &app,
        &token,
        "/api/partner/v1/sales?limit=7",
        Some(&arrivals),
    )
    .await;
    assert!(walked.len() / 7 > 10, "a walk of many pages");
    let ids: Vec<Uuid> = walked
        .iter()
        .map(|o| Uuid::parse_str(o["id"].as_str().expect("id")).expect("uuid"))
        .collect();
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no order twice");
    assert_eq!(
        ids, expected,
        "every order of the window, newest first, none inserted later"
    );
}

#[tokio::test]
async fn cursors_are_signed_and_bound_to_their_filters() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let (_, body) = json(
        app.get_with("/api/partner/v1/sales?limit=2&status=COMPLETED", &token)
            .await,
    )
    .await;
    let cursor = body["pagination"]["next_cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();

    let (status, _) = json(
        app.get_with(
            &format!("/api/partner/v1/sales?limit=2&status=COMPLETED&cursor={cursor}"),
            &token,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let mut tampered = cursor.clone().into_bytes();
    tampered[10] = if tampered[10] == b'x' { b'y' } else { b'x' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    for path in [
        format!("/api/partner/v1/sales?status=COMPLETED&cursor={tampered}"),
        format!("/api/partner/v1/sales?status=VOIDED&cursor={cursor}"),
        format!("/api/partner/v1/customers?cursor={cursor}"),
        "/api/partner/v1/sales?cursor=eyJ2IjoxfQ.AAAA".to_owned(),
    ] {
        let (status, body) = json(app.get_with(&path, &token).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(body["details"][0]["field"], "cursor", "{body}");
    }
}

async fn branches_of(app: &TestApp, token: &str, query: &str) -> BTreeSet<String> {
    fetch_all(
        app,
        token,
        &format!("/api/partner/v1/sales?limit=200{query}"),
        None,
    )
    .await
    .iter()
    .map(|o| o["branch_id"].as_str().expect("branch").to_owned())
    .collect()
}

#[tokio::test]
async fn branch_intersection_follows_seed_001() {
    let app = TestApp::spawn().await;
    let summary = app.seed().await;
    let all = app.token("demo-full-access", None).await;
    let one = app.token("demo-one-branch", None).await;
    let every: BTreeSet<String> = branches_of(&app, &all, "").await;
    assert_eq!(every.len(), 3);
    let first = summary.first_branch_id.to_string();
    let other = every
        .iter()
        .find(|b| **b != first)
        .expect("another branch")
        .clone();

    // Unrestricted token + branch_id: used as is.
    assert_eq!(
        branches_of(&app, &all, &format!("&branch_id={other}")).await,
        [other.clone()].into()
    );
    // Restricted token + allowed branch: that branch.
    assert_eq!(
        branches_of(&app, &one, &format!("&branch_id={first}")).await,
        [first.clone()].into()
    );
    // Restricted token + allowed and disallowed: only the allowed one, no error.
    assert_eq!(
        branches_of(&app, &one, &format!("&branch_id={first}&branch_id={other}")).await,
        [first.clone()].into()
    );
    assert!(
        branches_of(&app, &one, &format!("&branch_id={other}"))
            .await
            .is_empty()
    );
    // No branch_id: everything the token allows.
    assert_eq!(branches_of(&app, &one, "").await, [first.clone()].into());

    let (status, body) = json(
        app.get_with("/api/partner/v1/sales?branch_id=nope", &all)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["details"][0]["field"], "branch_id");
}

#[tokio::test]
async fn items_are_all_returned_and_hidden_orders_are_not_found() {
    let app = TestApp::spawn().await;
    let summary = app.seed().await;
    let all = app.token("demo-full-access", None).await;
    let one = app.token("demo-one-branch", None).await;
    let orders = sales_orders::Entity::find()
        .all(&app.state.db)
        .await
        .expect("orders");
    let elsewhere = orders
        .iter()
        .find(|o| o.branch_id != summary.first_branch_id)
        .expect("an order of another branch");

    let (status, body) = json(
        app.get_with(
            &format!("/api/partner/v1/sales/{}/items", elsewhere.id),
            &all,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let items = body["data"].as_array().expect("data");
    assert!(!items.is_empty());
    assert!(body.get("pagination").is_none());
    let line_totals: Amount = items
        .iter()
        .map(|i| {
            i["line_total"]
                .as_str()
                .expect("decimal string")
                .parse::<Amount>()
                .expect("amount")
        })
        .sum();
    assert_eq!(line_totals, elsewhere.subtotal - elsewhere.discount_amount);

    for (path, token) in [
        (
            format!("/api/partner/v1/sales/{}/items", elsewhere.id),
            &one,
        ),
        (
            format!("/api/partner/v1/sales/{}/items", Uuid::new_v4()),
            &all,
        ),
        ("/api/partner/v1/sales/not-a-uuid/items".to_owned(), &all),
    ] {
        let (status, body) = json(app.get_with(&path, token).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"], "not_found");
        assert_eq!(body["message"], "Sales order not found");
    }
}

#[tokio::test]
async fn the_30_day_rules_of_seed_002() {
    // The app's clock is 2026-06-15T03:22:16.709Z.
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let ok = |q: &'static str| {
        let app = &app;
        let token = &token;
        async move {
            let (status, body) = json(
                app.get_with(&format!("/api/partner/v1/sales?limit=200{q}"), token)
                    .await,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{q}: {body}");
            body
        }
    };
    let bad = |q: &'static str, field: &'static str| {
        let app = &app;
        let token = &token;
        async move {
            let (status, body) = json(
                app.get_with(&format!("/api/partner/v1/sales?{q}"), token)
                    .await,
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
            assert_eq!(body["message"], "Query parameter validation failed");
            assert!(
                body["details"]
                    .as_array()
                    .expect("details")
                    .iter()
                    .any(|d| d["field"] == field),
                "{q}: {body}"
            );
        }
    };
    // Default window: every order is within the last 30 days.
    let body = ok("").await;
    for order in body["data"].as_array().expect("data") {
        assert!(order["order_date"].as_str().expect("date") >= "2026-05-16T03:22:16.709Z");
    }
    // `to` includes its whole day.
    let body = ok("&from=2026-06-14&to=2026-06-14").await;
    for order in body["data"].as_array().expect("data") {
        assert!(
            order["order_date"]
                .as_str()
                .expect("date")
                .starts_with("2026-06-14")
        );
    }
    assert!(!body["data"].as_array().expect("data").is_empty());
    bad("from=2026-05-01", "from").await; // lookback beyond 30 days
    bad("from=2026-06-10&to=2026-06-01", "from").await; // from > to
    bad("from=2026-05-16&to=2026-06-17", "from").await; // range over 30 days
    bad("from=2026-6-1", "from").await;
    bad("to=tomorrow", "to").await;
    bad("limit=201", "limit").await;
    bad("status=SHIPPED", "status").await;
}

#[tokio::test]
async fn customer_pii_is_absent_without_the_pii_scope() {
    let app = TestApp::spawn().await;
    app.seed().await;
    const PII: [&str; 9] = [
        "phone",
        "email",
        "date_of_birth",
        "address",
        "city",
        "state",
        "postal_code",
        "country",
        "tax_id",
    ];
    let with = app.token("demo-full-access", None).await;
    let without = app.token("demo-no-pii", None).await;
    let narrowed = app.token("demo-full-access", Some("read:customers")).await;

    let (status, body) = json(
        app.get_with("/api/partner/v1/customers?limit=5", &with)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for customer in body["data"].as_array().expect("data") {
        for key in PII {
            assert!(
                customer.get(key).is_some(),
                "{key} missing with the PII scope"
            );
        }
    }
    for token in [&without, &narrowed] {
        let (status, body) = json(
            app.get_with("/api/partner/v1/customers?limit=200", token)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let text = body.to_string();
        for customer in body["data"].as_array().expect("data") {
            for key in PII {
                assert!(
                    customer.get(key).is_none(),
                    "{key} present without the PII scope"
                );
            }
        }
        assert!(
            !text.contains("@"),
            "no e-mail address anywhere in the body"
        );
    }
    let sales_only = app.token("demo-full-access", Some("read:sales")).await;
    let (status, body) = json(app.get_with("/api/partner/v1/customers", &sales_only).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["required_scopes"],
        serde_json::json!(["read:customers"])
    );
}
