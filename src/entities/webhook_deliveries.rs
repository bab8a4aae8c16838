use sea_orm::entity::prelude::*;

use super::enums::DeliveryStatus;
use crate::clock::Timestamp;

/// One event for one subscription: the delivery worker's queue and the delivery's state.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub subscription_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub status: DeliveryStatus,
    /// Attempts started so far.
    pub attempts: i32,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<Timestamp>,
    /// A worker's claim: other workers leave the delivery alone until then.
    pub locked_until: Option<Timestamp>,
    pub last_response_status: Option<i32>,
    pub last_error: Option<String>,
    pub completed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
