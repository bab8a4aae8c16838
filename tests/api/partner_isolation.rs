//! Tenant isolation on every endpoint, and opaque server errors.

use partner_gateway::entities::{purchase_orders, sales_orders, warehouses};
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::Value;

use crate::helpers::TestApp;

#[tokio::test]
async fn another_tenant_sees_nothing_of_the_demo_tenant() {
    let app = TestApp::spawn().await;
    let summary = app.seed().await;
    let token = app.other_tenant_token().await;
    for path in [
        "/sales",
        "/products",
        "/inventory",
        "/inventory/movements",
        "/purchase-orders",
        "/suppliers",
        "/customers",
    ] {
        let response = app
            .get_with(&format!("/api/partner/v1{path}"), &token)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["data"], serde_json::json!([]), "{path} leaks rows");
    }
    let response = app
        .get_with("/api/partner/v1/reports/sales-summary", &token)
        .await;
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["totals"]["order_count"], 0);
    assert_eq!(body["by_status"], serde_json::json!([]));
    let response = app
        .get_with("/api/partner/v1/reports/inventory-summary", &token)
        .await;
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["sku_count"], 0);

    let order = sales_orders::Entity::find()
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("order");
    let po = purchase_orders::Entity::find()
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("po");
    let warehouse = warehouses::Entity::find()
        .one(&app.state.db)
        .await
        .expect("q")
        .expect("wh");
    for (path, message) in [
        (
            format!("/sales/{}/items", order.id),
            "Sales order not found",
        ),
        (
            format!("/purchase-orders/{}/items", po.id),
            "Purchase order not found",
        ),
        (
            format!("/inventory?warehouse_id={}", warehouse.id),
            "Warehouse not found",
        ),
        (
            format!(
                "/reports/sales-summary?branch_id={}",
                summary.first_branch_id
            ),
            "Branch not found",
        ),
        (
            format!("/reports/inventory-summary?warehouse_id={}", warehouse.id),
            "Warehouse not found",
        ),
    ] {
        let response = app
            .get_with(&format!("/api/partner/v1{path}"), &token)
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["message"], message, "{path}");
    }
}

#[tokio::test]
async fn server_errors_are_opaque_and_carry_a_request_id() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    app.state.db.clone().close().await.expect("close the pool");
    let response = app.get_with("/api/partner/v1/sales", &token).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.headers().get("x-request-id").is_some());
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({"error": "server_error", "message": "An unexpected error occurred"})
    );
    // The process is still up.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}
