use sea_orm::entity::prelude::*;

use crate::clock::Timestamp;

/// One attempt at a delivery, as it went.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub delivery_id: Uuid,
    /// 1 for the first.
    pub attempt: i32,
    pub started_at: Timestamp,
    pub duration_ms: i32,
    /// `SUCCEEDED` or `FAILED`.
    pub outcome: String,
    pub response_status: Option<i32>,
    /// The start of the receiver's answer.
    pub response_body: Option<String>,
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
