use crate::common::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Supplier contact data is business data, not personal data. `code` is the partner
        // identifier of the push integration API.
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("suppliers")
                        .col(id())
                        .col(tenant_id())
                        .col(text("code"))
                        .col(text("name"))
                        .col(text_null("contact_name"))
                        .col(text_null("phone"))
                        .col(text_null("email"))
                        .col(text_null("address"))
                        .col(text_null("tax_id"))
                        .col(schema::integer("payment_terms_days").default(30))
                        .col(text("status"))
                        .foreign_key(&mut tenant_fk("suppliers")),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("purchase_orders")
                        .col(id())
                        .col(tenant_id())
                        .col(reference("branch_id", true))
                        .col(reference("warehouse_id", true))
                        .col(reference("supplier_id", true))
                        .col(text("po_number"))
                        .col(text("status"))
                        .col(timestamp("order_date"))
                        .col(schema::date_null("expected_date"))
                        .col(timestamp_null("received_at"))
                        .col(amount("subtotal"))
                        .col(amount("tax_amount"))
                        .col(amount("total_amount"))
                        .col(text("currency"))
                        .col(text_null("notes"))
                        // Document number in the sending system, for pushed documents.
                        .col(text_null("external_reference"))
                        .foreign_key(&mut tenant_fk("purchase_orders"))
                        .foreign_key(&mut foreign_key(
                            "purchase_orders",
                            "branch_id",
                            "branches",
                            ForeignKeyAction::Restrict,
                        ))
                        .foreign_key(&mut foreign_key(
                            "purchase_orders",
                            "warehouse_id",
                            "warehouses",
                            ForeignKeyAction::Restrict,
                        ))
                        .foreign_key(&mut foreign_key(
                            "purchase_orders",
                            "supplier_id",
                            "suppliers",
                            ForeignKeyAction::Restrict,
                        )),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("purchase_order_items")
                        .col(id())
                        .col(tenant_id())
                        .col(reference("purchase_order_id", true))
                        .col(reference("product_sku_id", true))
                        .col(schema::integer("line_no"))
                        .col(amount("quantity"))
                        .col(amount("received_quantity"))
                        .col(amount("unit_cost"))
                        .col(amount("line_total"))
                        .foreign_key(&mut tenant_fk("purchase_order_items"))
                        .foreign_key(&mut foreign_key(
                            "purchase_order_items",
                            "purchase_order_id",
                            "purchase_orders",
                            ForeignKeyAction::Cascade,
                        ))
                        .foreign_key(&mut foreign_key(
                            "purchase_order_items",
                            "product_sku_id",
                            "product_skus",
                            ForeignKeyAction::Restrict,
                        )),
                )
                .take(),
            )
            .await?;

        create_indexes(
            manager,
            vec![
                unique("suppliers", "tenant_code", &["tenant_id", "code"]),
                index(
                    "suppliers",
                    "tenant_created",
                    &["tenant_id", "-created_at", "-id"],
                ),
                unique(
                    "purchase_orders",
                    "tenant_po_number",
                    &["tenant_id", "po_number"],
                ),
                index(
                    "purchase_orders",
                    "tenant_order_date",
                    &["tenant_id", "-order_date", "-id"],
                ),
                index(
                    "purchase_orders",
                    "branch_order_date",
                    &["branch_id", "-order_date", "-id"],
                ),
                index("purchase_orders", "supplier", &["supplier_id"]),
                index(
                    "purchase_order_items",
                    "order",
                    &["purchase_order_id", "line_no"],
                ),
                index("purchase_order_items", "sku", &["product_sku_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &["purchase_order_items", "purchase_orders", "suppliers"],
        )
        .await
    }
}
