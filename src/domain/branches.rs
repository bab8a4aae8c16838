//! Branches (POS locations).

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::context::Ctx;
use crate::entities::branches;

/// The branches the caller may see, by code.
pub async fn list(
    ctx: &Ctx<'_, impl ConnectionTrait>,
) -> Result<Vec<branches::Model>, sea_orm::DbErr> {
    let Ctx { db, scope, .. } = *ctx;
    scope
        .select_in_branches::<branches::Entity>(&[])
        .order_by_asc(branches::Column::Code)
        .all(db)
        .await
}

/// One branch, if it exists in the caller's tenant and branch set.
pub async fn find(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    id: Uuid,
) -> Result<Option<branches::Model>, sea_orm::DbErr> {
    let Ctx { db, scope, .. } = *ctx;
    scope
        .select_in_branches::<branches::Entity>(&[])
        .filter(branches::Column::Id.eq(id))
        .one(db)
        .await
}
