//! Products and their SKUs.

use async_graphql::{Context, ID, InputObject, Object, Result};
use uuid::Uuid;

use super::UuidArg;
use super::enums::{ProductStatus, RecordStatus};
use super::node::global_id;
use super::{
    Paging, ScopeGuard, always, connection, domain_ctx, loaded, loaders, page_cost,
    requires_scopes, scopes,
};
use crate::clock::Timestamp;
use crate::domain::input::Input;
use crate::domain::products::{self as domain, ProductListParams};
use crate::domain::scopes::Scope;
use crate::entities::{product_skus, products};
use crate::money::Amount;

/// Filters of `products`, validated exactly as the REST `/products` query.
#[derive(InputObject, Debug, Default)]
pub struct ProductFilter {
    /// Only products with this status.
    pub status: Option<ProductStatus>,
    /// Exact category name (1–100 characters).
    pub category: Option<String>,
}

connection!(
    ProductConnection,
    ProductEdge,
    Product,
    "Products matching the filters (computed only when selected)."
);

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Products of the tenant, newest first, each with its SKUs. Requires `read:products`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadProducts)",
        directive = requires_scopes::apply(scopes(Scope::ReadProducts)),
        complexity = "page_cost(first, last, child_complexity)"
    )]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ProductFilter>,
    ) -> Result<Option<ProductConnection>> {
        let paging = Paging::new(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let params = ProductListParams {
            status: Input::from_option(filter.status.map(Into::into)),
            category: filter.category.as_deref(),
            page: paging.request(),
        };
        let here = domain_ctx(ctx)?;
        let (page, total) = paging
            .page_and_total(
                ctx,
                domain::list(&here, &params),
                domain::count(&here, &params),
            )
            .await?;
        Ok(Some(ProductConnection::new(page, &paging, total, Product)))
    }

    /// A product by its REST id (null when unknown). Requires `read:products`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadProducts)",
        directive = requires_scopes::apply(scopes(Scope::ReadProducts))
    )]
    async fn product(&self, ctx: &Context<'_>, uuid: UuidArg) -> Result<Option<Product>> {
        let uuid = uuid.get("uuid")?;
        Ok(loaded(loaders(ctx)?.products.try_load(uuid).await)?.map(Product))
    }

    /// A SKU by its REST id (null when unknown). Requires `read:products`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadProducts)",
        directive = requires_scopes::apply(scopes(Scope::ReadProducts))
    )]
    async fn sku(&self, ctx: &Context<'_>, uuid: UuidArg) -> Result<Option<Sku>> {
        let uuid = uuid.get("uuid")?;
        Ok(loaded(loaders(ctx)?.skus.try_load(uuid).await)?.map(Sku))
    }
}

pub struct Product(pub products::Model);

/// A product of the catalogue; what is sold and stocked are its SKUs.
#[Object]
impl Product {
    /// Opaque global id (for `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id("Product", self.0.id)
    }
    /// The REST id of the product.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The product code, unique within the tenant.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// The product name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The category name (filter on it with `filter.category`).
    async fn category(&self) -> &str {
        &self.0.category
    }
    /// Whether the product is on sale.
    async fn status(&self) -> ProductStatus {
        self.0.status.into()
    }
    /// Free-text description, if any.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// When the product was created (UTC); lists sort by it.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
    /// When the product last changed (UTC).
    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }

    /// The product's SKUs in SKU code order (batched across the page).
    async fn skus(&self, ctx: &Context<'_>) -> Result<Vec<Sku>> {
        let skus = loaded(loaders(ctx)?.product_skus.try_load(self.0.id).await)?;
        Ok(skus.into_iter().map(Sku).collect())
    }
}

pub struct Sku(pub product_skus::Model);

/// A sellable, stockable variant of a product.
#[Object]
impl Sku {
    /// Opaque global id (for `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id("Sku", self.0.id)
    }
    /// The REST id of the SKU (`product_sku_id` elsewhere).
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The SKU code, unique within the tenant.
    async fn sku_code(&self) -> &str {
        &self.0.sku_code
    }
    /// The SKU name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The barcode, if any.
    async fn barcode(&self) -> Option<&str> {
        self.0.barcode.as_deref()
    }
    /// The unit its quantities are counted in, e.g. `PLATE` or `KG`.
    async fn unit(&self) -> &str {
        &self.0.unit
    }
    /// The selling price of one unit.
    async fn price(&self) -> Amount {
        self.0.price
    }
    /// The cost of one unit (stock is valued at it).
    async fn cost(&self) -> Amount {
        self.0.cost
    }
    /// Whether the SKU is in use.
    async fn status(&self) -> RecordStatus {
        self.0.status.into()
    }
    /// When the SKU was created (UTC).
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
    /// When the SKU last changed (UTC).
    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }

    /// The product this SKU belongs to (always there: it needs the same scope as the SKU).
    async fn product(&self, ctx: &Context<'_>) -> Result<Product> {
        let found = loaded(loaders(ctx)?.products.try_load(self.0.product_id).await)?;
        always(found.map(Product), "a SKU's product")
    }
}
