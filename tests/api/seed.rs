//! Demo data: deterministic for a seed and a clock, consistent with itself, relative to now.

use std::collections::{BTreeSet, HashMap};

use partner_gateway::clock::Timestamp;
use partner_gateway::demo::{self, DEMO_APPS, SeedOptions};
use partner_gateway::entities::enums::{AppStatus, MovementType, PurchaseOrderStatus, SalesStatus};
use partner_gateway::entities::*;
use partner_gateway::money::Amount;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder};

use crate::helpers::{TestDb, fixed_now};

const DAY_MS: i64 = 86_400_000;

async fn seeded(
    options: &SeedOptions,
    now: Timestamp,
) -> (TestDb, DatabaseConnection, demo::SeedSummary) {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let summary = demo::seed(&db, now, options).await.expect("seed");
    (test_db, db, summary)
}

/// Every row of the main tables, in primary-key order, as text.
async fn dump(db: &DatabaseConnection) -> Vec<String> {
    macro_rules! rows {
        ($($module:ident),+) => {{
            let mut out = Vec::new();
            $(
                for row in $module::Entity::find()
                    .order_by_asc($module::Column::Id)
                    .all(db)
                    .await
                    .expect(stringify!($module))
                {
                    out.push(format!("{row:?}"));
                }
            )+
            out
        }};
    }
    rows!(
        tenants,
        api_applications,
        branches,
        warehouses,
        products,
        product_skus,
        suppliers,
        customers,
        purchase_orders,
        purchase_order_items,
        sales_orders,
        sales_order_items,
        inventory_levels,
        inventory_movements
    )
}

#[tokio::test]
async fn same_seed_and_clock_give_the_same_rows() {
    let options = SeedOptions::small(7);
    let (_a, db_a, _) = seeded(&options, fixed_now()).await;
    let (_b, db_b, _) = seeded(&options, fixed_now()).await;
    let first = dump(&db_a).await;
    let second = dump(&db_b).await;
    assert!(
        first.len() > 1_000,
        "the small data set should still be sizeable"
    );
    assert_eq!(first, second);

    let (_c, db_c, _) = seeded(&SeedOptions::small(8), fixed_now()).await;
    assert_ne!(
        dump(&db_c).await,
        first,
        "another seed must give other data"
    );
}

#[tokio::test]
async fn seed_refuses_a_database_that_holds_data() {
    let options = SeedOptions::small(1);
    let (_t, db, _) = seeded(&options, fixed_now()).await;
    let err = demo::seed(&db, fixed_now(), &options)
        .await
        .expect_err("second seed");
    assert!(err.to_string().contains("already holds data"), "{err}");
    demo::reset(&db).await.expect("reset");
    demo::seed(&db, fixed_now(), &options)
        .await
        .expect("seed after reset");
}

#[tokio::test]
async fn seed_options_are_validated_before_anything_is_written() {
    let mut options = SeedOptions::small(1);
    options.skus = options.products - 1;
    options.days = 0;
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let err = demo::seed(&db, fixed_now(), &options)
        .await
        .expect_err("invalid");
    let message = err.to_string();
    assert!(
        message.contains("--skus") && message.contains("--days"),
        "{message}"
    );
    assert!(demo::is_empty(&db).await.expect("count"));
}

#[tokio::test]
async fn demo_data_is_recent_and_fills_every_day_of_the_last_30() {
    let now = fixed_now();
    let options = SeedOptions::small(3);
    let (_t, db, summary) = seeded(&options, now).await;
    let orders = sales_orders::Entity::find().all(&db).await.expect("orders");
    assert_eq!(orders.len(), summary.sales_orders);
    assert_eq!(orders.len(), options.orders);
    let oldest_allowed = now.millis() - i64::from(options.days) * DAY_MS;
    let mut days = BTreeSet::new();
    for order in &orders {
        let at = order.order_date.millis();
        assert!(
            at <= now.millis() && at >= oldest_allowed,
            "{}",
            order.order_date
        );
        days.insert((now.millis() - at) / DAY_MS);
    }
    for day in 0..30 {
        assert!(days.contains(&day), "no orders {day} days before now");
    }
}

