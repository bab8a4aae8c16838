use sea_orm::entity::prelude::*;

use crate::clock::Timestamp;
use crate::money::Amount;

/// Stock of one balance set aside for a sales order line; `released_at` once given back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_allocations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub sales_order_id: Uuid,
    pub sales_order_item_id: Uuid,
    pub stock_balance_id: Uuid,
    pub quantity: Amount,
    pub created_at: Timestamp,
    pub released_at: Option<Timestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
