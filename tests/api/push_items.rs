//! Items pushed through the Push Integration API (`/items`, `/items/bulk`, `/items/{sku}`),
//! read back at once through the partner doors.

use partner_gateway::demo::DEMO_API_KEY;
use partner_gateway::entities::{product_skus, products};
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const ITEMS: &str = "/api/v1/integration/v1/items";

async fn post(app: &TestApp, key: &str, path: &str, body: &str) -> (StatusCode, Value, String) {
    let response = app
        .client
        .post(app.url(path))
        .header("x-api-key", key)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, json, text)
}

async fn get(app: &TestApp, key: &str, path: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .get(app.url(path))
        .header("x-api-key", key)
        .send()
        .await
        .expect("request");
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

/// A key of a new tenant (another tenant than the demo data's).
async fn other_tenant_key(app: &TestApp) -> String {
    let tenant = crate::helpers::empty_tenant(app).await;
    crate::helpers::push_key(app, tenant, "read write").await
}

#[tokio::test]
async fn an_item_is_created_then_updated_and_partners_read_it_at_once() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let body = r#"{
        "sku": "SKU-PUSH-001",
        "name": "Singha water 750ml",
        "barcode": "8850000000001",
        "baseUomCode": "EA",
        "category": "Beverages",
        "tracking": "lot",
        "shelfLifeDays": 365,
        "weightKg": 0.75
    }"#;
    let (status, created, text) = post(&app, DEMO_API_KEY, ITEMS, body).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert_eq!(created["status"], "success");
    let data = &created["data"];
    assert_eq!(data["result"], "created");
    assert_eq!(data["sku"], "SKU-PUSH-001");
    assert_eq!(data["tracking"], "lot");
    assert_eq!(data["category"], "Beverages");
    // The weight is a JSON number, written exactly as it was sent.
    assert!(text.contains(r#""weightKg":0.75"#), "{text}");

    // Partners see it at once: REST and GraphQL read the same catalogue.
    let token = app.token("demo-full-access", None).await;
    let products: Value = app
        .get_with(
            "/api/partner/v1/products?category=Beverages&limit=200",
            &token,
        )
        .await
        .json()
        .await
        .expect("json");
    let pushed = products["data"]
        .as_array()
        .expect("products")
        .iter()
        .find(|p| p["code"] == "SKU-PUSH-001")
        .unwrap_or_else(|| panic!("the pushed item is a product: {products}"));
    assert_eq!(pushed["skus"][0]["sku_code"], "SKU-PUSH-001");
    assert_eq!(pushed["skus"][0]["barcode"], "8850000000001");
    let graphql: Value = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({
            "query": "{ products(first: 200, filter: { category: \"Beverages\" }) { edges { node { code skus { skuCode unit } } } } }"
        }))
        .send()
        .await
        .expect("graphql")
        .json()
        .await
        .expect("json");
    let found = graphql["data"]["products"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .any(|e| e["node"]["code"] == "SKU-PUSH-001" && e["node"]["skus"][0]["unit"] == "EA");
    assert!(found, "{graphql}");

    // An update keeps what it leaves out, and answers 200.
    let (status, updated, text) = post(
        &app,
        DEMO_API_KEY,
        ITEMS,
        r#"{"sku": "SKU-PUSH-001", "name": "Singha water 750 ml", "baseUomCode": "BOTTLE"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let data = &updated["data"];
    assert_eq!(data["result"], "updated");
    assert_eq!(data["name"], "Singha water 750 ml");
    assert_eq!(data["baseUomCode"], "BOTTLE");
    assert_eq!(data["barcode"], "8850000000001", "kept");
    assert_eq!(data["tracking"], "lot", "kept");
    assert_eq!(data["shelfLifeDays"], 365, "kept");
    assert!(created["data"]["id"].is_string(), "{created}");
    assert_eq!(created["data"]["id"], data["id"], "the same SKU");

    // Read back through this door.
    let (status, read) = get(&app, DEMO_API_KEY, &format!("{ITEMS}/SKU-PUSH-001")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["data"]["name"], "Singha water 750 ml");
    let (status, missing) = get(&app, DEMO_API_KEY, &format!("{ITEMS}/NOPE")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["code"], "NOT_FOUND");
    assert_eq!(missing["message"], "Item SKU \"NOPE\" not found.");
}

#[tokio::test]
async fn a_malformed_item_names_each_bad_field() {
    let app = TestApp::spawn().await;
    app.seed().await;
    for (body, field) in [
        (
            r#"{"sku": "A", "name": "x", "baseUomCode": "EA", "weightKg": "0.75"}"#,
            "weightKg",
        ),
        (
            r#"{"sku": "A", "name": "x", "baseUomCode": "EA", "weightKg": 1e3}"#,
            "weightKg",
        ),
        (
            r#"{"sku": "A", "name": "x", "baseUomCode": "EA", "weightKg": 0.00001}"#,
            "weightKg",
        ),
        (
            r#"{"sku": "A", "name": "x", "baseUomCode": "EA", "tracking": "batch"}"#,
            "tracking",
        ),
        (r#"{"sku": "A", "name": "x"}"#, "baseUomCode"),
        (r#"{"sku": "A B", "name": "x", "baseUomCode": "EA"}"#, "sku"),
        (r#"{"sku": "A", "name": "", "baseUomCode": "EA"}"#, "name"),
        (
            r#"{"sku": "A", "name": "x", "baseUomCode": "EA", "shelfLifeDays": -1}"#,
            "shelfLifeDays",
        ),
        (
            r#"{"sku": "A", "name": "x", "baseUomCode": "EA", "weightKg": -1}"#,
            "weightKg",
        ),
        (
            r#"{"sku": "A", "name": "x", "baseUomCode": "EA", "price": 10}"#,
            "price",
        ),
        (r#"42"#, "body"),
        // Control characters: a NUL (which PostgreSQL refuses outright), a line break.
        (
            r#"{"sku": "A\u0000", "name": "x", "baseUomCode": "EA"}"#,
            "sku",
        ),
        (
            r#"{"sku": "A", "name": "x\ny", "baseUomCode": "EA"}"#,
            "name",
        ),
        (
            r#"{"sku": "A", "name": "x", "baseUomCode": "EA", "barcode": "8850\u0000"}"#,
            "barcode",
        ),
    ] {
        let (status, answer, _) = post(&app, DEMO_API_KEY, ITEMS, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["code"], "VALIDATION_FAILED", "{body}");
        assert_eq!(answer["details"][0]["field"], field, "{body}: {answer}");
    }
    let skus = product_skus::Entity::find()
        .all(&app.state.db)
        .await
        .expect("skus");
    assert!(
        skus.iter().all(|s| s.sku_code != "A"),
        "nothing was written"
    );
}

#[tokio::test]
async fn bulk_upserts_report_each_item_and_failures_keep_the_good_ones() {
    let app = TestApp::spawn().await;
    app.seed().await;
    // Every item valid: 200.
    let (status, all_good, text) = post(
        &app,
        DEMO_API_KEY,
        &format!("{ITEMS}/bulk"),
        r#"{"items": [
            {"sku": "BULK-A", "name": "Item A", "baseUomCode": "EA"},
            {"sku": "BULK-B", "name": "Item B", "baseUomCode": "BOX"}
        ]}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(all_good["status"], "success");
    assert_eq!(all_good["total"], 2);
    assert_eq!(all_good["created"], 2);
    assert_eq!(all_good["errors"], json!([]));

    // One bad entry: 207, the others written, each reported by index and key.
    let (status, partial, text) = post(
        &app,
        DEMO_API_KEY,
        &format!("{ITEMS}/bulk"),
        r#"{"items": [
            {"sku": "BULK-A", "name": "Item A v2", "baseUomCode": "EA"},
            {"sku": "BULK-X", "name": "Item X", "baseUomCode": "EA", "weightKg": "heavy"},
            {"sku": "BULK-C", "name": "Item C", "baseUomCode": "EA"}
        ]}"#,
    )
    .await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{text}");
    assert_eq!(partial["status"], "partial");
    assert_eq!(
        (
            partial["total"].as_u64(),
            partial["created"].as_u64(),
            partial["updated"].as_u64()
        ),
        (Some(3), Some(1), Some(1))
    );
    assert_eq!(partial["errors"][0]["index"], 1);
    assert_eq!(partial["errors"][0]["key"], "BULK-X");
    assert_eq!(partial["errors"][0]["details"][0]["field"], "weightKg");
    let data = partial["data"].as_array().expect("data");
    assert_eq!(data[0]["status"], "updated");
    assert_eq!(data[0]["data"]["sku"], "BULK-A");
    assert_eq!(data[1]["status"], "error");
    assert_eq!(data[2]["status"], "created");
    assert!(partial["requestId"].is_string());
    let codes: Vec<String> = product_skus::Entity::find()
        .all(&app.state.db)
        .await
        .expect("skus")
        .into_iter()
        .map(|s| s.sku_code)
        .collect();
    assert!(codes.contains(&"BULK-C".to_owned()));
    assert!(!codes.contains(&"BULK-X".to_owned()));

    // Over the limit, or empty: 400 before anything is written.
    let before = products::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    let items: Vec<Value> = (0..501)
        .map(|n| json!({"sku": format!("OVER-{n}"), "name": "x", "baseUomCode": "EA"}))
        .collect();
    let (status, answer, _) = post(
        &app,
        DEMO_API_KEY,
        &format!("{ITEMS}/bulk"),
        &json!({ "items": items }).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["code"], "VALIDATION_FAILED");
    assert_eq!(answer["details"][0]["field"], "items");
    let (status, _, _) = post(
        &app,
        DEMO_API_KEY,
        &format!("{ITEMS}/bulk"),
        r#"{"items": []}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let after = products::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_key_touches_only_its_own_tenants_items() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let (status, _, _) = post(
        &app,
        DEMO_API_KEY,
        ITEMS,
        r#"{"sku": "SHARED-1", "name": "Demo tenant's", "baseUomCode": "EA"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let other = other_tenant_key(&app).await;
    // The other tenant does not see it ...
    let (status, _) = get(&app, &other, &format!("{ITEMS}/SHARED-1")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // ... and the same code there is its own item.
    let (status, created, _) = post(
        &app,
        &other,
        ITEMS,
        r#"{"sku": "SHARED-1", "name": "Other tenant's", "baseUomCode": "EA"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (_, mine) = get(&app, DEMO_API_KEY, &format!("{ITEMS}/SHARED-1")).await;
    assert_eq!(mine["data"]["name"], "Demo tenant's");
    assert_ne!(mine["data"]["id"], created["data"]["id"]);
}

#[tokio::test]
async fn partners_are_upserted_by_type_and_code_and_partners_read_them() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let partners = "/api/v1/integration/v1/partners";
    let (status, created, text) = post(
        &app,
        DEMO_API_KEY,
        partners,
        r#"{"code": "SUP-PUSH", "name": "Siam Trading Co.", "type": "supplier",
            "contact": {"name": "Khun Somchai", "phone": "081-234-5678"}}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert_eq!(created["data"]["type"], "supplier");
    let (status, updated, text) = post(
        &app,
        DEMO_API_KEY,
        partners,
        r#"{"code": "SUP-PUSH", "name": "Siam Trading Co., Ltd.", "type": "supplier",
            "contact": {"email": "orders@siam.example"}}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(created["data"]["id"].is_string(), "{created}");
    assert_eq!(updated["data"]["id"], created["data"]["id"]);
    let token = app.token("demo-full-access", None).await;
    let suppliers: Value = app
        .get_with("/api/partner/v1/suppliers?limit=200", &token)
        .await
        .json()
        .await
        .expect("json");
    let supplier = suppliers["data"]
        .as_array()
        .expect("suppliers")
        .iter()
        .find(|s| s["code"] == "SUP-PUSH")
        .unwrap_or_else(|| panic!("{suppliers}"))
        .clone();
    assert_eq!(supplier["name"], "Siam Trading Co., Ltd.");
    assert_eq!(supplier["phone"], "081-234-5678", "kept by the update");
    assert_eq!(supplier["email"], "orders@siam.example");

    // A customer's contact is personal data: only a PII token reads it.
    let (status, _, text) = post(
        &app,
        DEMO_API_KEY,
        partners,
        r#"{"code": "CUS-PUSH", "name": "Somchai J.", "type": "customer",
            "contact": {"phone": "089-999-0000"}}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let find = |body: &Value| {
        body["data"]
            .as_array()
            .expect("customers")
            .iter()
            .find(|c| c["code"] == "CUS-PUSH")
            .cloned()
            .unwrap_or_else(|| panic!("{body}"))
    };
    let with_pii: Value = app
        .get_with("/api/partner/v1/customers?limit=1", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(find(&with_pii)["phone"], "089-999-0000");
    let no_pii = app.token("demo-no-pii", None).await;
    let without: Value = app
        .get_with("/api/partner/v1/customers?limit=1", &no_pii)
        .await
        .json()
        .await
        .expect("json");
    assert!(find(&without).get("phone").is_none(), "{without}");

    // Bulk: a bad type fails alone.
    let (status, report, text) = post(
        &app,
        DEMO_API_KEY,
        &format!("{partners}/bulk"),
        r#"{"partners": [
            {"code": "SUP-B1", "name": "B1", "type": "supplier"},
            {"code": "X-1", "name": "X", "type": "carrier"}
        ]}"#,
    )
    .await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{text}");
    assert_eq!(report["created"], 1);
    assert_eq!(report["errors"][0]["key"], "X-1");
    assert_eq!(report["errors"][0]["details"][0]["field"], "type");

    // Contact fields are text like any other: a NUL is a client's mistake, not our 500.
    let (status, refused, _) = post(
        &app,
        DEMO_API_KEY,
        partners,
        r#"{"code": "SUP-NUL", "name": "N", "type": "supplier", "contact": {"phone": "08\u00001"}}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["details"][0]["field"], "contact.phone");
}

#[tokio::test]
async fn locations_belong_to_a_warehouse_named_by_its_code() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let locations = "/api/v1/integration/v1/locations";
    let warehouse = partner_gateway::entities::warehouses::Entity::find()
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("a warehouse");
    let body = json!({
        "warehouseCode": warehouse.code,
        "code": "A-01-01-01",
        "zone": "A",
        "type": "storage",
        "pickFace": true
    })
    .to_string();
    let (status, created, text) = post(&app, DEMO_API_KEY, locations, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert_eq!(created["data"]["pickFace"], true);
    let (status, updated, _) = post(
        &app,
        DEMO_API_KEY,
        locations,
        &json!({"warehouseCode": warehouse.code, "code": "A-01-01-01", "pickFace": false})
            .to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(created["data"]["id"].is_string(), "{created}");
    assert_eq!(updated["data"]["id"], created["data"]["id"]);
    assert_eq!(updated["data"]["zone"], "A", "kept");
    assert_eq!(updated["data"]["pickFace"], false);

    // An unknown warehouse: the seed's 400.
    let (status, refused, _) = post(
        &app,
        DEMO_API_KEY,
        locations,
        r#"{"warehouseCode": "WH-NOPE", "code": "A-1"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(refused["code"], "VALIDATION_FAILED");
    assert_eq!(refused["message"], "Warehouse code \"WH-NOPE\" not found.");
    assert_eq!(refused["details"][0]["field"], "warehouseCode");

    // Another tenant's warehouse code is unknown to this tenant's key.
    let other = other_tenant_key(&app).await;
    let (status, refused, _) = post(&app, &other, locations, &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused["message"],
        format!("Warehouse code \"{}\" not found.", warehouse.code)
    );

    // Bulk: the unknown warehouse fails alone, with the seed's message.
    let (status, report, text) = post(
        &app,
        DEMO_API_KEY,
        &format!("{locations}/bulk"),
        &json!({"locations": [
            {"warehouseCode": warehouse.code, "code": "B-01"},
            {"warehouseCode": "WH-NOPE", "code": "B-02"}
        ]})
        .to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{text}");
    assert_eq!(
        report["errors"][0]["error"],
        "Warehouse code \"WH-NOPE\" not found."
    );
    assert_eq!(report["data"][0]["status"], "created");
    let (status, refused, _) = post(
        &app,
        DEMO_API_KEY,
        locations,
        &json!({"warehouseCode": warehouse.code, "code": "C-01", "type": "bin\u{0}"}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["details"][0]["field"], "type");
}
