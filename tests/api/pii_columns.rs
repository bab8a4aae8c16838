//! Personal data is read from the database only for callers allowed to see it whose request
//! asks for it: otherwise the customers' PII columns are selected as NULL.

use crate::captured::CapturingApp;

/// Whether any statement on `customers` read a personal-data column itself.
fn read_pii(app: &CapturingApp) -> bool {
    app.take().iter().any(|s| {
        s.sql.contains("FROM \"customers\"")
            && (s.sql.contains("\"customers\".\"phone\"")
                || s.sql.contains("\"customers\".\"tax_id\""))
    })
}

#[tokio::test]
async fn customers_personal_data_is_read_only_when_allowed_and_asked_for() {
    let app = CapturingApp::start().await;
    let no_pii = app.token_of("demo-no-pii", "pgs_demo_no_pii_secret").await;
    let orders_with = |fields: &str| {
        format!("{{ salesOrders(first: 20) {{ edges {{ node {{ customer {{ {fields} }} }} }} }} }}")
    };

    // GraphQL through the loader: names only — no PII read, even for a PII token.
    app.take();
    let body = app.graphql(&orders_with("name")).await;
    let customers = body["data"]["salesOrders"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["node"]["customer"].is_object())
        .count();
    assert!(customers > 0, "the page has member orders: {body}");
    assert!(!read_pii(&app), "names only: PII must not be read");

    // Asked for and allowed: read, and answered.
    let body = app.graphql(&orders_with("name phone")).await;
    assert!(
        read_pii(&app),
        "a PII field asked for by a PII token is read"
    );
    assert!(
        body["data"]["salesOrders"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .any(|e| e["node"]["customer"]["phone"].is_string()),
        "{body}"
    );

    // The root connection too.
    app.graphql("{ customers(first: 5) { edges { node { name } } } }")
        .await;
    assert!(!read_pii(&app));
    app.graphql("{ customers(first: 5) { edges { node { name email } } } }")
        .await;
    assert!(read_pii(&app));

    // Asked for but not allowed: never read (the fields are null with insufficient_scope).
    let response = app.graphql_as(&no_pii, &orders_with("name phone")).await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "insufficient_scope",
        "{response}"
    );
    assert!(!read_pii(&app), "a token without the scope never reads PII");

    // REST: by the token's scopes.
    app.get("/api/partner/v1/customers?limit=5").await;
    assert!(
        read_pii(&app),
        "REST with the PII scope answers the PII keys"
    );
    let (status, rest) = app
        .get_as(&no_pii, "/api/partner/v1/customers?limit=5")
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{rest}");
    assert!(
        rest["data"][0].is_object(),
        "the tenant has customers: {rest}"
    );
    assert!(rest["data"][0].get("phone").is_none(), "{rest}");
    assert!(
        !read_pii(&app),
        "REST without the PII scope never reads PII"
    );
}