#[tokio::test]
async fn demo_data_is_consistent_with_itself() {
    let options = SeedOptions::small(11);
    let (_t, db, summary) = seeded(&options, fixed_now()).await;

    // Order arithmetic: subtotal − discount + service charge = total; items add up.
    let orders = sales_orders::Entity::find().all(&db).await.expect("orders");
    let items = sales_order_items::Entity::find()
        .all(&db)
        .await
        .expect("items");
    assert_eq!(items.len(), summary.sales_order_items);
    let mut by_order: HashMap<_, Vec<&sales_order_items::Model>> = HashMap::new();
    for item in &items {
        by_order.entry(item.sales_order_id).or_default().push(item);
    }
    for order in &orders {
        let lines = &by_order[&order.id];
        assert!((1..=6).contains(&lines.len()));
        let line_totals: Amount = lines.iter().map(|l| l.line_total).sum();
        let refunded: Amount = lines.iter().map(|l| l.refunded_amount).sum();
        assert_eq!(
            order.subtotal - order.discount_amount,
            line_totals,
            "{}",
            order.order_number
        );
        assert_eq!(
            order.subtotal - order.discount_amount + order.service_charge_amount,
            order.total_amount
        );
        assert_eq!(order.refunded_amount, refunded);
        assert!(order.tax_amount < order.total_amount || order.total_amount.is_zero());
    }

    // Stock: every level equals the sum of its movements and the last running balance.
    let movements = inventory_movements::Entity::find()
        .order_by_asc(inventory_movements::Column::CreatedAt)
        .all(&db)
        .await
        .expect("movements");
    let mut sums: HashMap<_, Amount> = HashMap::new();
    let mut last: HashMap<_, (i64, Amount)> = HashMap::new();
    for m in &movements {
        let key = (m.warehouse_id, m.product_sku_id);
        let sum = sums.entry(key).or_default();
        *sum = *sum + m.quantity;
        assert!(!m.balance_after.is_negative(), "negative stock after {m:?}");
        last.insert(key, (m.created_at.millis(), m.balance_after));
        let sign_ok = match m.movement_type {
            MovementType::Sale | MovementType::TransferOut | MovementType::Waste => {
                m.quantity.is_negative()
            }
            MovementType::Receive | MovementType::Return | MovementType::TransferIn => {
                !m.quantity.is_negative()
            }
            MovementType::Adjustment => true,
        };
        assert!(sign_ok, "{m:?}");
    }
    let levels = inventory_levels::Entity::find()
        .all(&db)
        .await
        .expect("levels");
    assert_eq!(levels.len(), summary.inventory_levels);
    for level in &levels {
        let key = (level.warehouse_id, level.product_sku_id);
        assert_eq!(level.on_hand, sums.get(&key).copied().unwrap_or_default());
        if let Some((_, balance)) = last.get(&key) {
            assert_eq!(level.on_hand, *balance);
        }
        assert!(level.reserved <= level.on_hand);
    }

    // Sales movements mirror the sold order lines.
    let sold: Amount = orders
        .iter()
        .filter(|o| {
            matches!(
                o.status,
                SalesStatus::Completed
                    | SalesStatus::Refunded
                    | SalesStatus::PartialRefunded
                    | SalesStatus::Exchanged
            )
        })
        .flat_map(|o| by_order[&o.id].iter().map(|l| l.quantity))
        .sum();
    let sale_movements: Amount = movements
        .iter()
        .filter(|m| m.movement_type == MovementType::Sale)
        .map(|m| -m.quantity)
        .sum();
    assert_eq!(sold, sale_movements);

    // Receipts mirror what purchase orders say was received.
    let received: Amount = purchase_order_items::Entity::find()
        .all(&db)
        .await
        .expect("po items")
        .iter()
        .map(|i| i.received_quantity)
        .sum();
    let receipt_movements: Amount = movements
        .iter()
        .filter(|m| m.reference_type.as_deref() == Some("PURCHASE_ORDER"))
        .map(|m| m.quantity)
        .sum();
    assert_eq!(received, receipt_movements);

    // Customer statistics come from their orders.
    let customers = customers::Entity::find().all(&db).await.expect("customers");
    for customer in &customers {
        let visits = orders
            .iter()
            .filter(|o| o.customer_id == Some(customer.id))
            .filter(|o| {
                matches!(
                    o.status,
                    SalesStatus::Completed | SalesStatus::PartialRefunded | SalesStatus::Exchanged
                )
            })
            .count();
        assert_eq!(customer.visit_count as usize, visits, "{}", customer.code);
    }

    // The fixed demo applications.
    let apps = api_applications::Entity::find()
        .all(&db)
        .await
        .expect("apps");
    assert_eq!(apps.len(), DEMO_APPS.len());
    let by_client: HashMap<_, _> = apps.iter().map(|a| (a.client_id.as_str(), a)).collect();
    assert_eq!(by_client["demo-suspended"].status, AppStatus::Suspended);
    assert_eq!(
        by_client["demo-one-branch"]
            .allowed_branches()
            .expect("json"),
        Some(vec![summary.first_branch_id])
    );
    assert!(!by_client["demo-no-pii"].scope_set().can_read_customer_pii());
    assert!(
        by_client["demo-full-access"]
            .scope_set()
            .can_read_customer_pii()
    );
    assert_eq!(
        by_client["demo-free-plan"].tenant_id,
        summary.free_tenant_id
    );
    for app in &apps {
        assert!(
            !app.client_secret_hash.contains("pgs_"),
            "secrets are stored hashed"
        );
    }
}

#[tokio::test]
async fn a_larger_data_set_has_every_status_and_movement_type() {
    let mut options = SeedOptions::small(5);
    options.orders = 2_000;
    options.purchase_orders = 80;
    let (_t, db, _) = seeded(&options, fixed_now()).await;
    let orders = sales_orders::Entity::find().all(&db).await.expect("orders");
    let statuses: BTreeSet<_> = orders.iter().map(|o| o.status).collect();
    assert_eq!(statuses, SalesStatus::ALL.iter().copied().collect());
    let types: BTreeSet<_> = orders.iter().map(|o| o.order_type).collect();
    assert_eq!(types.len(), 3);
    let payments: BTreeSet<_> = orders.iter().map(|o| o.payment_status).collect();
    assert_eq!(payments.len(), 4, "{payments:?}");
    let movements: BTreeSet<_> = inventory_movements::Entity::find()
        .all(&db)
        .await
        .expect("movements")
        .iter()
        .map(|m| m.movement_type)
        .collect();
    assert_eq!(movements, MovementType::ALL.iter().copied().collect());
    let po_statuses: BTreeSet<_> = purchase_orders::Entity::find()
        .all(&db)
        .await
        .expect("pos")
        .iter()
        .map(|p| p.status)
        .collect();
    assert_eq!(
        po_statuses,
        PurchaseOrderStatus::ALL.iter().copied().collect()
    );
    assert!(customers::Entity::find().count(&db).await.expect("count") > 0);
}
