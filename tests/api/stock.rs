//! Stock posting in the database (`domain::stock::post`): the level and its running balance,
//! inside the document's transaction, under concurrency, within a request's connection budget,
//! never across tenants.

use std::str::FromStr;

use partner_gateway::clock::Timestamp;
use partner_gateway::db::DbBudgets;
use partner_gateway::demo::{self, SeedOptions};
use partner_gateway::domain::context::Ctx;
use partner_gateway::domain::pagination::CursorCodec;
use partner_gateway::domain::scope::TenantScope;
use partner_gateway::domain::stock::{self, Posting, Reference, ReferenceKind};
use partner_gateway::entities::enums::MovementType;
use partner_gateway::entities::{inventory_levels, inventory_movements, product_skus, warehouses};
use partner_gateway::money::Amount;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use uuid::Uuid;

use crate::helpers::{TestDb, fixed_now};

fn amount(text: &str) -> Amount {
    Amount::from_str(text).expect("amount")
}

/// A warehouse of the demo tenant and a SKU without stock there.
struct Place {
    tenant_id: Uuid,
    warehouse_id: Uuid,
    sku_id: Uuid,
    scope: TenantScope,
}

fn cursors() -> CursorCodec {
    CursorCodec::new(b"stock tests")
}

/// Runs `f` with a context of `place`'s tenant on `db`.
fn ctx<'a, C: ConnectionTrait>(
    db: &'a C,
    place: &'a Place,
    cursors: &'a CursorCodec,
) -> Ctx<'a, C> {
    Ctx::new(db, &place.scope, fixed_now(), cursors)
}

async fn seeded() -> (TestDb, DatabaseConnection, Place) {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    demo::seed(&db, fixed_now(), &SeedOptions::small(3))
        .await
        .expect("seed");
    let warehouse = warehouses::Entity::find()
        .order_by_asc(warehouses::Column::Code)
        .one(&db)
        .await
        .expect("query")
        .expect("a warehouse");
    let sku = product_skus::Entity::find()
        .filter(product_skus::Column::TenantId.eq(warehouse.tenant_id))
        .order_by_asc(product_skus::Column::SkuCode)
        .one(&db)
        .await
        .expect("query")
        .expect("a SKU");
    // Its stock in the warehouse starts from nothing: no level, no movements.
    inventory_movements::Entity::delete_many()
        .filter(inventory_movements::Column::WarehouseId.eq(warehouse.id))
        .filter(inventory_movements::Column::ProductSkuId.eq(sku.id))
        .exec(&db)
        .await
        .expect("clear movements");
    inventory_levels::Entity::delete_many()
        .filter(inventory_levels::Column::WarehouseId.eq(warehouse.id))
        .filter(inventory_levels::Column::ProductSkuId.eq(sku.id))
        .exec(&db)
        .await
        .expect("clear the level");
    let place = Place {
        tenant_id: warehouse.tenant_id,
        warehouse_id: warehouse.id,
        sku_id: sku.id,
        scope: TenantScope::whole_tenant(warehouse.tenant_id),
    };
    (test_db, db, place)
}

fn posting<'a>(place: &Place, kind: MovementType, quantity: &str, at: Timestamp) -> Posting<'a> {
    Posting {
        id: Uuid::new_v4(),
        tenant_id: place.tenant_id,
        warehouse_id: place.warehouse_id,
        product_sku_id: place.sku_id,
        place: stock::Place::ANYWHERE,
        movement_type: kind,
        quantity: amount(quantity),
        reference: None,
        note: None,
        at,
    }
}

async fn level(db: &impl ConnectionTrait, place: &Place) -> Option<inventory_levels::Model> {
    inventory_levels::Entity::find()
        .filter(inventory_levels::Column::WarehouseId.eq(place.warehouse_id))
        .filter(inventory_levels::Column::ProductSkuId.eq(place.sku_id))
        .one(db)
        .await
        .expect("level")
}

#[tokio::test]
async fn posting_creates_the_level_and_records_the_running_balance() {
    let (_test_db, db, place) = seeded().await;
    let cursors = cursors();
    let here = ctx(&db, &place, &cursors);
    assert!(level(&db, &place).await.is_none());
    let now = fixed_now();
    let order = Uuid::new_v4();
    let receipt = Posting {
        reference: Some(Reference {
            kind: ReferenceKind::PurchaseOrder,
            id: order,
            number: "PO-TEST-1",
        }),
        ..posting(&place, MovementType::Receive, "10", now)
    };
    let first = stock::post(&here, &receipt).await.expect("receive");
    assert_eq!(first.balance_after, amount("10"));
    assert_eq!(first.reference_type.as_deref(), Some("PURCHASE_ORDER"));
    assert_eq!(first.reference_id, Some(order));
    let sale = stock::post(&here, &posting(&place, MovementType::Sale, "-2.5", now))
        .await
        .expect("sale");
    assert_eq!(sale.balance_after, amount("7.5"));
    let level = level(&db, &place).await.expect("created");
    assert_eq!(level.on_hand, amount("7.5"));
    assert_eq!(level.reserved, Amount::ZERO);
    assert_eq!(level.tenant_id, place.tenant_id);
}

