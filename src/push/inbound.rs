//! `POST /asn`, `POST /asn/bulk` (at most 100), `GET /asn/{asnNo}` and `POST /grn`: goods on
//! their way in and goods received (seed 003 §4 Inbound). The rules are the domain's
//! ([`crate::domain::inbound`]).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
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
use crate::domain::inbound::{self, Asn, AsnInput, AsnLineInput, GrnInput, GrnLineInput, Receipt};
use crate::domain::items::Upsert;
use crate::entities::enums::AsnStatus;
use crate::error::AppError;
use crate::money::Amount;
use crate::state::AppState;

/// Most ASNs one bulk request may carry.
pub const MAX_BULK_ASNS: usize = 100;

/// One line of an ASN.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AsnLineBody {
    /// The line's number within the ASN (positive, unique).
    pub line_no: i64,
    pub sku: String,
    /// Must be the item's base unit when given (no unit conversions are known).
    pub uom_code: Option<String>,
    /// A JSON number greater than zero, at most 4 decimal places.
    #[serde(deserialize_with = "decimal::required")]
    #[schema(value_type = f64)]
    pub expected_qty: Amount,
    /// Required for items tracked by lot.
    pub lot_no: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub expiry_date: Option<NaiveDate>,
}

/// An advance shipping notice.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AsnBody {
    pub warehouse_code: String,
    pub supplier_code: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub expected_date: Option<NaiveDate>,
    /// Your reference; when it is the number of one of the tenant's open purchase orders (for
    /// the same supplier and warehouse), receipts against the ASN are that order's receipts.
    pub reference_no: Option<String>,
    /// 1 to 500 lines.
    pub lines: Vec<AsnLineBody>,
}

impl From<AsnBody> for AsnInput {
    fn from(body: AsnBody) -> Self {
        Self {
            warehouse_code: body.warehouse_code,
            supplier_code: body.supplier_code,
            expected_date: body.expected_date,
            reference_no: body.reference_no,
            lines: body
                .lines
                .into_iter()
                .map(|l| AsnLineInput {
                    line_no: l.line_no,
                    sku: l.sku,
                    uom_code: l.uom_code,
                    expected_qty: l.expected_qty,
                    lot_no: l.lot_no,
                    expiry_date: l.expiry_date,
                })
                .collect(),
        }
    }
}

fn asn_status(status: AsnStatus) -> &'static str {
    match status {
        AsnStatus::Pending => "pending",
        AsnStatus::Receiving => "receiving",
        AsnStatus::Completed => "completed",
    }
}

/// An ASN line as stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AsnLineView {
    pub line_no: i32,
    pub sku: String,
    pub item_name: String,
    pub uom_code: String,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub expected_qty: Amount,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub received_qty: Amount,
    pub lot_no: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub expiry_date: Option<NaiveDate>,
}

/// A GRN received against an ASN.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkedGrn {
    pub grn_no: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// An ASN as stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AsnView {
    pub id: Uuid,
    pub asn_no: String,
    /// `pending`, `receiving` or `completed`.
    pub status: &'static str,
    pub warehouse_code: String,
    pub supplier_code: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub expected_date: Option<NaiveDate>,
    pub reference_no: Option<String>,
    /// The purchase order the ASN answers to, when its reference names one.
    pub purchase_order_no: Option<String>,
    pub lines: Vec<AsnLineView>,
    /// The GRNs received against it, oldest first.
    pub grns: Vec<LinkedGrn>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Asn> for AsnView {
    fn from(asn: Asn) -> Self {
        Self {
            id: asn.asn.id,
            asn_no: asn.asn.asn_no,
            status: asn_status(asn.asn.status),
            warehouse_code: asn.warehouse.code,
            supplier_code: asn.supplier.code,
            expected_date: asn.asn.expected_date,
            reference_no: asn.asn.reference_no,
            purchase_order_no: asn.purchase_order.map(|po| po.po_number),
            lines: asn
                .lines
                .into_iter()
                .map(|l| AsnLineView {
                    line_no: l.line.line_no,
                    sku: l.sku.sku_code,
                    item_name: l.sku.name,
                    uom_code: l.line.uom_code,
                    expected_qty: l.line.expected_quantity,
                    received_qty: l.line.received_quantity,
                    lot_no: Some(l.line.lot_no).filter(|lot| !lot.is_empty()),
                    expiry_date: l.line.expiry_date,
                })
                .collect(),
            grns: asn
                .receipts
                .into_iter()
                .map(|g| LinkedGrn {
                    grn_no: g.grn_no,
                    created_at: g.created_at,
                })
                .collect(),
            created_at: asn.asn.created_at,
            updated_at: asn.asn.updated_at,
        }
    }
}

