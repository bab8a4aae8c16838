use sea_orm::entity::prelude::*;

use crate::clock::Timestamp;

/// The durable outbox of events waiting to be delivered.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub event_type: String,
    pub branch_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub created_at: Timestamp,
    pub dispatched_at: Option<Timestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
