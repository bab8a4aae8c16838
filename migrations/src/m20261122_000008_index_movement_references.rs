//! Receipts of a purchase order (movements referencing it) are looked up per tenant by
//! reference; an index on `reference_id` alone lost to the tenant's time index, so SQLite
//! scanned every movement of the tenant.

use crate::common::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OLD: &str = "ix_inventory_movements_reference";
const NEW: &str = "ix_inventory_movements_tenant_reference";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "inventory_movements",
                "tenant_reference",
                &["tenant_id", "reference_type", "reference_id", "created_at"],
            ))
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(OLD)
                    .table("inventory_movements")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index("inventory_movements", "reference", &["reference_id"]))
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(NEW)
                    .table("inventory_movements")
                    .to_owned(),
            )
            .await
    }
}
