//! Products and their SKUs.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::context::Ctx;
use super::input::{Field, Input, Problems};
use super::pagination::{Fingerprint, Listing, Page, PageRequest, Position};
use crate::entities::enums::ProductStatus;
use crate::entities::{product_skus, products};
use crate::error::AppResult;

#[derive(Debug, Default, Clone)]
pub struct ProductListParams<'a> {
    pub status: Input<ProductStatus>,
    /// An exact category name, 1–100 characters (surrounding blanks ignored).
    pub category: Option<&'a str>,
    pub page: PageRequest<'a>,
}

/// A product with its SKUs (in SKU code order).
#[derive(Debug, Clone)]
pub struct ProductWithSkus {
    pub product: products::Model,
    pub skus: Vec<product_skus::Model>,
}

fn listing(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &ProductListParams<'_>,
) -> AppResult<Listing<products::Entity>> {
    let Ctx {
        cursors: codec,
        scope,
        ..
    } = *ctx;
    let mut problems = Problems::default();
    let status = problems.take(Field::Status, params.status.clone());
    let category = params.category.map(str::trim);
    if category.is_some_and(|c| c.is_empty() || c.len() > 100) {
        problems.add(Field::Category, "must be 1 to 100 characters");
    }
    let fingerprint = Fingerprint::new("products", scope.tenant_id())
        .optional("status", status)
        .optional("category", category);
    let plan = params.page.plan(codec, &fingerprint, &mut problems);
    problems.check()?;
    let mut query = scope.select::<products::Entity>();
    if let Some(status) = status {
        query = query.filter(products::Column::Status.eq(status));
    }
    if let Some(category) = category {
        query = query.filter(products::Column::Category.eq(category));
    }
    Ok(Listing {
        query,
        fingerprint,
        plan,
        window: None,
        order: (products::Column::CreatedAt, products::Column::Id),
        key: |p| Position {
            at: p.created_at.millis(),
            id: p.id,
        },
    })
}

/// Products of the caller's tenant, newest first.
pub async fn list(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &ProductListParams<'_>,
) -> AppResult<Page<products::Model>> {
    Ok(listing(ctx, params)?.page(ctx).await?)
}

/// How many products match the filters.
pub async fn count(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &ProductListParams<'_>,
) -> AppResult<u64> {
    Ok(listing(ctx, params)?.count(ctx).await?)
}

/// [`list`], each product with its SKUs (two queries a page).
pub async fn list_with_skus(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &ProductListParams<'_>,
) -> AppResult<Page<ProductWithSkus>> {
    let page = list(ctx, params).await?;
    let mut skus_by_product = skus_of_products(ctx, page.items.iter().map(|p| p.id)).await?;
    Ok(page.map(|product| ProductWithSkus {
        skus: skus_by_product.remove(&product.id).unwrap_or_default(),
        product,
    }))
}

/// The SKUs of `products` (in SKU code order), within the caller's tenant.
pub async fn skus_of_products(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    products: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Vec<product_skus::Model>>, sea_orm::DbErr> {
    let Ctx { db, scope, .. } = *ctx;
    let ids: Vec<Uuid> = products.into_iter().collect();
    let mut skus_by_product: HashMap<Uuid, Vec<product_skus::Model>> = HashMap::new();
    if ids.is_empty() {
        return Ok(skus_by_product);
    }
    for sku in scope
        .select::<product_skus::Entity>()
        .filter(product_skus::Column::ProductId.is_in(ids))
        .order_by_asc(product_skus::Column::SkuCode)
        .all(db)
        .await?
    {
        skus_by_product.entry(sku.product_id).or_default().push(sku);
    }
    Ok(skus_by_product)
}

/// SKUs by id, within the caller's tenant.
pub async fn skus_by_id(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, product_skus::Model>, sea_orm::DbErr> {
    let Ctx { db, scope, .. } = *ctx;
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(scope
        .select::<product_skus::Entity>()
        .filter(product_skus::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect())
}
