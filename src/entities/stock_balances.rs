use sea_orm::entity::prelude::*;

use crate::clock::Timestamp;
use crate::money::Amount;

/// Stock of a SKU at one place of a warehouse (a location, or none) and of one lot (or none:
/// `lot_no` is empty). The warehouse's [`inventory_levels`](super::inventory_levels) row holds
/// the sums: `on_hand` and `reserved` = the balances' `on_hand` and `allocated`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_balances")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub warehouse_id: Uuid,
    pub product_sku_id: Uuid,
    pub location_id: Option<Uuid>,
    pub lot_no: String,
    pub expiry_date: Option<Date>,
    pub on_hand: Amount,
    pub allocated: Amount,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
