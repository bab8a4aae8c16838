//! `GET /products`: each product with its `skus`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use uuid::Uuid;

use super::ListResponse;
use super::extract::{Authorized, QueryPairs, ReadProducts};
use crate::clock::Timestamp;
use crate::domain::input::Field;
use crate::domain::products::{self, ProductListParams, ProductWithSkus};
use crate::entities::enums::{ProductStatus, RecordStatus};
use crate::entities::product_skus;
use crate::error::AppResult;
use crate::money::Amount;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/products", get(list_products))
}

/// A product with its SKUs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductResponse {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub category: String,
    pub status: ProductStatus,
    #[schema(required = true)]
    pub description: Option<String>,
    pub skus: Vec<SkuResponse>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A sellable unit of a product.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SkuResponse {
    pub id: Uuid,
    pub sku_code: String,
    pub name: String,
    #[schema(required = true)]
    pub barcode: Option<String>,
    pub unit: String,
    pub price: Amount,
    pub cost: Amount,
    pub status: RecordStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<product_skus::Model> for SkuResponse {
    fn from(s: product_skus::Model) -> Self {
        Self {
            id: s.id,
            sku_code: s.sku_code,
            name: s.name,
            barcode: s.barcode,
            unit: s.unit,
            price: s.price,
            cost: s.cost,
            status: s.status,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

impl From<ProductWithSkus> for ProductResponse {
    fn from(p: ProductWithSkus) -> Self {
        let product = p.product;
        Self {
            id: product.id,
            code: product.code,
            name: product.name,
            category: product.category,
            status: product.status,
            description: product.description,
            skus: p.skus.into_iter().map(Into::into).collect(),
            created_at: product.created_at,
            updated_at: product.updated_at,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/partner/v1/products",
    tag = "Products",
    summary = "List products with their SKUs",
    description = "Newest first. Scope `read:products`.",
    params(
        ("status" = Option<ProductStatus>, Query, description = "Only products in this status"),
        ("category" = Option<String>, Query, max_length = 100, example = "Beverages", description = "Only products of this category (exact match)"),
        crate::rest::openapi::PageParams,
    ),
    security(("oauth2" = ["read:products"]), ("bearer" = ["read:products"])),
    responses(
        (status = 200, description = "A page of products with their SKUs, newest first", body = ListResponse<ProductResponse>),
        crate::rest::openapi::StandardErrors
    )
)]
pub async fn list_products(
    State(state): State<AppState>,
    auth: Authorized<ReadProducts>,
    query: QueryPairs,
) -> AppResult<Json<ListResponse<ProductResponse>>> {
    let params = ProductListParams {
        status: query.word(Field::Status),
        category: query.text(Field::Category),
        page: query.page(),
    };
    let page = products::list_with_skus(&auth.ctx(&state), &params).await?;
    Ok(Json(ListResponse::from_page(page, ProductResponse::from)))
}
