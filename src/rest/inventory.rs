//! `GET /inventory` and `GET /inventory/movements`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use uuid::Uuid;

use super::ListResponse;
use super::extract::{Authorized, QueryPairs, ReadInventory};
use crate::clock::Timestamp;
use crate::domain::inventory::{self, Level, LevelListParams, Movement, MovementListParams};
use crate::domain::money::Amount;
use crate::entities::enums::MovementType;
use crate::error::AppResult;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inventory", get(list_inventory))
        .route("/inventory/movements", get(list_movements))
}

#[derive(Debug, Serialize)]
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
            available: level.on_hand - level.reserved,
            reorder_point: level.reorder_point,
            is_low_stock: level.on_hand <= level.reorder_point,
            updated_at: level.updated_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct InventoryMovementResponse {
    pub id: Uuid,
    pub warehouse_id: Uuid,
    pub branch_id: Uuid,
    pub product_sku_id: Uuid,
    pub movement_type: MovementType,
    pub quantity: Amount,
    pub balance_after: Amount,
    pub reference_type: Option<String>,
    pub reference_id: Option<Uuid>,
    pub reference: Option<String>,
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

async fn list_inventory(
    State(state): State<AppState>,
    auth: Authorized<ReadInventory>,
    query: QueryPairs,
) -> AppResult<Json<ListResponse<InventoryLevelResponse>>> {
    let params = LevelListParams {
        warehouse_id: query.get("warehouse_id"),
        branch_ids: query.all("branch_id"),
        product_sku_id: query.get("product_sku_id"),
        low_stock: query.get("low_stock"),
        limit: query.get("limit"),
        cursor: query.get("cursor"),
    };
    let page =
        inventory::list_levels(&state.db, &state.cursors, &auth.caller.scope, &params).await?;
    Ok(Json(ListResponse::from_page(
        page,
        InventoryLevelResponse::from,
    )))
}

async fn list_movements(
    State(state): State<AppState>,
    auth: Authorized<ReadInventory>,
    query: QueryPairs,
) -> AppResult<Json<ListResponse<InventoryMovementResponse>>> {
    let params = MovementListParams {
        from: query.get("from"),
        to: query.get("to"),
        warehouse_id: query.get("warehouse_id"),
        branch_ids: query.all("branch_id"),
        movement_type: query.get("movement_type"),
        limit: query.get("limit"),
        cursor: query.get("cursor"),
    };
    let page = inventory::list_movements(
        &state.db,
        &state.cursors,
        &auth.caller.scope,
        state.clock.now(),
        &params,
    )
    .await?;
    Ok(Json(ListResponse::from_page(
        page,
        InventoryMovementResponse::from,
    )))
}
