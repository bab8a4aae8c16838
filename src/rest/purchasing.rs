//! `GET /purchase-orders`, `GET /purchase-orders/{id}/items`, `GET /suppliers`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::extract::{Authorized, PathUuid, QueryPairs, ReadPurchasing};
use super::{DataResponse, ListResponse};
use crate::clock::Timestamp;
use crate::domain::input::Field;
use crate::domain::purchasing::{self, PurchaseOrderListParams, SupplierListParams};
use crate::entities::enums::{PurchaseOrderStatus, RecordStatus};
use crate::entities::{purchase_order_items, purchase_orders, suppliers};
use crate::error::AppResult;
use crate::money::Amount;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/purchase-orders", get(list_purchase_orders))
        .route(
            "/purchase-orders/{id}/items",
            get(list_purchase_order_items),
        )
        .route("/suppliers", get(list_suppliers))
}

/// A purchase order: its lines' `line_total`s add up to `subtotal`, and
/// `total_amount = subtotal + tax_amount`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PurchaseOrderResponse {
    pub id: Uuid,
    pub po_number: String,
    pub branch_id: Uuid,
    pub warehouse_id: Uuid,
    pub supplier_id: Uuid,
    pub status: PurchaseOrderStatus,
    pub order_date: Timestamp,
    #[schema(required = true)]
    pub expected_date: Option<NaiveDate>,
    #[schema(required = true)]
    pub received_at: Option<Timestamp>,
    pub subtotal: Amount,
    pub tax_amount: Amount,
    pub total_amount: Amount,
    pub currency: String,
    #[schema(required = true)]
    pub notes: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<purchase_orders::Model> for PurchaseOrderResponse {
    fn from(p: purchase_orders::Model) -> Self {
        Self {
            id: p.id,
            po_number: p.po_number,
            branch_id: p.branch_id,
            warehouse_id: p.warehouse_id,
            supplier_id: p.supplier_id,
            status: p.status,
            order_date: p.order_date,
            expected_date: p.expected_date,
            received_at: p.received_at,
            subtotal: p.subtotal,
            tax_amount: p.tax_amount,
            total_amount: p.total_amount,
            currency: p.currency,
            notes: p.notes,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A line of a purchase order: `line_total` is quantity × `unit_cost`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PurchaseOrderItemResponse {
    pub id: Uuid,
    pub line_no: i32,
    pub product_sku_id: Uuid,
    pub quantity: Amount,
    pub received_quantity: Amount,
    pub unit_cost: Amount,
    pub line_total: Amount,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<purchase_order_items::Model> for PurchaseOrderItemResponse {
    fn from(i: purchase_order_items::Model) -> Self {
        Self {
            id: i.id,
            line_no: i.line_no,
            product_sku_id: i.product_sku_id,
            quantity: i.quantity,
            received_quantity: i.received_quantity,
            unit_cost: i.unit_cost,
            line_total: i.line_total,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// Supplier contact data is business data, not personal data.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SupplierResponse {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    #[schema(required = true)]
    pub contact_name: Option<String>,
    #[schema(required = true)]
    pub phone: Option<String>,
    #[schema(required = true)]
    pub email: Option<String>,
    #[schema(required = true)]
    pub address: Option<String>,
    #[schema(required = true)]
    pub tax_id: Option<String>,
    pub payment_terms_days: i32,
    pub status: RecordStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<suppliers::Model> for SupplierResponse {
    fn from(s: suppliers::Model) -> Self {
        Self {
            id: s.id,
            code: s.code,
            name: s.name,
            contact_name: s.contact_name,
            phone: s.phone,
            email: s.email,
            address: s.address,
            tax_id: s.tax_id,
            payment_terms_days: s.payment_terms_days,
            status: s.status,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/partner/v1/purchase-orders",
    tag = "Purchasing",
    summary = "List purchase orders",
    description = "Newest first. Scope `read:purchasing`. `from`/`to` filter `order_date`.",
    params(
        ("from" = Option<String>, Query, format = Date, example = "2026-11-01", description = "First day, UTC (YYYY-MM-DD), filtering `order_date`; default 30 days before `to`"),
        ("to" = Option<String>, Query, format = Date, example = "2026-11-29", description = "Last day, inclusive (YYYY-MM-DD); default today; `from`..`to` spans at most 30 days"),
        ("branch_id" = Option<Vec<uuid::Uuid>>, Query, explode = true, description = "Repeatable; intersected with the token's branches"),
        ("status" = Option<PurchaseOrderStatus>, Query, description = "Only orders in this status"),
        ("supplier_id" = Option<uuid::Uuid>, Query, description = "Only orders to this supplier"),
        crate::rest::openapi::PageParams,
    ),
    security(("oauth2" = ["read:purchasing"]), ("bearer" = ["read:purchasing"])),
    responses(
        (status = 200, description = "A page of purchase orders, newest first", body = ListResponse<PurchaseOrderResponse>),
        crate::rest::openapi::StandardErrors
    )
)]
pub async fn list_purchase_orders(
    State(state): State<AppState>,
    auth: Authorized<ReadPurchasing>,
    query: QueryPairs,
) -> AppResult<Json<ListResponse<PurchaseOrderResponse>>> {
    let params = PurchaseOrderListParams {
        from: query.day(Field::From),
        to: query.day(Field::To),
        branch_ids: query.uuids(Field::Branches),
        status: query.word(Field::Status),
        supplier_id: query.uuid(Field::Supplier),
        page: query.page(),
    };
    let page = purchasing::list_orders(&auth.ctx(&state), &params).await?;
    Ok(Json(ListResponse::from_page(
        page,
        PurchaseOrderResponse::from,
    )))
}

#[utoipa::path(
    get,
    path = "/api/partner/v1/purchase-orders/{id}/items",
    tag = "Purchasing",
    summary = "All lines of a purchase order",
    description = "Every line, unpaginated. Scope `read:purchasing`.",
    params(("id" = uuid::Uuid, Path, description = "Purchase order id. An id that is not a UUID is a 404, like an unknown one.")),
    security(("oauth2" = ["read:purchasing"]), ("bearer" = ["read:purchasing"])),
    responses(
        (status = 200, description = "The order's lines, by line number", body = DataResponse<PurchaseOrderItemResponse>),
        crate::rest::openapi::StandardErrors,
        crate::rest::openapi::NotFound
    )
)]
pub async fn list_purchase_order_items(
    State(state): State<AppState>,
    auth: Authorized<ReadPurchasing>,
    PathUuid(id): PathUuid,
) -> AppResult<Json<DataResponse<PurchaseOrderItemResponse>>> {
    let id = id.ok_or(purchasing::ORDER_NOT_FOUND)?;
    let items = purchasing::order_items(&auth.ctx(&state), id)
        .await?
        .ok_or(purchasing::ORDER_NOT_FOUND)?;
    Ok(Json(DataResponse {
        data: items.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/partner/v1/suppliers",
    tag = "Purchasing",
    summary = "List suppliers",
    description = "Newest first. Scope `read:purchasing`.",
    params(
        crate::rest::openapi::PageParams,
    ),
    security(("oauth2" = ["read:purchasing"]), ("bearer" = ["read:purchasing"])),
    responses(
        (status = 200, description = "A page of suppliers, newest first", body = ListResponse<SupplierResponse>),
        crate::rest::openapi::StandardErrors
    )
)]
pub async fn list_suppliers(
    State(state): State<AppState>,
    auth: Authorized<ReadPurchasing>,
    query: QueryPairs,
) -> AppResult<Json<ListResponse<SupplierResponse>>> {
    let params = SupplierListParams { page: query.page() };
    let page = purchasing::list_suppliers(&auth.ctx(&state), &params).await?;
    Ok(Json(ListResponse::from_page(page, SupplierResponse::from)))
}
