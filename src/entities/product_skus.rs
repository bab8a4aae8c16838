use sea_orm::entity::prelude::*;

use super::enums::{RecordStatus, Tracking};
use crate::clock::Timestamp;
use crate::money::Amount;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_skus")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub product_id: Uuid,
    pub sku_code: String,
    pub name: String,
    pub barcode: Option<String>,
    pub unit: String,
    pub price: Amount,
    pub cost: Amount,
    pub status: RecordStatus,
    /// How the SKU's stock is told apart: not at all, by lot, by serial number.
    pub tracking: Tracking,
    pub shelf_life_days: Option<i32>,
    pub weight_kg: Option<Amount>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::products::Entity",
        from = "Column::ProductId",
        to = "super::products::Column::Id"
    )]
    Product,
}

impl Related<super::products::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Product.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
