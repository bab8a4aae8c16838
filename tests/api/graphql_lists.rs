//! Every GraphQL list against its REST twin: the same rows in the same order walking forward
//! and backward, `totalCount` equal to the walk, filters validated by the same code, cursors
//! bound to their filters, related objects behind their own scopes, and no N+1 statements.

use serde_json::{Value, json};

use crate::graphql::query;
use crate::helpers::TestApp;

/// A GraphQL connection field and the REST list it mirrors.
struct Twin {
    field: &'static str,
    filter: &'static str,
    rest: &'static str,
}

const TWINS: &[Twin] = &[
    Twin {
        field: "customers",
        filter: "",
        rest: "/api/partner/v1/customers?",
    },
    Twin {
        field: "products",
        filter: "filter: { status: ACTIVE }",
        rest: "/api/partner/v1/products?status=ACTIVE&",
    },
    Twin {
        field: "inventoryLevels",
        filter: "filter: { lowStock: false }",
        rest: "/api/partner/v1/inventory?low_stock=false&",
    },
    Twin {
        field: "inventoryMovements",
        filter: "filter: { movementType: SALE }",
        rest: "/api/partner/v1/inventory/movements?movement_type=SALE&",
    },
    Twin {
        field: "purchaseOrders",
        filter: "",
        rest: "/api/partner/v1/purchase-orders?",
    },
    Twin {
        field: "suppliers",
        filter: "",
        rest: "/api/partner/v1/suppliers?",
    },
];

fn ids(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["uuid"].as_str().expect("uuid").to_owned())
        .collect()
}

async fn rest_walk(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}limit=200&cursor={c}"),
            None => format!("{path}limit=200"),
        };
        let body: Value = app.get_with(&url, token).await.json().await.expect("json");
        for row in body["data"].as_array().expect("data") {
            ids.push(row["id"].as_str().expect("id").to_owned());
        }
        match body["pagination"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

/// Walks a connection page by page (forward with `first`/`after`, or backward with
/// `last`/`before`), returning the ids in newest-first order and the last `totalCount`.
async fn graphql_walk(
    app: &TestApp,
    token: &str,
    twin: &Twin,
    size: usize,
    backward: bool,
) -> (Vec<String>, Option<u64>) {
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut total;
    let mut cursor: Option<String> = None;
    loop {
        let (count, towards) = if backward {
            ("last", "before")
        } else {
            ("first", "after")
        };
        let mut args = format!("{count}: {size}");
        if let Some(c) = &cursor {
            args.push_str(&format!(", {towards}: \"{c}\""));
        }
        if !twin.filter.is_empty() {
            args.push_str(&format!(", {}", twin.filter));
        }
        let document = format!(
            "{{ {}({args}) {{ totalCount edges {{ cursor node {{ uuid }} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}",
            twin.field
        );
        let body = query(app, token, &document).await;
        assert!(body.get("errors").is_none(), "{document}: {body}");
        let connection = &body["data"][twin.field];
        total = connection["totalCount"].as_u64();
        pages.push(ids(connection));
        let info = &connection["pageInfo"];
        let (more, next) = if backward {
            (info["hasPreviousPage"] == true, &info["startCursor"])
        } else {
            (info["hasNextPage"] == true, &info["endCursor"])
        };
        if !more {
            break;
        }
        cursor = next.as_str().map(str::to_owned);
    }
    if backward {
        pages.reverse();
    }
    (pages.into_iter().flatten().collect(), total)
}

#[tokio::test]
async fn every_list_walks_like_its_rest_twin_both_ways() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    for twin in TWINS {
        let rest = rest_walk(&app, &token, twin.rest).await;
        assert!(rest.len() > 3, "{}: the demo data has rows", twin.field);
        let size = (rest.len() / 4).clamp(2, 200);
        let (forward, total) = graphql_walk(&app, &token, twin, size, false).await;
        assert_eq!(forward, rest, "{} forward", twin.field);
        assert_eq!(total, Some(rest.len() as u64), "{} totalCount", twin.field);
        let (backward, _) = graphql_walk(&app, &token, twin, size, true).await;
        assert_eq!(backward, rest, "{} backward", twin.field);
    }
}

