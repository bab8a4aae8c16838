use migrations::{Migrator, MigratorTrait};
use partner_gateway::clock::Timestamp;
use partner_gateway::entities::enums::{Plan, RecordStatus, WarehouseKind};
use partner_gateway::entities::{branches, warehouses};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set, Statement};
use uuid::Uuid;

use crate::helpers::{TestDb, fixed_now};

pub const TABLES: &[&str] = &[
    "tenants",
    "api_applications",
    "branches",
    "warehouses",
    "products",
    "product_skus",
    "inventory_levels",
    "inventory_movements",
    "suppliers",
    "purchase_orders",
    "purchase_order_items",
    "customers",
    "sales_orders",
    "sales_order_items",
    "webhook_subscriptions",
    "webhook_events",
    "webhook_deliveries",
];

async fn count_rows(db: &DatabaseConnection, table: &str) -> Result<i64, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await?
        .expect("one row");
    row.try_get::<i64>("", "n")
}

async fn index_names(db: &DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
        }
        _ => "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()",
    };
    db.query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect("list indexes")
        .iter()
        .map(|row| row.try_get::<String>("", "name").expect("name"))
        .collect()
}

#[tokio::test]
async fn migrations_apply_roll_back_and_reapply() {
    let test_db = TestDb::new().await;
    // One connection: on SQLite, a pooled connection that sat idle through the roll-back keeps
    // the old schema in memory and may call a re-created index "already exists".
    let mut args = test_db.config_args();
    args.database.max_connections = Some(1);
    let config = partner_gateway::config::Config::from_args(&args).expect("config");
    let db = partner_gateway::db::connect(&config.database)
        .await
        .expect("connect");
    partner_gateway::db::migrate(&db).await.expect("migrate");

    for table in TABLES {
        assert_eq!(count_rows(&db, table).await.expect(table), 0, "{table}");
    }
    let applied = Migrator::get_applied_migrations(&db)
        .await
        .expect("applied");
    assert_eq!(applied.len(), Migrator::migrations().len());

    // Applying again is a no-op.
    partner_gateway::db::migrate(&db).await.expect("idempotent");

    Migrator::down(&db, None)
        .await
        .expect("roll back everything");
    for table in TABLES {
        assert!(
            count_rows(&db, table).await.is_err(),
            "{table} should be gone"
        );
    }
    Migrator::up(&db, None).await.expect("re-apply");
    for table in TABLES {
        assert_eq!(count_rows(&db, table).await.expect(table), 0, "{table}");
    }
}

#[tokio::test]
async fn keyset_and_uniqueness_indexes_exist() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let names = index_names(&db).await;
    for expected in [
        "ix_sales_orders_tenant_order_date",
        "ix_sales_orders_branch_order_date",
        "ix_purchase_orders_tenant_order_date",
        "ix_inventory_movements_tenant_created",
        "ix_inventory_movements_tenant_reference",
        "ix_customers_tenant_created",
        "ix_webhook_deliveries_subscription_created",
        "uq_api_applications_client_id",
        "uq_product_skus_tenant_sku_code",
        "uq_sales_orders_tenant_order_number",
        "uq_inventory_levels_warehouse_sku",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "missing index {expected}: {names:?}"
        );
    }
    assert!(
        !names
            .iter()
            .any(|n| n == "ix_inventory_movements_reference"),
        "replaced by the tenant reference index"
    );
}

async fn tenant(db: &DatabaseConnection, name: &str) -> Uuid {
    partner_gateway::domain::tenants::create(db, fixed_now(), Uuid::new_v4(), name, Plan::Pro)
        .await
        .expect("tenant")
        .id
}

fn branch(tenant_id: Uuid, code: &str, now: Timestamp) -> branches::ActiveModel {
    crate::helpers::branch_row(tenant_id, code, &format!("Branch {code}"), now)
}

#[tokio::test]
async fn codes_are_unique_per_tenant_and_foreign_keys_hold() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let now = fixed_now();
    let a = tenant(&db, "A").await;
    let b = tenant(&db, "B").await;

    branch(a, "BKK", now)
        .insert(&db)
        .await
        .expect("first BKK in A");
    assert!(
        branch(a, "BKK", now).insert(&db).await.is_err(),
        "a second BKK in the same tenant must be refused"
    );
    branch(b, "BKK", now)
        .insert(&db)
        .await
        .expect("BKK in another tenant is fine");

    let orphan = warehouses::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(a),
        branch_id: Set(Uuid::new_v4()),
        code: Set("WH".into()),
        name: Set("Orphan".into()),
        kind: Set(WarehouseKind::Store),
        status: Set(RecordStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
    };
    assert!(
        orphan.insert(&db).await.is_err(),
        "a warehouse of a branch that does not exist must be refused"
    );
}
