//! `GET /sales` and `GET /sales/{id}/items` (seeds 002 and 004).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use uuid::Uuid;

use super::extract::{Authorized, PathUuid, QueryPairs, ReadSales};
use super::{DataResponse, ListResponse};
use crate::clock::Timestamp;
use crate::domain::input::Field;
use crate::domain::sales::{self, SalesListParams};
use crate::entities::enums::{OrderType, PaymentStatus, SalesStatus};
use crate::entities::{sales_order_items, sales_orders};
use crate::error::AppResult;
use crate::money::Amount;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sales", get(list_sales))
        .route("/sales/{id}/items", get(list_sales_items))
}

/// A sales order. Its items' `line_total`s add up to `subtotal − discount_amount`;
/// `total_amount = subtotal − discount_amount + service_charge_amount`; `tax_amount` is the VAT
/// included in `total_amount`, not added to it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SalesOrderResponse {
    pub id: Uuid,
    pub order_number: String,
    pub branch_id: Uuid,
    /// Null for a walk-in sale without a member.
    #[schema(required = true)]
    pub customer_id: Option<Uuid>,
    pub order_date: Timestamp,
    pub status: SalesStatus,
    pub order_type: OrderType,
    pub subtotal: Amount,
    pub discount_amount: Amount,
    pub tax_amount: Amount,
    pub service_charge_amount: Amount,
    pub total_amount: Amount,
    pub paid_amount: Amount,
    pub refunded_amount: Amount,
    pub payment_status: PaymentStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<sales_orders::Model> for SalesOrderResponse {
    fn from(o: sales_orders::Model) -> Self {
        Self {
            id: o.id,
            order_number: o.order_number,
            branch_id: o.branch_id,
            customer_id: o.customer_id,
            order_date: o.order_date,
            status: o.status,
            order_type: o.order_type,
            subtotal: o.subtotal,
            discount_amount: o.discount_amount,
            tax_amount: o.tax_amount,
            service_charge_amount: o.service_charge_amount,
            total_amount: o.total_amount,
            paid_amount: o.paid_amount,
            refunded_amount: o.refunded_amount,
            payment_status: o.payment_status,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// A line of a sales order: `line_total` is quantity × `unit_price` less `discount_amount`;
/// `tax_amount` is the VAT included in it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SalesOrderItemResponse {
    pub id: Uuid,
    pub product_sku_id: Uuid,
    pub sku_code: String,
    pub sku_name: String,
    pub product_name: String,
    pub quantity: Amount,
    pub unit_price: Amount,
    pub discount_amount: Amount,
    pub tax_amount: Amount,
    pub line_total: Amount,
    pub refunded_quantity: Amount,
    pub refunded_amount: Amount,
    pub is_fully_refunded: bool,
    pub created_at: Timestamp,
}

impl From<sales_order_items::Model> for SalesOrderItemResponse {
    fn from(i: sales_order_items::Model) -> Self {
        Self {
            id: i.id,
            product_sku_id: i.product_sku_id,
            sku_code: i.sku_code,
            sku_name: i.sku_name,
            product_name: i.product_name,
            quantity: i.quantity,
            unit_price: i.unit_price,
            discount_amount: i.discount_amount,
            tax_amount: i.tax_amount,
            line_total: i.line_total,
            refunded_quantity: i.refunded_quantity,
            refunded_amount: i.refunded_amount,
            is_fully_refunded: i.is_fully_refunded,
            created_at: i.created_at,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/partner/v1/sales",
    tag = "Sales",
    summary = "List sales orders",
    description = "Orders in the caller's branches, newest first. Scope `read:sales`. `from`/`to` \
                   filter `order_date` (YYYY-MM-DD, UTC, `to` inclusive; default the last 30 \
                   days; at most 30 days; `from` at most 30 days before today).",
    params(
        ("from" = Option<String>, Query, format = Date, example = "2026-11-01", description = "First day, UTC (YYYY-MM-DD); not earlier than 30 days before today"),
        ("to" = Option<String>, Query, format = Date, example = "2026-11-29", description = "Last day, inclusive (YYYY-MM-DD); default today; not earlier than 30 days before today"),
        ("branch_id" = Option<Vec<uuid::Uuid>>, Query, explode = true, description = "Repeatable; intersected with the token's branches"),
        ("status" = Option<SalesStatus>, Query, description = "Only orders in this status"),
        crate::rest::openapi::PageParams,
    ),
    security(("oauth2" = ["read:sales"]), ("bearer" = ["read:sales"])),
    responses(
        (status = 200, description = "A page of orders, newest first", body = ListResponse<SalesOrderResponse>),
        crate::rest::openapi::StandardErrors
    )
)]
pub async fn list_sales(
    State(state): State<AppState>,
    auth: Authorized<ReadSales>,
    query: QueryPairs,
) -> AppResult<Json<ListResponse<SalesOrderResponse>>> {
    let params = SalesListParams {
        from: query.day(Field::From),
        to: query.day(Field::To),
        branch_ids: query.uuids(Field::Branches),
        status: query.word(Field::Status),
        page: query.page(),
    };
    let page = sales::list(&auth.ctx(&state), &params).await?;
    Ok(Json(ListResponse::from_page(
        page,
        SalesOrderResponse::from,
    )))
}

#[utoipa::path(
    get,
    path = "/api/partner/v1/sales/{id}/items",
    tag = "Sales",
    summary = "All items of a sales order",
    description = "Every item, unpaginated. Scope `read:sales`.",
    params(("id" = uuid::Uuid, Path, description = "Sales order id. An id that is not a UUID is a 404, like an unknown one.")),
    security(("oauth2" = ["read:sales"]), ("bearer" = ["read:sales"])),
    responses(
        (status = 200, description = "The order's items, by line number", body = DataResponse<SalesOrderItemResponse>),
        crate::rest::openapi::StandardErrors,
        crate::rest::openapi::NotFound
    )
)]
pub async fn list_sales_items(
    State(state): State<AppState>,
    auth: Authorized<ReadSales>,
    PathUuid(id): PathUuid,
) -> AppResult<Json<DataResponse<SalesOrderItemResponse>>> {
    let id = id.ok_or(sales::ORDER_NOT_FOUND)?;
    let items = sales::items(&auth.ctx(&state), id)
        .await?
        .ok_or(sales::ORDER_NOT_FOUND)?;
    Ok(Json(DataResponse {
        data: items.into_iter().map(Into::into).collect(),
    }))
}
