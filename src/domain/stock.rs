//! Stock posting: every change of a warehouse's stock is a movement that records the quantity,
//! the document that caused it and the balance it leaves (`balance_after`), so the movements
//! of a (warehouse, SKU) replay to its level. The demo generator posts through [`movement`];
//! receipts and allocations of the write side will too, inside the transaction of their
//! document.

use sea_orm::ActiveValue::Set;
use uuid::Uuid;

use crate::clock::Timestamp;
use crate::entities::enums::MovementType;
use crate::entities::inventory_movements;
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
