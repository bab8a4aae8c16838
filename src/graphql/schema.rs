//! The GraphQL schema: translation to and from the domain, nothing else.

use async_graphql::{
    Context, EmptyMutation, EmptySubscription, Guard, ID, InputObject, Object, Result, SimpleObject,
};
use chrono::NaiveDate;
use uuid::Uuid;

use super::errors::gql;
use super::loaders::Loaders;
use crate::auth::caller::Caller;
use crate::auth::scopes::Scope;
use crate::clock::Timestamp;
use crate::domain::customers::{self, CustomerListParams};
use crate::domain::money::Amount;
use crate::domain::pagination::Page;
use crate::domain::pagination::Walk;
use crate::domain::reports;
use crate::domain::sales::{self, SalesListParams};
use crate::entities::enums::{MemberTier, OrderType, PaymentStatus, Plan, SalesStatus};
use crate::entities::{customers as customer_entity, sales_order_items, sales_orders};
use crate::error::{AppError, FieldError};
use crate::state::AppState;

async_graphql::scalar!(
    Amount,
    "Decimal",
    "An exact decimal as a string, e.g. \"12510.4\"."
);
async_graphql::scalar!(
    Timestamp,
    "DateTime",
    "A UTC instant, ISO 8601 with milliseconds, e.g. \"2026-06-15T03:22:16.709Z\"."
);

pub type PartnerSchema = async_graphql::Schema<Query, EmptyMutation, EmptySubscription>;

fn caller<'a>(ctx: &Context<'a>) -> Result<&'a Caller> {
    ctx.data::<Caller>().map_err(|_| {
        gql(AppError::internal(anyhow::anyhow!(
            "GraphQL request without caller"
        )))
    })
}

fn state<'a>(ctx: &Context<'a>) -> Result<&'a AppState> {
    ctx.data::<AppState>().map_err(|_| {
        gql(AppError::internal(anyhow::anyhow!(
            "GraphQL request without state"
        )))
    })
}

/// Refuses the field unless the token holds `scope` (the field resolves to null with an
/// `insufficient_scope` error; siblings still resolve).
pub struct ScopeGuard(pub Scope);

impl Guard for ScopeGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let caller = caller(ctx)?;
        let allowed = match self.0 {
            Scope::ReadCustomersPii => caller.can_read_pii(),
            scope => caller.scopes.contains(scope),
        };
        if allowed {
            Ok(())
        } else {
            Err(gql(AppError::InsufficientScope {
                required_scopes: vec![self.0.as_str().to_owned()],
            }))
        }
    }
}

/// PII fields exist in introspection only for tokens that may read them.
fn pii_visible(ctx: &Context<'_>) -> bool {
    ctx.data_opt::<Caller>().is_some_and(Caller::can_read_pii)
}

/// `first` → the domain's `limit` text (its validation: 1–200, default 50).
fn limit_text(first: Option<i32>) -> Option<String> {
    first.map(|n| n.to_string())
}

#[derive(SimpleObject, Debug, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

fn page_info<T>(page: &Page<T>, after: bool) -> PageInfo {
    PageInfo {
        has_next_page: page.has_more,
        has_previous_page: after,
        start_cursor: page.cursors.first().cloned(),
        end_cursor: page.cursors.last().cloned(),
    }
}

pub struct Query;

/// Anything with an opaque global id, fetchable with `node(id:)`.
#[derive(async_graphql::Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global id."))]
pub enum Node {
    SalesOrder(SalesOrder),
    Customer(Customer),
    Branch(Branch),
}

/// `base64url("Type:uuid")`.
fn global_id(kind: &str, id: Uuid) -> ID {
    use base64::Engine;
    ID(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}")))
}

fn parse_global_id(id: &str) -> Option<(String, Uuid)> {
    use base64::Engine;
    if id.len() > 200 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, uuid) = text.split_once(':')?;
    Some((kind.to_owned(), Uuid::parse_str(uuid).ok()?))
}

