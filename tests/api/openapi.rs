//! The committed OpenAPI document is the one the code generates, and the server serves it.

use partner_gateway::rest::openapi::document_json;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

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
