//! `POST /items`, `POST /items/bulk` (at most 500) and `GET /items/{sku}`: SKUs and their
//! products, upserted by `sku` within the key's tenant.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::PushJson;
use super::bulk::{self, BulkAnswer, check_bulk_size};
use super::decimal;
use super::envelope::{PushError, PushResult, Success};
use super::guard::KeyCaller;
use super::idempotency::WriteUnit;
use crate::clock::Timestamp;
use crate::domain::items::{self, Item, ItemInput, Upsert};
use crate::entities::enums::Tracking;
use crate::error::AppError;
use crate::money::Amount;
use crate::state::AppState;

/// Most items one bulk request may carry.
pub const MAX_BULK_ITEMS: usize = 500;

/// How a SKU's stock is told apart, as this door spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TrackingWire {
    None,
    Lot,
    Serial,
}

impl From<TrackingWire> for Tracking {
    fn from(wire: TrackingWire) -> Self {
        match wire {
            TrackingWire::None => Tracking::None,
            TrackingWire::Lot => Tracking::Lot,
            TrackingWire::Serial => Tracking::Serial,
        }
    }
}

impl From<Tracking> for TrackingWire {
    fn from(tracking: Tracking) -> Self {
        match tracking {
            Tracking::None => TrackingWire::None,
            Tracking::Lot => TrackingWire::Lot,
            Tracking::Serial => TrackingWire::Serial,
        }
    }
}

/// An item to upsert. Left-out optional fields keep their value on an update.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemBody {
    /// The SKU code: the item's identifier within the tenant (1–64 characters, no blanks).
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
    /// The base unit of measure, e.g. `EA`, `BOX`.
    pub base_uom_code: String,
    pub category: Option<String>,
    pub tracking: Option<TrackingWire>,
    pub shelf_life_days: Option<i64>,
    /// Kilograms, a JSON number with at most 4 decimal places.
    #[serde(default, deserialize_with = "decimal::optional")]
    #[schema(value_type = Option<f64>)]
    pub weight_kg: Option<Amount>,
}

impl From<ItemBody> for ItemInput {
    fn from(body: ItemBody) -> Self {
        Self {
            sku: body.sku,
            name: body.name,
            barcode: body.barcode,
            base_uom: body.base_uom_code,
            category: body.category,
            tracking: body.tracking.map(Tracking::from),
            shelf_life_days: body.shelf_life_days,
            weight_kg: body.weight_kg,
        }
    }
}

/// An item as this door shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemView {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
    pub base_uom_code: String,
    pub category: String,
    pub tracking: TrackingWire,
    pub shelf_life_days: Option<i32>,
    #[serde(serialize_with = "decimal::optional_number")]
    #[schema(value_type = Option<f64>)]
    pub weight_kg: Option<Amount>,
    /// The product the SKU belongs to (as the partner API shows it).
    pub product_id: Uuid,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// With an upsert: `created` or `updated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<&'static str>,
}

impl ItemView {
    fn new(item: Item, result: Option<Upsert>) -> Self {
        Self {
            id: item.sku.id,
            sku: item.sku.sku_code,
            name: item.sku.name,
            barcode: item.sku.barcode,
            base_uom_code: item.sku.unit,
            category: item.product.category,
            tracking: item.sku.tracking.into(),
            shelf_life_days: item.sku.shelf_life_days,
            weight_kg: item.sku.weight_kg,
            product_id: item.product.id,
            created_at: item.sku.created_at,
            updated_at: item.sku.updated_at,
            result: result.map(Upsert::as_str),
        }
    }
}

/// Upserts one item in a savepoint of the request's transaction.
async fn upsert_one(
    state: &AppState,
    unit: &WriteUnit,
    caller: &KeyCaller,
    input: &ItemInput,
) -> Result<(Upsert, Item), AppError> {
    unit.run(state, caller, |here| {
        let input = input.clone();
        Box::pin(async move { items::upsert(here, &input).await })
    })
    .await
}

/// `POST /items`: 201 when created, 200 when updated.
#[utoipa::path(
    post,
    path = "/api/v1/integration/v1/items",
    operation_id = "upsertItem",
    tag = "Push: master data",
    summary = "Upsert an item",
    request_body = ItemBody,
    security(("apiKey" = ["write"])),
    responses(
        (status = 201, description = "Created", body = super::openapi::SuccessBody<ItemView>),
        (status = 200, description = "Updated", body = super::openapi::SuccessBody<ItemView>),
        (status = 400, description = "VALIDATION_FAILED", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn upsert(
    State(state): State<AppState>,
    caller: KeyCaller,
    unit: WriteUnit,
    PushJson(body): PushJson<ItemBody>,
) -> PushResult<Success<ItemView>> {
    let (result, item) = upsert_one(&state, &unit, &caller, &body.into()).await?;
    let status = match result {
        Upsert::Created => StatusCode::CREATED,
        Upsert::Updated => StatusCode::OK,
    };
    Ok(Success(status, ItemView::new(item, Some(result))))
}

/// `GET /items/{sku}`.
#[utoipa::path(
    get,
    path = "/api/v1/integration/v1/items/{sku}",
    operation_id = "getItem",
    tag = "Push: master data",
    summary = "Read an item",
    params(("sku" = String, Path, description = "The SKU code")),
    security(("apiKey" = ["read"])),
    responses(
        (status = 200, description = "The item", body = super::openapi::SuccessBody<ItemView>),
        (status = 404, description = "NOT_FOUND", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn read(
    State(state): State<AppState>,
    caller: KeyCaller,
    super::PathText(sku): super::PathText,
) -> PushResult<Success<ItemView>> {
    let db = caller.db(&state);
    let here = caller.ctx(&state, &db);
    let not_found = || PushError::NotFound(format!("Item SKU \"{sku}\" not found."));
    let code = super::path_code(&sku).ok_or_else(not_found)?;
    let item = items::find(&here, code).await?.ok_or_else(not_found)?;
    Ok(Success(StatusCode::OK, ItemView::new(item, None)))
}

/// A bulk request: its entries are read one by one, so one malformed entry fails alone.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkItems {
    items: Vec<Box<RawValue>>,
}

/// `POST /items/bulk`: each item upserted on its own; a failed one rolls back only itself.
#[utoipa::path(
    post,
    path = "/api/v1/integration/v1/items/bulk",
    operation_id = "upsertItemsBulk",
    tag = "Push: master data",
    summary = "Upsert items in bulk (at most 500)",
    security(("apiKey" = ["write"])),
    responses(
        (status = 200, description = "Every item passed", body = super::openapi::BulkReport),
        (status = 207, description = "Some items failed; see `errors`", body = super::openapi::BulkReport),
        (status = 400, description = "VALIDATION_FAILED: not a list of 1 to 500 items", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn bulk(
    State(state): State<AppState>,
    caller: KeyCaller,
    unit: WriteUnit,
    PushJson(body): PushJson<BulkItems>,
) -> PushResult<BulkAnswer> {
    check_bulk_size(body.items.len(), MAX_BULK_ITEMS, "items")?;
    let (state, unit, caller) = (&state, &unit, &caller);
    bulk::each(&body.items, "sku", |item: ItemBody| {
        Box::pin(async move {
            let (result, item) = upsert_one(state, unit, caller, &item.into()).await?;
            Ok((
                result,
                json!({ "id": item.sku.id, "sku": item.sku.sku_code }),
            ))
        })
    })
    .await
}