/// Resolves a global id within the caller's tenant and branches. Unknown, malformed or
/// out-of-scope ids are null (existence is never revealed); a type whose scope the token
/// lacks is null with an `insufficient_scope` error.
async fn resolve_node(ctx: &Context<'_>, id: &str) -> Result<Option<Node>> {
    let (state, caller) = (state(ctx)?, caller(ctx)?);
    let Some((kind, uuid)) = parse_global_id(id) else {
        return Ok(None);
    };
    let internal = |e: sea_orm::DbErr| gql(AppError::from(e));
    match kind.as_str() {
        "SalesOrder" => {
            caller.require(Scope::ReadSales).map_err(gql)?;
            Ok(sales::find(&state.db, &caller.scope, uuid)
                .await
                .map_err(internal)?
                .map(|o| Node::SalesOrder(SalesOrder(o))))
        }
        "Customer" => {
            caller.require(Scope::ReadCustomers).map_err(gql)?;
            use sea_orm::{ColumnTrait, QueryFilter};
            Ok(caller
                .scope
                .select::<customer_entity::Entity>()
                .filter(customer_entity::Column::Id.eq(uuid))
                .one(&state.db)
                .await
                .map_err(internal)?
                .map(|c| Node::Customer(Customer(c))))
        }
        "Branch" => Ok(
            crate::domain::branches::find(&state.db, &caller.scope, uuid)
                .await
                .map_err(internal)?
                .map(|b| Node::Branch(Branch(b))),
        ),
        _ => Ok(None),
    }
}

/// Filters of `salesOrders`, validated exactly as the REST `/sales` query.
#[derive(InputObject, Debug, Default)]
pub struct SalesOrderFilter {
    /// First day, `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Last day, inclusive, `YYYY-MM-DD` (UTC).
    pub to: Option<String>,
    /// Intersected with the token's branches.
    pub branch_ids: Option<Vec<ID>>,
    pub status: Option<SalesStatus>,
}

