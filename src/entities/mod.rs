//! SeaORM entities: storage shapes only. API types live in `rest/` and `graphql/`.

pub mod enums;

pub mod api_applications;
pub mod api_key_requests;
pub mod api_keys;
pub mod asn_lines;
pub mod asns;
pub mod branches;
pub mod customers;
pub mod document_counters;
pub mod goods_receipt_lines;
pub mod goods_receipts;
pub mod idempotency_records;
pub mod inventory_levels;
pub mod inventory_movements;
pub mod product_skus;
pub mod products;
pub mod purchase_order_items;
pub mod purchase_orders;
pub mod sales_order_items;
pub mod sales_orders;
pub mod stock_allocations;
pub mod stock_balances;
pub mod storage_locations;
pub mod suppliers;
pub mod tenants;
pub mod warehouses;
pub mod webhook_deliveries;
pub mod webhook_delivery_attempts;
pub mod webhook_events;
pub mod webhook_subscriptions;
