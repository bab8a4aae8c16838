//! Sales orders.

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::context::Ctx;
use super::input::{Field, Input, Problems};
use super::pagination::{Fingerprint, Listing, Page, PageRequest, Position};
use crate::entities::enums::SalesStatus;
use crate::entities::{sales_order_items, sales_orders};
use crate::error::{AppError, AppResult};

pub const ORDER_NOT_FOUND: AppError = AppError::NotFound("Sales order not found");

/// Which orders to list.
#[derive(Debug, Default, Clone)]
pub struct SalesListParams<'a> {
    pub from: Input<NaiveDate>,
    pub to: Input<NaiveDate>,
    pub branch_ids: Vec<Input<Uuid>>,
    pub status: Input<SalesStatus>,
    pub page: PageRequest<'a>,
}

/// Validates the parameters (all problems at once) and builds the filtered query.
fn listing(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &SalesListParams<'_>,
) -> AppResult<Listing<sales_orders::Entity>> {
    let Ctx {
        cursors: codec,
        scope,
        now,
        ..
    } = *ctx;
    let mut problems = Problems::default();
    let branches = problems.take_ids(Field::Branches, params.branch_ids.clone());
    let status = problems.take(Field::Status, params.status.clone());
    let fingerprint = Fingerprint::new("sales", scope.tenant_id())
        .days(&params.from, &params.to)
        .ids("branch_id", &branches)
        .optional("status", status);
    // The 30-day lookback applies to the request that starts a walk; later pages keep the
    // window resolved then.
    let (plan, window) = params.page.plan_dated(
        codec,
        &fingerprint,
        (&params.from, &params.to),
        now,
        params.page.cursor.is_none(),
        &mut problems,
    );
    problems.check()?;
    let mut query = scope.select_in_branches::<sales_orders::Entity>(&branches);
    if let Some(status) = status {
        query = query.filter(sales_orders::Column::Status.eq(status));
    }
    Ok(Listing {
        query,
        fingerprint,
        plan,
        window,
        order: (sales_orders::Column::OrderDate, sales_orders::Column::Id),
        key: |order| Position {
            at: order.order_date.millis(),
            id: order.id,
        },
    })
}

/// Orders in the caller's tenant and branches, newest first (`order_date`, then id).
pub async fn list(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &SalesListParams<'_>,
) -> AppResult<Page<sales_orders::Model>> {
    Ok(listing(ctx, params)?.page(ctx).await?)
}

/// How many orders match the filters (the cursor's window applies, its position does not).
pub async fn count(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &SalesListParams<'_>,
) -> AppResult<u64> {
    Ok(listing(ctx, params)?.count(ctx).await?)
}

/// One order, if it is in the caller's tenant and branches; anything else is "not found".
pub async fn find(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    id: Uuid,
) -> Result<Option<sales_orders::Model>, sea_orm::DbErr> {
    let Ctx { db, scope, .. } = *ctx;
    scope
        .select_in_branches::<sales_orders::Entity>(&[])
        .filter(sales_orders::Column::Id.eq(id))
        .one(db)
        .await
}

/// All items of an order visible to the caller, in line order; `None` when the order is not.
pub async fn items(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    order_id: Uuid,
) -> Result<Option<Vec<sales_order_items::Model>>, sea_orm::DbErr> {
    let Ctx { db, scope, .. } = *ctx;
    if find(ctx, order_id).await?.is_none() {
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
