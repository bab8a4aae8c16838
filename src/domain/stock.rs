//! Stock posting: every change of a warehouse's stock on hand is a movement that records the
//! quantity, the document that caused it, where it lies (location and lot, when known) and the
//! balance it leaves in the warehouse (`balance_after`), so the movements of a (warehouse, SKU)
//! replay to its level. Stock is held per place — (warehouse, SKU, location or none, lot or
//! none) in `stock_balances`, with what is allocated of it — and summed per (warehouse, SKU) in
//! `inventory_levels` (`on_hand`, `reserved`), which the partner API reads. [`post`] changes
//! both and writes the movement; [`allocate`] sets stock aside for a sales order line (first
//! expiring first) and [`release`] gives an order's allocations back — allocations move no
//! stock, so they are allocation rows, not movements. Run them inside the transaction of the
//! document that causes them. The demo generator, which keeps its balances in memory while it
//! writes in bulk, builds the same movement rows with [`movement`].

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::context::Ctx;
use super::inventory::WAREHOUSE_NOT_FOUND;
use crate::clock::Timestamp;
use crate::entities::enums::MovementType;
use crate::entities::{
    inventory_levels, inventory_movements, product_skus, stock_allocations, stock_balances,
    warehouses,
};
use crate::error::{AppError, AppResult};
use crate::money::Amount;

/// The kind of document a movement answers to (`reference_type` in the database and on the
/// wire, where it stays a string).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceKind {
    /// Stock received against a purchase order.
    PurchaseOrder,
    /// Stock sold (or returned) by a sales order.
    SalesOrder,
    /// Stock moved between two warehouses.
    Transfer,
    /// Stock received by a goods receipt that answers to no purchase order.
    GoodsReceipt,
}

impl ReferenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::PurchaseOrder => "PURCHASE_ORDER",
            ReferenceKind::SalesOrder => "SALES_ORDER",
            ReferenceKind::Transfer => "TRANSFER",
            ReferenceKind::GoodsReceipt => "GOODS_RECEIPT",
        }
    }
}

/// The document behind a movement: its kind, id and number.
#[derive(Clone, Copy, Debug)]
pub struct Reference<'a> {
    pub kind: ReferenceKind,
    pub id: Uuid,
    pub number: &'a str,
}

/// Where in a warehouse stock lies: a location (or none) and a lot (or none), with the lot's
/// expiry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Place<'a> {
    pub location_id: Option<Uuid>,
    /// Empty: no lot.
    pub lot_no: &'a str,
    pub expiry_date: Option<chrono::NaiveDate>,
}

impl Place<'_> {
    /// Somewhere in the warehouse, no lot: where stock lies when nothing says more.
    pub const ANYWHERE: Place<'static> = Place {
        location_id: None,
        lot_no: "",
        expiry_date: None,
    };
}

/// One change of stock to post.
#[derive(Clone, Copy, Debug)]
pub struct Posting<'a> {
    /// The movement's id (time-ordered where the caller can).
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub warehouse_id: Uuid,
    pub product_sku_id: Uuid,
    pub place: Place<'a>,
    pub movement_type: MovementType,
    /// Signed: positive adds stock, negative takes it.
    pub quantity: Amount,
    pub reference: Option<Reference<'a>>,
    pub note: Option<&'a str>,
    pub at: Timestamp,
}

/// The movement that records `posting` on a (warehouse, SKU) holding `balance`, and the
/// balance it leaves.
pub fn movement(
    posting: &Posting<'_>,
    balance: Amount,
) -> (inventory_movements::ActiveModel, Amount) {
    let after = balance + posting.quantity;
    let row = inventory_movements::ActiveModel {
        id: Set(posting.id),
        tenant_id: Set(posting.tenant_id),
        warehouse_id: Set(posting.warehouse_id),
        product_sku_id: Set(posting.product_sku_id),
        movement_type: Set(posting.movement_type),
        quantity: Set(posting.quantity),
        balance_after: Set(after),
        reference_type: Set(posting.reference.map(|r| r.kind.as_str().to_owned())),
        reference_id: Set(posting.reference.map(|r| r.id)),
        reference: Set(posting.reference.map(|r| r.number.to_owned())),
        note: Set(posting.note.map(str::to_owned)),
        location_id: Set(posting.place.location_id),
        lot_no: Set(Some(posting.place.lot_no)
            .filter(|lot| !lot.is_empty())
            .map(str::to_owned)),
        created_at: Set(posting.at),
    };
    (row, after)
}

