//! `GET /reports/sales-summary` and `GET /reports/inventory-summary`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::extract::{Authorized, QueryPairs, ReadReports};
use crate::clock::Timestamp;
use crate::domain::input::Field;
use crate::domain::reports::{
    self, InventorySummaryParams, SalesSummaryParams, SalesTotals, StockTotals,
};
use crate::entities::enums::SalesStatus;
use crate::error::AppResult;
use crate::money::Amount;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports/sales-summary", get(get_sales_summary))
        .route("/reports/inventory-summary", get(get_inventory_summary))
}

/// Totals of the sales orders in `[from, to)`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SalesSummaryResponse {
    pub from: Timestamp,
    /// Exclusive end of the period.
    pub to: Timestamp,
    #[schema(required = true)]
    pub branch_id: Option<Uuid>,
    pub currency: &'static str,
    /// Orders that count as sales: COMPLETED, PARTIAL_REFUNDED, REFUNDED, EXCHANGED.
    pub totals: SalesTotalsResponse,
    pub by_status: Vec<StatusTotalResponse>,
    pub by_day: Vec<DayTotalResponse>,
    pub by_branch: Vec<BranchTotalResponse>,
    pub top_products: Vec<ProductTotalResponse>,
}

/// Totals over orders: `net_sales = total_amount − refunded_amount`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SalesTotalsResponse {
    pub order_count: i64,
    pub gross_sales: Amount,
    pub discount_amount: Amount,
    pub service_charge_amount: Amount,
    pub tax_amount: Amount,
    pub total_amount: Amount,
    pub refunded_amount: Amount,
    pub net_sales: Amount,
}

impl From<SalesTotals> for SalesTotalsResponse {
    fn from(t: SalesTotals) -> Self {
        Self {
            order_count: t.order_count,
            gross_sales: t.gross_sales,
            discount_amount: t.discount_amount,
            service_charge_amount: t.service_charge_amount,
            tax_amount: t.tax_amount,
            total_amount: t.total_amount,
            refunded_amount: t.refunded_amount,
            net_sales: t.net_sales,
        }
    }
}

/// Orders and their total per status.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusTotalResponse {
    pub status: SalesStatus,
    pub order_count: i64,
    pub total_amount: Amount,
}

/// Orders and net sales per day (UTC).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DayTotalResponse {
    pub date: NaiveDate,
    pub order_count: i64,
    pub net_sales: Amount,
}

/// Orders and net sales per branch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BranchTotalResponse {
    pub branch_id: Uuid,
    pub order_count: i64,
    pub net_sales: Amount,
}

/// Quantity sold and net sales of one SKU.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductTotalResponse {
    pub product_sku_id: Uuid,
    pub sku_code: String,
    pub sku_name: String,
    pub quantity: Amount,
    pub net_sales: Amount,
}

/// Stock totals now, overall (the flattened `StockTotalsResponse` keys) and by warehouse.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InventorySummaryResponse {
    #[schema(required = true)]
    pub branch_id: Option<Uuid>,
    #[schema(required = true)]
    pub warehouse_id: Option<Uuid>,
    #[serde(flatten)]
    pub totals: StockTotalsResponse,
    pub by_warehouse: Vec<WarehouseStockResponse>,
}

/// Stock totals over a set of levels. A level is out of stock at zero or less, low at or below its reorder point (the two counts are disjoint).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StockTotalsResponse {
    pub sku_count: i64,
    pub total_on_hand: Amount,
    pub total_reserved: Amount,
    pub total_available: Amount,
    /// On hand × SKU cost, summed exactly and rounded once (half away from zero) to 4 decimal
    /// places.
    pub stock_value: Amount,
    pub low_stock_count: i64,
    pub out_of_stock_count: i64,
}

impl From<StockTotals> for StockTotalsResponse {
    fn from(t: StockTotals) -> Self {
        Self {
            sku_count: t.sku_count,
            total_on_hand: t.on_hand,
            total_reserved: t.reserved,
            total_available: t.available,
            stock_value: t.stock_value,
            low_stock_count: t.low_stock_count,
            out_of_stock_count: t.out_of_stock_count,
        }
    }
}

/// Stock totals of one warehouse.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WarehouseStockResponse {
    pub warehouse_id: Uuid,
    pub warehouse_code: String,
    pub warehouse_name: String,
    pub branch_id: Uuid,
    #[serde(flatten)]
    pub totals: StockTotalsResponse,
}

