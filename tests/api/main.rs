//! The one integration-test binary. Every test gets its own database: a fresh SQLite file, or
//! a fresh database on the PostgreSQL server named by `TEST_DATABASE_URL`.

mod helpers;

mod captured;
mod cli;
mod config;
mod cors;
mod graphql;
mod graphql_lists;
mod hardening;
mod health;
mod keyset_plans;
mod metrics;
mod migrations;
mod money;
mod oauth;
mod openapi;
mod partner_catalog;
mod partner_isolation;
mod partner_sales;
mod persisted_queries;
mod pii_columns;
mod playground;
mod push_documents;
mod push_guard;
mod push_idempotency;
mod push_items;
mod seed;
mod shutdown;
mod stock;
mod tenancy;
mod traces;
mod webhooks;
