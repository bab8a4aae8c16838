//! Sales orders and their items.

use async_graphql::{Context, ID, InputObject, Object, Result};
use uuid::Uuid;

use super::catalog::Sku;
use super::customers::Customer;
use super::day;
use super::enums::{OrderType, PaymentStatus, SalesStatus};
use super::node::global_id;
use super::viewer::Branch;
use super::{DateArg, UuidArg, domain_ctx};
use super::{
    Paging, ScopeGuard, always, connection, filter_ids, loaded, loaders, page_cost,
    requires_scopes, scopes,
};
use crate::clock::Timestamp;
use crate::domain::input::Input;
use crate::domain::sales::{self, SalesListParams};
use crate::domain::scopes::Scope;
use crate::entities::{sales_order_items, sales_orders};
use crate::money::Amount;

/// Filters of `salesOrders`, validated exactly as the REST `/sales` query.
#[derive(InputObject, Debug, Default)]
pub struct SalesOrderFilter {
    /// First day (UTC). Default: the later of 30 days before `to` and 30 days before now; not
    /// earlier than 30 days before today.
    pub from: Option<DateArg>,
    /// Last day, inclusive (UTC). Default: today; not earlier than 30 days before today.
    pub to: Option<DateArg>,
    /// Branch ids (REST or global), intersected with the token's branches.
    pub branch_ids: Option<Vec<ID>>,
    /// Only orders with this status.
    pub status: Option<SalesStatus>,
}

connection!(
    SalesOrderConnection,
    SalesOrderEdge,
    SalesOrder,
    "Orders matching the filters (computed only when selected)."
);

#[derive(Default)]
pub struct SalesQuery;

#[Object]
impl SalesQuery {
    /// Sales orders in the token's branches, newest first (`orderDate`). Requires `read:sales`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadSales)",
        directive = requires_scopes::apply(scopes(Scope::ReadSales)),
        complexity = "page_cost(first, last, child_complexity)"
    )]
    async fn sales_orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SalesOrderFilter>,
    ) -> Result<Option<SalesOrderConnection>> {
        let paging = Paging::new(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let params = SalesListParams {
            from: day(filter.from),
            to: day(filter.to),
            branch_ids: filter_ids(&filter.branch_ids, "Branch"),
            status: Input::from_option(filter.status.map(Into::into)),
            page: paging.request(),
        };
        let here = domain_ctx(ctx)?;
        let (page, total) = paging
            .page_and_total(
                ctx,
                sales::list(&here, &params),
                sales::count(&here, &params),
            )
            .await?;
        prime(ctx, &page.items).await;
        Ok(Some(SalesOrderConnection::new(
            page, &paging, total, SalesOrder,
        )))
    }

    /// A sales order by REST id (null if not found in the token's branches). Requires `read:sales`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadSales)",
        directive = requires_scopes::apply(scopes(Scope::ReadSales))
    )]
    async fn sales_order(&self, ctx: &Context<'_>, uuid: UuidArg) -> Result<Option<SalesOrder>> {
        let uuid = uuid.get("uuid")?;
        Ok(loaded(loaders(ctx)?.sales_orders.try_load(uuid).await)?.map(SalesOrder))
    }
}