#[utoipa::path(
    get,
    path = "/api/partner/v1/reports/sales-summary",
    tag = "Reports",
    summary = "Sales summary",
    description = "Exact totals, by status, by day, by branch and top products. Scope `read:reports`.",
    params(
        ("from" = Option<String>, Query, format = Date, example = "2026-11-01", description = "First day, UTC (YYYY-MM-DD), filtering `order_date`; default 30 days before `to`"),
        ("to" = Option<String>, Query, format = Date, example = "2026-11-29", description = "Last day, inclusive (YYYY-MM-DD); default today; `from`..`to` spans at most 30 days"),
        ("branch_id" = Option<uuid::Uuid>, Query, description = "Only this branch; unknown or outside the token's branches: 404"),
    ),
    security(("oauth2" = ["read:reports"]), ("bearer" = ["read:reports"])),
    responses(
        (status = 200, description = "Totals of the orders in the window", body = SalesSummaryResponse),
        crate::rest::openapi::StandardErrors,
        crate::rest::openapi::NotFound
    )
)]
pub async fn get_sales_summary(
    State(state): State<AppState>,
    auth: Authorized<ReadReports>,
    query: QueryPairs,
) -> AppResult<Json<SalesSummaryResponse>> {
    let params = SalesSummaryParams {
        from: query.day(Field::From),
        to: query.day(Field::To),
        branch_id: query.uuid(Field::Branch),
    };
    let s = reports::sales_summary(&auth.ctx(&state), &params).await?;
    Ok(Json(SalesSummaryResponse {
        from: s.window.from,
        to: s.window.to,
        branch_id: s.branch_id,
        currency: reports::SALES_CURRENCY,
        totals: s.totals.into(),
        by_status: s
            .by_status
            .into_iter()
            .map(|t| StatusTotalResponse {
                status: t.status,
                order_count: t.order_count,
                total_amount: t.total_amount,
            })
            .collect(),
        by_day: s
            .by_day
            .into_iter()
            .map(|d| DayTotalResponse {
                date: d.date,
                order_count: d.order_count,
                net_sales: d.net_sales,
            })
            .collect(),
        by_branch: s
            .by_branch
            .into_iter()
            .map(|b| BranchTotalResponse {
                branch_id: b.branch_id,
                order_count: b.order_count,
                net_sales: b.net_sales,
            })
            .collect(),
        top_products: s
            .top_products
            .into_iter()
            .map(|p| ProductTotalResponse {
                product_sku_id: p.product_sku_id,
                sku_code: p.sku_code,
                sku_name: p.sku_name,
                quantity: p.quantity,
                net_sales: p.net_sales,
            })
            .collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/partner/v1/reports/inventory-summary",
    tag = "Reports",
    summary = "Inventory summary",
    description = "SKU count, on hand, reserved, stock value at cost, low and out of stock, by warehouse. Scope `read:reports`.",
    params(
        ("branch_id" = Option<uuid::Uuid>, Query, description = "Only this branch's warehouses; unknown or outside the token's branches: 404"),
        ("warehouse_id" = Option<uuid::Uuid>, Query, description = "Only this warehouse; unknown or outside the token's branches: 404"),
    ),
    security(("oauth2" = ["read:reports"]), ("bearer" = ["read:reports"])),
    responses(
        (status = 200, description = "Stock totals now, overall and by warehouse", body = InventorySummaryResponse),
        crate::rest::openapi::StandardErrors,
        crate::rest::openapi::NotFound
    )
)]
pub async fn get_inventory_summary(
    State(state): State<AppState>,
    auth: Authorized<ReadReports>,
    query: QueryPairs,
) -> AppResult<Json<InventorySummaryResponse>> {
    let params = InventorySummaryParams {
        branch_id: query.uuid(Field::Branch),
        warehouse_id: query.uuid(Field::Warehouse),
    };
    let s = reports::inventory_summary(&auth.ctx(&state), &params).await?;
    Ok(Json(InventorySummaryResponse {
        branch_id: s.branch_id,
        warehouse_id: s.warehouse_id,
        totals: s.totals.into(),
        by_warehouse: s
            .by_warehouse
            .into_iter()
            .map(|w| WarehouseStockResponse {
                warehouse_id: w.warehouse.id,
                warehouse_code: w.warehouse.code,
                warehouse_name: w.warehouse.name,
                branch_id: w.warehouse.branch_id,
                totals: w.totals.into(),
            })
            .collect(),
    }))
}
