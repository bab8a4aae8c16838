use crate::common::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("webhook_subscriptions")
                        .col(id())
                        .col(tenant_id())
                        .col(reference("api_application_id", true))
                        .col(text("url"))
                        // JSON array of event names.
                        .col(text("events"))
                        .col(text_null("description"))
                        // Signing secret: needed in clear to compute signatures.
                        .col(text("secret"))
                        .col(text("status"))
                        .foreign_key(&mut tenant_fk("webhook_subscriptions"))
                        .foreign_key(&mut foreign_key(
                            "webhook_subscriptions",
                            "api_application_id",
                            "api_applications",
                            ForeignKeyAction::Cascade,
                        )),
                )
                .take(),
            )
            .await?;

        // The durable outbox: written in the same transaction as the change it describes.
        manager
            .create_table(
                Table::create()
                    .table("webhook_events")
                    .col(id())
                    .col(tenant_id())
                    .col(text("event_type"))
                    // The branch the change belongs to, for branch-restricted subscribers.
                    .col(reference("branch_id", false))
                    .col(schema::text("payload"))
                    .col(timestamp("created_at"))
                    .col(timestamp_null("dispatched_at"))
                    .foreign_key(&mut tenant_fk("webhook_events"))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("webhook_deliveries")
                    .col(id())
                    .col(tenant_id())
                    .col(reference("subscription_id", true))
                    .col(reference("event_id", true))
                    .col(text("event_type"))
                    .col(schema::integer("attempt"))
                    .col(text("status"))
                    .col(schema::integer_null("response_status"))
                    .col(text_null("response_body"))
                    .col(text_null("error"))
                    .col(schema::integer_null("duration_ms"))
                    .col(timestamp_null("next_attempt_at"))
                    .col(timestamp("created_at"))
                    .foreign_key(&mut tenant_fk("webhook_deliveries"))
                    .foreign_key(&mut foreign_key(
                        "webhook_deliveries",
                        "subscription_id",
                        "webhook_subscriptions",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        "webhook_deliveries",
                        "event_id",
                        "webhook_events",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;

        create_indexes(
            manager,
            vec![
                index(
                    "webhook_subscriptions",
                    "application_created",
                    &["api_application_id", "-created_at", "-id"],
                ),
                index("webhook_subscriptions", "tenant", &["tenant_id"]),
                index(
                    "webhook_events",
                    "pending",
                    &["dispatched_at", "created_at"],
                ),
                index(
                    "webhook_events",
                    "tenant_created",
                    &["tenant_id", "-created_at"],
                ),
                index(
                    "webhook_deliveries",
                    "subscription_created",
                    &["subscription_id", "-created_at", "-id"],
                ),
                index("webhook_deliveries", "due", &["status", "next_attempt_at"]),
                index("webhook_deliveries", "event", &["event_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "webhook_deliveries",
                "webhook_events",
                "webhook_subscriptions",
            ],
        )
        .await
    }
}
