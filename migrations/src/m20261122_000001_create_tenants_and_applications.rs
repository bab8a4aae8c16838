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
                        .table("tenants")
                        .col(id())
                        .col(text("name"))
                        .col(text("plan")),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("api_applications")
                        .col(id())
                        .col(tenant_id())
                        .col(text("name"))
                        .col(text("client_id"))
                        .col(text("client_secret_hash"))
                        // Space-separated OAuth scopes.
                        .col(text("scopes"))
                        // JSON array of branch ids; NULL means every branch of the tenant.
                        .col(text_null("allowed_branch_ids"))
                        .col(text("status"))
                        .col(timestamp_null("last_used_at"))
                        .foreign_key(&mut tenant_fk("api_applications")),
                )
                .take(),
            )
            .await?;

        create_indexes(
            manager,
            vec![
                unique("api_applications", "client_id", &["client_id"]),
                index(
                    "api_applications",
                    "tenant",
                    &["tenant_id", "-created_at", "-id"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["api_applications", "tenants"]).await
    }
}
