//! Suppliers and purchase orders.

use async_graphql::{Context, ID, InputObject, Object, Result};
use uuid::Uuid;

use super::catalog::Sku;
use super::enums::{PurchaseOrderStatus, RecordStatus};
use super::inventory::{InventoryMovement, Warehouse};
use super::node::global_id;
use super::viewer::Branch;
use super::{
    Date, Paging, ScopeGuard, connection, domain_ctx, filter_ids, loaded, loaders, page_cost,
    requires_scopes, scopes,
};
use super::{DateArg, UuidArg};
use super::{day, optional_id};
use crate::clock::Timestamp;
use crate::domain::input::Input;
use crate::domain::purchasing::{self as domain, PurchaseOrderListParams, SupplierListParams};
use crate::domain::scopes::Scope;
use crate::entities::{purchase_order_items, purchase_orders, suppliers};
use crate::money::Amount;

/// Filters of `purchaseOrders`, validated exactly as the REST `/purchase-orders` query.
#[derive(InputObject, Debug, Default)]
pub struct PurchaseOrderFilter {
    /// First day, `YYYY-MM-DD` (UTC). Default: 30 days before `to`.
    pub from: Option<DateArg>,
    /// Last day, inclusive, `YYYY-MM-DD` (UTC). Default: today.
    pub to: Option<DateArg>,
    /// Branch ids (REST or global), intersected with the token's branches.
    pub branch_ids: Option<Vec<ID>>,
    /// Only orders with this status.
    pub status: Option<PurchaseOrderStatus>,
    /// One supplier (REST or global id).
    pub supplier_id: Option<ID>,
}

connection!(
    PurchaseOrderConnection,
    PurchaseOrderEdge,
    PurchaseOrder,
    "Purchase orders matching the filters (computed only when selected)."
);

connection!(
    SupplierConnection,
    SupplierEdge,
    Supplier,
    "Suppliers of the tenant (computed only when selected)."
);

#[derive(Default)]
pub struct PurchasingQuery;

#[Object]
impl PurchasingQuery {
    /// Purchase orders in the token's branches, newest first. Requires `read:purchasing`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadPurchasing)",
        directive = requires_scopes::apply(scopes(Scope::ReadPurchasing)),
        complexity = "page_cost(first, last, child_complexity)"
    )]
    async fn purchase_orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<PurchaseOrderFilter>,
    ) -> Result<Option<PurchaseOrderConnection>> {
        let paging = Paging::new(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let params = PurchaseOrderListParams {
            from: day(filter.from),
            to: day(filter.to),
            branch_ids: filter_ids(&filter.branch_ids, "Branch"),
            status: Input::from_option(filter.status.map(Into::into)),
            supplier_id: optional_id(&filter.supplier_id, "Supplier"),
            page: paging.request(),
        };
        let here = domain_ctx(ctx)?;
        let (page, total) = paging
            .page_and_total(
                ctx,
                domain::list_orders(&here, &params),
                domain::count_orders(&here, &params),
            )
            .await?;
        Ok(Some(PurchaseOrderConnection::new(
            page,
            &paging,
            total,
            PurchaseOrder,
        )))
    }

    /// A purchase order by REST id (null outside the token's branches). Requires `read:purchasing`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadPurchasing)",
        directive = requires_scopes::apply(scopes(Scope::ReadPurchasing))
    )]
    async fn purchase_order(
        &self,
        ctx: &Context<'_>,
        uuid: UuidArg,
    ) -> Result<Option<PurchaseOrder>> {
        let uuid = uuid.get("uuid")?;
        Ok(loaded(loaders(ctx)?.purchase_orders.try_load(uuid).await)?.map(PurchaseOrder))
    }

    /// Suppliers of the tenant, newest first. Requires `read:purchasing`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadPurchasing)",
        directive = requires_scopes::apply(scopes(Scope::ReadPurchasing)),
        complexity = "page_cost(first, last, child_complexity)"
    )]
    async fn suppliers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<SupplierConnection>> {
        let paging = Paging::new(first, after, last, before)?;
        let params = SupplierListParams {
            page: paging.request(),
        };
        let here = domain_ctx(ctx)?;
        let (page, total) = paging
            .page_and_total(
                ctx,
                domain::list_suppliers(&here, &params),
                domain::count_suppliers(&here, &params),
            )
            .await?;
        Ok(Some(SupplierConnection::new(
            page, &paging, total, Supplier,
        )))
    }

    /// A supplier by its REST id (null when unknown). Requires `read:purchasing`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadPurchasing)",
        directive = requires_scopes::apply(scopes(Scope::ReadPurchasing))
    )]
    async fn supplier(&self, ctx: &Context<'_>, uuid: UuidArg) -> Result<Option<Supplier>> {
        let uuid = uuid.get("uuid")?;
        Ok(loaded(loaders(ctx)?.suppliers.try_load(uuid).await)?.map(Supplier))
    }
}

pub struct PurchaseOrder(pub purchase_orders::Model);

