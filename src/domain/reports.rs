//! Reports: sales and inventory summaries with exact totals. Sales sums run in the database
//! (exact scaled integers); stock value (quantity × cost) is computed with `Decimal`.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect, QueryTrait};
use uuid::Uuid;

use super::context::Ctx;
use super::dates::{DateWindow, resolve_window};
use super::input::{Field, Input, Problems};
use super::inventory::{StockRules, WAREHOUSE_NOT_FOUND, visible_warehouses};
use crate::clock::Timestamp;
use crate::entities::enums::SalesStatus;
use crate::entities::{
    inventory_levels, product_skus, sales_order_items, sales_orders, warehouses,
};
use crate::error::{AppError, AppResult};
use crate::money::Amount;

/// The currency of every amount a sales summary adds up (the back office trades in baht).
pub const SALES_CURRENCY: &str = "THB";

pub const BRANCH_NOT_FOUND: AppError = AppError::NotFound("Branch not found");
const DAY_MS: i64 = 86_400_000;
const TOP_PRODUCTS: usize = 10;

/// Statuses whose orders count as sales in totals (the rest appear only in `by_status`).
pub const SALE_STATUSES: [SalesStatus; 4] = [
    SalesStatus::Completed,
    SalesStatus::PartialRefunded,
    SalesStatus::Refunded,
    SalesStatus::Exchanged,
];

