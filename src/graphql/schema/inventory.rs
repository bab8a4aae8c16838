//! Warehouses, stock levels and stock movements. Warehouse-bound rows follow their
//! warehouse's branch.

use async_graphql::{Context, ID, InputObject, Object, Result};
use uuid::Uuid;

use super::catalog::Sku;
use super::enums::{MovementType, RecordStatus, WarehouseKind};
use super::node::global_id;
use super::viewer::Branch;
use super::{DateArg, UuidArg, domain_ctx};
use super::{
    Paging, ScopeGuard, always, connection, filter_ids, loaded, loaders, page_cost,
    requires_scopes, scopes,
};
use super::{day, optional_id};
use crate::clock::Timestamp;
use crate::domain::input::Input;
use crate::domain::inventory::{self as domain, LevelListParams, MovementListParams, StockRules};
use crate::domain::scopes::Scope;
use crate::entities::{inventory_levels, inventory_movements, warehouses};
use crate::money::Amount;

/// Filters of `inventoryLevels`, validated exactly as the REST `/inventory` query.
#[derive(InputObject, Debug, Default)]
pub struct InventoryLevelFilter {
    /// One warehouse (REST or global id); unknown or outside the token's branches is
    /// `not_found`.
    pub warehouse_id: Option<ID>,
    /// Branch ids (REST or global), intersected with the token's branches.
    pub branch_ids: Option<Vec<ID>>,
    /// One SKU (REST or global id).
    pub product_sku_id: Option<ID>,
    /// Only levels at or below (`true`) or above (`false`) their reorder point.
    pub low_stock: Option<bool>,
}

/// Filters of `inventoryMovements`, validated exactly as the REST `/inventory/movements` query.
#[derive(InputObject, Debug, Default)]
pub struct InventoryMovementFilter {
    /// First day, `YYYY-MM-DD` (UTC). Default: 30 days before `to`.
    pub from: Option<DateArg>,
    /// Last day, inclusive, `YYYY-MM-DD` (UTC). Default: today.
    pub to: Option<DateArg>,
    /// One warehouse (REST or global id).
    pub warehouse_id: Option<ID>,
    /// Branch ids (REST or global), intersected with the token's branches.
    pub branch_ids: Option<Vec<ID>>,
    /// Only movements of this type.
    pub movement_type: Option<MovementType>,
}

connection!(
    InventoryLevelConnection,
    InventoryLevelEdge,
    InventoryLevel,
    "Stock levels matching the filters (computed only when selected)."
);

connection!(
    InventoryMovementConnection,
    InventoryMovementEdge,
    InventoryMovement,
    "Movements matching the filters (computed only when selected)."
);

#[derive(Default)]
pub struct InventoryQuery;

#[Object]
impl InventoryQuery {
    /// Stock levels in the token's branches, latest change first. Requires `read:inventory`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadInventory)",
        directive = requires_scopes::apply(scopes(Scope::ReadInventory)),
        complexity = "page_cost(first, last, child_complexity)"
    )]
    async fn inventory_levels(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<InventoryLevelFilter>,
    ) -> Result<Option<InventoryLevelConnection>> {
        let paging = Paging::new(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let params = LevelListParams {
            warehouse_id: optional_id(&filter.warehouse_id, "Warehouse"),
            branch_ids: filter_ids(&filter.branch_ids, "Branch"),
            product_sku_id: optional_id(&filter.product_sku_id, "Sku"),
            low_stock: Input::from_option(filter.low_stock),
            page: paging.request(),
        };
        let here = domain_ctx(ctx)?;
        let (page, total) = paging
            .page_and_total(
                ctx,
                domain::list_levels(&here, &params),
                domain::count_levels(&here, &params),
            )
            .await?;
        Ok(Some(InventoryLevelConnection::new(
            page,
            &paging,
            total,
            |l| InventoryLevel(l.level),
        )))
    }

    /// Stock movements in the token's branches, newest first. Requires `read:inventory`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadInventory)",
        directive = requires_scopes::apply(scopes(Scope::ReadInventory)),
        complexity = "page_cost(first, last, child_complexity)"
    )]
    async fn inventory_movements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<InventoryMovementFilter>,
    ) -> Result<Option<InventoryMovementConnection>> {
        let paging = Paging::new(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let params = MovementListParams {
            from: day(filter.from),
            to: day(filter.to),
            warehouse_id: optional_id(&filter.warehouse_id, "Warehouse"),
            branch_ids: filter_ids(&filter.branch_ids, "Branch"),
            movement_type: Input::from_option(filter.movement_type.map(Into::into)),
            page: paging.request(),
        };
        let here = domain_ctx(ctx)?;
        let (page, total) = paging
            .page_and_total(
                ctx,
                domain::list_movements(&here, &params),
                domain::count_movements(&here, &params),
            )
            .await?;
        Ok(Some(InventoryMovementConnection::new(
            page,
            &paging,
            total,
            |m| InventoryMovement(m.movement),
        )))
    }

    /// A warehouse by REST id (null if not in the token's branches). Requires `read:inventory`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadInventory)",
        directive = requires_scopes::apply(scopes(Scope::ReadInventory))
    )]
    async fn warehouse(&self, ctx: &Context<'_>, uuid: UuidArg) -> Result<Option<Warehouse>> {
        let uuid = uuid.get("uuid")?;
        Ok(loaded(loaders(ctx)?.warehouses.try_load(uuid).await)?.map(Warehouse))
    }
}

pub struct Warehouse(pub warehouses::Model);

