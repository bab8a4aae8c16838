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
                        .table("branches")
                        .col(id())
                        .col(tenant_id())
                        .col(text("code"))
                        .col(text("name"))
                        .col(text("status"))
                        .col(text_null("address"))
                        .col(text_null("city"))
                        .col(text_null("phone"))
                        .col(text("timezone"))
                        .foreign_key(&mut tenant_fk("branches")),
                )
                .take(),
            )
            .await?;

        // Warehouses belong to a branch; warehouse-bound data follows its branch's scoping.
        // `code` is the identifier the push integration API uses (`warehouseCode`).
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("warehouses")
                        .col(id())
                        .col(tenant_id())
                        .col(reference("branch_id", true))
                        .col(text("code"))
                        .col(text("name"))
                        .col(text("kind"))
                        .col(text("status"))
                        .foreign_key(&mut tenant_fk("warehouses"))
                        .foreign_key(&mut foreign_key(
                            "warehouses",
                            "branch_id",
                            "branches",
                            ForeignKeyAction::Restrict,
                        )),
                )
                .take(),
            )
            .await?;

        create_indexes(
            manager,
            vec![
                unique("branches", "tenant_code", &["tenant_id", "code"]),
                unique("warehouses", "tenant_code", &["tenant_id", "code"]),
                index("warehouses", "branch", &["branch_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["warehouses", "branches"]).await
    }
}