/// The most stock one warehouse may hold of one SKU: a trillion units, far beyond any real
/// stock, so that sums over places and warehouses stay within exact range.
pub fn max_level() -> Amount {
    Amount::from_scaled(1_000_000_000_000 * 10_000)
}

/// What a posting names that its tenant does not have.
pub const SKU_NOT_FOUND: AppError = AppError::NotFound("SKU not found");

/// Posts `posting` in the database for the context's tenant: adds its quantity to the
/// (warehouse, SKU) level — created at zero if the SKU has none there yet — and records the
/// movement with the balance the level holds after it. The warehouse and the SKU must be the
/// tenant's. Run it inside the transaction of the document that causes it
/// ([`Ctx::on`](super::context::Ctx::on)): the level's update holds its row (PostgreSQL) or
/// the database's write lock (SQLite) until that transaction ends, so concurrent postings to
/// one level queue up and every `balance_after` is the level's true running balance.
pub async fn post(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    posting: &Posting<'_>,
) -> AppResult<inventory_movements::Model> {
    let Ctx { db, scope, .. } = *ctx;
    if posting.tenant_id != scope.tenant_id() {
        return Err(AppError::internal(anyhow::anyhow!(
            "a posting for another tenant than its context's"
        )));
    }
    let warehouse = scope
        .select_id::<warehouses::Entity>(posting.warehouse_id)
        .one(db)
        .await?;
    if warehouse.is_none() {
        return Err(WAREHOUSE_NOT_FOUND);
    }
    let sku = scope
        .select_id::<product_skus::Entity>(posting.product_sku_id)
        .one(db)
        .await?;
    if sku.is_none() {
        return Err(SKU_NOT_FOUND);
    }
    let level = inventory_levels::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(posting.tenant_id),
        warehouse_id: Set(posting.warehouse_id),
        product_sku_id: Set(posting.product_sku_id),
        on_hand: Set(Amount::ZERO),
        reserved: Set(Amount::ZERO),
        reorder_point: Set(Amount::ZERO),
        created_at: Set(posting.at),
        updated_at: Set(posting.at),
    };
    inventory_levels::Entity::insert(level)
        .on_conflict_do_nothing_on([
            inventory_levels::Column::WarehouseId,
            inventory_levels::Column::ProductSkuId,
        ])
        .exec_without_returning(db)
        .await?;
    let updated = inventory_levels::Entity::update_many()
        .col_expr(
            inventory_levels::Column::OnHand,
            Expr::col(inventory_levels::Column::OnHand).add(posting.quantity.scaled()),
        )
        .col_expr(inventory_levels::Column::UpdatedAt, Expr::value(posting.at))
        .filter(inventory_levels::Column::WarehouseId.eq(posting.warehouse_id))
        .filter(inventory_levels::Column::ProductSkuId.eq(posting.product_sku_id))
        .filter(inventory_levels::Column::TenantId.eq(posting.tenant_id))
        .exec_with_returning(db)
        .await?;
    let level = updated.into_iter().next().ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "the level of a warehouse and SKU of the tenant belongs to another tenant"
        ))
    })?;
    if level.on_hand > max_level() {
        // Rolled back with the document: far beyond any real stock, and the sums stay exact.
        return Err(AppError::Unprocessable {
            message: "Validation failed".to_owned(),
            details: vec![crate::error::FieldError::new(
                "qty",
                format!(
                    "would bring the warehouse's stock of the item past {}",
                    max_level()
                ),
            )],
        });
    }
    let balance = balance_at(
        ctx,
        posting.warehouse_id,
        posting.product_sku_id,
        posting.place,
        posting.at,
    )
    .await?;
    stock_balances::Entity::update_many()
        .col_expr(
            stock_balances::Column::OnHand,
            Expr::col(stock_balances::Column::OnHand).add(posting.quantity.scaled()),
        )
        .col_expr(
            stock_balances::Column::ExpiryDate,
            Expr::expr(sea_orm::sea_query::Func::if_null(
                Expr::col(stock_balances::Column::ExpiryDate),
                Expr::value(posting.place.expiry_date),
            )),
        )
        .col_expr(stock_balances::Column::UpdatedAt, Expr::value(posting.at))
        .filter(stock_balances::Column::Id.eq(balance.id))
        .exec(db)
        .await?;
    let (row, _) = movement(posting, level.on_hand - posting.quantity);
    Ok(inventory_movements::Entity::insert(row)
        .exec_with_returning(db)
        .await?)
}

