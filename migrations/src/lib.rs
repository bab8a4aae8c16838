//! Schema migrations for partner-gateway.
//!
//! Every migration runs unchanged on SQLite and PostgreSQL. Storage conventions:
//! - ids are UUIDs;
//! - timestamps are `BIGINT` milliseconds since the Unix epoch (UTC), so ordering, keyset
//!   comparisons and day bucketing are plain integer arithmetic on both backends;
//! - money and quantities are `BIGINT` scaled by 10^4 (four decimal places), so storage and
//!   database-side `SUM` are exact on both backends (SQLite has no decimal type);
//! - enumerations are short strings.
//!
//! Never edit a migration that has been applied somewhere; add a new one.

pub use sea_orm_migration::prelude::*;

mod common;
mod m20261122_000001_create_tenants_and_applications;
mod m20261122_000002_create_branches_and_warehouses;
mod m20261122_000003_create_catalog;
mod m20261122_000004_create_inventory;
mod m20261122_000005_create_purchasing;
mod m20261122_000006_create_customers_and_sales;
mod m20261122_000007_create_webhooks;
mod m20261122_000008_index_movement_references;
mod m20261129_000009_application_token_generation;
mod m20261129_000010_application_allowed_origins;
mod m20261130_000011_create_api_keys;
mod m20261130_000012_push_master_data;
mod m20261130_000013_push_documents;
mod m20261130_000014_webhook_delivery;
mod m20261130_000015_index_due_deliveries_by_subscription;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_tenants_and_applications::Migration),
            Box::new(m20261122_000002_create_branches_and_warehouses::Migration),
            Box::new(m20261122_000003_create_catalog::Migration),
            Box::new(m20261122_000004_create_inventory::Migration),
            Box::new(m20261122_000005_create_purchasing::Migration),
            Box::new(m20261122_000006_create_customers_and_sales::Migration),
            Box::new(m20261122_000007_create_webhooks::Migration),
            Box::new(m20261122_000008_index_movement_references::Migration),
            Box::new(m20261129_000009_application_token_generation::Migration),
            Box::new(m20261129_000010_application_allowed_origins::Migration),
            Box::new(m20261130_000011_create_api_keys::Migration),
            Box::new(m20261130_000012_push_master_data::Migration),
            Box::new(m20261130_000013_push_documents::Migration),
            Box::new(m20261130_000014_webhook_delivery::Migration),
            Box::new(m20261130_000015_index_due_deliveries_by_subscription::Migration),
        ]
    }
}
