//! Master data the Push Integration API writes: how a SKU is tracked (`NONE`, `LOT`,
//! `SERIAL`), its shelf life and weight (kg, exact, scaled like every quantity); and the
//! storage locations of a warehouse, by code.

use crate::common::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in [
            ColumnDef::new("tracking")
                .string()
                .not_null()
                .default("NONE")
                .take(),
            schema::integer_null("shelf_life_days"),
            schema::big_integer_null("weight_kg"),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table("product_skus")
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("storage_locations")
                        .col(id())
                        .col(tenant_id())
                        .col(reference("warehouse_id", true))
                        .col(text("code"))
                        .col(text_null("zone"))
                        .col(text("location_type"))
                        .col(schema::boolean("pick_face").default(false))
                        .foreign_key(&mut tenant_fk("storage_locations"))
                        .foreign_key(&mut foreign_key(
                            "storage_locations",
                            "warehouse_id",
                            "warehouses",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .take(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                unique(
                    "storage_locations",
                    "warehouse_code",
                    &["warehouse_id", "code"],
                ),
                index(
                    "storage_locations",
                    "tenant_created",
                    &["tenant_id", "-created_at", "-id"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["storage_locations"]).await?;
        for column in ["weight_kg", "shelf_life_days", "tracking"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("product_skus")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
