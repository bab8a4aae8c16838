//! `Idempotency-Key` on the Push Integration API's POSTs (seed 003 §2): replay, mismatch,
//! concurrency, expiry, restart, tenant scoping.

use std::time::Duration;

use partner_gateway::clock::Clock;
use partner_gateway::demo::DEMO_API_KEY;
use partner_gateway::entities::{idempotency_records, product_skus, products};
use reqwest::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::TestApp;

const ITEMS: &str = "/api/v1/integration/v1/items";

struct Answer {
    status: StatusCode,
    replay: bool,
    body: String,
}

async fn post_keyed(
    base: &str,
    client: &reqwest::Client,
    key: &str,
    idem: &str,
    body: &str,
) -> Answer {
    let response = client
        .post(format!("{base}{ITEMS}"))
        .header("x-api-key", key)
        .header("idempotency-key", idem)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("request");
    Answer {
        status: response.status(),
        replay: response
            .headers()
            .get("idempotent-replay")
            .is_some_and(|v| v == "true"),
        body: response.text().await.expect("body"),
    }
}

async fn skus_named(app: &TestApp, code: &str) -> u64 {
    product_skus::Entity::find()
        .filter(product_skus::Column::SkuCode.eq(code))
        .count(&app.state.db)
        .await
        .expect("count")
}