#[tokio::test]
async fn filters_are_validated_by_the_rest_rules_and_cursors_stay_bound() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let cases = [
        (
            "{ products(filter: { category: \"   \" }) { edges { cursor } } }",
            "products",
            "filter.category",
        ),
        (
            "{ inventoryLevels(filter: { warehouseId: \"nope\" }) { edges { cursor } } }",
            "inventoryLevels",
            "filter.warehouseId",
        ),
        (
            "{ inventoryMovements(filter: { from: \"2026-13-01\" }) { edges { cursor } } }",
            "inventoryMovements",
            "filter.from",
        ),
        (
            "{ purchaseOrders(filter: { supplierId: \"x\" }) { edges { cursor } } }",
            "purchaseOrders",
            "filter.supplierId",
        ),
        (
            "{ suppliers(first: 0) { edges { cursor } } }",
            "suppliers",
            "first",
        ),
        (
            "{ customers(last: 500) { edges { cursor } } }",
            "customers",
            "last",
        ),
        (
            "{ salesOrders(filter: { branchIds: [\"nope\"] }) { edges { cursor } } }",
            "salesOrders",
            "filter.branchIds",
        ),
        // A global id of another type is no branch id.
        (
            "{ salesOrders(filter: { branchIds: [\"V2FyZWhvdXNlOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA\"] }) { edges { cursor } } }",
            "salesOrders",
            "filter.branchIds",
        ),
        (
            "{ salesSummary(branchId: \"x\") { totals { orderCount } } }",
            "salesSummary",
            "branchId",
        ),
        (
            "{ salesSummary(from: 20260601) { totals { orderCount } } }",
            "salesSummary",
            "from",
        ),
    ];
    for (document, field, named) in cases {
        let body = query(&app, &token, document).await;
        assert_eq!(body["data"][field], Value::Null, "{document}");
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "invalid_request", "{document}");
        assert_eq!(
            error["extensions"]["details"][0]["field"], named,
            "{document}: {body}"
        );
    }

    // An unknown warehouse is not_found, as on REST.
    let body = query(
        &app,
        &token,
        &format!(
            "{{ inventoryLevels(filter: {{ warehouseId: \"{}\" }}) {{ edges {{ cursor }} }} }}",
            uuid::Uuid::nil()
        ),
    )
    .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "not_found");
    assert_eq!(body["errors"][0]["message"], "Warehouse not found");

    // A cursor issued for one filter is refused under another, naming the argument.
    let body = query(
        &app,
        &token,
        "{ products(first: 2, filter: { status: ACTIVE }) { pageInfo { endCursor } } }",
    )
    .await;
    let cursor = body["data"]["products"]["pageInfo"]["endCursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    for (document, named) in [
        (
            format!("{{ products(first: 2, after: \"{cursor}\") {{ edges {{ cursor }} }} }}"),
            "after",
        ),
        (
            format!("{{ products(last: 2, before: \"{cursor}\") {{ edges {{ cursor }} }} }}"),
            "before",
        ),
        (
            format!("{{ suppliers(first: 2, after: \"{cursor}\") {{ edges {{ cursor }} }} }}"),
            "after",
        ),
    ] {
        let body = query(&app, &token, &document).await;
        assert_eq!(
            body["errors"][0]["extensions"]["details"][0]["field"], named,
            "{document}: {body}"
        );
    }

    // Filters accept global ids as well as REST ids, with the same result.
    let body = query(
        &app,
        &token,
        "{ purchaseOrders(first: 1) { edges { node { supplier { id uuid } } } } }",
    )
    .await;
    let supplier = &body["data"]["purchaseOrders"]["edges"][0]["node"]["supplier"];
    let by = |id: &Value| {
        format!(
            "{{ purchaseOrders(first: 200, filter: {{ supplierId: {id} }}) {{ totalCount edges {{ node {{ supplierId }} }} }} }}"
        )
    };
    let by_rest = query(&app, &token, &by(&supplier["uuid"])).await;
    let by_global = query(&app, &token, &by(&supplier["id"])).await;
    assert_eq!(by_rest["data"], by_global["data"]);
    let edges = by_rest["data"]["purchaseOrders"]["edges"]
        .as_array()
        .expect("edges");
    assert!(!edges.is_empty());
    assert!(
        edges
            .iter()
            .all(|e| e["node"]["supplierId"] == supplier["uuid"])
    );
}

