//! The sales and inventory summaries (the same domain reports as REST).

use async_graphql::{ComplexObject, Context, ID, Object, Result, SimpleObject};
use uuid::Uuid;

use super::DateArg;
use super::enums::SalesStatus;
use super::viewer::Branch;
use super::{Date, ScopeGuard, domain_ctx, gql, loaded, loaders, requires_scopes, scopes};
use super::{day, optional_id};
use crate::clock::Timestamp;
use crate::domain::reports;
use crate::domain::scopes::Scope;
use crate::money::Amount;

/// What a report costs in the complexity budget: it aggregates up to 30 days of rows in the
/// database, far more work than its few output fields. With the default budget (20,000) an
/// operation holds at most three reports.
pub const REPORT_COST: usize = 5_000;

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// Sales totals of a period, as `GET /reports/sales-summary`. Requires `read:reports`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadReports)",
        directive = requires_scopes::apply(scopes(Scope::ReadReports)),
        complexity = "REPORT_COST.saturating_add(child_complexity)"
    )]
    async fn sales_summary(
        &self,
        ctx: &Context<'_>,
        from: Option<DateArg>,
        to: Option<DateArg>,
        branch_id: Option<ID>,
    ) -> Result<Option<SalesSummary>> {
        let params = reports::SalesSummaryParams {
            from: day(from),
            to: day(to),
            branch_id: optional_id(&branch_id, "Branch"),
        };
        let summary = reports::sales_summary(&domain_ctx(ctx)?, &params)
            .await
            .map_err(gql)?;
        Ok(Some(SalesSummary(summary)))
    }

    /// Stock totals by warehouse, as `GET /reports/inventory-summary`. Requires `read:reports`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadReports)",
        directive = requires_scopes::apply(scopes(Scope::ReadReports)),
        complexity = "REPORT_COST.saturating_add(child_complexity)"
    )]
    async fn inventory_summary(
        &self,
        ctx: &Context<'_>,
        branch_id: Option<ID>,
        warehouse_id: Option<ID>,
    ) -> Result<Option<InventorySummary>> {
        let params = reports::InventorySummaryParams {
            branch_id: optional_id(&branch_id, "Branch"),
            warehouse_id: optional_id(&warehouse_id, "Warehouse"),
        };
        let summary = reports::inventory_summary(&domain_ctx(ctx)?, &params)
            .await
            .map_err(gql)?;
        Ok(Some(InventorySummary(summary)))
    }
}

pub struct SalesSummary(reports::SalesSummary);

/// Totals over the orders of the period that count as sales.
#[derive(SimpleObject)]
pub struct SalesTotals {
    /// Number of orders that count as sales.
    pub order_count: i64,
    /// Sum of the orders' subtotals (before discounts).
    pub gross_sales: Amount,
    /// Sum of the orders' discounts.
    pub discount_amount: Amount,
    /// Sum of the orders' service charges.
    pub service_charge_amount: Amount,
    /// Sum of the orders' tax.
    pub tax_amount: Amount,
    /// Sum of the orders' totals.
    pub total_amount: Amount,
    /// Sum of the orders' refunds.
    pub refunded_amount: Amount,
    /// Total amount less refunds.
    pub net_sales: Amount,
}

/// The orders of the period in one status, whether or not they count as sales.
#[derive(SimpleObject)]
pub struct StatusTotal {
    /// The order status.
    pub status: SalesStatus,
    /// Number of orders in this status.
    pub order_count: i64,
    /// Sum of their totals.
    pub total_amount: Amount,
}

/// Sales of one UTC day of the period.
#[derive(SimpleObject)]
pub struct DayTotal {
    /// The day (UTC).
    pub date: Date,
    /// Number of orders that count as sales that day.
    pub order_count: i64,
    /// Their total amount less refunds.
    pub net_sales: Amount,
}

/// Sales of one branch in the period.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct BranchTotal {
    /// The REST id of the branch.
    pub branch_id: Uuid,
    /// Number of orders that count as sales.
    pub order_count: i64,
    /// Their total amount less refunds.
    pub net_sales: Amount,
}

#[ComplexObject]
impl BranchTotal {
    /// The branch of `branchId`.
    async fn branch(&self, ctx: &Context<'_>) -> Result<Option<Branch>> {
        Ok(loaded(loaders(ctx)?.branches.try_load(self.branch_id).await)?.map(Branch))
    }
}

/// Sales of one SKU in the period.
#[derive(SimpleObject)]
pub struct ProductTotal {
    /// The REST id of the SKU.
    pub product_sku_id: Uuid,
    /// The SKU code as sold.
    pub sku_code: String,
    /// The SKU name as sold.
    pub sku_name: String,
    /// Quantity sold less quantity refunded.
    pub quantity: Amount,
    /// Line totals less refunds.
    pub net_sales: Amount,
}