/// The balance of a SKU at `place` in a warehouse, created at zero if there is none. Call it
/// with the (warehouse, SKU) level locked: that lock, taken first by every change of the
/// level's balances, is what keeps their changes in turn.
async fn balance_at(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    warehouse_id: Uuid,
    product_sku_id: Uuid,
    place: Place<'_>,
    at: Timestamp,
) -> AppResult<stock_balances::Model> {
    let Ctx { db, scope, .. } = *ctx;
    let fresh = stock_balances::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(scope.tenant_id()),
        warehouse_id: Set(warehouse_id),
        product_sku_id: Set(product_sku_id),
        location_id: Set(place.location_id),
        lot_no: Set(place.lot_no.to_owned()),
        expiry_date: Set(place.expiry_date),
        on_hand: Set(Amount::ZERO),
        allocated: Set(Amount::ZERO),
        created_at: Set(at),
        updated_at: Set(at),
    };
    // Either partial unique index may be the one that conflicts: no target names both.
    stock_balances::Entity::insert(fresh)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    let found = stock_balances::Entity::find()
        .filter(stock_balances::Column::TenantId.eq(scope.tenant_id()))
        .filter(stock_balances::Column::WarehouseId.eq(warehouse_id))
        .filter(stock_balances::Column::ProductSkuId.eq(product_sku_id))
        .filter(stock_balances::Column::LotNo.eq(place.lot_no));
    let found = match place.location_id {
        Some(location) => found.filter(stock_balances::Column::LocationId.eq(location)),
        None => found.filter(stock_balances::Column::LocationId.is_null()),
    };
    found.one(db).await?.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "a stock balance vanished as it was created"
        ))
    })
}

/// Stock set aside for an order line from one balance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allocated {
    pub allocation: stock_allocations::Model,
    pub balance: stock_balances::Model,
}

/// What an order line asks of a warehouse's stock.
#[derive(Clone, Copy, Debug)]
pub struct Demand {
    pub sales_order_id: Uuid,
    pub sales_order_item_id: Uuid,
    pub warehouse_id: Uuid,
    pub product_sku_id: Uuid,
    pub quantity: Amount,
}

