use crate::common::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("products")
                        .col(id())
                        .col(tenant_id())
                        .col(text("code"))
                        .col(text("name"))
                        .col(text("category"))
                        .col(text("status"))
                        .col(text_null("description"))
                        .foreign_key(&mut tenant_fk("products")),
                )
                .take(),
            )
            .await?;

        // `sku_code` is the item identifier of the push integration API (`sku`).
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("product_skus")
                        .col(id())
                        .col(tenant_id())
                        .col(reference("product_id", true))
                        .col(text("sku_code"))
                        .col(text("name"))
                        .col(text_null("barcode"))
                        .col(text("unit"))
                        .col(amount("price"))
                        .col(amount("cost"))
                        .col(text("status"))
                        .foreign_key(&mut tenant_fk("product_skus"))
                        .foreign_key(&mut foreign_key(
                            "product_skus",
                            "product_id",
                            "products",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .take(),
            )
            .await?;

        create_indexes(
            manager,
            vec![
                unique("products", "tenant_code", &["tenant_id", "code"]),
                index(
                    "products",
                    "tenant_created",
                    &["tenant_id", "-created_at", "-id"],
                ),
                index("products", "tenant_category", &["tenant_id", "category"]),
                unique(
                    "product_skus",
                    "tenant_sku_code",
                    &["tenant_id", "sku_code"],
                ),
                index("product_skus", "product", &["product_id"]),
                index("product_skus", "tenant_barcode", &["tenant_id", "barcode"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["product_skus", "products"]).await
    }
}
