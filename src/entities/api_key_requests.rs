use sea_orm::entity::prelude::*;

use crate::clock::Timestamp;

/// One request that passed through the key guard, recorded after its response.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_key_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub api_key_id: Uuid,
    pub method: String,
    /// The route's path below the door (no query string).
    pub endpoint: String,
    pub ip: Option<String>,
    pub origin: Option<String>,
    pub status: i32,
    pub duration_ms: i64,
    pub request_id: String,
    pub created_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
