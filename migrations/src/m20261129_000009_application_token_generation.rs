//! Suspending or revoking an application must end every token issued before, for good: a
//! token carries its application's token generation, which each suspension or revocation
//! raises, so reactivation does not bring old tokens back.

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
                        ColumnDef::new("token_generation")
                            .integer()
                            .not_null()
                            .default(0),
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
                    .drop_column("token_generation")
                    .to_owned(),
            )
            .await
    }
}