#[tokio::test]
async fn a_repeat_is_replayed_a_different_body_is_refused_and_keys_are_per_tenant() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let base = app.url("");
    let first = post_keyed(
        &base,
        &app.client,
        DEMO_API_KEY,
        "order-2026-06-15-abc123",
        r#"{"sku": "IDEM-1", "name": "Item", "baseUomCode": "EA"}"#,
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(!first.replay);
    // The same request, its keys in another order: the stored answer, marked as a replay.
    let again = post_keyed(
        &base,
        &app.client,
        DEMO_API_KEY,
        "order-2026-06-15-abc123",
        r#"{ "baseUomCode": "EA", "name": "Item", "sku": "IDEM-1" }"#,
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert!(again.replay);
    assert_eq!(again.body, first.body, "the stored body, byte for byte");
    assert_eq!(skus_named(&app, "IDEM-1").await, 1);
    // Without the key the same body is a new request (here an update).
    let (status, _) = {
        let r = app
            .client
            .post(app.url(ITEMS))
            .header("x-api-key", DEMO_API_KEY)
            .header("content-type", "application/json")
            .body(r#"{"sku": "IDEM-1", "name": "Item", "baseUomCode": "EA"}"#)
            .send()
            .await
            .expect("request");
        (r.status(), ())
    };
    assert_eq!(status, StatusCode::OK);

    // The same key with another body: 409.
    let other = post_keyed(
        &base,
        &app.client,
        DEMO_API_KEY,
        "order-2026-06-15-abc123",
        r#"{"sku": "IDEM-2", "name": "Item", "baseUomCode": "EA"}"#,
    )
    .await;
    assert_eq!(other.status, StatusCode::CONFLICT);
    let body: Value = serde_json::from_str(&other.body).expect("json");
    assert_eq!(body["code"], "IDEMPOTENCY_KEY_MISMATCH");
    assert_eq!(skus_named(&app, "IDEM-2").await, 0);

    // Keys belong to a tenant: another tenant's same key is its own.
    let other_key =
        crate::helpers::push_key(&app, crate::helpers::empty_tenant(&app).await, "write").await;
    let theirs = post_keyed(
        &base,
        &app.client,
        &other_key,
        "order-2026-06-15-abc123",
        r#"{"sku": "IDEM-2", "name": "Item", "baseUomCode": "EA"}"#,
    )
    .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
    assert!(!theirs.replay);
}

#[tokio::test]
async fn of_concurrent_requests_with_one_key_exactly_one_runs() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let base = app.url("");
    let requests = (0..12).map(|_| {
        let client = app.client.clone();
        let base = base.clone();
        async move {
            post_keyed(
                &base,
                &client,
                DEMO_API_KEY,
                "concurrent-key",
                r#"{"sku": "RACE-1", "name": "Raced", "baseUomCode": "EA"}"#,
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    let ran: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED && !a.replay)
        .collect();
    assert_eq!(ran.len(), 1, "exactly one request ran");
    // The others waited for it and got its answer.
    for answer in &answers {
        let replayed =
            answer.status == StatusCode::CREATED && answer.replay && answer.body == ran[0].body;
        assert!(
            replayed || std::ptr::eq(answer, ran[0]),
            "{} {}",
            answer.status,
            answer.body
        );
    }
    assert_eq!(skus_named(&app, "RACE-1").await, 1);
}

#[tokio::test]
async fn a_repeat_waits_for_the_running_first_and_keys_expire_after_a_day() {
    let app = TestApp::spawn().await;
    let tenant = app.seed().await.tenant_id;
    let base = app.url("");
    let body = r#"{"sku": "HELD-1", "name": "Held", "baseUomCode": "EA"}"#;
    // A first request with the key still running: its answer written, not yet committed.
    let first = app
        .state
        .db
        .begin_with_options(sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
        .expect("first request's transaction");
    let now = app.clock.now();
    idempotency_records::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant),
        idempotency_key: Set("held-key".into()),
        request_hash: Set(partner_gateway::push::idempotency::request_hash(
            &reqwest::Method::POST,
            // The path within the door's routes.
            "/items",
            body.as_bytes(),
        )),
        state: Set("DONE".into()),
        status: Set(Some(201)),
        headers: Set(Some(r#"{"content-type":"application/json"}"#.into())),
        body: Set(Some(r#"{"status":"success","data":"the first"}"#.into())),
        created_at: Set(now),
        expires_at: Set(
            partner_gateway::clock::Timestamp::from_millis(now.millis() + 86_400_000)
                .expect("in range"),
        ),
    }
    .insert(&first)
    .await
    .expect("the first's answer");
    let client = app.client.clone();
    let url = base.clone();
    let repeat =
        tokio::spawn(
            async move { post_keyed(&url, &client, DEMO_API_KEY, "held-key", body).await },
        );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !repeat.is_finished(),
        "the repeat waits while the first runs"
    );
    first.commit().await.expect("the first finishes");
    let repeated = repeat.await.expect("joins");
    assert_eq!(repeated.status, StatusCode::CREATED, "{}", repeated.body);
    assert!(repeated.replay);
    assert_eq!(repeated.body, r#"{"status":"success","data":"the first"}"#);
    assert_eq!(
        skus_named(&app, "HELD-1").await,
        0,
        "the repeat's own work was undone"
    );

    // After 24 hours the key is forgotten: the same key with another body runs.
    app.clock.advance(chrono::Duration::seconds(24 * 3600 + 1));
    let later = post_keyed(
        &base,
        &app.client,
        DEMO_API_KEY,
        "held-key",
        r#"{"sku": "HELD-2", "name": "Later", "baseUomCode": "EA"}"#,
    )
    .await;
    assert_eq!(later.status, StatusCode::CREATED, "{}", later.body);
    assert!(!later.replay);
    // The purge deletes what has expired, and only that.
    app.clock.advance(chrono::Duration::seconds(24 * 3600 + 1));
    let purged = partner_gateway::push::idempotency::purge(&app.state.db, app.clock.now())
        .await
        .expect("purge");
    assert_eq!(purged, 1);
    assert_eq!(
        idempotency_records::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn a_server_error_leaves_nothing_behind_and_keys_outlive_a_restart() {
    let app = TestApp::spawn().await;
    let tenant = app.seed().await.tenant_id;
    let products = || async {
        products::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count")
    };
    let before = products().await;
    // The SKU table gone: the item's product is written, then its SKU fails with a 500.
    let db = &app.state.db;
    db.execute_unprepared("ALTER TABLE product_skus RENAME TO product_skus_away")
        .await
        .expect("rename");
    let body = r#"{"sku": "FAIL-1", "name": "Fails", "baseUomCode": "EA"}"#;
    let failed = post_keyed(&app.url(""), &app.client, DEMO_API_KEY, "failing", body).await;
    db.execute_unprepared("ALTER TABLE product_skus_away RENAME TO product_skus")
        .await
        .expect("rename back");
    assert_eq!(
        failed.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        failed.body
    );
    assert_eq!(
        products().await,
        before,
        "the product written first rolled back too"
    );
    assert_eq!(
        idempotency_records::Entity::find()
            .count(db)
            .await
            .expect("count"),
        0,
        "a 5xx answer is not kept"
    );
    // The key is free: the retry runs.
    let retried = post_keyed(&app.url(""), &app.client, DEMO_API_KEY, "failing", body).await;
    assert_eq!(retried.status, StatusCode::CREATED, "{}", retried.body);
    assert!(!retried.replay);

    // A key used before a restart is replayed after it. (The restarted server is not in demo
    // mode, so it revokes the public demo key: this test uses a key of its own.)
    let own = crate::helpers::push_key(&app, tenant, "write").await;
    let body = r#"{"sku": "RESTART-1", "name": "Item", "baseUomCode": "EA"}"#;
    let first = post_keyed(&app.url(""), &app.client, &own, "before-restart", body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let config = (*app.state.config).clone();
    let clock: std::sync::Arc<dyn Clock> = app.clock.clone();
    let restarted = partner_gateway::startup::build_state_with(config, clock, app.state.db.clone())
        .await
        .expect("restart");
    let server = partner_gateway::startup::Application::bind(restarted)
        .await
        .expect("bind");
    let base = format!("http://{}", server.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    let after = post_keyed(&base, &app.client, &own, "before-restart", body).await;
    assert_eq!(after.status, StatusCode::CREATED);
    assert!(after.replay, "{}", after.body);
    assert_eq!(after.body, first.body);
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .expect("stops")
        .expect("joins")
        .expect("serves");
}

/// Two servers on one database (as two processes behind a load balancer would be): of
/// concurrent requests with one key, spread over both, exactly one runs.
#[tokio::test]
async fn two_servers_on_one_database_run_a_keyed_request_once() {
    let app = TestApp::spawn().await;
    let tenant = app.seed().await.tenant_id;
    let key = crate::helpers::push_key(&app, tenant, "write").await;
    // A second server with its own state, on the same database.
    let config = (*app.state.config).clone();
    let clock: std::sync::Arc<dyn Clock> = app.clock.clone();
    let second = partner_gateway::startup::build_state_with(config, clock, app.state.db.clone())
        .await
        .expect("second server's state");
    let server = partner_gateway::startup::Application::bind(second)
        .await
        .expect("bind");
    let other_base = format!("http://{}", server.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    let bases = [app.url(""), other_base];
    let requests = (0..12).map(|n| {
        let client = app.client.clone();
        let base = bases[n % 2].clone();
        let key = key.clone();
        async move {
            post_keyed(
                &base,
                &client,
                &key,
                "two-servers",
                r#"{"sku": "TWO-1", "name": "Twice?", "baseUomCode": "EA"}"#,
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    let ran = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED && !a.replay)
        .count();
    assert_eq!(ran, 1, "exactly one request ran");
    for answer in &answers {
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "the others are replays: {}",
            answer.body
        );
    }
    assert_eq!(skus_named(&app, "TWO-1").await, 1);
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .expect("stops")
        .expect("joins")
        .expect("serves");
}

#[tokio::test]
async fn keys_and_answers_are_kept_exactly_as_sent_whatever_they_hold() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let base = app.url("");
    // Quotes, a backslash, a semicolon and SQL in the key and in what the answer echoes.
    let key = r#"it's\a "key"; DELETE FROM idempotency_records; --"#;
    let body = r#"{"sku": "QUOTE-1", "name": "ข้าว 'jasmine'); DROP TABLE products; -- \\", "baseUomCode": "EA"}"#;
    let first = post_keyed(&base, &app.client, DEMO_API_KEY, key, body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(first.body.contains("DROP TABLE products"), "{}", first.body);
    let again = post_keyed(&base, &app.client, DEMO_API_KEY, key, body).await;
    assert!(again.replay, "{}", again.body);
    assert_eq!(again.body, first.body, "the kept answer, byte for byte");
    let kept = idempotency_records::Entity::find()
        .filter(idempotency_records::Column::IdempotencyKey.eq(key))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("the key is kept as sent");
    assert_eq!(kept.body.as_deref(), Some(first.body.as_str()));
    assert_eq!(skus_named(&app, "QUOTE-1").await, 1);

    // Both databases commit a kept answer in the batch that keeps it; every connection goes
    // back to the pool out of any transaction, and the next writer on it is not refused.
    let concurrent = (0..8).map(|client| {
        let base = base.clone();
        let http = app.client.clone();
        async move {
            for n in 0..15 {
                let item = format!(
                    r#"{{"sku": "BUSY-{client}-{n}", "name": "Item", "baseUomCode": "EA"}}"#
                );
                let key = format!("busy-{client}-{n}");
                let answer = post_keyed(&base, &http, DEMO_API_KEY, &key, &item).await;
                assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
            }
        }
    });
    futures_util::future::join_all(concurrent).await;
    if app.state.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        for n in 0..20 {
            let item = format!(r#"{{"sku": "POOL-{n}", "name": "Item", "baseUomCode": "EA"}}"#);
            let answer = post_keyed(
                &base,
                &app.client,
                DEMO_API_KEY,
                &format!("pool-{n}"),
                &item,
            )
            .await;
            assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        }
        let idle_in_transaction = sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
             AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()",
        );
        let mut left = i64::MAX;
        for _ in 0..50 {
            let row = app
                .state
                .db
                .query_one_raw(idle_in_transaction.clone())
                .await
                .expect("query")
                .expect("a row");
            left = row.try_get("", "n").expect("count");
            if left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(left, 0, "connections left idle in a transaction");
        // And the pooled connections work: every item is there.
        for n in 0..20 {
            assert_eq!(skus_named(&app, &format!("POOL-{n}")).await, 1);
        }
    }
}

#[tokio::test]
async fn a_request_with_two_keys_of_either_kind_is_refused_and_writes_nothing() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let item = r#"{"sku": "TWICE-1", "name": "Item", "baseUomCode": "EA"}"#;
    let send = |headers: &'static [(&'static str, &'static str)]| {
        let mut request = app
            .client
            .post(app.url(ITEMS))
            .header("content-type", "application/json")
            .body(item);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        async move {
            let response = request.send().await.expect("request");
            let status = response.status();
            let body: serde_json::Value = response.json().await.expect("an envelope");
            (status, body)
        }
    };
    // Which Idempotency-Key would protect the write is anyone's guess.
    let (status, body) = send(&[
        ("x-api-key", DEMO_API_KEY),
        ("idempotency-key", "first"),
        ("idempotency-key", "second"),
    ])
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "VALIDATION_FAILED", "{body}");
    assert_eq!(body["details"][0]["field"], "Idempotency-Key", "{body}");
    assert_eq!(body["details"][0]["message"], "must be sent once", "{body}");
    // So is which key is the caller's: the same key twice, or in both forms.
    for headers in [
        &[("x-api-key", DEMO_API_KEY), ("x-api-key", DEMO_API_KEY)][..],
        &[
            ("x-api-key", DEMO_API_KEY),
            ("authorization", "ApiKey wms_someone_else"),
        ][..],
    ] {
        let (status, body) = send(headers).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["code"], "UNAUTHORIZED", "{body}");
        assert_eq!(
            body["message"], "Invalid, revoked, or expired API key",
            "{body}"
        );
    }
    assert_eq!(skus_named(&app, "TWICE-1").await, 0);
    let kept = idempotency_records::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(kept, 0);
}