/// Allocates up to `demand.quantity` of the warehouse's available stock (on hand less
/// allocated) to the order line, first expiring first, then oldest first; expired lots are
/// left alone. What is allocated, possibly less than asked or nothing. The (warehouse, SKU)
/// level is locked first (PostgreSQL; SQLite's write lock does it there), as every change of
/// its balances does, so two orders never take the same stock and locks are always taken in
/// one order: documents, then levels (callers go through their SKUs in id order), then
/// balances.
pub async fn allocate(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    demand: &Demand,
) -> AppResult<Vec<Allocated>> {
    let Ctx { db, scope, now, .. } = *ctx;
    if !lock_level(ctx, demand.warehouse_id, demand.product_sku_id).await? {
        return Ok(Vec::new());
    }
    let today = now.date();
    let candidates = stock_balances::Entity::find()
        .filter(stock_balances::Column::TenantId.eq(scope.tenant_id()))
        .filter(stock_balances::Column::WarehouseId.eq(demand.warehouse_id))
        .filter(stock_balances::Column::ProductSkuId.eq(demand.product_sku_id))
        .filter(
            Expr::col(stock_balances::Column::OnHand)
                .gt(Expr::col(stock_balances::Column::Allocated)),
        )
        .filter(
            sea_orm::Condition::any()
                .add(stock_balances::Column::ExpiryDate.is_null())
                .add(stock_balances::Column::ExpiryDate.gte(today)),
        )
        .order_by_asc(Expr::col(stock_balances::Column::ExpiryDate).is_null())
        .order_by_asc(stock_balances::Column::ExpiryDate)
        .order_by_asc(stock_balances::Column::CreatedAt)
        .order_by_asc(stock_balances::Column::Id);
    let mut wanted = demand.quantity;
    let mut taken = Vec::new();
    for balance in candidates.all(db).await? {
        if wanted <= Amount::ZERO {
            break;
        }
        let free = balance.on_hand - balance.allocated;
        let quantity = if free < wanted { free } else { wanted };
        if quantity <= Amount::ZERO {
            continue;
        }
        wanted = wanted - quantity;
        stock_balances::Entity::update_many()
            .col_expr(
                stock_balances::Column::Allocated,
                Expr::col(stock_balances::Column::Allocated).add(quantity.scaled()),
            )
            .col_expr(stock_balances::Column::UpdatedAt, Expr::value(now))
            .filter(stock_balances::Column::Id.eq(balance.id))
            .exec(db)
            .await?;
        let allocation = stock_allocations::Entity::insert(stock_allocations::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(scope.tenant_id()),
            sales_order_id: Set(demand.sales_order_id),
            sales_order_item_id: Set(demand.sales_order_item_id),
            stock_balance_id: Set(balance.id),
            quantity: Set(quantity),
            created_at: Set(now),
            released_at: Set(None),
        })
        .exec_with_returning(db)
        .await?;
        taken.push(Allocated {
            allocation,
            balance: stock_balances::Model {
                allocated: balance.allocated + quantity,
                ..balance
            },
        });
    }
    let total = taken
        .iter()
        .fold(Amount::ZERO, |sum, a| sum + a.allocation.quantity);
    if total > Amount::ZERO {
        reserve(ctx, demand.warehouse_id, demand.product_sku_id, total).await?;
    }
    Ok(taken)
}

/// Locks the (warehouse, SKU) level until the transaction ends (PostgreSQL); whether there is
/// one.
async fn lock_level(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    warehouse_id: Uuid,
    product_sku_id: Uuid,
) -> AppResult<bool> {
    let Ctx { db, scope, .. } = *ctx;
    let mut level = inventory_levels::Entity::find()
        .filter(inventory_levels::Column::TenantId.eq(scope.tenant_id()))
        .filter(inventory_levels::Column::WarehouseId.eq(warehouse_id))
        .filter(inventory_levels::Column::ProductSkuId.eq(product_sku_id));
    if db.get_database_backend() == DbBackend::Postgres {
        level = level.lock_exclusive();
    }
    Ok(level.one(db).await?.is_some())
}

/// Adds `quantity` (signed) to the reserved stock of a (warehouse, SKU) level.
async fn reserve(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    warehouse_id: Uuid,
    product_sku_id: Uuid,
    quantity: Amount,
) -> AppResult<()> {
    let Ctx { db, scope, now, .. } = *ctx;
    let updated = inventory_levels::Entity::update_many()
        .col_expr(
            inventory_levels::Column::Reserved,
            Expr::col(inventory_levels::Column::Reserved).add(quantity.scaled()),
        )
        .col_expr(inventory_levels::Column::UpdatedAt, Expr::value(now))
        .filter(inventory_levels::Column::TenantId.eq(scope.tenant_id()))
        .filter(inventory_levels::Column::WarehouseId.eq(warehouse_id))
        .filter(inventory_levels::Column::ProductSkuId.eq(product_sku_id))
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        return Err(AppError::internal(anyhow::anyhow!(
            "stock balances without their warehouse level"
        )));
    }
    Ok(())
}

