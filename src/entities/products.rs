use sea_orm::entity::prelude::*;

use super::enums::ProductStatus;
use crate::clock::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub code: String,
    pub name: String,
    pub category: String,
    pub status: ProductStatus,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::product_skus::Entity")]
    Skus,
}

impl Related<super::product_skus::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Skus.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
