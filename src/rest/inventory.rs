//! `GET /inventory` and `GET /inventory/movements`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use uuid::Uuid;

use super::ListResponse;
use super::extract::{Authorized, QueryPairs, ReadInventory};
use crate::clock::Timestamp;
use crate::domain::input::Field;
use crate::domain::inventory::{
    self, Level, LevelListParams, Movement, MovementListParams, StockRules,
};
use crate::entities::enums::MovementType;
use crate::error::AppResult;
use crate::money::Amount;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inventory", get(list_inventory))
        .route("/inventory/movements", get(list_movements))
}

/// The stock of one SKU in one warehouse.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InventoryLevelResponse {
    pub id: Uuid,
    pub warehouse_id: Uuid,
    pub branch_id: Uuid,
    pub product_sku_id: Uuid,
    pub on_hand: Amount,
    pub reserved: Amount,
    pub available: Amount,
    pub reorder_point: Amount,
    pub is_low_stock: bool,
    pub updated_at: Timestamp,
}

impl From<Level> for InventoryLevelResponse {
    fn from(l: Level) -> Self {
        let level = l.level;
        Self {
            id: level.id,
            warehouse_id: level.warehouse_id,
            branch_id: l.branch_id,
            product_sku_id: level.product_sku_id,
            on_hand: level.on_hand,
            reserved: level.reserved,
            available: level.available(),
            reorder_point: level.reorder_point,
            is_low_stock: level.is_low_stock(),
            updated_at: level.updated_at,
        }
    }
}

/// One change of stock; `balance_after` is the on-hand quantity after it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InventoryMovementResponse {
    pub id: Uuid,
    pub warehouse_id: Uuid,
    pub branch_id: Uuid,
    pub product_sku_id: Uuid,
    pub movement_type: MovementType,
    pub quantity: Amount,
    pub balance_after: Amount,
    #[schema(required = true)]
    pub reference_type: Option<String>,
    #[schema(required = true)]
    pub reference_id: Option<Uuid>,
    #[schema(required = true)]
    pub reference: Option<String>,
    #[schema(required = true)]
    pub note: Option<String>,
    pub created_at: Timestamp,
}

impl From<Movement> for InventoryMovementResponse {
    fn from(m: Movement) -> Self {
        let movement = m.movement;
        Self {
            id: movement.id,
            warehouse_id: movement.warehouse_id,
            branch_id: m.branch_id,
            product_sku_id: movement.product_sku_id,
            movement_type: movement.movement_type,
            quantity: movement.quantity,
            balance_after: movement.balance_after,
            reference_type: movement.reference_type,
            reference_id: movement.reference_id,
            reference: movement.reference,
            note: movement.note,
            created_at: movement.created_at,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/partner/v1/inventory",
    tag = "Inventory",
    summary = "Stock levels",
    description = "Most recently changed first. Scope `read:inventory`.",
    params(
        ("warehouse_id" = Option<uuid::Uuid>, Query, description = "Only this warehouse; unknown or outside the token's branches: 404"),
        ("branch_id" = Option<Vec<uuid::Uuid>>, Query, explode = true, description = "Repeatable; only warehouses of these branches, intersected with the token's branches"),
        ("product_sku_id" = Option<uuid::Uuid>, Query, description = "Only this SKU"),
        ("low_stock" = Option<bool>, Query, description = "true: only levels with on_hand at or below reorder_point"),
        crate::rest::openapi::PageParams,
    ),
    security(("oauth2" = ["read:inventory"]), ("bearer" = ["read:inventory"])),
    responses(
        (status = 200, description = "A page of stock levels, most recently changed first", body = ListResponse<InventoryLevelResponse>),
        crate::rest::openapi::StandardErrors,
        crate::rest::openapi::NotFound
    )
)]
pub async fn list_inventory(
    State(state): State<AppState>,
    auth: Authorized<ReadInventory>,
    query: QueryPairs,
) -> AppResult<Json<ListResponse<InventoryLevelResponse>>> {
    let params = LevelListParams {
        warehouse_id: query.uuid(Field::Warehouse),
        branch_ids: query.uuids(Field::Branches),
        product_sku_id: query.uuid(Field::ProductSku),
        low_stock: query.boolean(Field::LowStock),
        page: query.page(),
    };
    let page = inventory::list_levels(&auth.ctx(&state), &params).await?;
    Ok(Json(ListResponse::from_page(
        page,
        InventoryLevelResponse::from,
    )))
}

#[utoipa::path(
    get,
    path = "/api/partner/v1/inventory/movements",
    tag = "Inventory",
    summary = "Stock movements",
    description = "Newest first. Scope `read:inventory`. `from`/`to` filter `created_at`.",
    params(
        ("from" = Option<String>, Query, format = Date, example = "2026-11-01", description = "First day, UTC (YYYY-MM-DD), filtering `created_at`; default 30 days before `to`"),
        ("to" = Option<String>, Query, format = Date, example = "2026-11-29", description = "Last day, inclusive (YYYY-MM-DD); default today; `from`..`to` spans at most 30 days"),
        ("warehouse_id" = Option<uuid::Uuid>, Query, description = "Only this warehouse; unknown or outside the token's branches: 404"),
        ("branch_id" = Option<Vec<uuid::Uuid>>, Query, explode = true, description = "Repeatable; only warehouses of these branches, intersected with the token's branches"),
        ("movement_type" = Option<MovementType>, Query, description = "Only movements of this type"),
        crate::rest::openapi::PageParams,
    ),
    security(("oauth2" = ["read:inventory"]), ("bearer" = ["read:inventory"])),
    responses(
        (status = 200, description = "A page of movements, newest first", body = ListResponse<InventoryMovementResponse>),
        crate::rest::openapi::StandardErrors,
        crate::rest::openapi::NotFound
    )
)]
pub async fn list_movements(
    State(state): State<AppState>,
    auth: Authorized<ReadInventory>,
    query: QueryPairs,
) -> AppResult<Json<ListResponse<InventoryMovementResponse>>> {
    let params = MovementListParams {
        from: query.day(Field::From),
        to: query.day(Field::To),
        warehouse_id: query.uuid(Field::Warehouse),
        branch_ids: query.uuids(Field::Branches),
        movement_type: query.word(Field::MovementType),
        page: query.page(),
    };
    let page = inventory::list_movements(&auth.ctx(&state), &params).await?;
    Ok(Json(ListResponse::from_page(
        page,
        InventoryMovementResponse::from,
    )))
}