/// Sales of a period; orders that count as sales: COMPLETED, PARTIAL_REFUNDED, REFUNDED, EXCHANGED.
#[Object]
impl SalesSummary {
    /// Start of the period (inclusive).
    async fn from(&self) -> Timestamp {
        self.0.window.from
    }
    /// Exclusive end of the period.
    async fn to(&self) -> Timestamp {
        self.0.window.to
    }
    /// The REST id of the branch asked for; null when none was (all the token's branches).
    async fn branch_id(&self) -> Option<Uuid> {
        self.0.branch_id
    }
    /// The currency code of the amounts (always `THB`).
    async fn currency(&self) -> &str {
        crate::domain::reports::SALES_CURRENCY
    }
    /// Totals over the orders that count as sales.
    async fn totals(&self) -> SalesTotals {
        let t = &self.0.totals;
        SalesTotals {
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
    /// Every status with orders in the period, by status name.
    async fn by_status(&self) -> Vec<StatusTotal> {
        self.0
            .by_status
            .iter()
            .map(|s| StatusTotal {
                status: s.status.into(),
                order_count: s.order_count,
                total_amount: s.total_amount,
            })
            .collect()
    }
    /// Sales per UTC day, oldest first (days without sales are left out).
    async fn by_day(&self) -> Vec<DayTotal> {
        self.0
            .by_day
            .iter()
            .map(|d| DayTotal {
                date: Date(d.date),
                order_count: d.order_count,
                net_sales: d.net_sales,
            })
            .collect()
    }
    /// Sales per branch, highest net sales first.
    async fn by_branch(&self) -> Vec<BranchTotal> {
        self.0
            .by_branch
            .iter()
            .map(|b| BranchTotal {
                branch_id: b.branch_id,
                order_count: b.order_count,
                net_sales: b.net_sales,
            })
            .collect()
    }
    /// The 10 SKUs with the highest net sales, highest first.
    async fn top_products(&self) -> Vec<ProductTotal> {
        self.0
            .top_products
            .iter()
            .map(|p| ProductTotal {
                product_sku_id: p.product_sku_id,
                sku_code: p.sku_code.clone(),
                sku_name: p.sku_name.clone(),
                quantity: p.quantity,
                net_sales: p.net_sales,
            })
            .collect()
    }
}

/// Stock totals over a set of stock levels (one per SKU and warehouse).
#[derive(SimpleObject)]
pub struct StockTotals {
    /// Number of stock levels counted (one per SKU and warehouse).
    pub sku_count: i64,
    /// Sum of the on-hand quantities.
    pub on_hand: Amount,
    /// Sum of the reserved quantities.
    pub reserved: Amount,
    /// Sum of the available quantities (on hand less reserved).
    pub available: Amount,
    /// On hand × SKU cost, summed exactly and rounded once (half away from zero) to 4 decimal
    /// places.
    pub stock_value: Amount,
    /// Levels at or below their reorder point but not out of stock.
    pub low_stock_count: i64,
    /// Levels with nothing (or less) on hand.
    pub out_of_stock_count: i64,
}

impl From<&reports::StockTotals> for StockTotals {
    fn from(t: &reports::StockTotals) -> Self {
        Self {
            sku_count: t.sku_count,
            on_hand: t.on_hand,
            reserved: t.reserved,
            available: t.available,
            stock_value: t.stock_value,
            low_stock_count: t.low_stock_count,
            out_of_stock_count: t.out_of_stock_count,
        }
    }
}

/// The stock of one warehouse.
#[derive(SimpleObject)]
pub struct WarehouseStock {
    /// The REST id of the warehouse.
    pub warehouse_id: Uuid,
    /// The warehouse code.
    pub warehouse_code: String,
    /// The warehouse name.
    pub warehouse_name: String,
    /// The REST id of the warehouse's branch.
    pub branch_id: Uuid,
    /// The warehouse's stock totals.
    pub totals: StockTotals,
}

pub struct InventorySummary(reports::InventorySummary);

/// Current stock of the token's warehouses (or of the branch or warehouse asked for).
#[Object]
impl InventorySummary {
    /// The REST id of the branch asked for; null when none was (all the token's branches).
    async fn branch_id(&self) -> Option<Uuid> {
        self.0.branch_id
    }
    /// The REST id of the warehouse asked for; null when none was.
    async fn warehouse_id(&self) -> Option<Uuid> {
        self.0.warehouse_id
    }
    /// Totals over every warehouse included.
    async fn totals(&self) -> StockTotals {
        (&self.0.totals).into()
    }
    /// Every warehouse included, by warehouse code, with its totals (zero when it has no stock).
    async fn by_warehouse(&self) -> Vec<WarehouseStock> {
        self.0
            .by_warehouse
            .iter()
            .map(|w| WarehouseStock {
                warehouse_id: w.warehouse.id,
                warehouse_code: w.warehouse.code.clone(),
                warehouse_name: w.warehouse.name.clone(),
                branch_id: w.warehouse.branch_id,
                totals: (&w.totals).into(),
            })
            .collect()
    }
}
