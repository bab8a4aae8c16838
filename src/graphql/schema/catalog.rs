//! Products and their SKUs.

use async_graphql::{Context, ID, InputObject, Object, Result};
use uuid::Uuid;

use super::UuidArg;
use super::db;
use super::node::global_id;
use super::{
    Paging, ScopeGuard, always, connection, loaded, loaders, page_cost, requires_scopes, scopes,
    state, wants_total,
};
use crate::auth::scopes::Scope;
use crate::clock::Timestamp;
use crate::domain::money::Amount;
use crate::domain::products::{self as domain, ProductListParams};
use crate::entities::enums::{ProductStatus, RecordStatus};
use crate::entities::{product_skus, products};

/// Filters of `products`, validated exactly as the REST `/products` query.
#[derive(InputObject, Debug, Default)]
pub struct ProductFilter {
    pub status: Option<ProductStatus>,
    /// Exact category name (1–100 characters).
    pub category: Option<String>,
}

const FILTER_NAMES: &[(&str, &str)] =
    &[("status", "filter.status"), ("category", "filter.category")];

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
    /// Products, newest first, each with its SKUs.
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
        let state = state(ctx)?;
        let scope = &super::caller(ctx)?.scope;
        let paging = Paging::new(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let params = ProductListParams {
            status: filter.status.map(ProductStatus::as_str),
            category: filter.category.as_deref(),
            page: paging.request(),
        };
        let error = |e| paging.error(e, FILTER_NAMES);
        let page = domain::list(db(ctx)?, &state.cursors, scope, &params)
            .await
            .map_err(error)?;
        let total = match wants_total(ctx) {
            true => Some(
                domain::count(db(ctx)?, &state.cursors, scope, &params)
                    .await
                    .map_err(error)?,
            ),
            false => None,
        };
        Ok(Some(ProductConnection::new(page, &paging, total, Product)))
    }

    /// A product by its REST id (null when unknown).
    #[graphql(
        guard = "ScopeGuard(Scope::ReadProducts)",
        directive = requires_scopes::apply(scopes(Scope::ReadProducts))
    )]
    async fn product(&self, ctx: &Context<'_>, uuid: UuidArg) -> Result<Option<Product>> {
        let uuid = uuid.get("uuid")?;
        Ok(loaded(loaders(ctx)?.products.try_load(uuid).await)?.map(Product))
    }

    /// A SKU by its REST id (null when unknown).
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
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn category(&self) -> &str {
        &self.0.category
    }
    async fn status(&self) -> ProductStatus {
        self.0.status
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
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
    async fn sku_code(&self) -> &str {
        &self.0.sku_code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn barcode(&self) -> Option<&str> {
        self.0.barcode.as_deref()
    }
    async fn unit(&self) -> &str {
        &self.0.unit
    }
    async fn price(&self) -> Amount {
        self.0.price
    }
    async fn cost(&self) -> Amount {
        self.0.cost
    }
    async fn status(&self) -> RecordStatus {
        self.0.status
    }
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }

    /// The product this SKU belongs to (always there: it needs the same scope as the SKU).
    async fn product(&self, ctx: &Context<'_>) -> Result<Product> {
        let found = loaded(loaders(ctx)?.products.try_load(self.0.product_id).await)?;
        always(found.map(Product), "a SKU's product")
    }
}
