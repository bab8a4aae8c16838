//! Tenant and branch isolation of domain queries.

use partner_gateway::domain::context::Ctx;
use partner_gateway::domain::pagination::CursorCodec;
use partner_gateway::domain::scope::TenantScope;
use partner_gateway::domain::{branches as branch_queries, sales};
use partner_gateway::entities::enums::{
    DocumentSource, OrderType, PaymentStatus, Plan, SalesStatus,
};
use partner_gateway::entities::{customers, sales_order_items, sales_orders};
use partner_gateway::money::Amount;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set, TransactionTrait};
use uuid::Uuid;

use crate::helpers::{TestDb, branch_row, fixed_now};

/// Domain calls on `db` as `scope`.
fn seen_as<'a>(
    db: &'a DatabaseConnection,
    scope: &'a TenantScope,
    cursors: &'a CursorCodec,
) -> Ctx<'a, DatabaseConnection> {
    Ctx::new(db, scope, fixed_now(), cursors)
}

struct Tenant {
    id: Uuid,
    branches: Vec<Uuid>,
    orders: Vec<Uuid>,
}

async fn tenant_with_orders(db: &DatabaseConnection, name: &str, branch_count: usize) -> Tenant {
    let now = fixed_now();
    let tenant = partner_gateway::domain::tenants::create(db, now, Uuid::new_v4(), name, Plan::Pro)
        .await
        .expect("tenant");
    let mut tenant_branches = Vec::new();
    let mut orders = Vec::new();
    for b in 0..branch_count {
        // The same codes in every tenant: codes are unique per tenant only.
        let branch = branch_row(
            tenant.id,
            &format!("BR{b}"),
            &format!("{name} branch {b}"),
            now,
        )
        .insert(db)
        .await
        .expect("branch");
        tenant_branches.push(branch.id);
        let order = sales_orders::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(tenant.id),
            branch_id: Set(branch.id),
            customer_id: Set(None),
            order_number: Set(format!("ORD{b}")),
            order_date: Set(now),
            status: Set(SalesStatus::Completed),
            order_type: Set(OrderType::Takeaway),
            subtotal: Set(Amount::from_int(120).expect("fits")),
            discount_amount: Set(Amount::ZERO),
            tax_amount: Set("7.85".parse().expect("amount")),
            service_charge_amount: Set(Amount::ZERO),
            total_amount: Set(Amount::from_int(120).expect("fits")),
            paid_amount: Set(Amount::from_int(120).expect("fits")),
            refunded_amount: Set(Amount::ZERO),
            payment_status: Set(PaymentStatus::Paid),
            source: Set(DocumentSource::Pos),
            external_reference: Set(None),
            warehouse_id: Set(None),
            required_date: Set(None),
            priority: Set(None),
            ship_to_name: Set(None),
            ship_to_address: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await
        .expect("order");
        orders.push(order.id);
    }
    Tenant {
        id: tenant.id,
        branches: tenant_branches,
        orders,
    }
}

#[tokio::test]
async fn a_tenant_never_sees_another_tenants_rows() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let cursors = CursorCodec::new(b"tenancy tests");
    let a = tenant_with_orders(&db, "A", 2).await;
    let b = tenant_with_orders(&db, "B", 2).await;
    let scope_a = TenantScope::whole_tenant(a.id);
    let scope_b = TenantScope::whole_tenant(b.id);

    let visible: Vec<Uuid> = branch_queries::list(&seen_as(&db, &scope_b, &cursors))
        .await
        .expect("list")
        .iter()
        .map(|br| br.id)
        .collect();
    assert_eq!(visible, b.branches);

    for order in &a.orders {
        assert!(
            sales::find(&seen_as(&db, &scope_a, &cursors), *order)
                .await
                .expect("find")
                .is_some()
        );
        assert!(
            sales::find(&seen_as(&db, &scope_b, &cursors), *order)
                .await
                .expect("find")
                .is_none()
        );
        assert!(
            sales::items(&seen_as(&db, &scope_b, &cursors), *order)
                .await
                .expect("items")
                .is_none()
        );
        assert_eq!(
            sales::items(&seen_as(&db, &scope_a, &cursors), *order)
                .await
                .expect("items"),
            Some(Vec::<sales_order_items::Model>::new())
        );
    }
    for branch in &a.branches {
        assert!(
            branch_queries::find(&seen_as(&db, &scope_b, &cursors), *branch)
                .await
                .expect("find")
                .is_none()
        );
    }
    let rows = scope_b
        .select::<customers::Entity>()
        .all(&db)
        .await
        .expect("customers");
    assert!(rows.is_empty());
}

