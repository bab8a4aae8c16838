use sea_orm::entity::prelude::*;

use super::enums::PurchaseOrderStatus;
use crate::clock::Timestamp;
use crate::money::Amount;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub warehouse_id: Uuid,
    pub supplier_id: Uuid,
    pub po_number: String,
    pub status: PurchaseOrderStatus,
    pub order_date: Timestamp,
    pub expected_date: Option<Date>,
    pub received_at: Option<Timestamp>,
    pub subtotal: Amount,
    pub tax_amount: Amount,
    pub total_amount: Amount,
    pub currency: String,
    pub notes: Option<String>,
    pub external_reference: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::purchase_order_items::Entity")]
    Items,
    #[sea_orm(
        belongs_to = "super::suppliers::Entity",
        from = "Column::SupplierId",
        to = "super::suppliers::Column::Id"
    )]
    Supplier,
}

impl Related<super::purchase_order_items::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Items.def()
    }
}

impl Related<super::suppliers::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Supplier.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
