//! Stock posting: every change of a warehouse's stock is a movement that records the quantity,
//! the document that caused it and the balance it leaves (`balance_after`), so the movements
//! of a (warehouse, SKU) replay to its level. [`post`] does it in the database, inside the
//! transaction of the document that causes it (receipts, allocations); the demo generator,
//! which keeps its balances in memory while it writes in bulk, builds the same rows with
//! [`movement`].

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::context::Ctx;
use super::inventory::WAREHOUSE_NOT_FOUND;
use crate::clock::Timestamp;
use crate::entities::enums::MovementType;
use crate::entities::{inventory_levels, inventory_movements, product_skus, warehouses};
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
}

impl ReferenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::PurchaseOrder => "PURCHASE_ORDER",
            ReferenceKind::SalesOrder => "SALES_ORDER",
            ReferenceKind::Transfer => "TRANSFER",
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

/// One change of stock to post.
#[derive(Clone, Copy, Debug)]
pub struct Posting<'a> {
    /// The movement's id (time-ordered where the caller can).
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub warehouse_id: Uuid,
    pub product_sku_id: Uuid,
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
        created_at: Set(posting.at),
    };
    (row, after)
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
        .select::<warehouses::Entity>()
        .filter(warehouses::Column::Id.eq(posting.warehouse_id))
        .one(db)
        .await?;
    if warehouse.is_none() {
        return Err(WAREHOUSE_NOT_FOUND);
    }
    let sku = scope
        .select::<product_skus::Entity>()
        .filter(product_skus::Column::Id.eq(posting.product_sku_id))
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
    let (row, _) = movement(posting, level.on_hand - posting.quantity);
    Ok(inventory_movements::Entity::insert(row)
        .exec_with_returning(db)
        .await?)
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