/// Gives back every allocation of the order still held; the allocations released.
pub async fn release(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    sales_order_id: Uuid,
) -> AppResult<Vec<stock_allocations::Model>> {
    let Ctx { db, scope, now, .. } = *ctx;
    let held = stock_allocations::Entity::find()
        .filter(stock_allocations::Column::TenantId.eq(scope.tenant_id()))
        .filter(stock_allocations::Column::SalesOrderId.eq(sales_order_id))
        .filter(stock_allocations::Column::ReleasedAt.is_null())
        .order_by_asc(stock_allocations::Column::CreatedAt)
        .order_by_asc(stock_allocations::Column::Id)
        .all(db)
        .await?;
    // Level by level, in (warehouse, SKU) order, each level locked before its balances.
    let balance_ids: std::collections::HashSet<Uuid> =
        held.iter().map(|a| a.stock_balance_id).collect();
    let balances: std::collections::HashMap<Uuid, stock_balances::Model> =
        stock_balances::Entity::find()
            .filter(stock_balances::Column::TenantId.eq(scope.tenant_id()))
            .filter(stock_balances::Column::Id.is_in(balance_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|b| (b.id, b))
            .collect();
    let mut by_level: std::collections::BTreeMap<(Uuid, Uuid), Vec<stock_allocations::Model>> =
        std::collections::BTreeMap::new();
    for allocation in held {
        let balance = balances.get(&allocation.stock_balance_id).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("an allocation without its balance"))
        })?;
        by_level
            .entry((balance.warehouse_id, balance.product_sku_id))
            .or_default()
            .push(allocation);
    }
    let mut released = Vec::new();
    for ((warehouse_id, product_sku_id), allocations) in by_level {
        lock_level(ctx, warehouse_id, product_sku_id).await?;
        let mut total = Amount::ZERO;
        for allocation in allocations {
            stock_balances::Entity::update_many()
                .col_expr(
                    stock_balances::Column::Allocated,
                    Expr::col(stock_balances::Column::Allocated).sub(allocation.quantity.scaled()),
                )
                .col_expr(stock_balances::Column::UpdatedAt, Expr::value(now))
                .filter(stock_balances::Column::Id.eq(allocation.stock_balance_id))
                .exec(db)
                .await?;
            stock_allocations::Entity::update_many()
                .col_expr(stock_allocations::Column::ReleasedAt, Expr::value(now))
                .filter(stock_allocations::Column::Id.eq(allocation.id))
                .exec(db)
                .await?;
            total = total + allocation.quantity;
            released.push(stock_allocations::Model {
                released_at: Some(now),
                ..allocation
            });
        }
        reserve(ctx, warehouse_id, product_sku_id, -total).await?;
    }
    Ok(released)
}

/// One place's stock in an inquiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceStock {
    pub warehouse_code: String,
    pub location_code: Option<String>,
    pub lot_no: String,
    pub expiry_date: Option<chrono::NaiveDate>,
    pub on_hand: Amount,
    pub allocated: Amount,
}

/// A SKU's stock by warehouse, location and lot.
#[derive(Clone, Debug)]
pub struct StockInquiry {
    pub sku: product_skus::Model,
    pub places: Vec<PlaceStock>,
}

impl StockInquiry {
    pub fn on_hand(&self) -> Amount {
        self.places.iter().map(|p| p.on_hand).sum()
    }

    pub fn allocated(&self) -> Amount {
        self.places.iter().map(|p| p.allocated).sum()
    }
}