#[Object]
impl Query {
    /// Any object by its global id.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        resolve_node(ctx, &id).await
    }

    /// Several objects by global id, in the order asked (null where not found); at most 100.
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > 100 {
            return Err(gql(AppError::invalid_field("ids", "at most 100 ids")));
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in &ids {
            out.push(resolve_node(ctx, id).await?);
        }
        Ok(out)
    }

    /// Who is calling: application, tenant, plan, scopes, branches and rate limit.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let caller = caller(ctx)?;
        Ok(Viewer {
            application_id: caller.application_id,
            application: caller.application_name.clone(),
            tenant_id: caller.tenant_id,
            plan: caller.plan,
            scopes: caller
                .scopes
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            allowed_branches: caller
                .scope
                .allowed_branches()
                .map(|set| set.iter().map(|id| ID(id.to_string())).collect()),
            rate_limit: RateLimit {
                limit: caller.rate.limit as i32,
                remaining: caller.rate.remaining as i32,
            },
        })
    }

    /// Sales orders, newest first. Needs `read:sales`. Page forward with `first`/`after` or
    /// backward with `last`/`before` (defaults: 50, at most 200).
    #[graphql(
        guard = "ScopeGuard(Scope::ReadSales)",
        complexity = "first.or(last).unwrap_or(50).clamp(0, 200) as usize * child_complexity"
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
        let (state, caller) = (state(ctx)?, caller(ctx)?);
        let args = SalesArgs::new(first, after, last, before, filter).map_err(gql)?;
        let params = args.params();
        let page = sales::list(
            &state.db,
            &state.cursors,
            &caller.scope,
            state.clock.now(),
            &params,
        )
        .await
        .map_err(|e| gql(args.rename(e)))?;
        let info = match args.walk {
            Walk::Forward => PageInfo {
                has_next_page: page.has_more,
                has_previous_page: args.cursor.is_some(),
                start_cursor: page.cursors.first().cloned(),
                end_cursor: page.cursors.last().cloned(),
            },
            Walk::Backward => PageInfo {
                has_next_page: args.cursor.is_some(),
                has_previous_page: page.has_more,
                start_cursor: page.cursors.first().cloned(),
                end_cursor: page.cursors.last().cloned(),
            },
        };
        Ok(Some(SalesOrderConnection {
            edges: page
                .items
                .into_iter()
                .zip(page.cursors)
                .map(|(node, cursor)| SalesOrderEdge {
                    cursor,
                    node: SalesOrder(node),
                })
                .collect(),
            page_info: info,
            args,
        }))
    }

    /// Sales summary with exact totals. Needs `read:reports`. Same rules as
    /// `GET /reports/sales-summary`.
    #[graphql(guard = "ScopeGuard(Scope::ReadReports)")]
    async fn sales_summary(
        &self,
        ctx: &Context<'_>,
        from: Option<String>,
        to: Option<String>,
        branch_id: Option<ID>,
    ) -> Result<Option<SalesSummary>> {
        let (state, caller) = (state(ctx)?, caller(ctx)?);
        let params = reports::SalesSummaryParams {
            from: from.as_deref(),
            to: to.as_deref(),
            branch_id: branch_id.as_ref().map(|id| id.0.as_str()),
        };
        let summary = reports::sales_summary(&state.db, &caller.scope, state.clock.now(), &params)
            .await
            .map_err(|e| gql(rename_fields(e, &[("branch_id", "branchId")])))?;
        Ok(Some(SalesSummary(summary)))
    }

    /// Stock summary by warehouse. Needs `read:reports`. Same rules as
    /// `GET /reports/inventory-summary`.
    #[graphql(guard = "ScopeGuard(Scope::ReadReports)")]
    async fn inventory_summary(
        &self,
        ctx: &Context<'_>,
        branch_id: Option<ID>,
        warehouse_id: Option<ID>,
    ) -> Result<Option<InventorySummary>> {
        let (state, caller) = (state(ctx)?, caller(ctx)?);
        let params = reports::InventorySummaryParams {
            branch_id: branch_id.as_ref().map(|id| id.0.as_str()),
            warehouse_id: warehouse_id.as_ref().map(|id| id.0.as_str()),
        };
        let summary = reports::inventory_summary(&state.db, &caller.scope, &params)
            .await
            .map_err(|e| {
                gql(rename_fields(
                    e,
                    &[("branch_id", "branchId"), ("warehouse_id", "warehouseId")],
                ))
            })?;
        Ok(Some(InventorySummary(summary)))
    }

    /// Customers, newest first. Needs `read:customers`; PII fields need `read:customers:pii`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadCustomers)",
        complexity = "first.unwrap_or(50).clamp(0, 200) as usize * child_complexity"
    )]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Option<CustomerConnection>> {
        let (state, caller) = (state(ctx)?, caller(ctx)?);
        let limit = limit_text(first);
        let params = CustomerListParams {
            limit: limit.as_deref(),
            cursor: after.as_deref(),
        };
        let page = customers::list(&state.db, &state.cursors, &caller.scope, &params)
            .await
            .map_err(|e| gql(rename_limit(e)))?;
        let info = page_info(&page, after.is_some());
        Ok(Some(CustomerConnection {
            edges: page
                .items
                .into_iter()
                .zip(page.cursors)
                .map(|(node, cursor)| CustomerEdge {
                    cursor,
                    node: Customer(node),
                })
                .collect(),
            page_info: info,
        }))
    }
}

/// Names GraphQL arguments in validation details.
fn rename_fields(err: AppError, names: &[(&str, &str)]) -> AppError {
    match err {
        AppError::InvalidRequest { message, details } => AppError::InvalidRequest {
            message,
            details: details
                .into_iter()
                .map(|mut d| {
                    if let Some((_, to)) = names.iter().find(|(from, _)| *from == d.field) {
                        d.field = (*to).to_owned();
                    }
                    d
                })
                .collect(),
        },
        other => other,
    }
}

