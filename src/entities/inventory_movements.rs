use sea_orm::entity::prelude::*;

use super::enums::MovementType;
use crate::clock::Timestamp;
use crate::money::Amount;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory_movements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub warehouse_id: Uuid,
    pub product_sku_id: Uuid,
    pub movement_type: MovementType,
    /// Signed: negative when stock leaves the warehouse.
    pub quantity: Amount,
    pub balance_after: Amount,
    pub reference_type: Option<String>,
    pub reference_id: Option<Uuid>,
    pub reference: Option<String>,
    pub note: Option<String>,
    /// Where in the warehouse, when the movement names a location.
    pub location_id: Option<Uuid>,
    /// The lot, when the stock is tracked by lot.
    pub lot_no: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::warehouses::Entity",
        from = "Column::WarehouseId",
        to = "super::warehouses::Column::Id"
    )]
    Warehouse,
}

impl Related<super::warehouses::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Warehouse.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
