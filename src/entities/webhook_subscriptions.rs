use sea_orm::entity::prelude::*;

use super::enums::WebhookStatus;
use crate::clock::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The owning application (partner events); none: the tenant's own subscription,
    /// registered by an operator (WMS events).
    pub api_application_id: Option<Uuid>,
    pub url: String,
    /// JSON array of event names.
    pub events: String,
    pub description: Option<String>,
    pub secret: String,
    pub status: WebhookStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
