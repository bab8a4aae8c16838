use crate::common::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The nine PII columns (phone … tax_id) are only ever read for tokens holding
        // `read:customers:pii`; everything else is business data.
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("customers")
                        .col(id())
                        .col(tenant_id())
                        .col(text("code"))
                        .col(text("name"))
                        .col(text("member_tier"))
                        .col(schema::big_integer("points").default(0))
                        .col(amount("total_spent"))
                        .col(schema::integer("visit_count").default(0))
                        .col(timestamp_null("last_visit_at"))
                        .col(text_null("phone"))
                        .col(text_null("email"))
                        .col(schema::date_null("date_of_birth"))
                        .col(text_null("address"))
                        .col(text_null("city"))
                        .col(text_null("state"))
                        .col(text_null("postal_code"))
                        .col(text_null("country"))
                        .col(text_null("tax_id"))
                        .foreign_key(&mut tenant_fk("customers")),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("sales_orders")
                        .col(id())
                        .col(tenant_id())
                        .col(reference("branch_id", true))
                        .col(reference("customer_id", false))
                        .col(text("order_number"))
                        .col(timestamp("order_date"))
                        .col(text("status"))
                        .col(text("order_type"))
                        .col(amount("subtotal"))
                        .col(amount("discount_amount"))
                        .col(amount("tax_amount"))
                        .col(amount("service_charge_amount"))
                        .col(amount("total_amount"))
                        .col(amount("paid_amount"))
                        .col(amount("refunded_amount"))
                        .col(text("payment_status"))
                        // POS for till sales; INTEGRATION for orders pushed by an ERP.
                        .col(text("source"))
                        .col(text_null("external_reference"))
                        .foreign_key(&mut tenant_fk("sales_orders"))
                        .foreign_key(&mut foreign_key(
                            "sales_orders",
                            "branch_id",
                            "branches",
                            ForeignKeyAction::Restrict,
                        ))
                        .foreign_key(&mut foreign_key(
                            "sales_orders",
                            "customer_id",
                            "customers",
                            ForeignKeyAction::SetNull,
                        )),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("sales_order_items")
                    .col(id())
                    .col(tenant_id())
                    .col(reference("sales_order_id", true))
                    .col(reference("product_sku_id", true))
                    .col(schema::integer("line_no"))
                    // Snapshots taken at sale time, so renaming a product never rewrites history.
                    .col(text("sku_code"))
                    .col(text("sku_name"))
                    .col(text("product_name"))
                    .col(amount("quantity"))
                    .col(amount("unit_price"))
                    .col(amount("discount_amount"))
                    .col(amount("tax_amount"))
                    .col(amount("line_total"))
                    .col(amount("refunded_quantity"))
                    .col(amount("refunded_amount"))
                    .col(schema::boolean("is_fully_refunded").default(false))
                    .col(timestamp("created_at"))
                    .foreign_key(&mut tenant_fk("sales_order_items"))
                    .foreign_key(&mut foreign_key(
                        "sales_order_items",
                        "sales_order_id",
                        "sales_orders",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "sales_order_items",
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
                unique("customers", "tenant_code", &["tenant_id", "code"]),
                index(
                    "customers",
                    "tenant_created",
                    &["tenant_id", "-created_at", "-id"],
                ),
                unique(
                    "sales_orders",
                    "tenant_order_number",
                    &["tenant_id", "order_number"],
                ),
                index(
                    "sales_orders",
                    "tenant_order_date",
                    &["tenant_id", "-order_date", "-id"],
                ),
                index(
                    "sales_orders",
                    "branch_order_date",
                    &["branch_id", "-order_date", "-id"],
                ),
                index("sales_orders", "customer", &["customer_id"]),
                index("sales_order_items", "order", &["sales_order_id", "line_no"]),
                index("sales_order_items", "sku", &["product_sku_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["sales_order_items", "sales_orders", "customers"]).await
    }
}