#[tokio::test]
async fn related_objects_need_their_own_scope() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let purchasing = app.token("demo-full-access", Some("read:purchasing")).await;
    let body = query(
        &app,
        &purchasing,
        "{ purchaseOrders(first: 3) { edges { node { poNumber supplier { name } items { quantity sku { skuCode } } receipts { quantity } warehouse { code } } } } }",
    )
    .await;
    let edges = body["data"]["purchaseOrders"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(edges.len(), 3);
    for edge in edges {
        let node = &edge["node"];
        assert!(node["poNumber"].is_string());
        assert!(node["supplier"]["name"].is_string(), "same scope: {node}");
        assert!(!node["items"].as_array().expect("items").is_empty());
        assert_eq!(node["receipts"], Value::Null);
        assert_eq!(node["warehouse"], Value::Null);
        for item in node["items"].as_array().expect("items") {
            assert!(item["quantity"].is_string());
            assert_eq!(item["sku"], Value::Null);
        }
    }
    let mut required: Vec<(String, String)> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            assert_eq!(e["extensions"]["code"], "insufficient_scope");
            let field = e["path"]
                .as_array()
                .and_then(|p| p.last())
                .and_then(Value::as_str)
                .expect("path")
                .to_owned();
            (field, e["extensions"]["required_scopes"][0].to_string())
        })
        .collect();
    required.sort();
    required.dedup();
    assert_eq!(
        required,
        [
            ("receipts".to_owned(), "\"read:inventory\"".to_owned()),
            ("sku".to_owned(), "\"read:products\"".to_owned()),
            ("warehouse".to_owned(), "\"read:inventory\"".to_owned()),
        ]
    );

    // With every scope, received purchase orders show their receipts: stock movements that
    // reference the order and add up to what its lines record as received.
    let full = app.token("demo-full-access", None).await;
    let body = query(
        &app,
        &full,
        "{ purchaseOrders(first: 200, filter: { status: RECEIVED }) { edges { node { uuid poNumber items { receivedQuantity sku { skuCode product { name } } } receipts { movementType quantity reference referenceId sku { skuCode } } } } } }",
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    let orders = body["data"]["purchaseOrders"]["edges"]
        .as_array()
        .expect("edges");
    assert!(!orders.is_empty(), "the demo data has received orders");
    for order in orders {
        let node = &order["node"];
        let receipts = node["receipts"].as_array().expect("receipts");
        assert!(!receipts.is_empty(), "{node}");
        let received: rust_decimal::Decimal = receipts
            .iter()
            .map(|r| {
                assert_eq!(r["movementType"], "RECEIVE");
                assert_eq!(r["referenceId"], node["uuid"]);
                assert_eq!(r["reference"], node["poNumber"]);
                r["quantity"]
                    .as_str()
                    .and_then(|q| q.parse::<rust_decimal::Decimal>().ok())
                    .expect("quantity")
            })
            .sum();
        let ordered: rust_decimal::Decimal = node["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| {
                assert!(i["sku"]["product"]["name"].is_string());
                i["receivedQuantity"]
                    .as_str()
                    .and_then(|q| q.parse::<rust_decimal::Decimal>().ok())
                    .expect("received")
            })
            .sum();
        assert_eq!(received, ordered, "{}", node["poNumber"]);
    }
}

