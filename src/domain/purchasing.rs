//! Suppliers and purchase orders.

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::context::Ctx;
use super::input::{Field, Input, Problems};
use super::pagination::{Fingerprint, Listing, Page, PageRequest, Position};
use crate::entities::enums::PurchaseOrderStatus;
use crate::entities::{purchase_order_items, purchase_orders, suppliers};
use crate::error::{AppError, AppResult};

pub const ORDER_NOT_FOUND: AppError = AppError::NotFound("Purchase order not found");

#[derive(Debug, Default, Clone)]
pub struct PurchaseOrderListParams<'a> {
    pub from: Input<NaiveDate>,
    pub to: Input<NaiveDate>,
    pub branch_ids: Vec<Input<Uuid>>,
    pub status: Input<PurchaseOrderStatus>,
    pub supplier_id: Input<Uuid>,
    pub page: PageRequest<'a>,
}

fn order_listing(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &PurchaseOrderListParams<'_>,
) -> AppResult<Listing<purchase_orders::Entity>> {
    let Ctx {
        cursors: codec,
        scope,
        now,
        ..
    } = *ctx;
    let mut problems = Problems::default();
    let branches = problems.take_ids(Field::Branches, params.branch_ids.clone());
    let status = problems.take(Field::Status, params.status.clone());
    let supplier = problems.take(Field::Supplier, params.supplier_id.clone());
    let fingerprint = Fingerprint::new("purchase_orders", scope.tenant_id())
        .days(&params.from, &params.to)
        .ids("branch_id", &branches)
        .optional("status", status)
        .optional("supplier_id", supplier);
    let (plan, window) = params.page.plan_dated(
        codec,
        &fingerprint,
        (&params.from, &params.to),
        now,
        false,
        &mut problems,
    );
    problems.check()?;
    let mut query = scope.select_in_branches::<purchase_orders::Entity>(&branches);
    if let Some(status) = status {
        query = query.filter(purchase_orders::Column::Status.eq(status));
    }
    if let Some(supplier) = supplier {
        query = query.filter(purchase_orders::Column::SupplierId.eq(supplier));
    }
    Ok(Listing {
        query,
        fingerprint,
        plan,
        window,
        order: (
            purchase_orders::Column::OrderDate,
            purchase_orders::Column::Id,
        ),
        key: |po| Position {
            at: po.order_date.millis(),
            id: po.id,
        },
    })
}

/// Purchase orders in the caller's branches, newest first (`order_date`, then id).
pub async fn list_orders(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &PurchaseOrderListParams<'_>,
) -> AppResult<Page<purchase_orders::Model>> {
    Ok(order_listing(ctx, params)?.page(ctx).await?)
}

/// How many purchase orders match the filters.
pub async fn count_orders(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &PurchaseOrderListParams<'_>,
) -> AppResult<u64> {
    Ok(order_listing(ctx, params)?.count(ctx).await?)
}

/// All lines of a purchase order visible to the caller; `None` when the order is not.
pub async fn order_items(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    order_id: Uuid,
) -> Result<Option<Vec<purchase_order_items::Model>>, sea_orm::DbErr> {
    let Ctx { db, scope, .. } = *ctx;
    let visible = scope
        .select_in_branches::<purchase_orders::Entity>(&[])
        .filter(purchase_orders::Column::Id.eq(order_id))
        .one(db)
        .await?;
    if visible.is_none() {
        return Ok(None);
    }
    Ok(Some(
        scope
            .select::<purchase_order_items::Entity>()
            .filter(purchase_order_items::Column::PurchaseOrderId.eq(order_id))
            .order_by_asc(purchase_order_items::Column::LineNo)
            .all(db)
            .await?,
    ))
}

#[derive(Debug, Default, Clone)]
pub struct SupplierListParams<'a> {
    pub page: PageRequest<'a>,
}

fn supplier_listing(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &SupplierListParams<'_>,
) -> AppResult<Listing<suppliers::Entity>> {
    let Ctx {
        cursors: codec,
        scope,
        ..
    } = *ctx;
    let mut problems = Problems::default();
    let fingerprint = Fingerprint::new("suppliers", scope.tenant_id());
    let plan = params.page.plan(codec, &fingerprint, &mut problems);
    problems.check()?;
    Ok(Listing {
        query: scope.select::<suppliers::Entity>(),
        fingerprint,
        plan,
        window: None,
        order: (suppliers::Column::CreatedAt, suppliers::Column::Id),
        key: |s| Position {
            at: s.created_at.millis(),
            id: s.id,
        },
    })
}

/// Suppliers of the caller's tenant, newest first.
pub async fn list_suppliers(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &SupplierListParams<'_>,
) -> AppResult<Page<suppliers::Model>> {
    Ok(supplier_listing(ctx, params)?.page(ctx).await?)
}

/// How many suppliers the tenant has.
pub async fn count_suppliers(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &SupplierListParams<'_>,
) -> AppResult<u64> {
    Ok(supplier_listing(ctx, params)?.count(ctx).await?)
}
