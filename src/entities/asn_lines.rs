use sea_orm::entity::prelude::*;

use crate::clock::Timestamp;
use crate::money::Amount;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "asn_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub asn_id: Uuid,
    pub line_no: i32,
    pub product_sku_id: Uuid,
    pub uom_code: String,
    pub expected_quantity: Amount,
    pub received_quantity: Amount,
    /// Empty when the line names no lot.
    pub lot_no: String,
    pub expiry_date: Option<Date>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
