//! Stock levels and movements. Warehouse-bound rows follow their warehouse's branch.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};
use uuid::Uuid;

use super::context::Ctx;
use super::input::{Field, Input, Problems};
use super::pagination::{Fingerprint, Listing, Page, PageRequest, Position};
use super::scope::TenantScope;
use crate::entities::enums::MovementType;
use crate::entities::{inventory_levels, inventory_movements, warehouses};
use crate::error::{AppError, AppResult};
use crate::money::Amount;

pub const WAREHOUSE_NOT_FOUND: AppError = AppError::NotFound("Warehouse not found");

/// The warehouses the caller may see in the effective branches for `requested`.
pub async fn visible_warehouses(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    requested: &[Uuid],
) -> Result<Vec<warehouses::Model>, sea_orm::DbErr> {
    let Ctx { db, scope, .. } = *ctx;
    scope
        .select_in_branches::<warehouses::Entity>(requested)
        .order_by_asc(warehouses::Column::Code)
        .all(db)
        .await
}

/// Rows bound to a warehouse (`column`) that the caller may see: those in warehouses of the
/// caller's branches.
fn in_visible_warehouses<E: super::scope::TenantOwned>(
    scope: &TenantScope,
    column: E::Column,
) -> Select<E> {
    let query = scope.select::<E>();
    if scope.allowed_branches().is_none() {
        return query;
    }
    let warehouse_ids = scope
        .select_in_branches::<warehouses::Entity>(&[])
        .select_only()
        .column(warehouses::Column::Id)
        .into_query();
    query.filter(column.in_subquery(warehouse_ids))
}

/// Stock levels the caller may see.
pub fn visible_levels(scope: &TenantScope) -> Select<inventory_levels::Entity> {
    in_visible_warehouses(scope, inventory_levels::Column::WarehouseId)
}

/// Stock movements the caller may see.
pub fn visible_movements(scope: &TenantScope) -> Select<inventory_movements::Entity> {
    in_visible_warehouses(scope, inventory_movements::Column::WarehouseId)
}

/// Resolves a single `warehouse_id` against the caller's scope (ignoring `branch_id`), so an
/// unknown or out-of-scope warehouse is a 404 while one outside the requested branches is
/// simply empty.
async fn resolve_warehouses(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    branches: &[Uuid],
    warehouse: Option<Uuid>,
) -> AppResult<Vec<warehouses::Model>> {
    if let Some(id) = warehouse {
        let in_scope = visible_warehouses(ctx, &[]).await?;
        if !in_scope.iter().any(|w| w.id == id) {
            return Err(WAREHOUSE_NOT_FOUND);
        }
    }
    let visible = visible_warehouses(ctx, branches).await?;
    Ok(visible
        .into_iter()
        .filter(|w| warehouse.is_none_or(|id| w.id == id))
        .collect())
}

#[derive(Debug, Default, Clone)]
pub struct LevelListParams<'a> {
    pub warehouse_id: Input<Uuid>,
    pub branch_ids: Vec<Input<Uuid>>,
    pub product_sku_id: Input<Uuid>,
    pub low_stock: Input<bool>,
    pub page: PageRequest<'a>,
}

/// The stock rules every door shares.
pub trait StockRules {
    /// On hand less reserved.
    fn available(&self) -> Amount;
    /// At or below the reorder point (out of stock included).
    fn is_low_stock(&self) -> bool;
    /// Nothing (or less) on hand.
    fn is_out_of_stock(&self) -> bool;
}

impl StockRules for inventory_levels::Model {
    fn available(&self) -> Amount {
        self.on_hand - self.reserved
    }

    fn is_low_stock(&self) -> bool {
        self.on_hand <= self.reorder_point
    }

    fn is_out_of_stock(&self) -> bool {
        self.on_hand <= Amount::ZERO
    }
}

/// A stock level with the warehouse it is in.
#[derive(Debug, Clone)]
pub struct Level {
    pub level: inventory_levels::Model,
    pub branch_id: Uuid,
}

