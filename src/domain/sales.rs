//! Sales orders.

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::scope::TenantScope;
use crate::entities::{sales_order_items, sales_orders};

/// One order, if it is in the caller's tenant and branches; anything else is "not found".
pub async fn find(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<sales_orders::Model>, sea_orm::DbErr> {
    scope
        .select_in_branches::<sales_orders::Entity>(&[])
        .filter(sales_orders::Column::Id.eq(id))
        .one(db)
        .await
}

/// All items of an order visible to the caller, in line order; `None` when the order is not.
pub async fn items(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    order_id: Uuid,
) -> Result<Option<Vec<sales_order_items::Model>>, sea_orm::DbErr> {
    if find(db, scope, order_id).await?.is_none() {
        return Ok(None);
    }
    let items = scope
        .select::<sales_order_items::Entity>()
        .filter(sales_order_items::Column::SalesOrderId.eq(order_id))
        .order_by_asc(sales_order_items::Column::LineNo)
        .all(db)
        .await?;
    Ok(Some(items))
}
