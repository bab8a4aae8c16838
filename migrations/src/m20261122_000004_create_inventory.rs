use crate::common::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per warehouse × SKU. The push integration API will add locations and lots
        // as nullable columns and widen the unique key; readers keep working on the sums.
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("inventory_levels")
                        .col(id())
                        .col(tenant_id())
                        .col(reference("warehouse_id", true))
                        .col(reference("product_sku_id", true))
                        .col(amount("on_hand"))
                        .col(amount("reserved"))
                        .col(amount("reorder_point"))
                        .foreign_key(&mut tenant_fk("inventory_levels"))
                        .foreign_key(&mut foreign_key(
                            "inventory_levels",
                            "warehouse_id",
                            "warehouses",
                            ForeignKeyAction::Restrict,
                        ))
                        .foreign_key(&mut foreign_key(
                            "inventory_levels",
                            "product_sku_id",
                            "product_skus",
                            ForeignKeyAction::Restrict,
                        )),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("inventory_movements")
                    .col(id())
                    .col(tenant_id())
                    .col(reference("warehouse_id", true))
                    .col(reference("product_sku_id", true))
                    .col(text("movement_type"))
                    // Signed: negative for stock leaving the warehouse.
                    .col(amount("quantity"))
                    .col(amount("balance_after"))
                    // What caused it: SALES_ORDER, PURCHASE_ORDER, ADJUSTMENT, TRANSFER, GRN…
                    .col(text_null("reference_type"))
                    .col(reference("reference_id", false))
                    // Human-readable document number (order number, PO number…).
                    .col(text_null("reference"))
                    .col(text_null("note"))
                    .col(timestamp("created_at"))
                    .foreign_key(&mut tenant_fk("inventory_movements"))
                    .foreign_key(&mut foreign_key(
                        "inventory_movements",
                        "warehouse_id",
                        "warehouses",
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut foreign_key(
                        "inventory_movements",
                        "product_sku_id",
                        "product_skus",
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;

        create_indexes(
            manager,
            vec![
                unique(
                    "inventory_levels",
                    "warehouse_sku",
                    &["warehouse_id", "product_sku_id"],
                ),
                index(
                    "inventory_levels",
                    "tenant_updated",
                    &["tenant_id", "-updated_at", "-id"],
                ),
                index("inventory_levels", "sku", &["product_sku_id"]),
                index(
                    "inventory_movements",
                    "tenant_created",
                    &["tenant_id", "-created_at", "-id"],
                ),
                index(
                    "inventory_movements",
                    "warehouse_created",
                    &["warehouse_id", "-created_at", "-id"],
                ),
                index("inventory_movements", "reference", &["reference_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["inventory_movements", "inventory_levels"]).await
    }
}