async fn create_one(
    state: &AppState,
    unit: &WriteUnit,
    caller: &KeyCaller,
    input: AsnInput,
) -> Result<AsnView, AppError> {
    unit.run(state, caller, |here| {
        let input = input.clone();
        Box::pin(async move { inbound::create_asn(here, &input).await })
    })
    .await
    .map(AsnView::from)
}

/// `POST /asn`.
#[utoipa::path(
    post,
    path = "/api/v1/integration/v1/asn",
    operation_id = "createAsn",
    tag = "Push: inbound",
    summary = "Create an advance shipping notice",
    request_body = AsnBody,
    security(("apiKey" = ["write"])),
    responses(
        (status = 201, description = "Created, numbered ASN-YYYYMMDD-NNNN", body = super::openapi::SuccessBody<AsnView>),
        (status = 400, description = "VALIDATION_FAILED, or an unknown warehouse, supplier or SKU (`Item SKU \"X\" not found.`)", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: KeyCaller,
    unit: WriteUnit,
    PushJson(body): PushJson<AsnBody>,
) -> PushResult<Success<AsnView>> {
    let view = create_one(&state, &unit, &caller, body.into()).await?;
    Ok(Success(StatusCode::CREATED, view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkAsns {
    asns: Vec<Box<RawValue>>,
}

/// `POST /asn/bulk`: each ASN created on its own.
#[utoipa::path(
    post,
    path = "/api/v1/integration/v1/asn/bulk",
    operation_id = "createAsnsBulk",
    tag = "Push: inbound",
    summary = "Create advance shipping notices in bulk (at most 100)",
    security(("apiKey" = ["write"])),
    responses(
        (status = 200, description = "Every ASN was created", body = super::openapi::BulkReport),
        (status = 207, description = "Some ASNs failed; see `errors`", body = super::openapi::BulkReport),
        (status = 400, description = "VALIDATION_FAILED: not a list of 1 to 100 ASNs", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn bulk(
    State(state): State<AppState>,
    caller: KeyCaller,
    unit: WriteUnit,
    PushJson(body): PushJson<BulkAsns>,
) -> PushResult<BulkAnswer> {
    check_bulk_size(body.asns.len(), MAX_BULK_ASNS, "asns")?;
    let (state, unit, caller) = (&state, &unit, &caller);
    bulk::each(&body.asns, "referenceNo", |asn: AsnBody| {
        Box::pin(async move {
            let view = create_one(state, unit, caller, asn.into()).await?;
            Ok((
                Upsert::Created,
                json!({ "id": view.id, "asnNo": view.asn_no }),
            ))
        })
    })
    .await
}

/// `GET /asn/{asnNo}`.
#[utoipa::path(
    get,
    path = "/api/v1/integration/v1/asn/{asnNo}",
    operation_id = "getAsn",
    tag = "Push: inquiry",
    summary = "Read an ASN with its received quantities and GRNs",
    params(("asnNo" = String, Path, description = "The ASN's number")),
    security(("apiKey" = ["read"])),
    responses(
        (status = 200, description = "The ASN", body = super::openapi::SuccessBody<AsnView>),
        (status = 404, description = "NOT_FOUND: `ASN \"X\" not found.`", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn read(
    State(state): State<AppState>,
    caller: KeyCaller,
    super::PathText(asn_no): super::PathText,
) -> PushResult<Success<AsnView>> {
    let db = caller.db(&state);
    let here = caller.ctx(&state, &db);
    let not_found = || PushError::NotFound(format!("ASN \"{asn_no}\" not found."));
    let code = super::path_code(&asn_no).ok_or_else(not_found)?;
    let asn = inbound::find_asn(&here, code)
        .await?
        .ok_or_else(not_found)?;
    Ok(Success(StatusCode::OK, asn.into()))
}

/// One line of a GRN.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrnLineBody {
    /// The ASN line received (needs the GRN's `asnNo`); more than it still expects is refused.
    pub asn_line_no: Option<i64>,
    pub sku: String,
    /// Must be the item's base unit when given.
    pub uom_code: Option<String>,
    /// A JSON number greater than zero, at most 4 decimal places.
    #[serde(deserialize_with = "decimal::required")]
    #[schema(value_type = f64)]
    pub qty: Amount,
    /// Where it is put away: one of the warehouse's locations (none: the warehouse at large).
    pub location_code: Option<String>,
    /// The ASN line's lot when left out; required for items tracked by lot.
    pub lot_no: Option<String>,
    /// The ASN line's expiry when left out.
    #[schema(value_type = Option<String>, format = Date)]
    pub expiry_date: Option<NaiveDate>,
}

/// A goods receipt.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrnBody {
    pub warehouse_code: String,
    /// The ASN received against: its lines' received quantities and status follow.
    pub asn_no: Option<String>,
    /// 1 to 500 lines.
    pub lines: Vec<GrnLineBody>,
}

impl From<GrnBody> for GrnInput {
    fn from(body: GrnBody) -> Self {
        Self {
            warehouse_code: body.warehouse_code,
            asn_no: body.asn_no,
            lines: body
                .lines
                .into_iter()
                .map(|l| GrnLineInput {
                    asn_line_no: l.asn_line_no,
                    sku: l.sku,
                    uom_code: l.uom_code,
                    qty: l.qty,
                    location_code: l.location_code,
                    lot_no: l.lot_no,
                    expiry_date: l.expiry_date,
                })
                .collect(),
        }
    }
}

/// A GRN line as posted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GrnLineView {
    pub line_no: i32,
    pub asn_line_no: Option<i32>,
    pub sku: String,
    pub uom_code: String,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub qty: Amount,
    pub location_code: Option<String>,
    pub lot_no: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub expiry_date: Option<NaiveDate>,
    /// The receipt movement it posted (as the partner API lists it).
    pub movement_id: Uuid,
}

/// A posted GRN.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GrnView {
    pub id: Uuid,
    pub grn_no: String,
    pub warehouse_code: String,
    pub asn_no: Option<String>,
    /// The ASN's status after the receipt: `receiving` or `completed`.
    pub asn_status: Option<&'static str>,
    pub lines: Vec<GrnLineView>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<Receipt> for GrnView {
    fn from(receipt: Receipt) -> Self {
        Self {
            id: receipt.grn.id,
            grn_no: receipt.grn.grn_no,
            warehouse_code: receipt.warehouse.code,
            asn_no: receipt.asn.as_ref().map(|a| a.asn_no.clone()),
            asn_status: receipt.asn.as_ref().map(|a| asn_status(a.status)),
            lines: receipt
                .lines
                .into_iter()
                .map(|l| GrnLineView {
                    line_no: l.line.line_no,
                    asn_line_no: l.asn_line_no,
                    sku: l.sku.sku_code,
                    uom_code: l.line.uom_code,
                    qty: l.line.quantity,
                    location_code: l.location_code,
                    lot_no: Some(l.line.lot_no).filter(|lot| !lot.is_empty()),
                    expiry_date: l.line.expiry_date,
                    movement_id: l.line.movement_id,
                })
                .collect(),
            created_at: receipt.grn.created_at,
        }
    }
}

/// `POST /grn`.
#[utoipa::path(
    post,
    path = "/api/v1/integration/v1/grn",
    operation_id = "createGrn",
    tag = "Push: inbound",
    summary = "Receive goods into stock",
    request_body = GrnBody,
    security(("apiKey" = ["write"])),
    responses(
        (status = 201, description = "Received, numbered GRN-YYYYMMDD-NNNN", body = super::openapi::SuccessBody<GrnView>),
        (status = 400, description = "VALIDATION_FAILED (an over-receipt included), or an unknown warehouse, ASN, SKU or location", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn receive(
    State(state): State<AppState>,
    caller: KeyCaller,
    unit: WriteUnit,
    PushJson(body): PushJson<GrnBody>,
) -> PushResult<Success<GrnView>> {
    let input: GrnInput = body.into();
    let receipt = unit
        .run(&state, &caller, |here| {
            let input = input.clone();
            Box::pin(async move { inbound::receive(here, &input).await })
        })
        .await?;
    Ok(Success(StatusCode::CREATED, receipt.into()))
}