#[tokio::test]
async fn a_tenant_cannot_post_to_another_tenants_warehouse_or_sku() {
    let (_test_db, db, place) = seeded().await;
    let cursors = cursors();
    let other = partner_gateway::domain::tenants::create(
        &db,
        fixed_now(),
        Uuid::new_v4(),
        "Other",
        partner_gateway::entities::enums::Plan::Pro,
    )
    .await
    .expect("tenant");
    let intruder = Place {
        tenant_id: other.id,
        warehouse_id: place.warehouse_id,
        sku_id: place.sku_id,
        scope: TenantScope::whole_tenant(other.id),
    };
    let err = stock::post(
        &ctx(&db, &intruder, &cursors),
        &posting(&intruder, MovementType::Receive, "5", fixed_now()),
    )
    .await
    .expect_err("not its warehouse");
    assert_eq!(err.code(), partner_gateway::error::ErrorCode::NotFound);
    assert!(level(&db, &place).await.is_none(), "no level was made");
    // The owner posts as before.
    let own = stock::post(
        &ctx(&db, &place, &cursors),
        &posting(&place, MovementType::Receive, "5", fixed_now()),
    )
    .await
    .expect("the owner's posting");
    assert_eq!(own.balance_after, amount("5"));
}

#[tokio::test]
async fn a_rolled_back_document_leaves_neither_movement_nor_level() {
    let (_test_db, db, place) = seeded().await;
    let cursors = cursors();
    let txn = db.begin().await.expect("begin");
    let moved = stock::post(
        &ctx(&txn, &place, &cursors),
        &posting(&place, MovementType::Receive, "4", fixed_now()),
    )
    .await
    .expect("inside");
    assert_eq!(
        level(&txn, &place).await.expect("seen inside").on_hand,
        amount("4")
    );
    txn.rollback().await.expect("rollback");
    assert!(level(&db, &place).await.is_none());
    let found = inventory_movements::Entity::find_by_id(moved.id)
        .one(&db)
        .await
        .expect("query");
    assert!(found.is_none());
}

/// Sixteen documents at once, each reading the level before it posts (as a receipt checks
/// what it receives against), each in its own budgeted transaction.
#[tokio::test]
async fn concurrent_documents_that_read_then_post_queue_up_and_every_balance_is_true() {
    let (_test_db, db, place) = seeded().await;
    let place = std::sync::Arc::new(place);
    let budgets = std::sync::Arc::new(DbBudgets::new(2, 32, std::time::Duration::from_secs(10)));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let db = db.clone();
            let place = place.clone();
            let budgets = budgets.clone();
            tokio::spawn(async move {
                let cursors = cursors();
                let request = budgets.for_request(&db, place.tenant_id);
                let txn = request.begin().await.expect("begin");
                let here = ctx(&*txn, &place, &cursors);
                let _before = level(&*txn, &place).await;
                let moved = stock::post(
                    &here,
                    &posting(&place, MovementType::Receive, "1.5", fixed_now()),
                )
                .await
                .expect("post");
                // Hold the lock a little, so the others really wait for it.
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                txn.commit().await.expect("commit");
                moved.balance_after
            })
        })
        .collect();
    let mut balances = Vec::new();
    for task in tasks {
        balances.push(task.await.expect("task"));
    }
    balances.sort();
    let expected: Vec<Amount> = (1..=16)
        .map(|n| std::iter::repeat_n(amount("1.5"), n).sum())
        .collect();
    assert_eq!(balances, expected, "each posting saw the one before it");
    assert_eq!(
        level(&db, &place).await.expect("level").on_hand,
        amount("24")
    );
}

#[tokio::test]
async fn a_budgeted_transaction_holds_one_connection_of_the_request_until_it_ends() {
    let (_test_db, db, place) = seeded().await;
    let cursors = cursors();
    let budgets = DbBudgets::new(1, 4, std::time::Duration::from_millis(200));
    let request = budgets.for_request(&db, place.tenant_id);
    let select_one = || {
        request.query_one_raw(sea_orm::Statement::from_string(
            request.get_database_backend(),
            "SELECT 1",
        ))
    };
    let txn = request.begin().await.expect("begin");
    stock::post(
        &ctx(&*txn, &place, &cursors),
        &posting(&place, MovementType::Receive, "2", fixed_now()),
    )
    .await
    .expect("inside the transaction");
    // The request's one permit is the transaction's: another statement of the request waits,
    // and gives up as a busy service would.
    let err = select_one()
        .await
        .expect_err("no permit while the transaction lives");
    assert!(
        matches!(
            partner_gateway::error::AppError::from(err),
            partner_gateway::error::AppError::Unavailable { .. }
        ),
        "a busy answer"
    );
    txn.commit().await.expect("commit");
    select_one().await.expect("the permit is back");
    assert_eq!(
        level(&db, &place).await.expect("level").on_hand,
        amount("2")
    );

    // Dropped without a commit: nothing of it stays, and the permit comes back.
    let txn = request.begin().await.expect("begin");
    stock::post(
        &ctx(&*txn, &place, &cursors),
        &posting(&place, MovementType::Receive, "3", fixed_now()),
    )
    .await
    .expect("inside");
    drop(txn);
    select_one().await.expect("the permit is back after a drop");
    assert_eq!(
        level(&db, &place).await.expect("level").on_hand,
        amount("2")
    );
}