/// The REST parameter `limit` is `first` here; `cursor` is `after`.
fn rename_limit(err: AppError) -> AppError {
    rename_fields(err, &[("limit", "first"), ("cursor", "after")])
}

#[derive(SimpleObject, Debug)]
pub struct RateLimit {
    /// Requests allowed per 15 minutes.
    pub limit: i32,
    pub remaining: i32,
}

#[derive(SimpleObject, Debug)]
pub struct Viewer {
    pub application_id: Uuid,
    pub application: String,
    pub tenant_id: Uuid,
    pub plan: Plan,
    pub scopes: Vec<String>,
    /// `null` means every branch of the tenant.
    pub allowed_branches: Option<Vec<ID>>,
    pub rate_limit: RateLimit,
}

/// The arguments of a `salesOrders` field, owned so `totalCount` can run later.
pub struct SalesArgs {
    from: Option<String>,
    to: Option<String>,
    branch_ids: Vec<String>,
    status: Option<SalesStatus>,
    limit: Option<String>,
    cursor: Option<String>,
    walk: Walk,
}

impl SalesArgs {
    fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<SalesOrderFilter>,
    ) -> std::result::Result<Self, AppError> {
        let mut errors = Vec::new();
        if first.is_some() && last.is_some() {
            errors.push(FieldError::new("last", "cannot be combined with first"));
        }
        if after.is_some() && before.is_some() {
            errors.push(FieldError::new("before", "cannot be combined with after"));
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let walk = if last.is_some() || before.is_some() {
            Walk::Backward
        } else {
            Walk::Forward
        };
        let filter = filter.unwrap_or_default();
        Ok(Self {
            from: filter.from,
            to: filter.to,
            branch_ids: filter
                .branch_ids
                .unwrap_or_default()
                .into_iter()
                .map(|id| id.0)
                .collect(),
            status: filter.status,
            limit: first.or(last).map(|n| n.to_string()),
            cursor: after.or(before),
            walk,
        })
    }

    fn params(&self) -> SalesListParams<'_> {
        SalesListParams {
            from: self.from.as_deref(),
            to: self.to.as_deref(),
            branch_ids: self.branch_ids.iter().map(String::as_str).collect(),
            status: self.status.map(SalesStatus::as_str),
            limit: self.limit.as_deref(),
            cursor: self.cursor.as_deref(),
            walk: self.walk,
        }
    }

    /// Names the GraphQL argument in validation details (`limit` is `first`/`last` here).
    fn rename(&self, err: AppError) -> AppError {
        let (limit, cursor) = match self.walk {
            Walk::Forward => ("first", "after"),
            Walk::Backward => ("last", "before"),
        };
        rename_fields(
            err,
            &[
                ("limit", limit),
                ("cursor", cursor),
                ("branch_id", "filter.branchIds"),
                ("from", "filter.from"),
                ("to", "filter.to"),
                ("status", "filter.status"),
            ],
        )
    }
}

pub struct SalesOrderConnection {
    edges: Vec<SalesOrderEdge>,
    page_info: PageInfo,
    args: SalesArgs,
}

#[Object]
impl SalesOrderConnection {
    async fn edges(&self) -> &[SalesOrderEdge] {
        &self.edges
    }

    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// Orders matching the filters (computed only when selected).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let (state, caller) = (state(ctx)?, caller(ctx)?);
        let total = sales::count(
            &state.db,
            &state.cursors,
            &caller.scope,
            state.clock.now(),
            &self.args.params(),
        )
        .await
        .map_err(|e| gql(self.args.rename(e)))?;
        Ok(i64::try_from(total).unwrap_or(i64::MAX))
    }
}

#[derive(SimpleObject)]
pub struct SalesOrderEdge {
    pub cursor: String,
    pub node: SalesOrder,
}