#[tokio::test]
async fn a_branch_restricted_scope_only_sees_its_branches() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let cursors = CursorCodec::new(b"tenancy tests");
    let a = tenant_with_orders(&db, "A", 3).await;
    let restricted = TenantScope::new(a.id, Some(vec![a.branches[0]]));

    let visible: Vec<Uuid> = branch_queries::list(&seen_as(&db, &restricted, &cursors))
        .await
        .expect("list")
        .iter()
        .map(|br| br.id)
        .collect();
    assert_eq!(visible, vec![a.branches[0]]);
    assert!(
        sales::find(&seen_as(&db, &restricted, &cursors), a.orders[0])
            .await
            .expect("find")
            .is_some()
    );
    assert!(
        sales::find(&seen_as(&db, &restricted, &cursors), a.orders[1])
            .await
            .expect("find")
            .is_none()
    );
    assert!(
        sales::find(&seen_as(&db, &restricted, &cursors), a.orders[2])
            .await
            .expect("find")
            .is_none()
    );

    // Requesting a disallowed branch yields nothing rather than an error (seed 001).
    let requested = restricted
        .select_in_branches::<sales_orders::Entity>(&[a.branches[1]])
        .all(&db)
        .await
        .expect("query");
    assert!(requested.is_empty());
    let both = restricted
        .select_in_branches::<sales_orders::Entity>(&[a.branches[0], a.branches[1]])
        .all(&db)
        .await
        .expect("query");
    assert_eq!(
        both.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![a.orders[0]]
    );
}

/// A `Ctx` on a transaction: domain calls through it see the transaction's own writes, calls
/// on the pool do not, and a rollback takes them away.
#[tokio::test]
async fn a_context_on_a_transaction_sees_its_writes_until_rolled_back() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let cursors = CursorCodec::new(b"tenancy tests");
    let a = tenant_with_orders(&db, "A", 1).await;
    let scope = TenantScope::whole_tenant(a.id);
    let ctx = seen_as(&db, &scope, &cursors);

    let txn = db.begin().await.expect("begin");
    let now = fixed_now();
    let added = branch_row(a.id, "BR-NEW", "A new branch", now)
        .insert(&txn)
        .await
        .expect("branch");
    let inside = branch_queries::list(&ctx.on(&txn)).await.expect("list");
    assert!(inside.iter().any(|b| b.id == added.id));
    assert!(
        branch_queries::find(&ctx.on(&txn), added.id)
            .await
            .expect("find")
            .is_some()
    );
    txn.rollback().await.expect("rollback");
    let after = branch_queries::list(&ctx).await.expect("list");
    assert_eq!(
        after.iter().map(|b| b.id).collect::<Vec<_>>(),
        a.branches,
        "the rolled-back branch is gone"
    );
}

#[tokio::test]
async fn a_write_that_breaks_a_unique_key_is_a_conflict_that_names_no_constraint() {
    use partner_gateway::error::{AppError, ErrorCode};
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let a = tenant_with_orders(&db, "A", 0).await;
    let now = fixed_now();
    branch_row(a.id, "BR-DUP", "First", now)
        .insert(&db)
        .await
        .expect("first branch");
    let err = branch_row(a.id, "BR-DUP", "Second", now)
        .insert(&db)
        .await
        .expect_err("same code in the same tenant");
    let err = AppError::from(err);
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert_eq!(err.status(), reqwest::StatusCode::CONFLICT);
    let body = err.body().to_string();
    for internal in [
        "branches",
        "tenant_code",
        "UNIQUE constraint",
        "duplicate key",
    ] {
        assert!(!body.contains(internal), "{body}");
    }
    // The same code in another tenant is no conflict.
    let b = tenant_with_orders(&db, "B", 0).await;
    branch_row(b.id, "BR-DUP", "Other tenant", now)
        .insert(&db)
        .await
        .expect("another tenant's branch");
}