/// The stock of the tenant's SKU `sku_code` — in one warehouse (by code) or all, of one lot or
/// all — place by place, empty places left out. `None`: no such SKU.
pub async fn inquiry(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    sku_code: &str,
    warehouse_code: Option<&str>,
    lot_no: Option<&str>,
) -> AppResult<Option<StockInquiry>> {
    let Ctx { db, scope, .. } = *ctx;
    let warehouse = match warehouse_code {
        None => None,
        Some(code) => Some(super::inbound::warehouse_by_code(ctx, code).await?),
    };
    let Some(sku) = scope
        .select::<product_skus::Entity>()
        .filter(product_skus::Column::SkuCode.eq(sku_code.trim()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let mut balances = scope
        .select::<stock_balances::Entity>()
        .filter(stock_balances::Column::ProductSkuId.eq(sku.id))
        .filter(
            sea_orm::Condition::any()
                .add(stock_balances::Column::OnHand.ne(0))
                .add(stock_balances::Column::Allocated.ne(0)),
        );
    if let Some(warehouse) = &warehouse {
        balances = balances.filter(stock_balances::Column::WarehouseId.eq(warehouse.id));
    }
    if let Some(lot) = lot_no {
        balances = balances.filter(stock_balances::Column::LotNo.eq(lot.trim()));
    }
    let balances = balances.all(db).await?;
    let warehouse_ids: std::collections::HashSet<Uuid> =
        balances.iter().map(|b| b.warehouse_id).collect();
    let warehouse_codes: std::collections::HashMap<Uuid, String> = scope
        .select::<warehouses::Entity>()
        .filter(warehouses::Column::Id.is_in(warehouse_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w.code))
        .collect();
    let location_ids: std::collections::HashSet<Uuid> =
        balances.iter().filter_map(|b| b.location_id).collect();
    let location_codes: std::collections::HashMap<Uuid, String> = if location_ids.is_empty() {
        Default::default()
    } else {
        scope
            .select::<crate::entities::storage_locations::Entity>()
            .filter(crate::entities::storage_locations::Column::Id.is_in(location_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|l| (l.id, l.code))
            .collect()
    };
    let mut places: Vec<PlaceStock> = balances
        .into_iter()
        .map(|b| PlaceStock {
            warehouse_code: warehouse_codes
                .get(&b.warehouse_id)
                .cloned()
                .unwrap_or_default(),
            location_code: b
                .location_id
                .and_then(|id| location_codes.get(&id).cloned()),
            lot_no: b.lot_no,
            expiry_date: b.expiry_date,
            on_hand: b.on_hand,
            allocated: b.allocated,
        })
        .collect();
    // By warehouse; located stock first, by location; then by lot.
    places.sort_by(|a, b| {
        let key = |p: &PlaceStock| {
            (
                p.warehouse_code.clone(),
                p.location_code.is_none(),
                p.location_code.clone(),
                p.lot_no.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    Ok(Some(StockInquiry { sku, places }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn reference_kinds_keep_their_database_names() {
        assert_eq!(ReferenceKind::PurchaseOrder.as_str(), "PURCHASE_ORDER");
        assert_eq!(ReferenceKind::SalesOrder.as_str(), "SALES_ORDER");
        assert_eq!(ReferenceKind::Transfer.as_str(), "TRANSFER");
    }

    #[test]
    fn a_movement_records_its_reference_and_the_balance_it_leaves() {
        let amount = |s: &str| Amount::from_str(s).expect("amount");
        let order = Uuid::from_u128(7);
        let posting = Posting {
            id: Uuid::from_u128(1),
            tenant_id: Uuid::from_u128(2),
            warehouse_id: Uuid::from_u128(3),
            product_sku_id: Uuid::from_u128(4),
            place: Place::ANYWHERE,
            movement_type: MovementType::Sale,
            quantity: amount("-2.5"),
            reference: Some(Reference {
                kind: ReferenceKind::SalesOrder,
                id: order,
                number: "SO-1",
            }),
            note: None,
            at: Timestamp::saturating_from_millis(0),
        };
        let (row, after) = movement(&posting, amount("10"));
        assert_eq!(after, amount("7.5"));
        assert_eq!(row.balance_after, Set(amount("7.5")));
        assert_eq!(row.reference_type, Set(Some("SALES_ORDER".to_owned())));
        assert_eq!(row.reference_id, Set(Some(order)));
        assert_eq!(row.reference, Set(Some("SO-1".to_owned())));
    }
}
