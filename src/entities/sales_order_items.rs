use sea_orm::entity::prelude::*;

use crate::clock::Timestamp;
use crate::money::Amount;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sales_order_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub sales_order_id: Uuid,
    pub product_sku_id: Uuid,
    pub line_no: i32,
    pub sku_code: String,
    pub sku_name: String,
    pub product_name: String,
    pub quantity: Amount,
    pub unit_price: Amount,
    pub discount_amount: Amount,
    pub tax_amount: Amount,
    pub line_total: Amount,
    pub refunded_quantity: Amount,
    pub refunded_amount: Amount,
    pub is_fully_refunded: bool,
    pub created_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::sales_orders::Entity",
        from = "Column::SalesOrderId",
        to = "super::sales_orders::Column::Id"
    )]
    SalesOrder,
}

impl Related<super::sales_orders::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SalesOrder.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