/// A place that holds stock; it belongs to one branch.
#[Object]
impl Warehouse {
    /// Opaque global id (for `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id("Warehouse", self.0.id)
    }
    /// The REST id of the warehouse.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The warehouse code, unique within the tenant.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// The warehouse name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What the warehouse holds stock for.
    async fn kind(&self) -> WarehouseKind {
        self.0.kind.into()
    }
    /// Whether the warehouse is in use.
    async fn status(&self) -> RecordStatus {
        self.0.status.into()
    }
    /// The REST id of the branch the warehouse belongs to.
    async fn branch_id(&self) -> Uuid {
        self.0.branch_id
    }
    /// The branch the warehouse belongs to (always there: a caller who sees the warehouse sees
    /// its branch).
    async fn branch(&self, ctx: &Context<'_>) -> Result<Branch> {
        let found = loaded(loaders(ctx)?.branches.try_load(self.0.branch_id).await)?;
        always(found.map(Branch), "a warehouse's branch")
    }
}

/// The warehouse of a stock row, through the request's loader.
async fn warehouse_of(ctx: &Context<'_>, id: Uuid) -> Result<Option<Warehouse>> {
    Ok(loaded(loaders(ctx)?.warehouses.try_load(id).await)?.map(Warehouse))
}

async fn sku_of(ctx: &Context<'_>, id: Uuid) -> Result<Option<Sku>> {
    Ok(loaded(loaders(ctx)?.skus.try_load(id).await)?.map(Sku))
}

pub struct InventoryLevel(pub inventory_levels::Model);

/// The stock of one SKU in one warehouse.
#[Object]
impl InventoryLevel {
    /// Opaque global id (for `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id("InventoryLevel", self.0.id)
    }
    /// The REST id of the level.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The REST id of the warehouse holding the stock.
    async fn warehouse_id(&self) -> Uuid {
        self.0.warehouse_id
    }
    /// The REST id of the SKU stocked.
    async fn product_sku_id(&self) -> Uuid {
        self.0.product_sku_id
    }
    /// The quantity in the warehouse, in the SKU's unit (may be negative).
    async fn on_hand(&self) -> Amount {
        self.0.on_hand
    }
    /// The part of the on-hand quantity set aside for open orders.
    async fn reserved(&self) -> Amount {
        self.0.reserved
    }
    /// On hand less reserved.
    async fn available(&self) -> Amount {
        self.0.available()
    }
    /// The on-hand quantity at or below which the SKU counts as low stock.
    async fn reorder_point(&self) -> Amount {
        self.0.reorder_point
    }
    /// At or below the reorder point (out of stock included).
    async fn is_low_stock(&self) -> bool {
        self.0.is_low_stock()
    }
    /// Nothing (or less) on hand.
    async fn is_out_of_stock(&self) -> bool {
        self.0.is_out_of_stock()
    }
    /// When the level last changed (UTC); lists sort by it.
    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }

    /// The SKU stocked. Requires `read:products`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadProducts)",
        directive = requires_scopes::apply(scopes(Scope::ReadProducts))
    )]
    async fn sku(&self, ctx: &Context<'_>) -> Result<Option<Sku>> {
        sku_of(ctx, self.0.product_sku_id).await
    }

    /// The warehouse holding the stock (always there: stock is visible only in warehouses the
    /// caller sees).
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Warehouse> {
        always(
            warehouse_of(ctx, self.0.warehouse_id).await?,
            "a stock level's warehouse",
        )
    }
}

pub struct InventoryMovement(pub inventory_movements::Model);

/// One change of stock; `balanceAfter` is the level's on-hand quantity after it.
#[Object]
impl InventoryMovement {
    /// Opaque global id (for `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id("InventoryMovement", self.0.id)
    }
    /// The REST id of the movement.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The REST id of the warehouse the stock moved in or out of.
    async fn warehouse_id(&self) -> Uuid {
        self.0.warehouse_id
    }
    /// The REST id of the SKU moved.
    async fn product_sku_id(&self) -> Uuid {
        self.0.product_sku_id
    }
    /// Why the stock changed.
    async fn movement_type(&self) -> MovementType {
        self.0.movement_type.into()
    }
    /// Signed: positive into the warehouse, negative out of it.
    async fn quantity(&self) -> Amount {
        self.0.quantity
    }
    /// The on-hand quantity of the SKU in the warehouse after this movement.
    async fn balance_after(&self) -> Amount {
        self.0.balance_after
    }
    /// What caused the movement: `SALES_ORDER`, `PURCHASE_ORDER`, `TRANSFER`, …
    async fn reference_type(&self) -> Option<&str> {
        self.0.reference_type.as_deref()
    }
    /// The REST id of the document that caused the movement, if any.
    async fn reference_id(&self) -> Option<Uuid> {
        self.0.reference_id
    }
    /// The document number of the reference, e.g. a PO number.
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    /// A free-text note, e.g. the reason for an adjustment.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// When the movement happened (UTC); lists sort and filter by it.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }

    /// The SKU moved. Requires `read:products`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadProducts)",
        directive = requires_scopes::apply(scopes(Scope::ReadProducts))
    )]
    async fn sku(&self, ctx: &Context<'_>) -> Result<Option<Sku>> {
        sku_of(ctx, self.0.product_sku_id).await
    }

    /// The warehouse the stock moved in or out of (always there: movements are visible only in
    /// warehouses the caller sees).
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Warehouse> {
        always(
            warehouse_of(ctx, self.0.warehouse_id).await?,
            "a movement's warehouse",
        )
    }
}
