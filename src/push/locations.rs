//! `POST /locations`, `POST /locations/bulk` (at most 500): storage locations of a warehouse,
//! upserted by `warehouseCode` and `code` within the key's tenant.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::PushJson;
use super::bulk::{self, BulkAnswer, check_bulk_size};
use super::envelope::{PushResult, Success};
use super::guard::KeyCaller;
use super::idempotency::WriteUnit;
use crate::domain::items::Upsert;
use crate::domain::locations::{self, LocationInput};
use crate::entities::storage_locations;
use crate::error::AppError;
use crate::state::AppState;

/// Most locations one bulk request may carry.
pub const MAX_BULK_LOCATIONS: usize = 500;

/// A location to upsert. Left-out optional fields keep their value on an update.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocationBody {
    /// The warehouse, by its code (seed 003: `Warehouse code "X" not found.` otherwise).
    pub warehouse_code: String,
    /// The location's code within its warehouse, e.g. `A-01-01-01`.
    pub code: String,
    pub zone: Option<String>,
    /// What the location is for; default `storage`.
    #[serde(rename = "type")]
    pub location_type: Option<String>,
    /// Whether pickers take from it directly; default `false`.
    pub pick_face: Option<bool>,
}

impl From<LocationBody> for LocationInput {
    fn from(body: LocationBody) -> Self {
        Self {
            warehouse_code: body.warehouse_code,
            code: body.code,
            zone: body.zone,
            location_type: body.location_type,
            pick_face: body.pick_face,
        }
    }
}

/// A written location.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocationView {
    pub id: Uuid,
    pub warehouse_code: String,
    pub code: String,
    pub zone: Option<String>,
    #[serde(rename = "type")]
    pub location_type: String,
    pub pick_face: bool,
    /// `created` or `updated`.
    pub result: &'static str,
}

impl LocationView {
    fn new(row: storage_locations::Model, warehouse_code: String, result: Upsert) -> Self {
        Self {
            id: row.id,
            warehouse_code,
            code: row.code,
            zone: row.zone,
            location_type: row.location_type,
            pick_face: row.pick_face,
            result: result.as_str(),
        }
    }
}

async fn upsert_one(
    state: &AppState,
    unit: &WriteUnit,
    caller: &KeyCaller,
    input: LocationInput,
) -> Result<(Upsert, LocationView), AppError> {
    let warehouse_code = input.warehouse_code.trim().to_owned();
    let (result, row) = unit
        .run(state, caller, |here| {
            let input = input.clone();
            Box::pin(async move { locations::upsert(here, &input).await })
        })
        .await?;
    Ok((result, LocationView::new(row, warehouse_code, result)))
}

/// `POST /locations`: 201 when created, 200 when updated.
#[utoipa::path(
    post,
    path = "/api/v1/integration/v1/locations",
    operation_id = "upsertLocation",
    tag = "Push: master data",
    summary = "Upsert a storage location",
    request_body = LocationBody,
    security(("apiKey" = ["write"])),
    responses(
        (status = 201, description = "Created", body = super::openapi::SuccessBody<LocationView>),
        (status = 200, description = "Updated", body = super::openapi::SuccessBody<LocationView>),
        (status = 400, description = "VALIDATION_FAILED, or an unknown warehouse code", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn upsert(
    State(state): State<AppState>,
    caller: KeyCaller,
    unit: WriteUnit,
    PushJson(body): PushJson<LocationBody>,
) -> PushResult<Success<LocationView>> {
    let (result, view) = upsert_one(&state, &unit, &caller, body.into()).await?;
    let status = match result {
        Upsert::Created => StatusCode::CREATED,
        Upsert::Updated => StatusCode::OK,
    };
    Ok(Success(status, view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkLocations {
    locations: Vec<Box<RawValue>>,
}

/// `POST /locations/bulk`: each location upserted on its own.
#[utoipa::path(
    post,
    path = "/api/v1/integration/v1/locations/bulk",
    operation_id = "upsertLocationsBulk",
    tag = "Push: master data",
    summary = "Upsert storage locations in bulk (at most 500)",
    security(("apiKey" = ["write"])),
    responses(
        (status = 200, description = "Every location passed", body = super::openapi::BulkReport),
        (status = 207, description = "Some locations failed; see `errors`", body = super::openapi::BulkReport),
        (status = 400, description = "VALIDATION_FAILED", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn bulk(
    State(state): State<AppState>,
    caller: KeyCaller,
    unit: WriteUnit,
    PushJson(body): PushJson<BulkLocations>,
) -> PushResult<BulkAnswer> {
    check_bulk_size(body.locations.len(), MAX_BULK_LOCATIONS, "locations")?;
    let (state, unit, caller) = (&state, &unit, &caller);
    bulk::each(&body.locations, "code", |location: LocationBody| {
        Box::pin(async move {
            let (result, view) = upsert_one(state, unit, caller, location.into()).await?;
            Ok((result, json!(view)))
        })
    })
    .await
}
