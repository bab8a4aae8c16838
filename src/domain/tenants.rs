//! Tenants (merchants) and their plans.

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};
use uuid::Uuid;

use crate::clock::Timestamp;
use crate::entities::enums::Plan;
use crate::entities::tenants;

impl Plan {
    /// FREE and BASIC plans have no partner API access (SPEC §3).
    pub fn has_api_access(self) -> bool {
        matches!(self, Plan::Pro | Plan::Enterprise)
    }
}

pub async fn create(
    db: &impl ConnectionTrait,
    now: Timestamp,
    id: Uuid,
    name: &str,
    plan: Plan,
) -> Result<tenants::Model, sea_orm::DbErr> {
    tenants::ActiveModel {
        id: Set(id),
        name: Set(name.trim().to_owned()),
        plan: Set(plan),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<tenants::Model>, sea_orm::DbErr> {
    tenants::Entity::find_by_id(id).one(db).await
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<tenants::Model>, sea_orm::DbErr> {
    tenants::Entity::find()
        .order_by_asc(tenants::Column::CreatedAt)
        .order_by_asc(tenants::Column::Id)
        .all(db)
        .await
}
