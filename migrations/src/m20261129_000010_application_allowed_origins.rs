//! Browser access per application: the origins (scheme, host, port) whose pages may call the
//! API with the application's tokens. A JSON array; empty means no browser access.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("api_applications")
                    .add_column(
                        ColumnDef::new("allowed_origins")
                            .text()
                            .not_null()
                            .default("[]"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("api_applications")
                    .drop_column("allowed_origins")
                    .to_owned(),
            )
            .await
    }
}
