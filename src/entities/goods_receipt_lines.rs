use sea_orm::entity::prelude::*;

use crate::clock::Timestamp;
use crate::money::Amount;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "goods_receipt_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub goods_receipt_id: Uuid,
    pub line_no: i32,
    pub asn_line_id: Option<Uuid>,
    pub product_sku_id: Uuid,
    pub uom_code: String,
    pub quantity: Amount,
    pub location_id: Option<Uuid>,
    /// Empty when the line names no lot.
    pub lot_no: String,
    pub expiry_date: Option<Date>,
    /// The receipt movement it posted.
    pub movement_id: Uuid,
    pub created_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
