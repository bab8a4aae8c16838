//! Storage locations of a warehouse, as the Push Integration API upserts them by warehouse code
//! and location code within the tenant.

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use super::context::Ctx;
use super::input::{Field, Problems};
use super::items::Upsert;
use crate::entities::{storage_locations, warehouses};
use crate::error::{AppError, AppResult};

/// A location's type when none is given.
pub const DEFAULT_TYPE: &str = "storage";

#[derive(Debug, Clone, Default)]
pub struct LocationInput {
    pub warehouse_code: String,
    pub code: String,
    pub zone: Option<String>,
    pub location_type: Option<String>,
    pub pick_face: Option<bool>,
}

/// The seed's answer for a warehouse code the tenant does not have.
pub fn unknown_warehouse(code: &str) -> AppError {
    AppError::Unprocessable {
        message: format!("Warehouse code \"{code}\" not found."),
        details: vec![crate::error::FieldError::new(
            "warehouseCode",
            "no warehouse of the tenant has this code",
        )],
    }
}

/// Creates the location or updates the warehouse's location with its code.
pub async fn upsert(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    input: &LocationInput,
) -> AppResult<(Upsert, storage_locations::Model)> {
    let mut problems = Problems::default();
    problems.text(Field::WarehouseCode, &input.warehouse_code, 64);
    problems.text(Field::Code, &input.code, 64);
    problems.optional_text(Field::Zone, input.zone.as_deref(), 64);
    problems.optional_text(Field::LocationType, input.location_type.as_deref(), 32);
    problems.check()?;
    let Ctx { db, scope, now, .. } = *ctx;
    let warehouse_code = input.warehouse_code.trim();
    let warehouse = scope
        .select::<warehouses::Entity>()
        .filter(warehouses::Column::Code.eq(warehouse_code))
        .one(db)
        .await?
        .ok_or_else(|| unknown_warehouse(warehouse_code))?;
    let code = input.code.trim();
    let found = scope
        .select::<storage_locations::Entity>()
        .filter(storage_locations::Column::WarehouseId.eq(warehouse.id))
        .filter(storage_locations::Column::Code.eq(code))
        .one(db)
        .await?;
    let zone = input.zone.as_deref().map(str::trim).map(str::to_owned);
    let kind = input
        .location_type
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    if let Some(found) = found {
        let mut row: storage_locations::ActiveModel = found.into();
        if let Some(zone) = zone {
            row.zone = Set(Some(zone));
        }
        if let Some(kind) = kind {
            row.location_type = Set(kind);
        }
        if let Some(pick_face) = input.pick_face {
            row.pick_face = Set(pick_face);
        }
        row.updated_at = Set(now);
        return Ok((Upsert::Updated, row.update(db).await?));
    }
    let row = storage_locations::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(scope.tenant_id()),
        warehouse_id: Set(warehouse.id),
        code: Set(code.to_owned()),
        zone: Set(zone),
        location_type: Set(kind.unwrap_or_else(|| DEFAULT_TYPE.to_owned())),
        pick_face: Set(input.pick_face.unwrap_or(false)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok((Upsert::Created, row))
}
