//! Webhook subscriptions owned by an application (partner events) or by a tenant (WMS events,
//! registered by an operator), and their delivery: one row per (subscription, event) that is
//! the worker's queue and the delivery's state, and one row per attempt.
//!
//! The subscription and delivery tables of 000007 were never written (no endpoint or task
//! wrote them before this migration), so they are dropped and created again in their new shape
//! — `api_application_id` becomes optional, which SQLite cannot alter in place. The migration
//! refuses to run if either holds a row. The outbox (`webhook_events`) keeps its rows.

use crate::common::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn ensure_empty(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let found = db
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            format!("SELECT 1 AS found FROM {table} LIMIT 1"),
        ))
        .await?;
    if found.is_some() {
        return Err(DbErr::Migration(format!(
            "{table} holds rows; this migration expects it empty (nothing wrote it before)"
        )));
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ensure_empty(manager, "webhook_deliveries").await?;
        ensure_empty(manager, "webhook_subscriptions").await?;
        drop_tables(manager, &["webhook_deliveries", "webhook_subscriptions"]).await?;

        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("webhook_subscriptions")
                        .col(id())
                        .col(tenant_id())
                        // The owning application; none: the tenant's own (WMS events).
                        .col(reference("api_application_id", false))
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

        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("webhook_deliveries")
                        .col(id())
                        .col(tenant_id())
                        .col(reference("subscription_id", true))
                        .col(reference("event_id", true))
                        .col(text("event_type"))
                        // PENDING until it succeeds or runs out of attempts (FAILED).
                        .col(text("status"))
                        .col(schema::integer("attempts").default(0))
                        .col(timestamp_null("next_attempt_at"))
                        // A worker's claim: others leave it alone until then.
                        .col(timestamp_null("locked_until"))
                        .col(schema::integer_null("last_response_status"))
                        .col(text_null("last_error"))
                        .col(timestamp_null("completed_at"))
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
                        )),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("webhook_delivery_attempts")
                    .col(id())
                    .col(tenant_id())
                    .col(reference("delivery_id", true))
                    .col(schema::integer("attempt"))
                    .col(timestamp("started_at"))
                    .col(schema::integer("duration_ms"))
                    // SUCCEEDED or FAILED.
                    .col(text("outcome"))
                    .col(schema::integer_null("response_status"))
                    // The start of the receiver's answer (capped).
                    .col(text_null("response_body"))
                    .col(text_null("error"))
                    .foreign_key(&mut tenant_fk("webhook_delivery_attempts"))
                    .foreign_key(&mut foreign_key(
                        "webhook_delivery_attempts",
                        "delivery_id",
                        "webhook_deliveries",
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
                index(
                    "webhook_subscriptions",
                    "tenant_created",
                    &["tenant_id", "-created_at", "-id"],
                ),
                unique(
                    "webhook_deliveries",
                    "subscription_event",
                    &["subscription_id", "event_id"],
                ),
                index(
                    "webhook_deliveries",
                    "subscription_created",
                    &["subscription_id", "-created_at", "-id"],
                ),
                index("webhook_deliveries", "due", &["status", "next_attempt_at"]),
                index("webhook_deliveries", "event", &["event_id"]),
                index(
                    "webhook_delivery_attempts",
                    "delivery",
                    &["delivery_id", "attempt"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Back to the tables as 000007 made them (empty: what they held has no place in the
        // old shape).
        drop_tables(
            manager,
            &[
                "webhook_delivery_attempts",
                "webhook_deliveries",
                "webhook_subscriptions",
            ],
        )
        .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("webhook_subscriptions")
                        .col(id())
                        .col(tenant_id())
                        .col(reference("api_application_id", true))
                        .col(text("url"))
                        .col(text("events"))
                        .col(text_null("description"))
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
}