pub struct SalesOrder(sales_orders::Model);

#[Object]
impl SalesOrder {
    /// Opaque global id (for `node(id:)`).
    async fn id(&self) -> ID {
        global_id("SalesOrder", self.0.id)
    }
    /// The REST id of the order.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    async fn order_number(&self) -> &str {
        &self.0.order_number
    }
    async fn branch_id(&self) -> Uuid {
        self.0.branch_id
    }
    async fn customer_id(&self) -> Option<Uuid> {
        self.0.customer_id
    }
    async fn order_date(&self) -> Timestamp {
        self.0.order_date
    }
    async fn status(&self) -> SalesStatus {
        self.0.status
    }
    async fn order_type(&self) -> OrderType {
        self.0.order_type
    }
    async fn subtotal(&self) -> Amount {
        self.0.subtotal
    }
    async fn discount_amount(&self) -> Amount {
        self.0.discount_amount
    }
    async fn tax_amount(&self) -> Amount {
        self.0.tax_amount
    }
    async fn service_charge_amount(&self) -> Amount {
        self.0.service_charge_amount
    }
    async fn total_amount(&self) -> Amount {
        self.0.total_amount
    }
    async fn paid_amount(&self) -> Amount {
        self.0.paid_amount
    }
    async fn refunded_amount(&self) -> Amount {
        self.0.refunded_amount
    }
    async fn payment_status(&self) -> PaymentStatus {
        self.0.payment_status
    }
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }

    /// Every item of the order (batched across the page).
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<SalesOrderItem>> {
        let loaded = loaders(ctx)?.order_items.try_load(self.0.id).await;
        Ok(unwrap_loaded(loaded)?
            .into_iter()
            .map(SalesOrderItem)
            .collect())
    }

    /// The customer of the order, if any. Needs `read:customers` (PII fields: see Customer).
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        let Some(id) = self.0.customer_id else {
            return Ok(None);
        };
        let loaded = loaders(ctx)?.customers.try_load(id).await;
        Ok(unwrap_loaded(loaded)?.map(Customer))
    }

    /// The branch that issued the order.
    async fn branch(&self, ctx: &Context<'_>) -> Result<Option<Branch>> {
        let loaded = loaders(ctx)?.branches.try_load(self.0.branch_id).await;
        Ok(unwrap_loaded(loaded)?.map(Branch))
    }
}

fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a Loaders> {
    ctx.data::<std::sync::Arc<Loaders>>()
        .map(|l| l.as_ref())
        .map_err(|_| {
            gql(AppError::internal(anyhow::anyhow!(
                "GraphQL request without loaders"
            )))
        })
}

/// A loader answer: a missing key or a failed batch is an opaque internal error.
fn unwrap_loaded<T>(
    loaded: std::result::Result<super::loaders::Loaded<T>, std::io::Error>,
) -> Result<T> {
    match loaded {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(gql(AppError::internal(anyhow::anyhow!(
            "batch load failed: {err:?}"
        )))),
        Err(err) => Err(gql(AppError::internal(anyhow::anyhow!(
            "dataloader: {err}"
        )))),
    }
}

pub struct Branch(crate::entities::branches::Model);

#[Object]
impl Branch {
    /// Opaque global id (for `node(id:)`).
    async fn id(&self) -> ID {
        global_id("Branch", self.0.id)
    }
    /// The REST id of the branch.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }
}

pub struct SalesOrderItem(sales_order_items::Model);

