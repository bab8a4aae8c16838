//! `/metrics`: Prometheus text on its own listener, with bounded labels.

use partner_gateway::demo::DEMO_API_KEY;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// The samples of `name` whose labels include every one of `labels` (`key="value"`).
fn samples<'a>(text: &'a str, name: &str, labels: &[&str]) -> Vec<(&'a str, f64)> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let labelled = series.strip_prefix(name)?;
            if !(labelled.is_empty() || labelled.starts_with('{')) {
                return None;
            }
            labels
                .iter()
                .all(|label| labelled.contains(label))
                .then(|| (series, value.parse().unwrap_or(f64::NAN)))
        })
        .collect()
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_with_bounded_labels() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let address = partner_gateway::metrics::serve(
        app.state.clone(),
        "127.0.0.1:0".parse().expect("address"),
        std::future::pending(),
    )
    .await
    .expect("the metrics listener");
    let token = app.token("demo-full-access", None).await;
    let application =
        partner_gateway::domain::applications::find_by_client_id(&app.state.db, "demo-full-access")
            .await
            .expect("query")
            .expect("demo app")
            .id;

    // REST: a list, then one order's items (an id in the path).
    let list: Value = app
        .get_with("/api/partner/v1/sales?limit=1", &token)
        .await
        .json()
        .await
        .expect("json");
    let order = list["data"][0]["id"].as_str().expect("an order").to_owned();
    let items = app
        .get_with(&format!("/api/partner/v1/sales/{order}/items"), &token)
        .await;
    assert_eq!(items.status(), StatusCode::OK);
    // GraphQL: a named operation.
    let answered =
        crate::graphql::query(&app, &token, "query MetricsProbe { viewer { plan } }").await;
    assert!(answered.get("errors").is_none(), "{answered}");
    // Push: a keyed write, then its replay.
    for _ in 0..2 {
        let pushed = app
            .client
            .post(app.url("/api/v1/integration/v1/items"))
            .header("X-API-Key", DEMO_API_KEY)
            .header("Idempotency-Key", "metrics-probe")
            .json(&json!({"sku": "METRICS-1", "name": "Item", "baseUomCode": "EA"}))
            .send()
            .await
            .expect("push");
        assert!(pushed.status().is_success(), "{}", pushed.status());
    }
    // Nothing at an unknown path but a count.
    let unknown = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .expect("get");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    // Never on the public port.
    let public = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("get");
    assert_eq!(public.status(), StatusCode::NOT_FOUND);

    let scraped = app
        .client
        .get(format!("http://{address}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(
        scraped
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain")),
    );
    let text = scraped.text().await.expect("text");
    let application = format!("application=\"{application}\"");
    for (name, labels) in [
        (
            "http_requests_total",
            vec![
                "door=\"rest\"",
                "route=\"/api/partner/v1/sales\"",
                "status=\"200\"",
                application.as_str(),
            ],
        ),
        (
            "http_requests_total",
            vec![
                "door=\"rest\"",
                "route=\"/api/partner/v1/sales/{id}/items\"",
            ],
        ),
        (
            "http_requests_total",
            vec![
                "door=\"graphql\"",
                "route=\"/graphql\"",
                application.as_str(),
            ],
        ),
        (
            "http_requests_total",
            vec!["door=\"push\"", "status=\"201\""],
        ),
        (
            "http_requests_total",
            vec!["route=\"unmatched\"", "status=\"404\""],
        ),
        (
            "http_request_duration_seconds_bucket",
            vec!["door=\"graphql\"", "route=\"/graphql\""],
        ),
        (
            "graphql_operations_total",
            vec!["operation=\"MetricsProbe\""],
        ),
        (
            "graphql_operation_cost_count",
            vec!["operation=\"MetricsProbe\""],
        ),
        ("push_idempotent_replays_total", vec![]),
        ("db_pool_connections", vec!["state=\"in_use\""]),
        ("db_pool_connections", vec!["state=\"idle\""]),
        ("db_budget_waiting", vec![]),
        ("push_request_log_dropped_total", vec![]),
        ("webhook_queue_oldest_due_seconds", vec![]),
    ] {
        let found = samples(&text, name, &labels);
        assert!(
            found.iter().any(|(_, value)| *value >= 0.0),
            "{name} {labels:?} in:\n{text}"
        );
    }
    for (name, labels) in [
        (
            "graphql_operations_total",
            vec!["operation=\"MetricsProbe\""],
        ),
        ("push_idempotent_replays_total", vec![]),
    ] {
        assert!(
            samples(&text, name, &labels).iter().any(|(_, v)| *v >= 1.0),
            "{name} counted: {text}"
        );
    }
    // Route labels are templates: no id from a path is a label value.
    assert!(!text.contains(&order), "an order id in a label:\n{text}");
    assert!(
        !text.contains("/no/such/page"),
        "a raw path in a label:\n{text}"
    );
}
