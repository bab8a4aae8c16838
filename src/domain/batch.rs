//! Batch lookups by key, for the doors' per-request loaders. Each starts from the caller's
//! scope, so a batch only ever returns rows the caller may see; keys a caller may not see are
//! simply absent from the answer.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select};
use uuid::Uuid;

use super::customers::{Customer, PiiColumns};
use super::inventory::{visible_levels, visible_movements};
use super::scope::TenantScope;
use super::stock::ReferenceKind;
use crate::entities::{
    branches, customers, inventory_levels, inventory_movements, product_skus, products,
    purchase_order_items, purchase_orders, sales_order_items, sales_orders, suppliers, warehouses,
};

/// How rows of `E` are found by key and what the caller gets of each (`V`).
pub struct Lookup<E: EntityTrait, V = <E as EntityTrait>::Model> {
    select: fn(&TenantScope) -> Select<E>,
    column: E::Column,
    key: fn(&E::Model) -> Uuid,
    /// For lookups of children by parent: their order within a parent.
    order: Option<E::Column>,
    view: fn(E::Model) -> V,
}

fn as_is<T>(row: T) -> T {
    row
}

impl<E: EntityTrait> Lookup<E> {
    /// Rows by their id.
    fn by_id(
        select: fn(&TenantScope) -> Select<E>,
        column: E::Column,
        key: fn(&E::Model) -> Uuid,
    ) -> Self {
        Self {
            select,
            column,
            key,
            order: None,
            view: as_is,
        }
    }

    /// Child rows by their parent's id (`column`, read by `key`), in `order` within a parent.
    fn by_parent(
        select: fn(&TenantScope) -> Select<E>,
        column: E::Column,
        key: fn(&E::Model) -> Uuid,
        order: E::Column,
    ) -> Self {
        Self {
            select,
            column,
            key,
            order: Some(order),
            view: as_is,
        }
    }
}

impl<E: EntityTrait, V> Lookup<E, V> {
    /// The visible rows whose key is one of `keys`, each with its key (children grouped by
    /// parent, in their order).
    pub async fn rows(
        &self,
        db: &impl ConnectionTrait,
        scope: &TenantScope,
        keys: &[Uuid],
    ) -> Result<Vec<(Uuid, V)>, sea_orm::DbErr> {
        let mut query = (self.select)(scope).filter(self.column.is_in(keys.iter().copied()));
        if let Some(order) = self.order {
            query = query.order_by_asc(self.column).order_by_asc(order);
        }
        Ok(query
            .all(db)
            .await?
            .into_iter()
            .map(|row| ((self.key)(&row), (self.view)(row)))
            .collect())
    }
}

pub fn sales_orders() -> Lookup<sales_orders::Entity> {
    Lookup::by_id(
        |s| s.select_in_branches(&[]),
        sales_orders::Column::Id,
        |row| row.id,
    )
}

pub fn sales_order_items() -> Lookup<sales_order_items::Entity> {
    Lookup::by_parent(
        TenantScope::select,
        sales_order_items::Column::SalesOrderId,
        |row| row.sales_order_id,
        sales_order_items::Column::LineNo,
    )
}

/// Customers as the caller may see them (see [`PiiColumns`]).
pub fn customers(pii: PiiColumns) -> Lookup<customers::Entity, Customer> {
    fn lookup(
        select: fn(&TenantScope) -> Select<customers::Entity>,
        view: fn(customers::Model) -> Customer,
    ) -> Lookup<customers::Entity, Customer> {
        Lookup {
            select,
            column: customers::Column::Id,
            key: |row| row.id,
            order: None,
            view,
        }
    }
    match pii {
        PiiColumns::Read => lookup(
            |s| super::customers::select(s, PiiColumns::Read),
            |row| Customer::new(row, PiiColumns::Read),
        ),
        PiiColumns::Withheld => lookup(
            |s| super::customers::select(s, PiiColumns::Withheld),
            |row| Customer::new(row, PiiColumns::Withheld),
        ),
    }
}

pub fn branches() -> Lookup<branches::Entity> {
    Lookup::by_id(
        |s| s.select_in_branches(&[]),
        branches::Column::Id,
        |row| row.id,
    )
}

pub fn products() -> Lookup<products::Entity> {
    Lookup::by_id(TenantScope::select, products::Column::Id, |row| row.id)
}

pub fn skus() -> Lookup<product_skus::Entity> {
    Lookup::by_id(TenantScope::select, product_skus::Column::Id, |row| row.id)
}

/// The SKUs of each product, in SKU code order.
pub fn product_skus() -> Lookup<product_skus::Entity> {
    Lookup::by_parent(
        TenantScope::select,
        product_skus::Column::ProductId,
        |row| row.product_id,
        product_skus::Column::SkuCode,
    )
}

pub fn warehouses() -> Lookup<warehouses::Entity> {
    Lookup::by_id(
        |s| s.select_in_branches(&[]),
        warehouses::Column::Id,
        |row| row.id,
    )
}

pub fn inventory_levels() -> Lookup<inventory_levels::Entity> {
    Lookup::by_id(visible_levels, inventory_levels::Column::Id, |row| row.id)
}

pub fn inventory_movements() -> Lookup<inventory_movements::Entity> {
    Lookup::by_id(visible_movements, inventory_movements::Column::Id, |row| {
        row.id
    })
}

pub fn purchase_orders() -> Lookup<purchase_orders::Entity> {
    Lookup::by_id(
        |s| s.select_in_branches(&[]),
        purchase_orders::Column::Id,
        |row| row.id,
    )
}

pub fn purchase_order_items() -> Lookup<purchase_order_items::Entity> {
    Lookup::by_parent(
        TenantScope::select,
        purchase_order_items::Column::PurchaseOrderId,
        |row| row.purchase_order_id,
        purchase_order_items::Column::LineNo,
    )
}

/// Stock received against each purchase order, oldest first.
pub fn receipts() -> Lookup<inventory_movements::Entity> {
    Lookup::by_parent(
        |s| {
            visible_movements(s).filter(
                inventory_movements::Column::ReferenceType
                    .eq(ReferenceKind::PurchaseOrder.as_str()),
            )
        },
        inventory_movements::Column::ReferenceId,
        |row| row.reference_id.unwrap_or_default(),
        inventory_movements::Column::CreatedAt,
    )
}

pub fn suppliers() -> Lookup<suppliers::Entity> {
    Lookup::by_id(TenantScope::select, suppliers::Column::Id, |row| row.id)
}
