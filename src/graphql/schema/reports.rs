//! The sales and inventory summaries (the same domain reports as REST).

use async_graphql::{ComplexObject, Context, ID, Object, Result, SimpleObject};
use uuid::Uuid;

use super::viewer::Branch;
use super::{
    Date, ScopeGuard, caller, filter_id, gql, loaded, loaders, rename_fields, requires_scopes,
    scopes, state,
};
use super::{DateArg, db};
use crate::auth::scopes::Scope;
use crate::clock::Timestamp;
use crate::domain::money::Amount;
use crate::domain::reports;
use crate::entities::enums::SalesStatus;

/// What a report costs in the complexity budget: it aggregates up to 30 days of rows in the
/// database, far more work than its few output fields. With the default budget (20,000) an
/// operation holds at most three reports.
pub const REPORT_COST: usize = 5_000;

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// Sales summary with exact totals. Same rules as
    /// `GET /reports/sales-summary`.
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
        let (state, caller) = (state(ctx)?, caller(ctx)?);
        let branch_id = branch_id.as_ref().map(|id| filter_id(id, "Branch"));
        let params = reports::SalesSummaryParams {
            from: from.as_ref().map(DateArg::as_str),
            to: to.as_ref().map(DateArg::as_str),
            branch_id: branch_id.as_deref(),
        };
        let summary = reports::sales_summary(db(ctx)?, &caller.scope, state.clock.now(), &params)
            .await
            .map_err(|e| gql(rename_fields(e, &[("branch_id", "branchId")])))?;
        Ok(Some(SalesSummary(summary)))
    }

    /// Stock summary by warehouse. Same rules as
    /// `GET /reports/inventory-summary`.
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
        let caller = caller(ctx)?;
        let branch_id = branch_id.as_ref().map(|id| filter_id(id, "Branch"));
        let warehouse_id = warehouse_id.as_ref().map(|id| filter_id(id, "Warehouse"));
        let params = reports::InventorySummaryParams {
            branch_id: branch_id.as_deref(),
            warehouse_id: warehouse_id.as_deref(),
        };
        let summary = reports::inventory_summary(db(ctx)?, &caller.scope, &params)
            .await
            .map_err(|e| {
                gql(rename_fields(
                    e,
                    &[("branch_id", "branchId"), ("warehouse_id", "warehouseId")],
                ))
            })?;
        Ok(Some(InventorySummary(summary)))
    }
}

pub struct SalesSummary(reports::SalesSummary);

#[derive(SimpleObject)]
pub struct SalesTotals {
    pub order_count: i64,
    pub gross_sales: Amount,
    pub discount_amount: Amount,
    pub service_charge_amount: Amount,
    pub tax_amount: Amount,
    pub total_amount: Amount,
    pub refunded_amount: Amount,
    pub net_sales: Amount,
}

#[derive(SimpleObject)]
pub struct StatusTotal {
    pub status: SalesStatus,
    pub order_count: i64,
    pub total_amount: Amount,
}

#[derive(SimpleObject)]
pub struct DayTotal {
    pub date: Date,
    pub order_count: i64,
    pub net_sales: Amount,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct BranchTotal {
    pub branch_id: Uuid,
    pub order_count: i64,
    pub net_sales: Amount,
}

#[ComplexObject]
impl BranchTotal {
    async fn branch(&self, ctx: &Context<'_>) -> Result<Option<Branch>> {
        Ok(loaded(loaders(ctx)?.branches.try_load(self.branch_id).await)?.map(Branch))
    }
}

#[derive(SimpleObject)]
pub struct ProductTotal {
    pub product_sku_id: Uuid,
    pub sku_code: String,
    pub sku_name: String,
    pub quantity: Amount,
    pub net_sales: Amount,
}

/// Orders that count as sales: COMPLETED, PARTIAL_REFUNDED, REFUNDED, EXCHANGED.
#[Object]
impl SalesSummary {
    async fn from(&self) -> Timestamp {
        self.0.window.from
    }
    /// Exclusive end of the period.
    async fn to(&self) -> Timestamp {
        self.0.window.to
    }
    async fn branch_id(&self) -> Option<Uuid> {
        self.0.branch_id
    }
    async fn currency(&self) -> &str {
        "THB"
    }
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
    async fn by_status(&self) -> Vec<StatusTotal> {
        self.0
            .by_status
            .iter()
            .map(|s| StatusTotal {
                status: s.status,
                order_count: s.order_count,
                total_amount: s.total_amount,
            })
            .collect()
    }
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

/// A computed decimal of any precision, as the one `Decimal` scalar of the schema (the same
/// shortest plain string as every other amount).
pub struct ExactDecimal(pub rust_decimal::Decimal);

impl async_graphql::OutputType for ExactDecimal {
    fn type_name() -> std::borrow::Cow<'static, str> {
        <Amount as async_graphql::OutputType>::type_name()
    }

    fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
        <Amount as async_graphql::OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        _ctx: &async_graphql::ContextSelectionSet<'_>,
        _field: &async_graphql::Positioned<async_graphql::parser::types::Field>,
    ) -> async_graphql::ServerResult<async_graphql::Value> {
        Ok(async_graphql::Value::String(self.0.normalize().to_string()))
    }
}

#[derive(SimpleObject)]
pub struct StockTotals {
    pub sku_count: i64,
    pub on_hand: Amount,
    pub reserved: Amount,
    pub available: Amount,
    /// On hand × SKU cost, exact (it may carry more decimal places than a stored amount).
    pub stock_value: ExactDecimal,
    pub low_stock_count: i64,
    pub out_of_stock_count: i64,
}

impl From<&reports::StockTotals> for StockTotals {
    fn from(t: &reports::StockTotals) -> Self {
        Self {
            sku_count: t.sku_count,
            on_hand: t.on_hand,
            reserved: t.reserved,
            available: t.available,
            stock_value: ExactDecimal(t.stock_value),
            low_stock_count: t.low_stock_count,
            out_of_stock_count: t.out_of_stock_count,
        }
    }
}

#[derive(SimpleObject)]
pub struct WarehouseStock {
    pub warehouse_id: Uuid,
    pub warehouse_code: String,
    pub warehouse_name: String,
    pub branch_id: Uuid,
    pub totals: StockTotals,
}

pub struct InventorySummary(reports::InventorySummary);

#[Object]
impl InventorySummary {
    async fn branch_id(&self) -> Option<Uuid> {
        self.0.branch_id
    }
    async fn warehouse_id(&self) -> Option<Uuid> {
        self.0.warehouse_id
    }
    async fn totals(&self) -> StockTotals {
        (&self.0.totals).into()
    }
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
