use sea_orm::entity::prelude::*;

use crate::clock::Timestamp;
use crate::money::Amount;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_levels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub warehouse_id: Uuid,
    pub product_sku_id: Uuid,
    pub on_hand: Amount,
    pub reserved: Amount,
    pub reorder_point: Amount,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::warehouses::Entity",
        from = "Column::WarehouseId",
        to = "super::warehouses::Column::Id"
    )]
    Warehouse,
    #[sea_orm(
        belongs_to = "super::product_skus::Entity",
        from = "Column::ProductSkuId",
        to = "super::product_skus::Column::Id"
    )]
    Sku,
}

impl Related<super::warehouses::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Warehouse.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
