//! The Push Integration API's keys, their request log and the idempotency records of its
//! writes.
//!
//! - `api_keys`: a key is stored as the SHA-256 of its raw text (`key_hash`, unique) with a
//!   short `key_prefix` to recognise it by; scopes are space-separated (`read write admin`);
//!   the IP allow-list (exact addresses and CIDRs) and the allowed origins are JSON arrays;
//!   `rate_limit_per_minute` NULL or 0 means no limit.
//! - `api_key_requests`: one row per guarded request, written after the response.
//! - `idempotency_records`: one row per (tenant, Idempotency-Key): the hash of the request it
//!   was first used with, whether that request is still running, and the answer to replay.

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
                        .table("api_keys")
                        .col(id())
                        .col(tenant_id())
                        .col(text("name"))
                        .col(text("key_prefix"))
                        .col(text("key_hash"))
                        .col(text("scopes"))
                        .col(timestamp_null("expires_at"))
                        .col(timestamp_null("revoked_at"))
                        .col(timestamp_null("last_used_at"))
                        .col(schema::text("ip_allowlist").default("[]"))
                        .col(schema::text("allowed_origins").default("[]"))
                        .col(schema::integer_null("rate_limit_per_minute"))
                        .foreign_key(&mut tenant_fk("api_keys")),
                )
                .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("api_key_requests")
                    .col(id())
                    .col(tenant_id())
                    .col(reference("api_key_id", true))
                    .col(text("method"))
                    .col(text("endpoint"))
                    .col(text_null("ip"))
                    .col(text_null("origin"))
                    .col(schema::integer("status"))
                    .col(schema::big_integer("duration_ms"))
                    .col(text("request_id"))
                    .col(timestamp("created_at"))
                    .foreign_key(&mut tenant_fk("api_key_requests"))
                    .foreign_key(&mut foreign_key(
                        "api_key_requests",
                        "api_key_id",
                        "api_keys",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("idempotency_records")
                    .col(id())
                    .col(tenant_id())
                    .col(text("idempotency_key"))
                    .col(text("request_hash"))
                    // RUNNING until the first request answers; then DONE with its answer.
                    .col(text("state"))
                    .col(schema::integer_null("status"))
                    // JSON object of the replayed headers.
                    .col(text_null("headers"))
                    .col(schema::text_null("body"))
                    .col(timestamp("created_at"))
                    .col(timestamp("expires_at"))
                    .foreign_key(&mut tenant_fk("idempotency_records"))
                    .take(),
            )
            .await?;

        create_indexes(
            manager,
            vec![
                unique("api_keys", "key_hash", &["key_hash"]),
                index("api_keys", "tenant", &["tenant_id", "-created_at", "-id"]),
                index(
                    "api_key_requests",
                    "key_created",
                    &["api_key_id", "-created_at", "-id"],
                ),
                unique(
                    "idempotency_records",
                    "tenant_key",
                    &["tenant_id", "idempotency_key"],
                ),
                index("idempotency_records", "expires", &["expires_at"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &["idempotency_records", "api_key_requests", "api_keys"],
        )
        .await
    }
}
