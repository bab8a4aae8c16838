//! Products and their SKUs.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::pagination::{
    CursorCodec, Fingerprint, Page, Position, decode_cursor, fetch_page, parse_limit,
};
use super::params::parse_enum;
use super::scope::TenantScope;
use crate::entities::enums::ProductStatus;
use crate::entities::{product_skus, products};
use crate::error::{AppError, AppResult, FieldError};

#[derive(Debug, Default, Clone)]
pub struct ProductListParams<'a> {
    pub status: Option<&'a str>,
    pub category: Option<&'a str>,
    pub limit: Option<&'a str>,
    pub cursor: Option<&'a str>,
}

/// A product with its SKUs (in SKU code order).
#[derive(Debug, Clone)]
pub struct ProductWithSkus {
    pub product: products::Model,
    pub skus: Vec<product_skus::Model>,
}

/// Products of the caller's tenant, newest first, each with its SKUs (two queries a page).
pub async fn list(
    db: &impl ConnectionTrait,
    codec: &CursorCodec,
    scope: &TenantScope,
    params: &ProductListParams<'_>,
) -> AppResult<Page<ProductWithSkus>> {
    let mut errors = Vec::new();
    let status = parse_enum::<ProductStatus>("status", params.status, &mut errors);
    let category = params.category.map(str::trim);
    if category.is_some_and(|c| c.is_empty() || c.len() > 100) {
        errors.push(FieldError::new("category", "must be 1 to 100 characters"));
    }
    let limit = parse_limit(params.limit, &mut errors);
    let fingerprint = Fingerprint::new("products", scope.tenant_id())
        .with("status", status.map(|s| s.as_str()).unwrap_or_default())
        .with("category", category.unwrap_or_default());
    let resume = decode_cursor(codec, params.cursor, &fingerprint, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let mut query = scope.select::<products::Entity>();
    if let Some(status) = status {
        query = query.filter(products::Column::Status.eq(status));
    }
    if let Some(category) = category {
        query = query.filter(products::Column::Category.eq(category));
    }
    let page = fetch_page(
        db,
        codec,
        &fingerprint,
        query,
        products::Column::CreatedAt,
        products::Column::Id,
        limit,
        resume,
        None,
        |p| Position {
            at: p.created_at.millis(),
            id: p.id,
        },
    )
    .await?;
    let ids: Vec<Uuid> = page.items.iter().map(|p| p.id).collect();
    let mut skus_by_product: HashMap<Uuid, Vec<product_skus::Model>> = HashMap::new();
    if !ids.is_empty() {
        for sku in scope
            .select::<product_skus::Entity>()
            .filter(product_skus::Column::ProductId.is_in(ids))
            .order_by_asc(product_skus::Column::SkuCode)
            .all(db)
            .await?
        {
            skus_by_product.entry(sku.product_id).or_default().push(sku);
        }
    }
    Ok(page.map(|product| ProductWithSkus {
        skus: skus_by_product.remove(&product.id).unwrap_or_default(),
        product,
    }))
}

/// SKUs by id, within the caller's tenant.
pub async fn skus_by_id(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, product_skus::Model>, sea_orm::DbErr> {
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
