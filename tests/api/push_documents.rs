//! The Push Integration API's documents: ASNs, GRNs, orders with allocations, cancellation and
//! the inquiries — stock by warehouse, location and lot, read back through the partner doors.

use partner_gateway::clock::Clock;
use partner_gateway::demo::DEMO_API_KEY;
use partner_gateway::entities::enums::PurchaseOrderStatus;
use partner_gateway::entities::enums::{
    DocumentSource, MovementType, RecordStatus, SalesStatus, WarehouseKind,
};
use partner_gateway::entities::{
    branches, goods_receipts, inventory_levels, inventory_movements, purchase_order_items,
    purchase_orders, sales_orders, stock_allocations, stock_balances, suppliers, warehouses,
    webhook_events,
};
use partner_gateway::money::Amount;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;

const BASE: &str = "/api/v1/integration/v1";

pub(crate) async fn post(app: &TestApp, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url(&format!("{BASE}{path}")))
        .header("x-api-key", key)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn get(app: &TestApp, key: &str, path: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .get(app.url(&format!("{BASE}{path}")))
        .header("x-api-key", key)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The demo tenant with a warehouse `WH-T-01` of its own (location `A-01`), supplier
/// `SUP-T-01`, customer `CUS-T-01` and items `LOT-1` (by lot, EA) and `PLAIN-1` (EA, price
/// 100 set by the test where needed).
pub(crate) struct Fixture {
    pub(crate) app: TestApp,
    pub(crate) tenant: Uuid,
    pub(crate) warehouse: Uuid,
}

pub(crate) async fn fixture() -> Fixture {
    let app = TestApp::spawn().await;
    let tenant = app.seed().await.tenant_id;
    let branch = branches::Entity::find()
        .filter(branches::Column::TenantId.eq(tenant))
        .order_by_asc(branches::Column::Code)
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("a demo branch");
    let now = app.clock.now();
    let warehouse = warehouses::Entity::insert(warehouses::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant),
        branch_id: Set(branch.id),
        code: Set("WH-T-01".into()),
        name: Set("Test warehouse".into()),
        kind: Set(WarehouseKind::Central),
        status: Set(RecordStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(&app.state.db)
    .await
    .expect("warehouse")
    .id;
    for (path, body) in [
        (
            "/partners",
            json!({"code": "SUP-T-01", "name": "Test supplier", "type": "supplier"}),
        ),
        (
            "/partners",
            json!({"code": "CUS-T-01", "name": "Test customer", "type": "customer"}),
        ),
        (
            "/items",
            json!({"sku": "LOT-1", "name": "Lot item", "baseUomCode": "EA", "tracking": "lot"}),
        ),
        (
            "/items",
            json!({"sku": "PLAIN-1", "name": "Plain item", "baseUomCode": "EA"}),
        ),
        (
            "/locations",
            json!({"warehouseCode": "WH-T-01", "code": "A-01"}),
        ),
    ] {
        let (status, answer) = post(&app, DEMO_API_KEY, path, body).await;
        assert!(status.is_success(), "{path}: {answer}");
    }
    Fixture {
        app,
        tenant,
        warehouse,
    }
}

impl Fixture {
    /// Sum of the balances equals the level, for every SKU of the test warehouse.
    async fn assert_levels_are_sums(&self) {
        let db = &self.app.state.db;
        let levels = inventory_levels::Entity::find()
            .filter(inventory_levels::Column::WarehouseId.eq(self.warehouse))
            .all(db)
            .await
            .expect("levels");
        assert!(!levels.is_empty());
        for level in levels {
            let balances = stock_balances::Entity::find()
                .filter(stock_balances::Column::WarehouseId.eq(self.warehouse))
                .filter(stock_balances::Column::ProductSkuId.eq(level.product_sku_id))
                .all(db)
                .await
                .expect("balances");
            let on_hand: partner_gateway::money::Amount = balances.iter().map(|b| b.on_hand).sum();
            let allocated: partner_gateway::money::Amount =
                balances.iter().map(|b| b.allocated).sum();
            assert_eq!(
                level.on_hand, on_hand,
                "on hand of {}",
                level.product_sku_id
            );
            let moved: partner_gateway::money::Amount = inventory_movements::Entity::find()
                .filter(inventory_movements::Column::WarehouseId.eq(self.warehouse))
                .filter(inventory_movements::Column::ProductSkuId.eq(level.product_sku_id))
                .all(db)
                .await
                .expect("movements")
                .iter()
                .map(|m| m.quantity)
                .sum();
            assert_eq!(level.on_hand, moved, "on hand = the movements' sum");
            assert_eq!(
                level.reserved, allocated,
                "reserved of {}",
                level.product_sku_id
            );
        }
    }

    async fn events(&self, name: &str) -> Vec<Value> {
        webhook_events::Entity::find()
            .filter(webhook_events::Column::TenantId.eq(self.tenant))
            .filter(webhook_events::Column::EventType.eq(name))
            .order_by_asc(webhook_events::Column::CreatedAt)
            .all(&self.app.state.db)
            .await
            .expect("events")
            .into_iter()
            .map(|e| serde_json::from_str(&e.payload).expect("payload is JSON"))
            .collect()
    }

    /// Purchase order `PO-T-0001` from `SUP-T-01` into the test warehouse: 10 of `PLAIN-1`.
    pub(crate) async fn purchase_order(&self) -> purchase_orders::Model {
        let f = self;
        let app = &f.app;
        let db = &app.state.db;
        let now = app.clock.now();
        let supplier = suppliers::Entity::find()
            .filter(suppliers::Column::Code.eq("SUP-T-01"))
            .one(db)
            .await
            .expect("query")
            .expect("pushed supplier");
        let warehouse = warehouses::Entity::find_by_id(f.warehouse)
            .one(db)
            .await
            .expect("query")
            .expect("warehouse");
        let (_, plain) = get(app, DEMO_API_KEY, "/items/PLAIN-1").await;
        let sku: Uuid = plain["data"]["id"]
            .as_str()
            .expect("id")
            .parse()
            .expect("uuid");
        let order = purchase_orders::Entity::insert(purchase_orders::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(f.tenant),
            branch_id: Set(warehouse.branch_id),
            warehouse_id: Set(f.warehouse),
            supplier_id: Set(supplier.id),
            po_number: Set("PO-T-0001".into()),
            status: Set(PurchaseOrderStatus::Ordered),
            order_date: Set(now),
            expected_date: Set(None),
            received_at: Set(None),
            subtotal: Set("100".parse().expect("amount")),
            tax_amount: Set("7".parse().expect("amount")),
            total_amount: Set("107".parse().expect("amount")),
            currency: Set("THB".into()),
            notes: Set(None),
            external_reference: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_with_returning(db)
        .await
        .expect("purchase order");
        purchase_order_items::Entity::insert(purchase_order_items::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(f.tenant),
            purchase_order_id: Set(order.id),
            product_sku_id: Set(sku),
            line_no: Set(1),
            quantity: Set("10".parse().expect("amount")),
            received_quantity: Set("0".parse().expect("amount")),
            unit_cost: Set("10".parse().expect("amount")),
            line_total: Set("100".parse().expect("amount")),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(db)
        .await
        .expect("line");
        order
    }

    /// The (reference, note) of every receipt movement in the test warehouse.
    async fn receipt_names(&self) -> Vec<(Option<String>, Option<String>)> {
        inventory_movements::Entity::find()
            .filter(inventory_movements::Column::WarehouseId.eq(self.warehouse))
            .filter(inventory_movements::Column::MovementType.eq(MovementType::Receive))
            .all(&self.app.state.db)
            .await
            .expect("movements")
            .into_iter()
            .map(|m| (m.reference, m.note))
            .collect()
    }

    /// Every row of the tenant that a document may write, in id order.
    async fn books(&self) -> Books {
        let db = &self.app.state.db;
        let tenant = self.tenant;
        Books {
            orders: sales_orders::Entity::find()
                .filter(sales_orders::Column::TenantId.eq(tenant))
                .order_by_asc(sales_orders::Column::Id)
                .all(db)
                .await
                .expect("orders"),
            receipts: goods_receipts::Entity::find()
                .filter(goods_receipts::Column::TenantId.eq(tenant))
                .order_by_asc(goods_receipts::Column::Id)
                .all(db)
                .await
                .expect("receipts"),
            movements: inventory_movements::Entity::find()
                .filter(inventory_movements::Column::TenantId.eq(tenant))
                .order_by_asc(inventory_movements::Column::Id)
                .all(db)
                .await
                .expect("movements"),
            levels: inventory_levels::Entity::find()
                .filter(inventory_levels::Column::TenantId.eq(tenant))
                .order_by_asc(inventory_levels::Column::Id)
                .all(db)
                .await
                .expect("levels"),
            balances: stock_balances::Entity::find()
                .filter(stock_balances::Column::TenantId.eq(tenant))
                .order_by_asc(stock_balances::Column::Id)
                .all(db)
                .await
                .expect("balances"),
            allocations: stock_allocations::Entity::find()
                .filter(stock_allocations::Column::TenantId.eq(tenant))
                .order_by_asc(stock_allocations::Column::Id)
                .all(db)
                .await
                .expect("allocations"),
            // Without the delivery worker's mark, which it sets on its own time.
            events: webhook_events::Entity::find()
                .filter(webhook_events::Column::TenantId.eq(tenant))
                .order_by_asc(webhook_events::Column::Id)
                .all(db)
                .await
                .expect("events")
                .into_iter()
                .map(|event| webhook_events::Model {
                    dispatched_at: None,
                    ..event
                })
                .collect(),
        }
    }

    /// Receives `lines` (no ASN) and answers the GRN.
    pub(crate) async fn receive(&self, lines: Value) -> Value {
        let (status, answer) = post(
            &self.app,
            DEMO_API_KEY,
            "/grn",
            json!({"warehouseCode": "WH-T-01", "lines": lines}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        answer
    }
}

/// A tenant's orders, receipts, stock and outbox at one moment (see [`Fixture::books`]).
struct Books {
    orders: Vec<sales_orders::Model>,
    receipts: Vec<goods_receipts::Model>,
    movements: Vec<inventory_movements::Model>,
    levels: Vec<inventory_levels::Model>,
    balances: Vec<stock_balances::Model>,
    allocations: Vec<stock_allocations::Model>,
    events: Vec<webhook_events::Model>,
}

impl Books {
    /// The tables that differ from `before`.
    fn changed_since(&self, before: &Books) -> Vec<&'static str> {
        [
            ("sales_orders", self.orders != before.orders),
            ("goods_receipts", self.receipts != before.receipts),
            ("inventory_movements", self.movements != before.movements),
            ("inventory_levels", self.levels != before.levels),
            ("stock_balances", self.balances != before.balances),
            ("stock_allocations", self.allocations != before.allocations),
            ("webhook_events", self.events != before.events),
        ]
        .into_iter()
        .filter_map(|(table, changed)| changed.then_some(table))
        .collect()
    }
}

/// The keys of a JSON object, sorted.
fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object
        .as_object()
        .unwrap_or_else(|| panic!("an object: {object}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// A JSON number or decimal string as an exact amount.
fn amount(value: &Value) -> Amount {
    let text = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    text.parse()
        .unwrap_or_else(|_| panic!("a decimal: {value}"))
}

#[tokio::test]
async fn an_asn_is_received_in_parts_then_completed_and_over_receipt_is_refused() {
    let f = fixture().await;
    let app = &f.app;
    let today = app.clock.now().date().format("%Y%m%d").to_string();
    let (status, created) = post(
        app,
        DEMO_API_KEY,
        "/asn",
        json!({
            "warehouseCode": "WH-T-01",
            "supplierCode": "SUP-T-01",
            "expectedDate": "2026-06-15",
            "referenceNo": "SUPPLIER-REF-1",
            "lines": [
                {"lineNo": 1, "sku": "PLAIN-1", "uomCode": "EA", "expectedQty": 50},
                {"lineNo": 2, "sku": "LOT-1", "expectedQty": 200.5, "lotNo": "LOT-A", "expiryDate": "2027-12-31"}
            ]
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let asn = &created["data"];
    let asn_no = asn["asnNo"].as_str().expect("number");
    assert_eq!(asn_no, format!("ASN-{today}-0001"));
    assert_eq!(asn["status"], "pending");
    assert_eq!(
        asn["purchaseOrderNo"],
        Value::Null,
        "no such purchase order"
    );
    assert_eq!(asn["lines"][1]["expectedQty"], json!(200.5));
    assert_eq!(asn["lines"][1]["lotNo"], "LOT-A");

    // Part of line 1, all of line 2 (its lot from the ASN), into location A-01.
    let (status, grn) = post(
        app,
        DEMO_API_KEY,
        "/grn",
        json!({
            "warehouseCode": "WH-T-01",
            "asnNo": asn_no,
            "lines": [
                {"asnLineNo": 1, "sku": "PLAIN-1", "qty": 20, "locationCode": "A-01"},
                {"asnLineNo": 2, "sku": "LOT-1", "qty": 200.5}
            ]
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{grn}");
    assert_eq!(grn["data"]["grnNo"], format!("GRN-{today}-0001"));
    // Its movements name it (it is numbered after they are posted).
    let grn_no = Some(format!("GRN-{today}-0001"));
    assert_eq!(f.receipt_names().await, vec![(grn_no.clone(), None); 2]);
    let shown = f.events("inventory.movement.created").await;
    assert_eq!(shown[0]["data"]["movements"][1]["reference"], json!(grn_no));
    assert_eq!(grn["data"]["asnStatus"], "receiving");
    assert_eq!(grn["data"]["lines"][1]["lotNo"], "LOT-A");
    assert_eq!(grn["data"]["lines"][1]["expiryDate"], "2027-12-31");

    // More than line 1 still expects (30): refused, nothing received.
    let (status, refused) = post(
        app,
        DEMO_API_KEY,
        "/grn",
        json!({
            "warehouseCode": "WH-T-01",
            "asnNo": asn_no,
            "lines": [{"asnLineNo": 1, "sku": "PLAIN-1", "qty": 31}]
        }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["code"], "VALIDATION_FAILED");
    assert_eq!(refused["details"][0]["field"], "lines[0].qty");
    let (_, read) = get(app, DEMO_API_KEY, &format!("/asn/{asn_no}")).await;
    assert_eq!(read["data"]["lines"][0]["receivedQty"], json!(20));

    // The rest: the ASN completes.
    let (status, last) = post(
        app,
        DEMO_API_KEY,
        "/grn",
        json!({
            "warehouseCode": "WH-T-01",
            "asnNo": asn_no,
            "lines": [{"asnLineNo": 1, "sku": "PLAIN-1", "qty": 30}]
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{last}");
    assert_eq!(last["data"]["asnStatus"], "completed");
    let (status, read) = get(app, DEMO_API_KEY, &format!("/asn/{asn_no}")).await;
    assert_eq!(status, StatusCode::OK);
    let read = &read["data"];
    assert_eq!(read["status"], "completed");
    assert_eq!(read["lines"][0]["receivedQty"], json!(50));
    assert_eq!(read["lines"][1]["receivedQty"], json!(200.5));
    let grns: Vec<&str> = read["grns"]
        .as_array()
        .expect("grns")
        .iter()
        .map(|g| g["grnNo"].as_str().expect("number"))
        .collect();
    assert_eq!(
        grns,
        [format!("GRN-{today}-0001"), format!("GRN-{today}-0002")]
    );

    // Stock by place and lot, in the seed's shape.
    let (status, stock) = get(
        app,
        DEMO_API_KEY,
        "/stock?sku=PLAIN-1&warehouseCode=WH-T-01",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{stock}");
    assert_eq!(stock["data"]["totalOnHand"], json!(50));
    assert_eq!(stock["data"]["totalAvailable"], json!(50));
    let places = stock["data"]["stocks"].as_array().expect("stocks");
    assert_eq!(places.len(), 2, "{places:?}");
    assert_eq!(places[0]["locationCode"], "A-01");
    assert_eq!(places[0]["qtyOnHand"], json!(20));
    assert_eq!(places[1]["locationCode"], Value::Null);
    assert_eq!(places[1]["qtyOnHand"], json!(30));
    let (_, lot) = get(app, DEMO_API_KEY, "/stock?sku=LOT-1&lotNo=LOT-A").await;
    assert_eq!(lot["data"]["tracking"], "lot");
    assert_eq!(lot["data"]["stocks"][0]["lotNo"], "LOT-A");
    assert_eq!(lot["data"]["stocks"][0]["qtyOnHand"], json!(200.5));
    f.assert_levels_are_sums().await;

    // A receipt against a completed ASN is refused.
    let (status, answer) = post(
        app,
        DEMO_API_KEY,
        "/grn",
        json!({"warehouseCode": "WH-T-01", "asnNo": asn_no, "lines": [{"sku": "PLAIN-1", "qty": 1}]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["details"][0]["field"], "asnNo");

    // Every receipt is asn.received; the one that completes the ASN is asn.completed too.
    // Partners hear of the movements.
    let received = f.events("asn.received").await;
    let completed = f.events("asn.completed").await;
    assert_eq!((received.len(), completed.len()), (2, 1));
    assert_eq!(completed[0]["event"], "asn.completed");
    assert_eq!(completed[0]["data"]["asnNo"], asn_no);
    assert_eq!(completed[0]["data"]["lines"][0]["receivedQty"], json!(50));
    assert!(
        completed[0]["timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let movements = f.events("inventory.movement.created").await;
    assert_eq!(movements.len(), 2, "one per GRN");
    let mut counts: Vec<usize> = movements
        .iter()
        .map(|e| e["data"]["movements"].as_array().expect("movements").len())
        .collect();
    counts.sort_unstable();
    assert_eq!(
        counts,
        [1, 2],
        "the GRNs' lines, quantities as the partner API's strings"
    );
    assert!(
        movements
            .iter()
            .any(|e| e["data"]["movements"][0]["quantity"] == "30")
    );

    // The partner API sees the sum at the warehouse.
    let token = app.token("demo-full-access", None).await;
    let body: Value = app
        .get_with(
            &format!("/api/partner/v1/inventory?warehouse_id={}", f.warehouse),
            &token,
        )
        .await
        .json()
        .await
        .expect("json");
    let rows = body["data"].as_array().expect("rows");
    let (_, item) = get(app, DEMO_API_KEY, "/items/PLAIN-1").await;
    let plain = rows
        .iter()
        .find(|r| r["product_sku_id"] == item["data"]["id"])
        .unwrap_or_else(|| panic!("PLAIN-1 in {body}"));
    assert_eq!(plain["on_hand"], "50", "{plain}");
}

#[tokio::test]
async fn unknown_references_and_bad_lines_are_refused_in_the_seeds_words() {
    let f = fixture().await;
    let app = &f.app;
    let line = json!({"lineNo": 1, "sku": "PLAIN-1", "expectedQty": 5});
    let asn = |warehouse: &str, supplier: &str, lines: Value| json!({"warehouseCode": warehouse, "supplierCode": supplier, "lines": lines});
    let cases = [
        (
            asn("WH-NOPE", "SUP-T-01", json!([line])),
            "Warehouse code \"WH-NOPE\" not found.",
        ),
        (
            asn("WH-T-01", "SUP-NOPE", json!([line])),
            "Supplier code \"SUP-NOPE\" not found.",
        ),
        (
            asn(
                "WH-T-01",
                "SUP-T-01",
                json!([{"lineNo": 1, "sku": "SKU-X", "expectedQty": 1}]),
            ),
            "Item SKU \"SKU-X\" not found.",
        ),
    ];
    for (body, message) in cases {
        let (status, answer) = post(app, DEMO_API_KEY, "/asn", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["code"], "VALIDATION_FAILED");
        assert_eq!(answer["message"], message);
    }
    // Field by field: a lot item without lot, another unit, a repeated line, no quantity.
    let (status, answer) = post(
        app,
        DEMO_API_KEY,
        "/asn",
        asn(
            "WH-T-01",
            "SUP-T-01",
            json!([
                {"lineNo": 1, "sku": "LOT-1", "expectedQty": 1},
                {"lineNo": 2, "sku": "PLAIN-1", "uomCode": "CASE", "expectedQty": 1}
            ]),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = answer["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| d["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["lines[0].lotNo", "lines[1].uomCode"], "{answer}");
    let (status, answer) = post(
        app,
        DEMO_API_KEY,
        "/asn",
        asn(
            "WH-T-01",
            "SUP-T-01",
            json!([
                {"lineNo": 1, "sku": "PLAIN-1", "expectedQty": 0},
                {"lineNo": 1, "sku": "PLAIN-1", "expectedQty": 1}
            ]),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = answer["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| d["field"].as_str().expect("field"))
        .collect();
    assert_eq!(
        fields,
        ["lines[0].expectedQty", "lines[1].lineNo"],
        "{answer}"
    );
    // Not found on inquiry: 404 in the seed's words.
    let (status, answer) = get(app, DEMO_API_KEY, "/asn/ASN-NOPE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["message"], "ASN \"ASN-NOPE\" not found.");
    let (status, answer) = get(app, DEMO_API_KEY, "/orders/SO-NOPE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["message"], "Order \"SO-NOPE\" not found.");
    // A SKU named in the query is a reference: 400 in the seed's words.
    let (status, answer) = get(app, DEMO_API_KEY, "/stock?sku=SKU-NOPE").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["message"], "Item SKU \"SKU-NOPE\" not found.");
    // Quantities past a billion are refused, not overflowed.
    let (status, answer) = post(
        app,
        DEMO_API_KEY,
        "/orders",
        json!({"warehouseCode": "WH-T-01", "referenceNo": "BIG", "lines": [
            {"lineNo": 1, "sku": "PLAIN-1", "qtyOrdered": 1000000000.0001, "unitPrice": 1}
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["details"][0]["field"], "lines[0].qtyOrdered");
    let (status, answer) = post(
        app,
        DEMO_API_KEY,
        "/orders",
        json!({"warehouseCode": "WH-T-01", "referenceNo": "PRICEY", "lines": [
            {"lineNo": 1, "sku": "PLAIN-1", "qtyOrdered": 1000000000, "unitPrice": 1000000000}
        ]}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an amount past the exact range: {answer}"
    );
    let (status, answer) = get(app, DEMO_API_KEY, "/stock?warehouseCode=WH-T-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["details"][0]["field"], "sku");
    // Codes that cannot name anything (a NUL, which PostgreSQL would refuse) name nothing.
    for path in [
        "/orders/%00",
        "/asn/%00",
        "/items/%00",
        &format!("/orders/{}", "x".repeat(65)),
    ] {
        let (status, answer) = get(app, DEMO_API_KEY, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
    }
    let (status, _) = post(app, DEMO_API_KEY, "/orders/%00/cancel", json!(null)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nor can bytes that are not UTF-8: not found, in the door's envelope, the text shown
    // with U+FFFD where it could not be read.
    for (path, message) in [
        ("/orders/%FF", "Order \"\u{fffd}\" not found."),
        ("/asn/AB%C3%28", "ASN \"AB\u{fffd}(\" not found."),
        ("/items/%FF%FE", "Item SKU \"\u{fffd}\u{fffd}\" not found."),
    ] {
        let (status, answer) = get(app, DEMO_API_KEY, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
        assert_eq!(answer["code"], "NOT_FOUND", "{path}: {answer}");
        assert_eq!(answer["message"], message, "{path}: {answer}");
        assert!(answer["requestId"].is_string(), "{path}: {answer}");
    }
    let (status, answer) = post(app, DEMO_API_KEY, "/orders/%FF/cancel", json!(null)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_eq!(answer["code"], "NOT_FOUND", "{answer}");
    let (status, answer) = get(app, DEMO_API_KEY, "/stock?sku=A%00B").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    // Nothing was written by any refusal.
    assert_eq!(
        stock_balances::Entity::find()
            .filter(stock_balances::Column::WarehouseId.eq(f.warehouse))
            .all(&app.state.db)
            .await
            .expect("balances")
            .len(),
        0
    );
}

#[tokio::test]
async fn orders_allocate_first_expiring_first_and_cancelling_releases_them() {
    let f = fixture().await;
    let app = &f.app;
    // Two lots of LOT-1: the later expiry received first.
    f.receive(json!([
        {"sku": "LOT-1", "qty": 10, "lotNo": "LATE", "expiryDate": "2028-01-31", "locationCode": "A-01"},
        {"sku": "LOT-1", "qty": 4, "lotNo": "EARLY", "expiryDate": "2027-01-31"},
        {"sku": "PLAIN-1", "qty": 3}
    ]))
    .await;
    let order = json!({
        "warehouseCode": "WH-T-01",
        "customerCode": "CUS-T-01",
        "requiredDate": "2026-06-20",
        "priority": 3,
        "shipTo": {"name": "สมชาย", "address": "123 ถ.สุขุมวิท"},
        "referenceNo": "EXT-ORDER-1",
        "lines": [
            {"lineNo": 1, "sku": "LOT-1", "uomCode": "EA", "qtyOrdered": 6, "unitPrice": 10.70},
            {"lineNo": 2, "sku": "PLAIN-1", "qtyOrdered": 5, "unitPrice": 21.4}
        ]
    });
    let (status, created) = post(app, DEMO_API_KEY, "/orders", order.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let data = &created["data"];
    let order_no = data["orderNo"].as_str().expect("number").to_owned();
    let today = app.clock.now().date().format("%Y%m%d").to_string();
    assert_eq!(order_no, format!("SO-{today}-0001"));
    assert_eq!(data["status"], "active");
    // 4 from the early lot, then 2 from the late one; PLAIN-1 only 3 of 5.
    let allocations = data["lines"][0]["allocations"]
        .as_array()
        .expect("allocations");
    assert_eq!(allocations.len(), 2, "{allocations:?}");
    assert_eq!(allocations[0]["lotNo"], "EARLY");
    assert_eq!(allocations[0]["qty"], json!(4));
    assert_eq!(allocations[1]["lotNo"], "LATE");
    assert_eq!(allocations[1]["locationCode"], "A-01");
    assert_eq!(allocations[1]["qty"], json!(2));
    assert_eq!(data["lines"][1]["qtyAllocated"], json!(3));
    assert_eq!(data["summary"]["totalOrdered"], json!(11));
    assert_eq!(data["summary"]["totalAllocated"], json!(9));
    assert_eq!(data["summary"]["totalShipped"], json!(0));
    assert_eq!(data["pickTasks"], json!([]));
    // Money: 6 × 10.70 + 5 × 21.40 = 171.20, VAT included 7/107 per line (4.20 + 7.00).
    assert_eq!(data["subtotal"], json!(171.2));
    assert_eq!(data["totalAmount"], json!(171.2));
    assert_eq!(data["taxAmount"], json!(11.2));
    let (_, stock) = get(app, DEMO_API_KEY, "/stock?sku=LOT-1&warehouseCode=WH-T-01").await;
    assert_eq!(stock["data"]["totalOnHand"], json!(14));
    assert_eq!(stock["data"]["totalAllocated"], json!(6));
    assert_eq!(stock["data"]["totalAvailable"], json!(8));
    f.assert_levels_are_sums().await;

    // The same reference again is a conflict; the inquiry shows the order.
    let (status, again) = post(app, DEMO_API_KEY, "/orders", order).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, read) = get(app, DEMO_API_KEY, &format!("/orders/{order_no}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["data"]["shipTo"]["name"], "สมชาย");
    assert_eq!(read["data"]["summary"]["totalAllocated"], json!(9));

    // Partners read it at once, with its items (and no delivery details).
    let token = app.token("demo-full-access", None).await;
    let sales: Value = app
        .get_with("/api/partner/v1/sales?limit=5", &token)
        .await
        .json()
        .await
        .expect("json");
    let listed = sales["data"]
        .as_array()
        .expect("orders")
        .iter()
        .find(|o| o["order_number"] == order_no.as_str())
        .unwrap_or_else(|| panic!("{order_no} in {sales}"));
    assert_eq!(listed["order_type"], "DELIVERY");
    assert_eq!(listed["status"], "ACTIVE");
    assert_eq!(listed["total_amount"], "171.2");
    assert!(!listed.to_string().contains("สมชาย"));
    let graphql = crate::graphql::query(
        app,
        &token,
        "{ salesOrders(first: 3) { edges { node { orderNumber items { skuCode quantity } } } } }",
    )
    .await;
    let node = graphql["data"]["salesOrders"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["orderNumber"] == order_no.as_str())
        .unwrap_or_else(|| panic!("{order_no} in {graphql}"));
    assert_eq!(node["items"][0]["skuCode"], "LOT-1");

    // Cancelled: allocations released; a second cancel is a conflict.
    let (status, cancelled) = post(
        app,
        DEMO_API_KEY,
        &format!("/orders/{order_no}/cancel"),
        json!(null),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["data"]["status"], "cancelled");
    assert_eq!(cancelled["data"]["summary"]["totalAllocated"], json!(0));
    let (_, stock) = get(app, DEMO_API_KEY, "/stock?sku=LOT-1&warehouseCode=WH-T-01").await;
    assert_eq!(stock["data"]["totalAllocated"], json!(0));
    f.assert_levels_are_sums().await;
    let (status, again) = post(
        app,
        DEMO_API_KEY,
        &format!("/orders/{order_no}/cancel"),
        json!(null),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, _) = post(app, DEMO_API_KEY, "/orders/SO-NOPE/cancel", json!(null)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        stock_allocations::Entity::find()
            .filter(stock_allocations::Column::ReleasedAt.is_null())
            .all(&app.state.db)
            .await
            .expect("allocations")
            .len(),
        0
    );

    // Events: one of each catalogue per change.
    for (name, count) in [
        ("sales.order.created", 1),
        ("order.allocated", 1),
        ("sales.order.cancelled", 1),
        ("order.cancelled", 1),
    ] {
        assert_eq!(f.events(name).await.len(), count, "{name}");
    }
    let allocated = &f.events("order.allocated").await[0];
    assert_eq!(allocated["data"]["lines"][0]["qtyAllocated"], json!(6));
    let created = &f.events("sales.order.created").await[0];
    // Partner events speak the partner API's snake_case; WMS events seed 003's camelCase.
    assert_eq!(created["data"]["total_amount"], "171.2");
    assert!(created["data"]["totalAmount"].is_null());
    assert!(!created.to_string().contains("สมชาย"), "no personal data");
}

#[tokio::test]
async fn concurrent_orders_never_allocate_the_same_stock_twice() {
    let f = fixture().await;
    f.receive(json!([{"sku": "PLAIN-1", "qty": 10}])).await;
    let orders = (0..8).map(|n| {
        let client = f.app.client.clone();
        let url = f.app.url(&format!("{BASE}/orders"));
        async move {
            let response = client
                .post(url)
                .header("x-api-key", DEMO_API_KEY)
                .json(&json!({
                    "warehouseCode": "WH-T-01",
                    "referenceNo": format!("RACE-{n}"),
                    "lines": [{"lineNo": 1, "sku": "PLAIN-1", "qtyOrdered": 3}]
                }))
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), StatusCode::CREATED);
            let body: Value = response.json().await.expect("json");
            body["data"]["summary"]["totalAllocated"]
                .as_f64()
                .expect("allocated")
        }
    });
    let allocated: f64 = futures_util::future::join_all(orders)
        .await
        .into_iter()
        .sum();
    assert_eq!(allocated, 10.0, "all the stock, no more");
    f.assert_levels_are_sums().await;
    let (_, stock) = get(
        &f.app,
        DEMO_API_KEY,
        "/stock?sku=PLAIN-1&warehouseCode=WH-T-01",
    )
    .await;
    assert_eq!(stock["data"]["totalAvailable"], json!(0));
}

#[tokio::test]
async fn bulk_documents_report_each_and_numbers_are_per_tenant() {
    let f = fixture().await;
    let app = &f.app;
    let good = json!({"warehouseCode": "WH-T-01", "supplierCode": "SUP-T-01", "referenceNo": "R-1",
        "lines": [{"lineNo": 1, "sku": "PLAIN-1", "expectedQty": 1}]});
    let bad = json!({"warehouseCode": "WH-T-01", "supplierCode": "SUP-T-01", "referenceNo": "R-2",
        "lines": [{"lineNo": 1, "sku": "SKU-X", "expectedQty": 1}]});
    let (status, report) = post(app, DEMO_API_KEY, "/asn/bulk", json!({"asns": [good, bad]})).await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{report}");
    assert_eq!(report["created"], 1);
    assert_eq!(report["errors"][0]["key"], "R-2");
    assert_eq!(
        report["errors"][0]["error"],
        "Item SKU \"SKU-X\" not found."
    );
    let too_many: Vec<Value> = (0..101).map(|_| json!({})).collect();
    let (status, _) = post(
        app,
        DEMO_API_KEY,
        "/orders/bulk",
        json!({"orders": too_many}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, report) = post(
        app,
        DEMO_API_KEY,
        "/orders/bulk",
        json!({"orders": [
            {"warehouseCode": "WH-T-01", "referenceNo": "B-1", "lines": [{"lineNo": 1, "sku": "PLAIN-1", "qtyOrdered": 1}]},
            {"warehouseCode": "WH-T-01", "referenceNo": "B-2", "lines": [{"lineNo": 1, "sku": "PLAIN-1", "qtyOrdered": 2}]}
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 2);
    let today = app.clock.now().date().format("%Y%m%d").to_string();
    assert_eq!(
        report["data"][1]["data"]["orderNo"],
        format!("SO-{today}-0002")
    );

    // Another tenant's documents are numbered from 1, and it sees none of these.
    let other = crate::helpers::empty_tenant(app).await;
    let key = crate::helpers::push_key(app, other, "read write").await;
    let (status, _) = get(app, &key, &format!("/orders/SO-{today}-0001")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another tenant's order");
    let (status, answer) = post(
        app,
        &key,
        "/asn",
        json!({"warehouseCode": "WH-T-01", "supplierCode": "SUP-T-01",
        "lines": [{"lineNo": 1, "sku": "PLAIN-1", "expectedQty": 1}]}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "another tenant's warehouse: {answer}"
    );
}

#[tokio::test]
async fn an_asn_for_a_purchase_order_receives_into_the_order_and_partners_see_its_receipts() {
    let f = fixture().await;
    let app = &f.app;
    let db = &app.state.db;
    let order = f.purchase_order().await;

    // An item the order does not have is refused; the order's own is linked.
    let (status, refused) = post(
        app,
        DEMO_API_KEY,
        "/asn",
        json!({"warehouseCode": "WH-T-01", "supplierCode": "SUP-T-01", "referenceNo": "PO-T-0001",
            "lines": [{"lineNo": 1, "sku": "LOT-1", "expectedQty": 1, "lotNo": "L"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(refused["details"][0]["field"], "lines[0].sku");
    let (status, asn) = post(
        app,
        DEMO_API_KEY,
        "/asn",
        json!({"warehouseCode": "WH-T-01", "supplierCode": "SUP-T-01", "referenceNo": "PO-T-0001",
            "lines": [{"lineNo": 1, "sku": "PLAIN-1", "expectedQty": 10}]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{asn}");
    assert_eq!(asn["data"]["purchaseOrderNo"], "PO-T-0001");
    let asn_no = asn["data"]["asnNo"].as_str().expect("number").to_owned();

    // Two receipts, the lines matched by item; the order goes partially received, then received.
    for (qty, status_after) in [(4, "PARTIALLY_RECEIVED"), (6, "RECEIVED")] {
        let (status, grn) = post(
            app,
            DEMO_API_KEY,
            "/grn",
            json!({"warehouseCode": "WH-T-01", "asnNo": asn_no, "lines": [{"sku": "PLAIN-1", "qty": qty}]}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{grn}");
        assert_eq!(grn["data"]["lines"][0]["asnLineNo"], 1);
        let stored = purchase_orders::Entity::find_by_id(order.id)
            .one(db)
            .await
            .expect("query")
            .expect("order");
        assert_eq!(stored.status.as_str(), status_after);
    }
    let token = app.token("demo-full-access", None).await;
    let items: Value = app
        .get_with(
            &format!("/api/partner/v1/purchase-orders/{}/items", order.id),
            &token,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(items["data"][0]["received_quantity"], "10", "{items}");
    let graphql = crate::graphql::query(
        app,
        &token,
        &format!(
            "{{ purchaseOrder(uuid: \"{}\") {{ status receivedAt receipts {{ quantity reference }} }} }}",
            order.id
        ),
    )
    .await;
    let po = &graphql["data"]["purchaseOrder"];
    assert_eq!(po["status"], "RECEIVED", "{graphql}");
    assert!(po["receivedAt"].is_string());
    let receipts: Vec<&str> = po["receipts"]
        .as_array()
        .expect("receipts")
        .iter()
        .map(|r| r["quantity"].as_str().expect("quantity"))
        .collect();
    assert_eq!(receipts.len(), 2, "{graphql}");
    assert!(receipts.contains(&"4") && receipts.contains(&"6"));
    // Against a purchase order the movements' reference is the order and their note the GRN.
    let today = app.clock.now().date().format("%Y%m%d").to_string();
    let mut names = f.receipt_names().await;
    names.sort();
    let po = Some("PO-T-0001".to_owned());
    assert_eq!(
        names,
        vec![
            (po.clone(), Some(format!("GRN-{today}-0001"))),
            (po, Some(format!("GRN-{today}-0002"))),
        ]
    );
    // A received order takes no more: a newer ASN for it is refused.
    let (status, _) = post(
        app,
        DEMO_API_KEY,
        "/asn",
        json!({"warehouseCode": "WH-T-01", "supplierCode": "SUP-T-01", "referenceNo": "PO-T-0001",
            "lines": [{"lineNo": 1, "sku": "PLAIN-1", "expectedQty": 1}]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(f.events("purchase_order.received").await.len(), 2);
    assert!(
        f.events("inventory.movement.created").await.is_empty(),
        "one partner event per change"
    );
}

#[tokio::test]
async fn expired_lots_are_not_allocated() {
    let f = fixture().await;
    let today = f.app.clock.now().date();
    let yesterday = (today - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let next_year = (today + chrono::Duration::days(365))
        .format("%Y-%m-%d")
        .to_string();
    f.receive(json!([
        {"sku": "LOT-1", "qty": 5, "lotNo": "OLD", "expiryDate": yesterday},
        {"sku": "LOT-1", "qty": 2, "lotNo": "NEW", "expiryDate": next_year}
    ]))
    .await;
    let (status, order) = post(
        &f.app,
        DEMO_API_KEY,
        "/orders",
        json!({"warehouseCode": "WH-T-01", "referenceNo": "FRESH", "lines": [
            {"lineNo": 1, "sku": "LOT-1", "qtyOrdered": 4}
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let allocations = order["data"]["lines"][0]["allocations"]
        .as_array()
        .expect("allocations");
    assert_eq!(allocations.len(), 1);
    assert_eq!(allocations[0]["lotNo"], "NEW");
    assert_eq!(order["data"]["summary"]["totalAllocated"], json!(2));
}

/// Receipts, orders and cancellations of the same SKUs at once: no deadlock, no lost update,
/// the levels stay the sums of their balances.
#[tokio::test]
async fn receipts_orders_and_cancels_at_once_keep_the_books_straight() {
    let f = fixture().await;
    f.receive(json!([{"sku": "PLAIN-1", "qty": 20}, {"sku": "LOT-1", "qty": 20, "lotNo": "X"}]))
        .await;
    let tasks = (0..12).map(|n| {
        let client = f.app.client.clone();
        let url = |path: &str| f.app.url(&format!("{BASE}{path}"));
        let (orders, grn) = (url("/orders"), url("/grn"));
        let cancel = url(&format!(
            "/orders/SO-{}-{:04}/cancel",
            f.app.clock.now().date().format("%Y%m%d"),
            n / 3 + 1
        ));
        async move {
            let (url, body) = match n % 3 {
                // Lines in both orders of SKU, so that any two documents could cross.
                0 => (
                    orders,
                    json!({"warehouseCode": "WH-T-01", "referenceNo": format!("MIX-{n}"), "lines": [
                        {"lineNo": 1, "sku": "PLAIN-1", "qtyOrdered": 2},
                        {"lineNo": 2, "sku": "LOT-1", "qtyOrdered": 2}
                    ]}),
                ),
                1 => (
                    grn,
                    json!({"warehouseCode": "WH-T-01", "lines": [
                        {"sku": "LOT-1", "qty": 1, "lotNo": "X"},
                        {"sku": "PLAIN-1", "qty": 1}
                    ]}),
                ),
                _ => (cancel, json!(null)),
            };
            let response = client
                .post(url)
                .header("x-api-key", DEMO_API_KEY)
                .json(&body)
                .send()
                .await
                .expect("request");
            response.status()
        }
    });
    let statuses = futures_util::future::join_all(tasks).await;
    for (n, status) in statuses.iter().enumerate() {
        // Orders and receipts all go through; a cancel may come before its order exists (404).
        let cancel = n % 3 == 2;
        assert!(
            status.is_success() || (cancel && *status == StatusCode::NOT_FOUND),
            "{statuses:?}"
        );
    }
    f.assert_levels_are_sums().await;
}

#[tokio::test]
async fn a_keyed_order_is_replayed_not_placed_twice() {
    let f = fixture().await;
    let app = &f.app;
    f.receive(json!([{"sku": "PLAIN-1", "qty": 5}])).await;
    let send = |body: Value| {
        let client = app.client.clone();
        let url = app.url(&format!("{BASE}/orders"));
        async move {
            let response = client
                .post(url)
                .header("x-api-key", DEMO_API_KEY)
                .header("idempotency-key", "ext-order-777")
                .json(&body)
                .send()
                .await
                .expect("request");
            let replay = response.headers().get("idempotent-replay").is_some();
            (
                response.status(),
                replay,
                response.text().await.expect("body"),
            )
        }
    };
    let order = json!({"warehouseCode": "WH-T-01", "referenceNo": "EXT-777", "lines": [
        {"lineNo": 1, "sku": "PLAIN-1", "qtyOrdered": 3}
    ]});
    let (status, replay, first) = send(order.clone()).await;
    assert_eq!((status, replay), (StatusCode::CREATED, false), "{first}");
    let (status, replay, again) = send(order).await;
    assert_eq!((status, replay), (StatusCode::CREATED, true));
    assert_eq!(again, first, "the same answer, byte for byte");
    let (status, _, other) = send(json!({"warehouseCode": "WH-T-01", "referenceNo": "EXT-778",
        "lines": [{"lineNo": 1, "sku": "PLAIN-1", "qtyOrdered": 1}]}))
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{other}");
    assert!(other.contains("IDEMPOTENCY_KEY_MISMATCH"));
    // One order, one allocation, one of each event.
    let (_, stock) = get(
        app,
        DEMO_API_KEY,
        "/stock?sku=PLAIN-1&warehouseCode=WH-T-01",
    )
    .await;
    assert_eq!(stock["data"]["totalAllocated"], json!(3));
    assert_eq!(f.events("sales.order.created").await.len(), 1);
    assert_eq!(f.events("order.allocated").await.len(), 1);
}

/// Sets an order's status in the database, as another part of the system would.
async fn set_status(app: &TestApp, order: Uuid, status: SalesStatus) {
    sales_orders::ActiveModel {
        id: Set(order),
        status: Set(status),
        ..Default::default()
    }
    .update(&app.state.db)
    .await
    .expect("status set");
}

#[tokio::test]
async fn cancel_refuses_finished_orders_and_orders_taken_at_a_pos_and_changes_nothing() {
    use partner_gateway::domain::{context::Ctx, outbound, scope::TenantScope};

    let f = fixture().await;
    let app = &f.app;
    let db = &app.state.db;
    f.receive(json!([{"sku": "PLAIN-1", "qty": 20}])).await;
    let finished = [
        (SalesStatus::Cancelled, "cancelled"),
        (SalesStatus::Completed, "completed"),
        (SalesStatus::Refunded, "refunded"),
        (SalesStatus::PartialRefunded, "partial_refunded"),
        (SalesStatus::Exchanged, "exchanged"),
        (SalesStatus::Voided, "voided"),
    ];
    let scope = TenantScope::whole_tenant(f.tenant);
    let ctx = Ctx::new(db, &scope, app.clock.now(), &app.state.cursors);
    let mut refused = Vec::new();
    for (n, (status, wire)) in finished.into_iter().enumerate() {
        let (code, created) = post(
            app,
            DEMO_API_KEY,
            "/orders",
            json!({"warehouseCode": "WH-T-01", "referenceNo": format!("DONE-{n}"),
                "lines": [{"lineNo": 1, "sku": "PLAIN-1", "qtyOrdered": 2}]}),
        )
        .await;
        assert_eq!(code, StatusCode::CREATED, "{created}");
        assert_eq!(created["data"]["summary"]["totalAllocated"], json!(2));
        let number = created["data"]["orderNo"]
            .as_str()
            .expect("number")
            .to_owned();
        match status {
            SalesStatus::Cancelled => {
                let path = format!("/orders/{number}/cancel");
                let (code, answer) = post(app, DEMO_API_KEY, &path, json!(null)).await;
                assert_eq!(code, StatusCode::OK, "{answer}");
            }
            SalesStatus::Completed => {
                outbound::complete_order(&ctx, &number)
                    .await
                    .expect("completed")
                    .expect("the order");
            }
            // Refunds, exchanges and voids happen outside this API: set as they would leave it.
            _ => {
                let id = created["data"]["id"]
                    .as_str()
                    .expect("id")
                    .parse()
                    .expect("uuid");
                set_status(app, id, status).await;
            }
        }
        refused.push((
            number.clone(),
            format!("Order \"{number}\" is {wire} and cannot be cancelled."),
        ));
    }
    // An order taken at a POS, still open: where it was taken is the only reason to refuse it.
    let pos = sales_orders::Entity::find()
        .filter(sales_orders::Column::TenantId.eq(f.tenant))
        .filter(sales_orders::Column::Source.eq(DocumentSource::Pos))
        .order_by_asc(sales_orders::Column::OrderNumber)
        .one(db)
        .await
        .expect("query")
        .expect("a demo order taken at a POS");
    set_status(app, pos.id, SalesStatus::Active).await;
    refused.push((
        pos.order_number.clone(),
        format!(
            "Order \"{}\" was not pushed through this API; it is cancelled where it was taken.",
            pos.order_number
        ),
    ));

    let before = f.books().await;
    let held = |books: &Books| -> Amount {
        books
            .allocations
            .iter()
            .filter(|a| a.released_at.is_none())
            .map(|a| a.quantity)
            .sum()
    };
    // Refunded, partly refunded, exchanged and voided still hold theirs (nothing released them).
    assert_eq!(held(&before), "8".parse().expect("amount"));
    for (number, message) in &refused {
        let (status, answer) = post(
            app,
            DEMO_API_KEY,
            &format!("/orders/{number}/cancel"),
            json!(null),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{number}: {answer}");
        assert_eq!(
            keys(&answer),
            ["code", "message", "requestId", "status"],
            "{answer}"
        );
        assert_eq!(answer["status"], "error");
        assert_eq!(answer["code"], "CONFLICT");
        assert_eq!(answer["message"], message.as_str());
        assert!(
            answer["requestId"]
                .as_str()
                .is_some_and(|id| !id.is_empty())
        );
    }
    assert_eq!(f.books().await.changed_since(&before), Vec::<&str>::new());
    let (_, stock) = get(
        app,
        DEMO_API_KEY,
        "/stock?sku=PLAIN-1&warehouseCode=WH-T-01",
    )
    .await;
    assert_eq!(stock["data"]["totalOnHand"], json!(18), "2 sold");
    assert_eq!(stock["data"]["totalAllocated"], json!(8));
    assert_eq!(f.events("order.cancelled").await.len(), 1, "the one cancel");
    assert_eq!(f.events("sales.order.cancelled").await.len(), 1);
    f.assert_levels_are_sums().await;

    // The contract says so.
    let document: Value =
        serde_json::from_str(&partner_gateway::push::openapi::document_json()).expect("json");
    let conflict = document["paths"]["/api/v1/integration/v1/orders/{orderNo}/cancel"]["post"]
        ["responses"]["409"]["description"]
        .as_str()
        .expect("a documented 409");
    for status in [
        "CANCELLED",
        "COMPLETED",
        "REFUNDED",
        "PARTIAL_REFUNDED",
        "EXCHANGED",
        "VOIDED",
        "IDEMPOTENCY_KEY_MISMATCH",
    ] {
        assert!(conflict.contains(&format!("`{status}`")), "{conflict}");
    }
    assert!(conflict.contains("POS"), "{conflict}");
}

#[tokio::test]
async fn unknown_warehouse_customer_asn_or_location_refuse_the_whole_document() {
    let f = fixture().await;
    let app = &f.app;
    f.receive(json!([{"sku": "PLAIN-1", "qty": 5}])).await;
    let before = f.books().await;
    let order = |warehouse: &str, customer: &str| {
        json!({"warehouseCode": warehouse, "customerCode": customer, "referenceNo": "REF-1",
            "lines": [{"lineNo": 1, "sku": "PLAIN-1", "qtyOrdered": 1}]})
    };
    let cases = [
        (
            "/orders",
            order("WH-NOPE", "CUS-T-01"),
            "Warehouse code \"WH-NOPE\" not found.",
            "warehouseCode",
        ),
        (
            "/orders",
            order("WH-T-01", "CUS-NOPE"),
            "Customer code \"CUS-NOPE\" not found.",
            "customerCode",
        ),
        (
            "/grn",
            json!({"warehouseCode": "WH-NOPE", "lines": [{"sku": "PLAIN-1", "qty": 1}]}),
            "Warehouse code \"WH-NOPE\" not found.",
            "warehouseCode",
        ),
        (
            "/grn",
            json!({"warehouseCode": "WH-T-01", "asnNo": "ASN-NOPE",
                "lines": [{"sku": "PLAIN-1", "qty": 1}]}),
            "ASN \"ASN-NOPE\" not found.",
            "asnNo",
        ),
        // The first line is good: the GRN is refused whole.
        (
            "/grn",
            json!({"warehouseCode": "WH-T-01", "lines": [
                {"sku": "PLAIN-1", "qty": 1, "locationCode": "A-01"},
                {"sku": "PLAIN-1", "qty": 1, "locationCode": "Z-99"}
            ]}),
            "Validation failed",
            "lines[1].locationCode",
        ),
    ];
    for (path, body, message, field) in cases {
        let (status, answer) = post(app, DEMO_API_KEY, path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert_eq!(
            keys(&answer),
            ["code", "details", "message", "requestId", "status"]
        );
        assert_eq!(answer["status"], "error");
        assert_eq!(answer["code"], "VALIDATION_FAILED", "{answer}");
        assert_eq!(answer["message"], message, "{answer}");
        let details = answer["details"].as_array().expect("details");
        assert_eq!(details.len(), 1, "{answer}");
        assert_eq!(details[0]["field"], field, "{answer}");
    }
    let (_, answer) = post(
        app,
        DEMO_API_KEY,
        "/grn",
        json!({"warehouseCode": "WH-T-01", "lines": [{"sku": "PLAIN-1", "qty": 1, "locationCode": "Z-99"}]}),
    )
    .await;
    assert_eq!(
        answer["details"][0]["message"],
        "Location code \"Z-99\" not found in warehouse WH-T-01."
    );
    assert_eq!(f.books().await.changed_since(&before), Vec::<&str>::new());
}

#[tokio::test]
async fn bulk_orders_report_each_entry_and_keep_only_the_good_ones() {
    let f = fixture().await;
    let app = &f.app;
    f.receive(json!([{"sku": "PLAIN-1", "qty": 10}])).await;
    let today = app.clock.now().date().format("%Y%m%d").to_string();
    let order = |reference: &str, sku: &str, qty: u32| {
        json!({"warehouseCode": "WH-T-01", "referenceNo": reference,
            "lines": [{"lineNo": 1, "sku": sku, "qtyOrdered": qty}]})
    };
    let (status, existing) =
        post(app, DEMO_API_KEY, "/orders", order("EXIST-1", "PLAIN-1", 1)).await;
    assert_eq!(status, StatusCode::CREATED, "{existing}");
    let (status, report) = post(
        app,
        DEMO_API_KEY,
        "/orders/bulk",
        json!({"orders": [
            order("B-1", "PLAIN-1", 2),
            order("B-2", "SKU-X", 1),
            order("B-1", "PLAIN-1", 4),
            order("EXIST-1", "PLAIN-1", 4),
            order("B-3", "PLAIN-1", 3),
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{report}");
    assert_eq!(report["status"], "partial");
    assert_eq!(
        (&report["total"], &report["created"], &report["updated"]),
        (&json!(5), &json!(2), &json!(0))
    );
    assert!(report["requestId"].is_string());
    let errors: Vec<(u64, &str, &str)> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().expect("index"),
                e["key"].as_str().expect("key"),
                e["error"].as_str().expect("error"),
            )
        })
        .collect();
    let in_batch = format!("Order with referenceNo \"B-1\" already exists (SO-{today}-0002).");
    let stored = format!("Order with referenceNo \"EXIST-1\" already exists (SO-{today}-0001).");
    assert_eq!(
        errors,
        [
            (1, "B-2", "Item SKU \"SKU-X\" not found."),
            (2, "B-1", in_batch.as_str()),
            (3, "EXIST-1", stored.as_str()),
        ]
    );
    let data = report["data"].as_array().expect("data");
    let statuses: Vec<&str> = data
        .iter()
        .map(|d| d["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["created", "error", "error", "error", "created"]);
    assert_eq!(data[1]["error"], "Item SKU \"SKU-X\" not found.");
    assert_eq!(data[1]["details"][0]["field"], "lines[0].sku");
    for (index, number, allocated) in [(0, 2, 2), (4, 3, 3)] {
        let done = &data[index]["data"];
        assert_eq!(done["orderNo"], format!("SO-{today}-{number:04}"), "{done}");
        assert_eq!(done["summary"]["totalAllocated"], json!(allocated));
    }

    // Only the good orders exist, each holding its allocation.
    let orders = sales_orders::Entity::find()
        .filter(sales_orders::Column::TenantId.eq(f.tenant))
        .filter(sales_orders::Column::ExternalReference.is_not_null())
        .order_by_asc(sales_orders::Column::OrderNumber)
        .all(&app.state.db)
        .await
        .expect("orders");
    let mut seen = Vec::new();
    for order in &orders {
        let held: Amount = stock_allocations::Entity::find()
            .filter(stock_allocations::Column::SalesOrderId.eq(order.id))
            .filter(stock_allocations::Column::ReleasedAt.is_null())
            .all(&app.state.db)
            .await
            .expect("allocations")
            .iter()
            .map(|a| a.quantity)
            .sum();
        seen.push((
            order.external_reference.clone().expect("a reference"),
            order.status,
            held,
        ));
    }
    let active = |reference: &str, held: &str| {
        (
            reference.to_owned(),
            SalesStatus::Active,
            held.parse::<Amount>().expect("amount"),
        )
    };
    assert_eq!(
        seen,
        [
            active("EXIST-1", "1"),
            active("B-1", "2"),
            active("B-3", "3")
        ]
    );
    let (_, stock) = get(
        app,
        DEMO_API_KEY,
        "/stock?sku=PLAIN-1&warehouseCode=WH-T-01",
    )
    .await;
    assert_eq!(stock["data"]["totalAllocated"], json!(6));
    assert_eq!(stock["data"]["totalAvailable"], json!(4));
    assert_eq!(f.events("sales.order.created").await.len(), 3);
    assert_eq!(f.events("order.allocated").await.len(), 3);
    f.assert_levels_are_sums().await;
}

#[tokio::test]
async fn graphql_inventory_levels_are_the_sums_of_the_stock_inquiry() {
    let f = fixture().await;
    let app = &f.app;
    let (status, answer) = post(
        app,
        DEMO_API_KEY,
        "/locations",
        json!({"warehouseCode": "WH-T-01", "code": "A-02"}),
    )
    .await;
    assert!(status.is_success(), "{answer}");
    f.receive(json!([
        {"sku": "PLAIN-1", "qty": 7, "locationCode": "A-01"},
        {"sku": "PLAIN-1", "qty": 5.5, "locationCode": "A-02"},
        {"sku": "LOT-1", "qty": 4, "lotNo": "L-EARLY", "expiryDate": "2027-01-31", "locationCode": "A-01"},
        {"sku": "LOT-1", "qty": 6, "lotNo": "L-LATE", "expiryDate": "2028-01-31", "locationCode": "A-02"}
    ]))
    .await;
    let (status, order) = post(
        app,
        DEMO_API_KEY,
        "/orders",
        json!({"warehouseCode": "WH-T-01", "referenceNo": "SUMS-1", "lines": [
            {"lineNo": 1, "sku": "PLAIN-1", "qtyOrdered": 9},
            {"lineNo": 2, "sku": "LOT-1", "qtyOrdered": 5}
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");

    let token = app.token("demo-full-access", None).await;
    let levels = crate::graphql::query_with(
        app,
        &token,
        "query($warehouse: ID) { inventoryLevels(first: 50, filter: {warehouseId: $warehouse}) \
         { edges { node { warehouseId productSkuId onHand reserved available } } } }",
        json!({"warehouse": f.warehouse}),
    )
    .await;
    let nodes: Vec<&Value> = levels["data"]["inventoryLevels"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("levels: {levels}"))
        .iter()
        .map(|e| &e["node"])
        .collect();
    assert_eq!(nodes.len(), 2, "{levels}");
    // (on hand, allocated, available) of each SKU: two places each (A-01 and A-02; for LOT-1
    // one lot in each), the order allocating across both.
    for (sku, expected) in [
        ("PLAIN-1", ["12.5", "9", "3.5"]),
        ("LOT-1", ["10", "5", "5"]),
    ] {
        let (_, stock) = get(
            app,
            DEMO_API_KEY,
            &format!("/stock?sku={sku}&warehouseCode=WH-T-01"),
        )
        .await;
        let data = &stock["data"];
        assert_eq!(
            keys(data),
            [
                "itemName",
                "sku",
                "stocks",
                "totalAllocated",
                "totalAvailable",
                "totalOnHand",
                "tracking"
            ]
        );
        let rows = data["stocks"].as_array().expect("stocks");
        assert_eq!(rows.len(), 2, "{sku}: {rows:?}");
        let mut sums = [Amount::ZERO; 3];
        for row in rows {
            // Exactly the seed's row.
            assert_eq!(
                keys(row),
                [
                    "locationCode",
                    "lotNo",
                    "qtyAllocated",
                    "qtyAvailable",
                    "qtyOnHand",
                    "warehouseCode"
                ],
                "{row}"
            );
            assert_eq!(row["warehouseCode"], "WH-T-01");
            for (sum, field) in sums
                .iter_mut()
                .zip(["qtyOnHand", "qtyAllocated", "qtyAvailable"])
            {
                *sum = *sum + amount(&row[field]);
            }
        }
        let expected = expected.map(|e| e.parse::<Amount>().expect("amount"));
        assert_eq!(sums, expected, "{sku}: the rows' sums");
        let totals = ["totalOnHand", "totalAllocated", "totalAvailable"].map(|t| amount(&data[t]));
        assert_eq!(totals, expected, "{sku}: the totals");

        let (_, item) = get(app, DEMO_API_KEY, &format!("/items/{sku}")).await;
        let node = nodes
            .iter()
            .find(|n| n["productSkuId"] == item["data"]["id"])
            .unwrap_or_else(|| panic!("{sku} in {levels}"));
        assert_eq!(node["warehouseId"], json!(f.warehouse));
        let level = ["onHand", "reserved", "available"].map(|field| amount(&node[field]));
        assert_eq!(level, sums, "{sku}: GraphQL's level is the inquiry's sums");
    }
}
