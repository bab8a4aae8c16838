//! `POST /partners`, `POST /partners/bulk` (at most 500): suppliers and customers upserted by
//! `code` and `type` within the key's tenant.

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
use crate::domain::partners::{self, Partner, PartnerInput, PartnerKind};
use crate::error::AppError;
use crate::state::AppState;

/// Most partners one bulk request may carry.
pub const MAX_BULK_PARTNERS: usize = 500;

#[derive(Debug, Clone, Copy, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PartnerType {
    Supplier,
    Customer,
}

/// How to reach a partner. Left-out fields keep their value on an update.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Contact {
    /// A supplier's contact person (customers have none).
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// A partner to upsert.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PartnerBody {
    /// The partner's code: its identifier within the tenant and type (1–64 characters).
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: PartnerType,
    #[serde(default)]
    pub contact: Contact,
    pub tax_id: Option<String>,
}

impl From<PartnerBody> for PartnerInput {
    fn from(body: PartnerBody) -> Self {
        Self {
            kind: match body.kind {
                PartnerType::Supplier => PartnerKind::Supplier,
                PartnerType::Customer => PartnerKind::Customer,
            },
            code: body.code,
            name: body.name,
            contact_name: body.contact.name,
            phone: body.contact.phone,
            email: body.contact.email,
            address: body.contact.address,
            tax_id: body.tax_id,
        }
    }
}

/// A written partner.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerView {
    pub id: Uuid,
    pub code: String,
    #[serde(rename = "type")]
    pub kind: PartnerType,
    /// `created` or `updated`.
    pub result: &'static str,
}

impl PartnerView {
    fn new(partner: Partner, result: Upsert) -> Self {
        Self {
            id: partner.id,
            code: partner.code,
            kind: match partner.kind {
                PartnerKind::Supplier => PartnerType::Supplier,
                PartnerKind::Customer => PartnerType::Customer,
            },
            result: result.as_str(),
        }
    }
}

async fn upsert_one(
    state: &AppState,
    unit: &WriteUnit,
    caller: &KeyCaller,
    input: PartnerInput,
) -> Result<(Upsert, Partner), AppError> {
    unit.run(state, caller, |here| {
        let input = input.clone();
        Box::pin(async move { partners::upsert(here, &input).await })
    })
    .await
}

/// `POST /partners`: 201 when created, 200 when updated.
#[utoipa::path(
    post,
    path = "/api/v1/integration/v1/partners",
    operation_id = "upsertPartner",
    tag = "Push: master data",
    summary = "Upsert a supplier or customer",
    request_body = PartnerBody,
    security(("apiKey" = ["write"])),
    responses(
        (status = 201, description = "Created", body = super::openapi::SuccessBody<PartnerView>),
        (status = 200, description = "Updated", body = super::openapi::SuccessBody<PartnerView>),
        (status = 400, description = "VALIDATION_FAILED", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn upsert(
    State(state): State<AppState>,
    caller: KeyCaller,
    unit: WriteUnit,
    PushJson(body): PushJson<PartnerBody>,
) -> PushResult<Success<PartnerView>> {
    let (result, partner) = upsert_one(&state, &unit, &caller, body.into()).await?;
    let status = match result {
        Upsert::Created => StatusCode::CREATED,
        Upsert::Updated => StatusCode::OK,
    };
    Ok(Success(status, PartnerView::new(partner, result)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkPartners {
    partners: Vec<Box<RawValue>>,
}

/// `POST /partners/bulk`: each partner upserted on its own.
#[utoipa::path(
    post,
    path = "/api/v1/integration/v1/partners/bulk",
    operation_id = "upsertPartnersBulk",
    tag = "Push: master data",
    summary = "Upsert partners in bulk (at most 500)",
    security(("apiKey" = ["write"])),
    responses(
        (status = 200, description = "Every partner passed", body = super::openapi::BulkReport),
        (status = 207, description = "Some partners failed; see `errors`", body = super::openapi::BulkReport),
        (status = 400, description = "VALIDATION_FAILED", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn bulk(
    State(state): State<AppState>,
    caller: KeyCaller,
    unit: WriteUnit,
    PushJson(body): PushJson<BulkPartners>,
) -> PushResult<BulkAnswer> {
    check_bulk_size(body.partners.len(), MAX_BULK_PARTNERS, "partners")?;
    let (state, unit, caller) = (&state, &unit, &caller);
    bulk::each(&body.partners, "code", |partner: PartnerBody| {
        Box::pin(async move {
            let (result, partner) = upsert_one(state, unit, caller, partner.into()).await?;
            Ok((result, json!(PartnerView::new(partner, result))))
        })
    })
    .await
}
