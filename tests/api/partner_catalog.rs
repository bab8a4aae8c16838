//! Products, inventory, purchasing and reports over HTTP against demo data.

use std::collections::{BTreeMap, HashMap};

use partner_gateway::clock::Clock;
use partner_gateway::entities::enums::SalesStatus;
use partner_gateway::entities::{
    inventory_levels, inventory_movements, product_skus, purchase_orders, sales_order_items,
    sales_orders, warehouses,
};
use partner_gateway::money::Amount;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use sea_orm::EntityTrait;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::TestApp;

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let response = app.get_with(&format!("/api/partner/v1{path}"), token).await;
    let status = response.status();
    (status, response.json().await.expect("json body"))
}

fn amount(v: &Value) -> Amount {
    v.as_str().expect("decimal string").parse().expect("amount")
}

/// Every page of a list.
async fn walk(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=200&cursor={c}"),
            None => format!("{path}{sep}limit=200"),
        };
        let (status, body) = get(app, token, &url).await;
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        out.extend(body["data"].as_array().expect("data").iter().cloned());
        match body["pagination"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    out
}

#[tokio::test]
async fn every_endpoint_checks_its_scope_and_limit() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let none = app.token("demo-full-access", Some("read:webhooks")).await;
    let all = app.token("demo-full-access", None).await;
    for (path, scope) in [
        ("/sales", "read:sales"),
        ("/products", "read:products"),
        ("/inventory", "read:inventory"),
        ("/inventory/movements", "read:inventory"),
        ("/purchase-orders", "read:purchasing"),
        ("/suppliers", "read:purchasing"),
        ("/customers", "read:customers"),
        ("/reports/sales-summary", "read:reports"),
        ("/reports/inventory-summary", "read:reports"),
    ] {
        let (status, body) = get(&app, &none, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(
            body["required_scopes"],
            serde_json::json!([scope]),
            "{path}"
        );
        let (status, _) = get(&app, &all, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        if !path.starts_with("/reports") {
            let (status, body) = get(&app, &all, &format!("{path}?limit=0")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
            assert_eq!(body["details"][0]["field"], "limit");
        }
    }
    let (status, body) = get(&app, &all, "/no-such-endpoint").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn products_carry_their_skus_and_filter() {
    let app = TestApp::spawn().await;
    let summary = app.seed().await;
    let token = app.token("demo-no-pii", None).await;
    let products = walk(&app, &token, "/products").await;
    assert_eq!(products.len(), summary.products);
    let sku_total: usize = products
        .iter()
        .map(|p| p["skus"].as_array().expect("skus").len())
        .sum();
    assert_eq!(sku_total, summary.skus);
    let active = walk(&app, &token, "/products?status=ACTIVE").await;
    assert!(active.iter().all(|p| p["status"] == "ACTIVE"));
    let category = products[0]["category"]
        .as_str()
        .expect("category")
        .to_owned();
    let in_category = walk(&app, &token, &format!("/products?category={category}")).await;
    assert!(
        !in_category.is_empty()
            && in_category
                .iter()
                .all(|p| p["category"] == category.as_str())
    );
    let (status, body) = get(&app, &token, "/products?status=SOLD_OUT").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["details"][0]["field"], "status");
}

#[tokio::test]
async fn inventory_follows_warehouse_branches() {
    let app = TestApp::spawn().await;
    let summary = app.seed().await;
    let all = app.token("demo-full-access", None).await;
    let one = app.token("demo-one-branch", None).await;
    let warehouses = warehouses::Entity::find()
        .all(&app.state.db)
        .await
        .expect("warehouses");
    let elsewhere = warehouses
        .iter()
        .find(|w| w.tenant_id == summary.tenant_id && w.branch_id != summary.first_branch_id)
        .expect("a warehouse of another branch");

    let levels = walk(&app, &all, "/inventory").await;
    assert_eq!(levels.len(), summary.inventory_levels);
    for level in &levels {
        assert_eq!(
            amount(&level["available"]),
            amount(&level["on_hand"]) - amount(&level["reserved"])
        );
    }
    let restricted = walk(&app, &one, "/inventory").await;
    assert!(!restricted.is_empty());
    assert!(
        restricted
            .iter()
            .all(|l| l["branch_id"] == summary.first_branch_id.to_string().as_str())
    );

    let low = walk(&app, &all, "/inventory?low_stock=true").await;
    assert!(!low.is_empty() && low.iter().all(|l| l["is_low_stock"] == true));

    for (token, path) in [
        (&one, format!("/inventory?warehouse_id={}", elsewhere.id)),
        (&all, format!("/inventory?warehouse_id={}", Uuid::new_v4())),
        (
            &one,
            format!("/inventory/movements?warehouse_id={}", elsewhere.id),
        ),
    ] {
        let (status, body) = get(&app, token, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["message"], "Warehouse not found");
    }

    // Movements of one warehouse in the default window, all of them, newest first.
    let now = app.clock.now().millis();
    let expected = inventory_movements::Entity::find()
        .all(&app.state.db)
        .await
        .expect("movements")
        .into_iter()
        .filter(|m| {
            m.warehouse_id == elsewhere.id && m.created_at.millis() >= now - 30 * 86_400_000
        })
        .count();
    let walked = walk(
        &app,
        &all,
        &format!("/inventory/movements?warehouse_id={}", elsewhere.id),
    )
    .await;
    assert_eq!(walked.len(), expected);
    let dates: Vec<&str> = walked
        .iter()
        .map(|m| m["created_at"].as_str().expect("date"))
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let sales = walk(
        &app,
        &all,
        "/inventory/movements?movement_type=SALE&limit=50",
    )
    .await;
    assert!(
        sales
            .iter()
            .all(|m| m["movement_type"] == "SALE" && amount(&m["quantity"]).is_negative())
    );
}

#[tokio::test]
async fn purchase_orders_and_their_items() {
    let app = TestApp::spawn().await;
    let summary = app.seed().await;
    let all = app.token("demo-full-access", None).await;
    let one = app.token("demo-one-branch", None).await;
    let orders = purchase_orders::Entity::find()
        .all(&app.state.db)
        .await
        .expect("pos");
    let elsewhere = orders
        .iter()
        .find(|o| o.branch_id != summary.first_branch_id)
        .expect("a PO of another branch");
    let (status, body) = get(
        &app,
        &all,
        &format!("/purchase-orders/{}/items", elsewhere.id),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let lines: Amount = body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|i| amount(&i["line_total"]))
        .sum();
    assert_eq!(lines, elsewhere.subtotal);
    for (token, path) in [
        (&one, format!("/purchase-orders/{}/items", elsewhere.id)),
        (&all, format!("/purchase-orders/{}/items", Uuid::new_v4())),
        (&all, "/purchase-orders/123/items".to_owned()),
    ] {
        let (status, body) = get(&app, token, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["message"], "Purchase order not found");
    }
    let by_supplier = walk(
        &app,
        &all,
        &format!("/purchase-orders?supplier_id={}", elsewhere.supplier_id),
    )
    .await;
    assert!(
        by_supplier
            .iter()
            .all(|o| o["supplier_id"] == elsewhere.supplier_id.to_string().as_str())
    );
    let suppliers = walk(&app, &all, "/suppliers").await;
    assert_eq!(suppliers.len(), summary.suppliers);
}

#[tokio::test]
async fn sales_summary_totals_match_an_independent_recomputation() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let (status, report) = get(
        &app,
        &token,
        "/reports/sales-summary?from=2026-05-20&to=2026-06-14",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");

    let from = partner_gateway::clock::Timestamp::start_of_day(
        chrono::NaiveDate::from_ymd_opt(2026, 5, 20).expect("date"),
    );
    let to = partner_gateway::clock::Timestamp::start_of_day(
        chrono::NaiveDate::from_ymd_opt(2026, 6, 15).expect("date"),
    );
    let orders: Vec<sales_orders::Model> = sales_orders::Entity::find()
        .all(&app.state.db)
        .await
        .expect("orders")
        .into_iter()
        .filter(|o| o.order_date >= from && o.order_date < to)
        .collect();
    let is_sale = |o: &&sales_orders::Model| {
        matches!(
            o.status,
            SalesStatus::Completed
                | SalesStatus::PartialRefunded
                | SalesStatus::Refunded
                | SalesStatus::Exchanged
        )
    };
    let sales: Vec<&sales_orders::Model> = orders.iter().filter(is_sale).collect();
    let dec = |f: fn(&sales_orders::Model) -> Amount| -> Decimal {
        sales.iter().map(|o| f(o).to_decimal()).sum()
    };
    let totals = &report["totals"];
    assert_eq!(totals["order_count"], sales.len());
    assert_eq!(
        amount(&totals["gross_sales"]).to_decimal(),
        dec(|o| o.subtotal)
    );
    assert_eq!(
        amount(&totals["tax_amount"]).to_decimal(),
        dec(|o| o.tax_amount)
    );
    assert_eq!(
        amount(&totals["total_amount"]).to_decimal(),
        dec(|o| o.total_amount)
    );
    assert_eq!(
        amount(&totals["net_sales"]).to_decimal(),
        dec(|o| o.total_amount) - dec(|o| o.refunded_amount)
    );

    let mut by_status: BTreeMap<String, (u64, Decimal)> = BTreeMap::new();
    for o in &orders {
        let entry = by_status.entry(o.status.to_string()).or_default();
        entry.0 += 1;
        entry.1 += o.total_amount.to_decimal();
    }
    let reported: BTreeMap<String, (u64, Decimal)> = report["by_status"]
        .as_array()
        .expect("by_status")
        .iter()
        .map(|s| {
            (
                s["status"].as_str().expect("status").to_owned(),
                (
                    s["order_count"].as_u64().expect("count"),
                    amount(&s["total_amount"]).to_decimal(),
                ),
            )
        })
        .collect();
    assert_eq!(reported, by_status);

    let mut by_day: BTreeMap<String, Decimal> = BTreeMap::new();
    for o in &sales {
        *by_day.entry(o.order_date.date().to_string()).or_default() +=
            (o.total_amount - o.refunded_amount).to_decimal();
    }
    let reported: BTreeMap<String, Decimal> = report["by_day"]
        .as_array()
        .expect("by_day")
        .iter()
        .map(|d| {
            (
                d["date"].as_str().expect("date").to_owned(),
                amount(&d["net_sales"]).to_decimal(),
            )
        })
        .collect();
    assert_eq!(reported, by_day);
    let branch_sum: Decimal = report["by_branch"]
        .as_array()
        .expect("by_branch")
        .iter()
        .map(|b| amount(&b["net_sales"]).to_decimal())
        .sum();
    assert_eq!(branch_sum, amount(&totals["net_sales"]).to_decimal());

    let sale_ids: std::collections::HashSet<Uuid> = sales.iter().map(|o| o.id).collect();
    let mut per_sku: HashMap<Uuid, Decimal> = HashMap::new();
    for item in sales_order_items::Entity::find()
        .all(&app.state.db)
        .await
        .expect("items")
    {
        if sale_ids.contains(&item.sales_order_id) {
            *per_sku.entry(item.product_sku_id).or_default() +=
                (item.line_total - item.refunded_amount).to_decimal();
        }
    }
    let top = &report["top_products"][0];
    let best = per_sku.values().max().copied().expect("some sales");
    assert_eq!(amount(&top["net_sales"]).to_decimal(), best);
    let top_id = Uuid::parse_str(top["product_sku_id"].as_str().expect("id")).expect("uuid");
    assert_eq!(per_sku[&top_id], best);

    let (status, body) = get(
        &app,
        &token,
        &format!("/reports/sales-summary?branch_id={}", Uuid::new_v4()),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["message"], "Branch not found");
}

#[tokio::test]
async fn inventory_summary_matches_levels_times_cost() {
    let app = TestApp::spawn().await;
    let summary = app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let (status, report) = get(&app, &token, "/reports/inventory-summary").await;
    assert_eq!(status, StatusCode::OK);
    let costs: HashMap<Uuid, Amount> = product_skus::Entity::find()
        .all(&app.state.db)
        .await
        .expect("skus")
        .into_iter()
        .map(|s| (s.id, s.cost))
        .collect();
    let levels = inventory_levels::Entity::find()
        .all(&app.state.db)
        .await
        .expect("levels");
    let value: Decimal = levels
        .iter()
        .map(|l| l.on_hand.to_decimal() * costs[&l.product_sku_id].to_decimal())
        .sum();
    let on_hand: Amount = levels.iter().map(|l| l.on_hand).sum();
    let out = levels.iter().filter(|l| l.on_hand <= Amount::ZERO).count();
    let low = levels
        .iter()
        .filter(|l| l.on_hand > Amount::ZERO && l.on_hand <= l.reorder_point)
        .count();
    assert_eq!(report["sku_count"], levels.len());
    assert_eq!(amount(&report["total_on_hand"]), on_hand);
    // Summed exactly, rounded once to 4 places.
    assert_eq!(
        amount(&report["stock_value"]),
        Amount::round_from_decimal(value, 4).expect("in range")
    );
    assert_eq!(report["out_of_stock_count"], out);
    assert_eq!(report["low_stock_count"], low);
    assert_eq!(
        report["by_warehouse"].as_array().expect("array").len(),
        summary.warehouses
    );

    let one = app.token("demo-one-branch", None).await;
    let other_branch = warehouses::Entity::find()
        .all(&app.state.db)
        .await
        .expect("warehouses")
        .into_iter()
        .find(|w| w.tenant_id == summary.tenant_id && w.branch_id != summary.first_branch_id)
        .expect("another branch")
        .branch_id;
    let (status, body) = get(
        &app,
        &one,
        &format!("/reports/inventory-summary?branch_id={other_branch}"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["message"], "Branch not found");
    let (status, body) = get(&app, &one, "/reports/inventory-summary").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["by_warehouse"]
            .as_array()
            .expect("array")
            .iter()
            .all(|w| w["branch_id"] == summary.first_branch_id.to_string().as_str())
    );
}
