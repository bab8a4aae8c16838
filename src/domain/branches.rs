//! Branches (POS locations).

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::scope::TenantScope;
use crate::entities::branches;

/// The branches the caller may see, by code.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<branches::Model>, sea_orm::DbErr> {
    scope
        .select_in_branches::<branches::Entity>(&[])
        .order_by_asc(branches::Column::Code)
        .all(db)
        .await
}

/// One branch, if it exists in the caller's tenant and branch set.
pub async fn find(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<branches::Model>, sea_orm::DbErr> {
    scope
        .select_in_branches::<branches::Entity>(&[])
        .filter(branches::Column::Id.eq(id))
        .one(db)
        .await
}