/// Validates the parameters and builds the query, with the branch of every warehouse in it.
async fn level_listing(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &LevelListParams<'_>,
) -> AppResult<(Listing<inventory_levels::Entity>, HashMap<Uuid, Uuid>)> {
    let Ctx {
        cursors: codec,
        scope,
        ..
    } = *ctx;
    let mut problems = Problems::default();
    let warehouse = problems.take(Field::Warehouse, params.warehouse_id.clone());
    let branches = problems.take_ids(Field::Branches, params.branch_ids.clone());
    let sku = problems.take(Field::ProductSku, params.product_sku_id.clone());
    let low_stock = problems.take(Field::LowStock, params.low_stock.clone());
    let fingerprint = Fingerprint::new("inventory", scope.tenant_id())
        .optional("warehouse_id", warehouse)
        .ids("branch_id", &branches)
        .optional("product_sku_id", sku)
        .optional("low_stock", low_stock);
    let plan = params.page.plan(codec, &fingerprint, &mut problems);
    problems.check()?;
    let warehouses = resolve_warehouses(ctx, &branches, warehouse).await?;
    let branch_of: HashMap<Uuid, Uuid> = warehouses.iter().map(|w| (w.id, w.branch_id)).collect();
    let mut query = scope
        .select::<inventory_levels::Entity>()
        .filter(inventory_levels::Column::WarehouseId.is_in(branch_of.keys().copied()));
    if let Some(sku) = sku {
        query = query.filter(inventory_levels::Column::ProductSkuId.eq(sku));
    }
    match low_stock {
        Some(true) => {
            query = query.filter(
                Expr::col(inventory_levels::Column::OnHand)
                    .lte(Expr::col(inventory_levels::Column::ReorderPoint)),
            )
        }
        Some(false) => {
            query = query.filter(
                Expr::col(inventory_levels::Column::OnHand)
                    .gt(Expr::col(inventory_levels::Column::ReorderPoint)),
            )
        }
        None => {}
    }
    let listing = Listing {
        query,
        fingerprint,
        plan,
        window: None,
        order: (
            inventory_levels::Column::UpdatedAt,
            inventory_levels::Column::Id,
        ),
        key: |l| Position {
            at: l.updated_at.millis(),
            id: l.id,
        },
    };
    Ok((listing, branch_of))
}

/// Stock levels, most recently changed first.
pub async fn list_levels(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &LevelListParams<'_>,
) -> AppResult<Page<Level>> {
    let (listing, branch_of) = level_listing(ctx, params).await?;
    let page = listing.page(ctx).await?;
    Ok(page.map(|level| Level {
        branch_id: branch_of
            .get(&level.warehouse_id)
            .copied()
            .unwrap_or_default(),
        level,
    }))
}

/// How many stock levels match the filters.
pub async fn count_levels(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &LevelListParams<'_>,
) -> AppResult<u64> {
    let (listing, _) = level_listing(ctx, params).await?;
    Ok(listing.count(ctx).await?)
}

#[derive(Debug, Default, Clone)]
pub struct MovementListParams<'a> {
    pub from: Input<NaiveDate>,
    pub to: Input<NaiveDate>,
    pub warehouse_id: Input<Uuid>,
    pub branch_ids: Vec<Input<Uuid>>,
    pub movement_type: Input<MovementType>,
    pub page: PageRequest<'a>,
}

/// A movement with the branch of its warehouse.
#[derive(Debug, Clone)]
pub struct Movement {
    pub movement: inventory_movements::Model,
    pub branch_id: Uuid,
}

async fn movement_listing(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &MovementListParams<'_>,
) -> AppResult<(Listing<inventory_movements::Entity>, HashMap<Uuid, Uuid>)> {
    let Ctx {
        cursors: codec,
        scope,
        now,
        ..
    } = *ctx;
    let mut problems = Problems::default();
    let warehouse = problems.take(Field::Warehouse, params.warehouse_id.clone());
    let branches = problems.take_ids(Field::Branches, params.branch_ids.clone());
    let movement_type = problems.take(Field::MovementType, params.movement_type.clone());
    let fingerprint = Fingerprint::new("inventory_movements", scope.tenant_id())
        .days(&params.from, &params.to)
        .optional("warehouse_id", warehouse)
        .ids("branch_id", &branches)
        .optional("movement_type", movement_type);
    let (plan, window) = params.page.plan_dated(
        codec,
        &fingerprint,
        (&params.from, &params.to),
        now,
        false,
        &mut problems,
    );
    problems.check()?;
    let warehouses = resolve_warehouses(ctx, &branches, warehouse).await?;
    let branch_of: HashMap<Uuid, Uuid> = warehouses.iter().map(|w| (w.id, w.branch_id)).collect();
    let mut query = scope
        .select::<inventory_movements::Entity>()
        .filter(inventory_movements::Column::WarehouseId.is_in(branch_of.keys().copied()));
    if let Some(movement_type) = movement_type {
        query = query.filter(inventory_movements::Column::MovementType.eq(movement_type));
    }
    let listing = Listing {
        query,
        fingerprint,
        plan,
        window,
        order: (
            inventory_movements::Column::CreatedAt,
            inventory_movements::Column::Id,
        ),
        key: |m| Position {
            at: m.created_at.millis(),
            id: m.id,
        },
    };
    Ok((listing, branch_of))
}

/// Stock movements, newest first (`created_at`, then id).
pub async fn list_movements(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &MovementListParams<'_>,
) -> AppResult<Page<Movement>> {
    let (listing, branch_of) = movement_listing(ctx, params).await?;
    let page = listing.page(ctx).await?;
    Ok(page.map(|movement| Movement {
        branch_id: branch_of
            .get(&movement.warehouse_id)
            .copied()
            .unwrap_or_default(),
        movement,
    }))
}

/// How many movements match the filters.
pub async fn count_movements(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &MovementListParams<'_>,
) -> AppResult<u64> {
    let (listing, _) = movement_listing(ctx, params).await?;
    Ok(listing.count(ctx).await?)
}