#[derive(Debug, Default, Clone)]
pub struct SalesSummaryParams {
    pub from: Input<NaiveDate>,
    pub to: Input<NaiveDate>,
    pub branch_id: Input<Uuid>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusTotal {
    pub status: SalesStatus,
    pub order_count: i64,
    pub total_amount: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayTotal {
    pub date: NaiveDate,
    pub order_count: i64,
    pub net_sales: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchTotal {
    pub branch_id: Uuid,
    pub order_count: i64,
    pub net_sales: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductTotal {
    pub product_sku_id: Uuid,
    pub sku_code: String,
    pub sku_name: String,
    pub quantity: Amount,
    pub net_sales: Amount,
}

#[derive(Debug, Clone)]
pub struct SalesSummary {
    pub window: DateWindow,
    pub branch_id: Option<Uuid>,
    pub totals: SalesTotals,
    pub by_status: Vec<StatusTotal>,
    pub by_day: Vec<DayTotal>,
    pub by_branch: Vec<BranchTotal>,
    pub top_products: Vec<ProductTotal>,
}

/// `SUM(column)` as an exact scaled integer on both backends (PostgreSQL widens `SUM(bigint)`
/// to `numeric`; the cast brings it back). `NULL` when no rows match.
pub fn sum_expr(column: impl sea_orm::sea_query::IntoColumnRef) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Alias, Expr, Func};
    Func::cast_as(Func::sum(Expr::col(column)), Alias::new("BIGINT")).into()
}

fn amount(raw: Option<i64>) -> Amount {
    Amount::from_scaled(raw.unwrap_or_default())
}

pub async fn sales_summary(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &SalesSummaryParams,
) -> AppResult<SalesSummary> {
    let Ctx { db, scope, now, .. } = *ctx;
    let mut problems = Problems::default();
    let branch = problems.take(Field::Branch, params.branch_id.clone());
    let window = resolve_window(&params.from, &params.to, now, false, &mut problems);
    let Some(window) = window.filter(|_| problems.is_empty()) else {
        return Err(AppError::Invalid(problems.into_vec()));
    };
    if let Some(id) = branch
        && super::branches::find(ctx, id).await?.is_none()
    {
        return Err(BRANCH_NOT_FOUND);
    }
    let requested: Vec<Uuid> = branch.into_iter().collect();
    let in_window = scope
        .select_in_branches::<sales_orders::Entity>(&requested)
        .filter(sales_orders::Column::OrderDate.gte(window.from))
        .filter(sales_orders::Column::OrderDate.lt(window.to));
    let sales = in_window
        .clone()
        .filter(sales_orders::Column::Status.is_in(SALE_STATUSES));
    let count = || Func::count(Expr::col(sales_orders::Column::Id));

    type TotalsRow = (
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    let (order_count, gross, discount, service, tax, total, refunded): TotalsRow = sales
        .clone()
        .select_only()
        .expr(count())
        .expr(sum_expr(sales_orders::Column::Subtotal))
        .expr(sum_expr(sales_orders::Column::DiscountAmount))
        .expr(sum_expr(sales_orders::Column::ServiceChargeAmount))
        .expr(sum_expr(sales_orders::Column::TaxAmount))
        .expr(sum_expr(sales_orders::Column::TotalAmount))
        .expr(sum_expr(sales_orders::Column::RefundedAmount))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or_default();
    let totals = SalesTotals {
        order_count,
        gross_sales: amount(gross),
        discount_amount: amount(discount),
        service_charge_amount: amount(service),
        tax_amount: amount(tax),
        total_amount: amount(total),
        refunded_amount: amount(refunded),
        net_sales: amount(total) - amount(refunded),
    };

    let mut by_status: Vec<StatusTotal> = in_window
        .clone()
        .select_only()
        .column(sales_orders::Column::Status)
        .expr(count())
        .expr(sum_expr(sales_orders::Column::TotalAmount))
        .group_by(sales_orders::Column::Status)
        .into_tuple::<(SalesStatus, i64, Option<i64>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(status, order_count, total)| StatusTotal {
            status,
            order_count,
            total_amount: amount(total),
        })
        .collect();
    by_status.sort_by_key(|s| s.status.as_str());

    // A literal, not a bound parameter: PostgreSQL only matches the SELECT expression to the
    // GROUP BY expression when both are the same text.
    let day = Expr::cust(format!("order_date / {DAY_MS}"));
    let by_day = sales
        .clone()
        .select_only()
        .expr(day.clone())
        .expr(count())
        .expr(sum_expr(sales_orders::Column::TotalAmount))
        .expr(sum_expr(sales_orders::Column::RefundedAmount))
        .group_by(day)
        .into_tuple::<(i64, i64, Option<i64>, Option<i64>)>()
        .all(db)
        .await?;
    let mut by_day: Vec<DayTotal> = by_day
        .into_iter()
        .filter_map(|(day, order_count, total, refunded)| {
            Some(DayTotal {
                date: Timestamp::from_millis(day * DAY_MS)?.date(),
                order_count,
                net_sales: amount(total) - amount(refunded),
            })
        })
        .collect();
    by_day.sort_by_key(|d| d.date);

    let mut by_branch: Vec<BranchTotal> = sales
        .clone()
        .select_only()
        .column(sales_orders::Column::BranchId)
        .expr(count())
        .expr(sum_expr(sales_orders::Column::TotalAmount))
        .expr(sum_expr(sales_orders::Column::RefundedAmount))
        .group_by(sales_orders::Column::BranchId)
        .into_tuple::<(Uuid, i64, Option<i64>, Option<i64>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(branch_id, order_count, total, refunded)| BranchTotal {
            branch_id,
            order_count,
            net_sales: amount(total) - amount(refunded),
        })
        .collect();
    by_branch.sort_by_key(|b| std::cmp::Reverse((b.net_sales, b.branch_id)));

    let order_ids = sales
        .select_only()
        .column(sales_orders::Column::Id)
        .into_query();
    let mut top_products: Vec<ProductTotal> = scope
        .select::<sales_order_items::Entity>()
        .filter(sales_order_items::Column::SalesOrderId.in_subquery(order_ids))
        .select_only()
        .column(sales_order_items::Column::ProductSkuId)
        .expr(Func::max(Expr::col(sales_order_items::Column::SkuCode)))
        .expr(Func::max(Expr::col(sales_order_items::Column::SkuName)))
        .expr(sum_expr(sales_order_items::Column::Quantity))
        .expr(sum_expr(sales_order_items::Column::RefundedQuantity))
        .expr(sum_expr(sales_order_items::Column::LineTotal))
        .expr(sum_expr(sales_order_items::Column::RefundedAmount))
        .group_by(sales_order_items::Column::ProductSkuId)
        .into_tuple::<(
            Uuid,
            String,
            String,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        )>()
        .all(db)
        .await?
        .into_iter()
        .map(
            |(product_sku_id, sku_code, sku_name, qty, refunded_qty, line, refunded)| {
                ProductTotal {
                    product_sku_id,
                    sku_code,
                    sku_name,
                    quantity: amount(qty) - amount(refunded_qty),
                    net_sales: amount(line) - amount(refunded),
                }
            },
        )
        .collect();
    top_products.sort_by(|a, b| {
        b.net_sales
            .cmp(&a.net_sales)
            .then(a.sku_code.cmp(&b.sku_code))
    });
    top_products.truncate(TOP_PRODUCTS);

    Ok(SalesSummary {
        window,
        branch_id: branch,
        totals,
        by_status,
        by_day,
        by_branch,
        top_products,
    })
}

#[derive(Debug, Default, Clone)]
pub struct InventorySummaryParams {
    pub branch_id: Input<Uuid>,
    pub warehouse_id: Input<Uuid>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockTotals {
    pub sku_count: i64,
    pub on_hand: Amount,
    pub reserved: Amount,
    pub available: Amount,
    /// On hand × SKU cost, summed exactly and rounded once (half away from zero) to the four
    /// decimal places of every amount.
    pub stock_value: Amount,
    pub low_stock_count: i64,
    pub out_of_stock_count: i64,
}

#[derive(Debug, Clone)]
pub struct WarehouseStock {
    pub warehouse: warehouses::Model,
    pub totals: StockTotals,
}

#[derive(Debug, Clone)]
pub struct InventorySummary {
    pub branch_id: Option<Uuid>,
    pub warehouse_id: Option<Uuid>,
    pub totals: StockTotals,
    pub by_warehouse: Vec<WarehouseStock>,
}

/// [`StockTotals`] being summed: the value at cost stays exact until [`StockSum::finish`].
#[derive(Debug, Default)]
struct StockSum {
    totals: StockTotals,
    value_at_cost: Decimal,
}

impl StockSum {
    fn add(&mut self, level: &inventory_levels::Model, cost: Amount) {
        let t = &mut self.totals;
        t.sku_count += 1;
        t.on_hand = t.on_hand + level.on_hand;
        t.reserved = t.reserved + level.reserved;
        t.available = t.available + level.available();
        self.value_at_cost += level.on_hand.to_decimal() * cost.to_decimal();
        // The two counts are disjoint: out of stock first, then low.
        if level.is_out_of_stock() {
            t.out_of_stock_count += 1;
        } else if level.is_low_stock() {
            t.low_stock_count += 1;
        }
    }

    fn finish(self) -> AppResult<StockTotals> {
        let stock_value = Amount::round_from_decimal(self.value_at_cost, Amount::SCALE)
            .map_err(|e| AppError::internal(anyhow::anyhow!("stock value {e}")))?;
        Ok(StockTotals {
            stock_value,
            ..self.totals
        })
    }
}

/// Stock per warehouse and overall: on hand, reserved, value at cost, low and out of stock.
/// A SKU is out of stock at zero or less, low at or below its reorder point.
pub async fn inventory_summary(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &InventorySummaryParams,
) -> AppResult<InventorySummary> {
    let Ctx { db, scope, .. } = *ctx;
    let mut problems = Problems::default();
    let branch = problems.take(Field::Branch, params.branch_id.clone());
    let warehouse = problems.take(Field::Warehouse, params.warehouse_id.clone());
    problems.check()?;
    if let Some(id) = branch
        && super::branches::find(ctx, id).await?.is_none()
    {
        return Err(BRANCH_NOT_FOUND);
    }
    if let Some(id) = warehouse
        && !visible_warehouses(ctx, &[])
            .await?
            .iter()
            .any(|w| w.id == id)
    {
        return Err(WAREHOUSE_NOT_FOUND);
    }
    let requested: Vec<Uuid> = branch.into_iter().collect();
    let chosen: Vec<warehouses::Model> = visible_warehouses(ctx, &requested)
        .await?
        .into_iter()
        .filter(|w| warehouse.is_none_or(|id| w.id == id))
        .collect();
    let levels = scope
        .select::<inventory_levels::Entity>()
        .filter(inventory_levels::Column::WarehouseId.is_in(chosen.iter().map(|w| w.id)))
        .all(db)
        .await?;
    let costs: HashMap<Uuid, Amount> = scope
        .select::<product_skus::Entity>()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.cost))
        .collect();
    let mut per_warehouse: BTreeMap<Uuid, StockSum> = BTreeMap::new();
    let mut totals = StockSum::default();
    for level in &levels {
        let cost = costs
            .get(&level.product_sku_id)
            .copied()
            .unwrap_or_default();
        per_warehouse
            .entry(level.warehouse_id)
            .or_default()
            .add(level, cost);
        totals.add(level, cost);
    }
    let by_warehouse = chosen
        .into_iter()
        .map(|w| {
            Ok(WarehouseStock {
                totals: per_warehouse.remove(&w.id).unwrap_or_default().finish()?,
                warehouse: w,
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(InventorySummary {
        branch_id: branch,
        warehouse_id: warehouse,
        totals: totals.finish()?,
        by_warehouse,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(on_hand: &str) -> inventory_levels::Model {
        let at = crate::clock::Timestamp::from(chrono::DateTime::UNIX_EPOCH);
        inventory_levels::Model {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            warehouse_id: Uuid::nil(),
            product_sku_id: Uuid::nil(),
            on_hand: on_hand.parse().expect("amount"),
            reserved: Amount::ZERO,
            reorder_point: Amount::ZERO,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn stock_value_is_summed_exactly_then_rounded_once_half_away_from_zero() {
        let cost = |s: &str| s.parse::<Amount>().expect("amount");
        let mut sum = StockSum::default();
        // 0.4 × 0.0001 = 0.00004 three times: each rounded alone would be 0; summed first,
        // 0.00012 rounds to 0.0001.
        for _ in 0..3 {
            sum.add(&level("0.4"), cost("0.0001"));
        }
        assert_eq!(
            sum.finish().expect("in range").stock_value.to_string(),
            "0.0001"
        );

        let mut half = StockSum::default();
        half.add(&level("0.5"), cost("0.0001"));
        assert_eq!(
            half.finish().expect("in range").stock_value.to_string(),
            "0.0001"
        );
        let mut negative = StockSum::default();
        negative.add(&level("-0.5"), cost("0.0001"));
        assert_eq!(
            negative.finish().expect("in range").stock_value.to_string(),
            "-0.0001"
        );
    }
}
