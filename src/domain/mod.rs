//! The domain layer: every query, rule, scoping decision and money computation. REST handlers
//! and GraphQL resolvers only translate to and from these functions. What runs for a caller of
//! a tenant takes a [`context::Ctx`] (connection or transaction, tenancy, now, cursor key); the
//! administration of tenants, applications and keys — operators' work, across tenants — takes
//! a connection.

pub mod api_keys;
pub mod applications;
pub mod batch;
pub mod branches;
pub mod context;
pub mod customers;
pub mod dates;
pub mod inbound;
pub mod input;
pub mod inventory;
pub mod items;
pub mod locations;
pub mod numbering;
pub mod outbound;
pub mod outbox;
pub mod pagination;
pub mod partners;
pub mod products;
pub mod purchasing;
pub mod reports;
pub mod sales;
pub mod scope;
pub mod scopes;
pub mod secrets;
pub mod stock;
pub mod tenants;
pub mod webhooks;