#[Object]
impl SalesOrderItem {
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    async fn product_sku_id(&self) -> Uuid {
        self.0.product_sku_id
    }
    async fn sku_code(&self) -> &str {
        &self.0.sku_code
    }
    async fn sku_name(&self) -> &str {
        &self.0.sku_name
    }
    async fn product_name(&self) -> &str {
        &self.0.product_name
    }
    async fn quantity(&self) -> Amount {
        self.0.quantity
    }
    async fn unit_price(&self) -> Amount {
        self.0.unit_price
    }
    async fn discount_amount(&self) -> Amount {
        self.0.discount_amount
    }
    async fn tax_amount(&self) -> Amount {
        self.0.tax_amount
    }
    async fn line_total(&self) -> Amount {
        self.0.line_total
    }
    async fn refunded_quantity(&self) -> Amount {
        self.0.refunded_quantity
    }
    async fn refunded_amount(&self) -> Amount {
        self.0.refunded_amount
    }
    async fn is_fully_refunded(&self) -> bool {
        self.0.is_fully_refunded
    }
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
}

#[derive(SimpleObject)]
pub struct CustomerConnection {
    pub edges: Vec<CustomerEdge>,
    pub page_info: PageInfo,
}

#[derive(SimpleObject)]
pub struct CustomerEdge {
    pub cursor: String,
    pub node: Customer,
}

pub struct Customer(customer_entity::Model);

/// Personal data: nullable, guarded by `read:customers:pii`, hidden from introspection
/// without it.
#[Object]
impl Customer {
    /// Opaque global id (for `node(id:)`).
    async fn id(&self) -> ID {
        global_id("Customer", self.0.id)
    }
    /// The REST id of the customer.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn member_tier(&self) -> MemberTier {
        self.0.member_tier
    }
    async fn points(&self) -> i64 {
        self.0.points
    }
    async fn total_spent(&self) -> Amount {
        self.0.total_spent
    }
    async fn visit_count(&self) -> i32 {
        self.0.visit_count
    }
    async fn last_visit_at(&self) -> Option<Timestamp> {
        self.0.last_visit_at
    }
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
    /// PII. Requires scope `read:customers:pii`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomersPii)", visible = "pii_visible")]
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// PII. Requires scope `read:customers:pii`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomersPii)", visible = "pii_visible")]
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// PII. Requires scope `read:customers:pii`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomersPii)", visible = "pii_visible")]
    async fn date_of_birth(&self) -> Option<NaiveDate> {
        self.0.date_of_birth
    }
    /// PII. Requires scope `read:customers:pii`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomersPii)", visible = "pii_visible")]
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// PII. Requires scope `read:customers:pii`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomersPii)", visible = "pii_visible")]
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    /// PII. Requires scope `read:customers:pii`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomersPii)", visible = "pii_visible")]
    async fn state(&self) -> Option<&str> {
        self.0.state.as_deref()
    }
    /// PII. Requires scope `read:customers:pii`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomersPii)", visible = "pii_visible")]
    async fn postal_code(&self) -> Option<&str> {
        self.0.postal_code.as_deref()
    }
    /// PII. Requires scope `read:customers:pii`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomersPii)", visible = "pii_visible")]
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }
    /// PII. Requires scope `read:customers:pii`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomersPii)", visible = "pii_visible")]
    async fn tax_id(&self) -> Option<&str> {
        self.0.tax_id.as_deref()
    }
}

/// Builds the schema with its limits.
pub fn build(limits: &super::limits::GraphqlLimits) -> PartnerSchema {
    async_graphql::Schema::build(Query, EmptyMutation, EmptySubscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(limits.max_nesting)
        .extension(async_graphql::extensions::Analyzer)
        .finish()
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
    pub date: NaiveDate,
    pub order_count: i64,
    pub net_sales: Amount,
}

#[derive(SimpleObject)]
pub struct BranchTotal {
    pub branch_id: Uuid,
    pub order_count: i64,
    pub net_sales: Amount,
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
                date: d.date,
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

#[derive(SimpleObject)]
pub struct StockTotals {
    pub sku_count: i64,
    pub on_hand: Amount,
    pub reserved: Amount,
    pub available: Amount,
    /// On hand × SKU cost, exact.
    pub stock_value: String,
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
            stock_value: t.stock_value.normalize().to_string(),
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