/// An order of goods from a supplier, received into one warehouse of a branch.
#[Object]
impl PurchaseOrder {
    /// Opaque global id (for `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id("PurchaseOrder", self.0.id)
    }
    /// The REST id of the purchase order.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The purchase order number, unique within the tenant.
    async fn po_number(&self) -> &str {
        &self.0.po_number
    }
    /// Where the order stands.
    async fn status(&self) -> PurchaseOrderStatus {
        self.0.status.into()
    }
    /// The REST id of the branch that placed the order.
    async fn branch_id(&self) -> Uuid {
        self.0.branch_id
    }
    /// The REST id of the warehouse receiving the goods.
    async fn warehouse_id(&self) -> Uuid {
        self.0.warehouse_id
    }
    /// The REST id of the supplier.
    async fn supplier_id(&self) -> Uuid {
        self.0.supplier_id
    }
    /// When the order was placed (UTC); lists sort and filter by it.
    async fn order_date(&self) -> Timestamp {
        self.0.order_date
    }
    /// The day the goods are expected, if set.
    async fn expected_date(&self) -> Option<Date> {
        self.0.expected_date.map(Date)
    }
    /// When the last goods were received.
    async fn received_at(&self) -> Option<Timestamp> {
        self.0.received_at
    }
    /// Sum of the line totals, before tax.
    async fn subtotal(&self) -> Amount {
        self.0.subtotal
    }
    /// Tax on the order.
    async fn tax_amount(&self) -> Amount {
        self.0.tax_amount
    }
    /// Subtotal plus tax.
    async fn total_amount(&self) -> Amount {
        self.0.total_amount
    }
    /// The currency code of the amounts, e.g. `THB`.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// Free-text notes, if any.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// The order's reference in an external system, if any.
    async fn external_reference(&self) -> Option<&str> {
        self.0.external_reference.as_deref()
    }
    /// When the order was recorded (UTC).
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
    /// When the order last changed (UTC).
    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }

    /// Every line, in line order (batched across the page).
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<PurchaseOrderItem>> {
        let items = loaded(loaders(ctx)?.purchase_order_items.try_load(self.0.id).await)?;
        Ok(items.into_iter().map(PurchaseOrderItem).collect())
    }

    /// The supplier the goods are ordered from.
    async fn supplier(&self, ctx: &Context<'_>) -> Result<Option<Supplier>> {
        Ok(loaded(loaders(ctx)?.suppliers.try_load(self.0.supplier_id).await)?.map(Supplier))
    }

    /// The branch that placed the order.
    async fn branch(&self, ctx: &Context<'_>) -> Result<Option<Branch>> {
        Ok(loaded(loaders(ctx)?.branches.try_load(self.0.branch_id).await)?.map(Branch))
    }

    /// The warehouse receiving the goods. Requires `read:inventory`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadInventory)",
        directive = requires_scopes::apply(scopes(Scope::ReadInventory))
    )]
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        Ok(loaded(loaders(ctx)?.warehouses.try_load(self.0.warehouse_id).await)?.map(Warehouse))
    }

    /// This order's goods receipts (stock movements), oldest first. Requires `read:inventory`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadInventory)",
        directive = requires_scopes::apply(scopes(Scope::ReadInventory))
    )]
    async fn receipts(&self, ctx: &Context<'_>) -> Result<Vec<InventoryMovement>> {
        let receipts = loaded(loaders(ctx)?.receipts.try_load(self.0.id).await)?;
        Ok(receipts.into_iter().map(InventoryMovement).collect())
    }
}

pub struct PurchaseOrderItem(purchase_order_items::Model);

/// A line of a purchase order: one SKU, ordered and received quantities.
#[Object]
impl PurchaseOrderItem {
    /// The REST id of the line.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The line number within the order, from 1.
    async fn line_no(&self) -> i32 {
        self.0.line_no
    }
    /// The REST id of the SKU ordered.
    async fn product_sku_id(&self) -> Uuid {
        self.0.product_sku_id
    }
    /// The quantity ordered, in the SKU's unit.
    async fn quantity(&self) -> Amount {
        self.0.quantity
    }
    /// The quantity received so far.
    async fn received_quantity(&self) -> Amount {
        self.0.received_quantity
    }
    /// Ordered less received (never below zero).
    async fn outstanding_quantity(&self) -> Amount {
        let outstanding = self.0.quantity - self.0.received_quantity;
        outstanding.max(Amount::ZERO)
    }
    /// The cost of one unit.
    async fn unit_cost(&self) -> Amount {
        self.0.unit_cost
    }
    /// Quantity × unit cost.
    async fn line_total(&self) -> Amount {
        self.0.line_total
    }
    /// When the line was recorded (UTC).
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
    /// When the line last changed (UTC).
    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }

    /// The SKU ordered. Requires `read:products`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadProducts)",
        directive = requires_scopes::apply(scopes(Scope::ReadProducts))
    )]
    async fn sku(&self, ctx: &Context<'_>) -> Result<Option<Sku>> {
        Ok(loaded(loaders(ctx)?.skus.try_load(self.0.product_sku_id).await)?.map(Sku))
    }
}

pub struct Supplier(pub suppliers::Model);

/// A supplier; its contact fields are business data, not PII.
#[Object]
impl Supplier {
    /// Opaque global id (for `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id("Supplier", self.0.id)
    }
    /// The REST id of the supplier.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The supplier code, unique within the tenant.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// The supplier's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The contact person at the supplier, if recorded.
    async fn contact_name(&self) -> Option<&str> {
        self.0.contact_name.as_deref()
    }
    /// The supplier's phone number, if recorded.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// The supplier's email address, if recorded.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// The supplier's address, if recorded.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// The supplier's tax id, if recorded.
    async fn tax_id(&self) -> Option<&str> {
        self.0.tax_id.as_deref()
    }
    /// Days the tenant has to pay the supplier's invoices.
    async fn payment_terms_days(&self) -> i32 {
        self.0.payment_terms_days
    }
    /// Whether the supplier is in use.
    async fn status(&self) -> RecordStatus {
        self.0.status.into()
    }
    /// When the supplier was created (UTC); lists sort by it.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
    /// When the supplier last changed (UTC).
    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }
}