/// When the selection reaches the orders' items, customers or branches, asks the loaders for
/// the whole page at once: the same batches as the orders' own loads would make, without each
/// of those loads waiting for its batch to form (they become cache hits). Failures stay in the
/// loaders' values and surface on the fields that need them.
async fn prime(ctx: &Context<'_>, orders: &[sales_orders::Model]) {
    let Ok(loaders) = loaders(ctx) else {
        return;
    };
    let node = ctx.look_ahead().field("edges").field("node");
    let may_read_customers =
        super::caller(ctx).is_ok_and(|c| c.scopes.contains(Scope::ReadCustomers));
    let ids = |key: fn(&sales_orders::Model) -> Option<Uuid>| {
        let mut ids: Vec<Uuid> = orders.iter().filter_map(key).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let items = async {
        if node.field("items").exists() {
            let _ = loaders.order_items.try_load_many(ids(|o| Some(o.id))).await;
        }
    };
    let customers = async {
        if may_read_customers && node.field("customer").exists() {
            let _ = loaders
                .customers
                .try_load_many(ids(|o| o.customer_id))
                .await;
        }
    };
    let branches = async {
        if node.field("branch").exists() {
            let _ = loaders
                .branches
                .try_load_many(ids(|o| Some(o.branch_id)))
                .await;
        }
    };
    futures_util::join!(items, customers, branches);
}

pub struct SalesOrder(pub sales_orders::Model);

/// A sales order of a branch, with its amounts and its items.
#[Object]
impl SalesOrder {
    /// Opaque global id (for `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id("SalesOrder", self.0.id)
    }
    /// The REST id of the order.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The order number, unique within the tenant.
    async fn order_number(&self) -> &str {
        &self.0.order_number
    }
    /// The REST id of the branch that issued the order.
    async fn branch_id(&self) -> Uuid {
        self.0.branch_id
    }
    /// The REST id of the customer, if the order has one.
    async fn customer_id(&self) -> Option<Uuid> {
        self.0.customer_id
    }
    /// When the order was placed (UTC); lists sort and filter by it.
    async fn order_date(&self) -> Timestamp {
        self.0.order_date
    }
    /// Where the order stands.
    async fn status(&self) -> SalesStatus {
        self.0.status.into()
    }
    /// How the order is served.
    async fn order_type(&self) -> OrderType {
        self.0.order_type.into()
    }
    /// Sum of the items before discounts.
    async fn subtotal(&self) -> Amount {
        self.0.subtotal
    }
    /// Discounts given on the order.
    async fn discount_amount(&self) -> Amount {
        self.0.discount_amount
    }
    /// Tax included in the total.
    async fn tax_amount(&self) -> Amount {
        self.0.tax_amount
    }
    /// Service charge added to the order.
    async fn service_charge_amount(&self) -> Amount {
        self.0.service_charge_amount
    }
    /// The order total: subtotal less discounts plus service charge, tax included.
    async fn total_amount(&self) -> Amount {
        self.0.total_amount
    }
    /// The amount paid so far.
    async fn paid_amount(&self) -> Amount {
        self.0.paid_amount
    }
    /// The amount refunded so far.
    async fn refunded_amount(&self) -> Amount {
        self.0.refunded_amount
    }
    /// How far the order is paid.
    async fn payment_status(&self) -> PaymentStatus {
        self.0.payment_status.into()
    }
    /// When the order was recorded (UTC).
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
    /// When the order last changed (UTC).
    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }

    /// Every item of the order, in line order (batched across the page).
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<SalesOrderItem>> {
        let items = loaded(loaders(ctx)?.order_items.try_load(self.0.id).await)?;
        Ok(items.into_iter().map(SalesOrderItem).collect())
    }

    /// The customer of the order, if any. Requires `read:customers` (PII: see `Customer`).
    #[graphql(
        guard = "ScopeGuard(Scope::ReadCustomers)",
        directive = requires_scopes::apply(scopes(Scope::ReadCustomers))
    )]
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        let Some(id) = self.0.customer_id else {
            return Ok(None);
        };
        Ok(loaded(loaders(ctx)?.customers.try_load(id).await)?.map(Customer))
    }

    /// The branch that issued the order (always there: a caller who sees the order sees its
    /// branch).
    async fn branch(&self, ctx: &Context<'_>) -> Result<Branch> {
        let found = loaded(loaders(ctx)?.branches.try_load(self.0.branch_id).await)?;
        always(found.map(Branch), "an order's branch")
    }
}

pub struct SalesOrderItem(sales_order_items::Model);

/// A line of a sales order; `skuCode`, `skuName` and `productName` are as sold.
#[Object]
impl SalesOrderItem {
    /// The REST id of the item.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The line number within the order, from 1.
    async fn line_no(&self) -> i32 {
        self.0.line_no
    }
    /// The REST id of the SKU sold.
    async fn product_sku_id(&self) -> Uuid {
        self.0.product_sku_id
    }
    /// The SKU code at the time of sale.
    async fn sku_code(&self) -> &str {
        &self.0.sku_code
    }
    /// The SKU name at the time of sale.
    async fn sku_name(&self) -> &str {
        &self.0.sku_name
    }
    /// The product name at the time of sale.
    async fn product_name(&self) -> &str {
        &self.0.product_name
    }
    /// The quantity sold, in the SKU's unit.
    async fn quantity(&self) -> Amount {
        self.0.quantity
    }
    /// The price of one unit.
    async fn unit_price(&self) -> Amount {
        self.0.unit_price
    }
    /// Discount given on this line.
    async fn discount_amount(&self) -> Amount {
        self.0.discount_amount
    }
    /// Tax included in this line.
    async fn tax_amount(&self) -> Amount {
        self.0.tax_amount
    }
    /// The amount of this line after its discount.
    async fn line_total(&self) -> Amount {
        self.0.line_total
    }
    /// The quantity refunded so far.
    async fn refunded_quantity(&self) -> Amount {
        self.0.refunded_quantity
    }
    /// The amount refunded so far.
    async fn refunded_amount(&self) -> Amount {
        self.0.refunded_amount
    }
    /// Whether the whole quantity was refunded.
    async fn is_fully_refunded(&self) -> bool {
        self.0.is_fully_refunded
    }
    /// When the item was recorded (UTC).
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }

    /// The SKU as it is in the catalogue today. Requires `read:products`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadProducts)",
        directive = requires_scopes::apply(scopes(Scope::ReadProducts))
    )]
    async fn sku(&self, ctx: &Context<'_>) -> Result<Option<Sku>> {
        Ok(loaded(loaders(ctx)?.skus.try_load(self.0.product_sku_id).await)?.map(Sku))
    }
}
