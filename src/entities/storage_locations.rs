use sea_orm::entity::prelude::*;

use crate::clock::Timestamp;

/// A place in a warehouse where stock lies, by code (`A-01-01-01`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "storage_locations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub warehouse_id: Uuid,
    pub code: String,
    pub zone: Option<String>,
    /// What the location is for, e.g. `storage`, `receiving`, `staging`.
    pub location_type: String,
    /// Whether pickers take from it directly.
    pub pick_face: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