#[tokio::test]
async fn every_node_type_round_trips_and_branch_rules_hold() {
    let app = TestApp::spawn().await;
    let summary = app.seed().await;
    let full = app.token("demo-full-access", None).await;
    let one = app.token("demo-one-branch", None).await;
    let body = query(
        &app,
        &full,
        "{ products(first: 1) { edges { node { id uuid skus { id uuid } } } }
           inventoryLevels(first: 200) { edges { node { id uuid warehouse { id uuid branchId branch { id uuid } } } } }
           inventoryMovements(first: 1) { edges { node { id uuid } } }
           purchaseOrders(first: 1) { edges { node { id uuid supplier { id uuid } } } } }",
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    let data = &body["data"];
    let product = &data["products"]["edges"][0]["node"];
    let level = &data["inventoryLevels"]["edges"][0]["node"];
    let objects = [
        ("Product", product.clone()),
        ("Sku", product["skus"][0].clone()),
        ("InventoryLevel", level.clone()),
        ("Warehouse", level["warehouse"].clone()),
        ("Branch", level["warehouse"]["branch"].clone()),
        (
            "InventoryMovement",
            data["inventoryMovements"]["edges"][0]["node"].clone(),
        ),
        (
            "PurchaseOrder",
            data["purchaseOrders"]["edges"][0]["node"].clone(),
        ),
        (
            "Supplier",
            data["purchaseOrders"]["edges"][0]["node"]["supplier"].clone(),
        ),
    ];
    let ids: Vec<String> = objects
        .iter()
        .map(|(_, o)| format!("\"{}\"", o["id"].as_str().expect("id")))
        .collect();
    let body = query(
        &app,
        &full,
        &format!(
            "{{ nodes(ids: [{}]) {{ __typename id ... on Product {{ uuid }} ... on Sku {{ uuid }} ... on InventoryLevel {{ uuid }} ... on Warehouse {{ uuid }} ... on Branch {{ uuid }} ... on InventoryMovement {{ uuid }} ... on PurchaseOrder {{ uuid }} ... on Supplier {{ uuid }} }} }}",
            ids.join(", ")
        ),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    for ((kind, object), node) in objects
        .iter()
        .zip(body["data"]["nodes"].as_array().expect("nodes"))
    {
        assert_eq!(node["__typename"], *kind);
        assert_eq!(node["id"], object["id"]);
        assert_eq!(node["uuid"], object["uuid"], "{kind}");
    }

    // A one-branch token: stock of another branch's warehouse is invisible, by node as by list.
    let other = data["inventoryLevels"]["edges"]
        .as_array()
        .expect("levels")
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["warehouse"]["branchId"] != summary.first_branch_id.to_string())
        .expect("a level in another branch");
    let body = query(
        &app,
        &one,
        &format!(
            "{{ level: node(id: \"{}\") {{ id }} warehouse: node(id: \"{}\") {{ id }} w: warehouse(uuid: \"{}\") {{ code }} inventoryLevels(first: 200) {{ edges {{ node {{ warehouse {{ branchId }} }} }} }} }}",
            other["id"].as_str().expect("id"),
            other["warehouse"]["id"].as_str().expect("id"),
            other["warehouse"]["uuid"].as_str().expect("uuid"),
        ),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["level"], Value::Null);
    assert_eq!(body["data"]["warehouse"], Value::Null);
    assert_eq!(body["data"]["w"], Value::Null);
    let levels = body["data"]["inventoryLevels"]["edges"]
        .as_array()
        .expect("levels");
    assert!(!levels.is_empty());
    assert!(
        levels
            .iter()
            .all(|e| e["node"]["warehouse"]["branchId"]
                == json!(summary.first_branch_id.to_string()))
    );
}

#[tokio::test]
async fn related_objects_of_every_list_are_batched() {
    let counted = crate::graphql::CountedApp::start().await;
    let cases: [(&str, &str, [usize; 2]); 4] = [
        (
            "purchaseOrders",
            "{ purchaseOrders(first: SIZE) { edges { node { poNumber supplier { name } branch { name } warehouse { code } items { quantity sku { skuCode product { name } } } receipts { quantity sku { skuCode } } } } } }",
            [1, 200],
        ),
        (
            "inventoryLevels",
            "{ inventoryLevels(first: SIZE) { edges { node { onHand sku { skuCode product { name } } warehouse { code branch { name } } } } } }",
            [1, 200],
        ),
        (
            "inventoryMovements",
            "{ inventoryMovements(first: SIZE) { edges { node { quantity sku { skuCode } warehouse { code } } } } }",
            [1, 200],
        ),
        (
            "products",
            "{ products(first: SIZE) { edges { node { name skus { skuCode product { code } } } } } }",
            [1, 200],
        ),
    ];
    for (field, template, sizes) in cases {
        let mut counts = Vec::new();
        for n in sizes {
            let (body, statements) = counted.run(&template.replace("SIZE", &n.to_string())).await;
            let edges = body["data"][field]["edges"].as_array().expect("edges");
            match n {
                1 => assert_eq!(edges.len(), 1, "{field}"),
                _ => assert!(edges.len() > 5, "{field}: a full page has many rows"),
            }
            counts.push(statements);
        }
        // One statement per loader, whatever the page size. A loader reached from two
        // parents (purchase-order lines and receipts both load SKUs) may answer them in two
        // batches when the parents arrive apart: one more statement, never one per row.
        assert!(
            counts[1] <= counts[0] + 1,
            "{field}: one row and a full page cost about the same statements: {counts:?}"
        );
        assert!(counts[1] <= 12, "{field}: {counts:?}");
    }

    // `nodes(ids:)` fetches ids of one type in one query.
    let (body, _) = counted
        .run("{ salesOrders(first: 100) { edges { node { id } } } }")
        .await;
    let ids: Vec<String> = body["data"]["salesOrders"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].to_string())
        .collect();
    let (body, statements) = counted
        .run(&format!("{{ nodes(ids: [{}]) {{ id }} }}", ids.join(", ")))
        .await;
    assert_eq!(body["data"]["nodes"].as_array().expect("nodes").len(), 100);
    assert_eq!(statements, 2, "the caller check and one batch");
}
