//! What the Push Integration API's documents need: stock held per (warehouse, SKU, location,
//! lot) with what is allocated of it; advance shipping notices (ASN) and goods receipts (GRN)
//! with their lines; allocations of stock to sales order lines; the order's warehouse and
//! delivery details; movements that name their location and lot; and per-tenant, per-day
//! document counters for numbers such as `ASN-20260615-0001`.
//!
//! `inventory_levels` stays the per-(warehouse, SKU) sum that the partner API reads; every
//! existing level becomes one balance without location or lot (with the level's id), so sums
//! and balances agree from the start.

use crate::common::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A calendar date (like a purchase order's expected date).
fn date_null(col: &'static str) -> ColumnDef {
    schema::date_null(col)
}

async fn add_columns(
    manager: &SchemaManager<'_>,
    table: &'static str,
    columns: Vec<ColumnDef>,
) -> Result<(), DbErr> {
    // One column per statement: SQLite alters a table one column at a time.
    for mut column in columns {
        manager
            .alter_table(
                Table::alter()
                    .table(table)
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("stock_balances")
                        .col(id())
                        .col(tenant_id())
                        .col(reference("warehouse_id", true))
                        .col(reference("product_sku_id", true))
                        .col(reference("location_id", false))
                        // '' when the stock has no lot.
                        .col(text("lot_no").default(""))
                        .col(date_null("expiry_date"))
                        .col(amount("on_hand"))
                        .col(amount("allocated"))
                        .foreign_key(&mut tenant_fk("stock_balances"))
                        .foreign_key(&mut foreign_key(
                            "stock_balances",
                            "warehouse_id",
                            "warehouses",
                            ForeignKeyAction::Cascade,
                        ))
                        .foreign_key(&mut foreign_key(
                            "stock_balances",
                            "product_sku_id",
                            "product_skus",
                            ForeignKeyAction::Cascade,
                        ))
                        .foreign_key(&mut foreign_key(
                            "stock_balances",
                            "location_id",
                            "storage_locations",
                            ForeignKeyAction::Restrict,
                        )),
                )
                .take(),
            )
            .await?;
        // One balance per place and lot; a NULL location is one place too, which a plain
        // unique index would not see (NULLs are distinct), hence two partial ones.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uq_stock_balances_located ON stock_balances \
             (warehouse_id, product_sku_id, location_id, lot_no) WHERE location_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uq_stock_balances_unlocated ON stock_balances \
             (warehouse_id, product_sku_id, lot_no) WHERE location_id IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO stock_balances (id, tenant_id, warehouse_id, product_sku_id, \
             location_id, lot_no, expiry_date, on_hand, allocated, created_at, updated_at) \
             SELECT id, tenant_id, warehouse_id, product_sku_id, NULL, '', NULL, on_hand, \
             reserved, created_at, updated_at FROM inventory_levels",
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table("stock_allocations")
                    .col(id())
                    .col(tenant_id())
                    .col(reference("sales_order_id", true))
                    .col(reference("sales_order_item_id", true))
                    .col(reference("stock_balance_id", true))
                    .col(amount("quantity"))
                    .col(timestamp("created_at"))
                    .col(timestamp_null("released_at"))
                    .foreign_key(&mut tenant_fk("stock_allocations"))
                    .foreign_key(&mut foreign_key(
                        "stock_allocations",
                        "sales_order_id",
                        "sales_orders",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "stock_allocations",
                        "stock_balance_id",
                        "stock_balances",
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("asns")
                        .col(id())
                        .col(tenant_id())
                        .col(text("asn_no"))
                        .col(reference("warehouse_id", true))
                        .col(reference("supplier_id", true))
                        .col(reference("purchase_order_id", false))
                        .col(text_null("reference_no"))
                        .col(date_null("expected_date"))
                        .col(text("status"))
                        .foreign_key(&mut tenant_fk("asns"))
                        .foreign_key(&mut foreign_key(
                            "asns",
                            "warehouse_id",
                            "warehouses",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("asn_lines")
                        .col(id())
                        .col(tenant_id())
                        .col(reference("asn_id", true))
                        .col(schema::integer("line_no"))
                        .col(reference("product_sku_id", true))
                        .col(text("uom_code"))
                        .col(amount("expected_quantity"))
                        .col(amount("received_quantity"))
                        .col(text("lot_no").default(""))
                        .col(date_null("expiry_date"))
                        .foreign_key(&mut tenant_fk("asn_lines"))
                        .foreign_key(&mut foreign_key(
                            "asn_lines",
                            "asn_id",
                            "asns",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("goods_receipts")
                    .col(id())
                    .col(tenant_id())
                    .col(text("grn_no"))
                    .col(reference("warehouse_id", true))
                    .col(reference("asn_id", false))
                    .col(timestamp("created_at"))
                    .foreign_key(&mut tenant_fk("goods_receipts"))
                    .foreign_key(&mut foreign_key(
                        "goods_receipts",
                        "warehouse_id",
                        "warehouses",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("goods_receipt_lines")
                    .col(id())
                    .col(tenant_id())
                    .col(reference("goods_receipt_id", true))
                    .col(schema::integer("line_no"))
                    .col(reference("asn_line_id", false))
                    .col(reference("product_sku_id", true))
                    .col(text("uom_code"))
                    .col(amount("quantity"))
                    .col(reference("location_id", false))
                    .col(text("lot_no").default(""))
                    .col(date_null("expiry_date"))
                    .col(reference("movement_id", true))
                    .col(timestamp("created_at"))
                    .foreign_key(&mut tenant_fk("goods_receipt_lines"))
                    .foreign_key(&mut foreign_key(
                        "goods_receipt_lines",
                        "goods_receipt_id",
                        "goods_receipts",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("document_counters")
                    .col(tenant_id())
                    // e.g. `ASN-20260615`
                    .col(text("prefix"))
                    .col(schema::big_integer("last_value"))
                    .primary_key(Index::create().col("tenant_id").col("prefix"))
                    .foreign_key(&mut tenant_fk("document_counters"))
                    .take(),
            )
            .await?;

        add_columns(
            manager,
            "sales_orders",
            vec![
                reference("warehouse_id", false),
                date_null("required_date"),
                schema::integer_null("priority"),
                text_null("ship_to_name"),
                text_null("ship_to_address"),
            ],
        )
        .await?;
        add_columns(
            manager,
            "inventory_movements",
            vec![reference("location_id", false), text_null("lot_no")],
        )
        .await?;

        create_indexes(
            manager,
            vec![
                index(
                    "stock_balances",
                    "sku_warehouse",
                    &["product_sku_id", "warehouse_id"],
                ),
                index("stock_allocations", "order", &["sales_order_id"]),
                index("stock_allocations", "balance", &["stock_balance_id"]),
                unique("asns", "tenant_number", &["tenant_id", "asn_no"]),
                index(
                    "asns",
                    "tenant_created",
                    &["tenant_id", "-created_at", "-id"],
                ),
                unique("asn_lines", "asn_line", &["asn_id", "line_no"]),
                unique("goods_receipts", "tenant_number", &["tenant_id", "grn_no"]),
                index("goods_receipts", "asn", &["asn_id"]),
                index("goods_receipt_lines", "receipt", &["goods_receipt_id"]),
            ],
        )
        .await?;
        // A reference pushed twice is one order. Partial: a plain index led by tenant_id
        // would tempt PostgreSQL's planner away from the sales lists' (tenant_id, order_date)
        // index for every tenant-wide page.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX uq_sales_orders_tenant_source_reference ON sales_orders \
             (tenant_id, source, external_reference) WHERE external_reference IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("uq_sales_orders_tenant_source_reference")
                    .table("sales_orders")
                    .to_owned(),
            )
            .await?;
        for column in ["lot_no", "location_id"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("inventory_movements")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            "ship_to_address",
            "ship_to_name",
            "priority",
            "required_date",
            "warehouse_id",
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("sales_orders")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        drop_tables(
            manager,
            &[
                "document_counters",
                "goods_receipt_lines",
                "goods_receipts",
                "asn_lines",
                "asns",
                "stock_allocations",
                "stock_balances",
            ],
        )
        .await
    }
}
