//! The webhook worker claims one subscription's due deliveries at a time: an index range per
//! subscription, in due order, so a claim never walks another subscription's backlog.

use crate::common::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "webhook_deliveries",
                "subscription_due",
                &["subscription_id", "status", "next_attempt_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_webhook_deliveries_subscription_due")
                    .table("webhook_deliveries")
                    .to_owned(),
            )
            .await
    }
}
