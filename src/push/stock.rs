//! `GET /stock?sku=…[&warehouseCode=…][&lotNo=…]`: a SKU's stock by warehouse, location and lot,
//! in seed 003's shape.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde::Serialize;

use super::decimal;
use super::envelope::{PushError, PushResult, Success, VALIDATION_FAILED};
use super::guard::KeyCaller;
use super::items::TrackingWire;
use crate::domain::stock;
use crate::error::FieldError;
use crate::money::Amount;
use crate::state::AppState;

/// One place's stock.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockRow {
    pub warehouse_code: String,
    /// `null`: somewhere in the warehouse, no location recorded.
    pub location_code: Option<String>,
    pub lot_no: Option<String>,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub qty_on_hand: Amount,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub qty_allocated: Amount,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub qty_available: Amount,
}

/// A SKU's stock.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StockView {
    pub sku: String,
    pub item_name: String,
    pub tracking: TrackingWire,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub total_on_hand: Amount,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub total_allocated: Amount,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub total_available: Amount,
    /// Each place with stock on hand or allocated.
    pub stocks: Vec<StockRow>,
}

/// The query's parameters: each at most once, no others.
fn parameters(query: Option<&str>) -> Result<(String, Option<String>, Option<String>), PushError> {
    let mut sku = None;
    let mut warehouse = None;
    let mut lot = None;
    let mut details = Vec::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let slot = match name.as_ref() {
            "sku" => &mut sku,
            "warehouseCode" => &mut warehouse,
            "lotNo" => &mut lot,
            other => {
                details.push(FieldError::new(
                    other,
                    "is not a parameter of this endpoint",
                ));
                continue;
            }
        };
        if slot.is_some() {
            details.push(FieldError::new(name.as_ref(), "is given more than once"));
        } else if super::path_code(&value).is_none() {
            details.push(FieldError::new(
                name.as_ref(),
                "must be 1 to 64 characters, no control characters",
            ));
        } else {
            *slot = Some(value.trim().to_owned());
        }
    }
    if sku.is_none() && !details.iter().any(|d| d.field == "sku") {
        details.push(FieldError::new("sku", "is required"));
    }
    match sku {
        Some(sku) if details.is_empty() => Ok((sku, warehouse, lot)),
        _ => Err(PushError::Invalid {
            message: VALIDATION_FAILED.to_owned(),
            details,
        }),
    }
}

/// `GET /stock`.
#[utoipa::path(
    get,
    path = "/api/v1/integration/v1/stock",
    operation_id = "getStock",
    tag = "Push: inquiry",
    summary = "Read a SKU's stock by warehouse, location and lot",
    params(
        ("sku" = String, Query, description = "The SKU code"),
        ("warehouseCode" = Option<String>, Query, description = "One warehouse only (all when left out)"),
        ("lotNo" = Option<String>, Query, description = "One lot only"),
    ),
    security(("apiKey" = ["read"])),
    responses(
        (status = 200, description = "The SKU's stock", body = super::openapi::SuccessBody<StockView>),
        (status = 400, description = "VALIDATION_FAILED, or an unknown SKU (`Item SKU \"X\" not found.`) or warehouse code", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn read(
    State(state): State<AppState>,
    caller: KeyCaller,
    RawQuery(query): RawQuery,
) -> PushResult<Success<StockView>> {
    let (sku, warehouse, lot) = parameters(query.as_deref())?;
    let db = caller.db(&state);
    let here = caller.ctx(&state, &db);
    // A SKU named in the query is a reference: 400 in the seed's words, like one in a body.
    let found = stock::inquiry(&here, &sku, warehouse.as_deref(), lot.as_deref())
        .await?
        .ok_or_else(|| crate::domain::inbound::unknown_sku(&sku, "sku".to_owned()))?;
    let (on_hand, allocated) = (found.on_hand(), found.allocated());
    Ok(Success(
        StatusCode::OK,
        StockView {
            sku: found.sku.sku_code,
            item_name: found.sku.name,
            tracking: found.sku.tracking.into(),
            total_on_hand: on_hand,
            total_allocated: allocated,
            total_available: on_hand - allocated,
            stocks: found
                .places
                .into_iter()
                .map(|p| StockRow {
                    warehouse_code: p.warehouse_code,
                    location_code: p.location_code,
                    lot_no: Some(p.lot_no).filter(|lot| !lot.is_empty()),
                    qty_on_hand: p.on_hand,
                    qty_allocated: p.allocated,
                    qty_available: p.on_hand - p.allocated,
                })
                .collect(),
        },
    ))
}
