use sea_orm::entity::prelude::*;

use super::enums::{DocumentSource, OrderType, PaymentStatus, SalesStatus};
use crate::clock::Timestamp;
use crate::money::Amount;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub branch_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub order_number: String,
    pub order_date: Timestamp,
    pub status: SalesStatus,
    pub order_type: OrderType,
    pub subtotal: Amount,
    pub discount_amount: Amount,
    pub tax_amount: Amount,
    pub service_charge_amount: Amount,
    pub total_amount: Amount,
    pub paid_amount: Amount,
    pub refunded_amount: Amount,
    pub payment_status: PaymentStatus,
    pub source: DocumentSource,
    pub external_reference: Option<String>,
    /// The warehouse a pushed order is served from (and its stock allocated in).
    pub warehouse_id: Option<Uuid>,
    pub required_date: Option<Date>,
    pub priority: Option<i32>,
    /// Delivery details of a pushed order (personal data: the push API shows them, the
    /// partner doors do not).
    pub ship_to_name: Option<String>,
    pub ship_to_address: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::sales_order_items::Entity")]
    Items,
    #[sea_orm(
        belongs_to = "super::branches::Entity",
        from = "Column::BranchId",
        to = "super::branches::Column::Id"
    )]
    Branch,
}

impl Related<super::sales_order_items::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Items.def()
    }
}

impl Related<super::branches::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Branch.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
