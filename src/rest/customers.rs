//! `GET /customers`: the nine PII keys are absent, not null, without `read:customers:pii`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::ListResponse;
use super::extract::{Authorized, QueryPairs, ReadCustomers};
use crate::clock::Timestamp;
use crate::domain::customers::{self, CustomerListParams, PiiColumns};
use crate::entities::enums::MemberTier;
use crate::error::AppResult;
use crate::money::Amount;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/customers", get(list_customers))
}

/// A customer of the tenant. The nine personal-data keys are sent only to callers holding
/// `read:customers:pii`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerResponse {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub member_tier: MemberTier,
    pub points: i64,
    pub total_spent: Amount,
    pub visit_count: i32,
    #[schema(required = true)]
    pub last_visit_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(flatten)]
    #[schema(inline)]
    pub pii: CustomerPii,
}

/// Personal data. Each key is present only for callers holding `read:customers:pii` (then
/// possibly null); otherwise all nine are absent.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct CustomerPii {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable, value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable, value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable, value_type = Option<NaiveDate>)]
    pub date_of_birth: Option<Option<NaiveDate>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable, value_type = Option<String>)]
    pub address: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable, value_type = Option<String>)]
    pub city: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable, value_type = Option<String>)]
    pub state: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable, value_type = Option<String>)]
    pub postal_code: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable, value_type = Option<String>)]
    pub country: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable, value_type = Option<String>)]
    pub tax_id: Option<Option<String>>,
}

impl From<customers::Customer> for CustomerResponse {
    /// The nine keys are present exactly when the domain let personal data through.
    fn from(c: customers::Customer) -> Self {
        let pii = c
            .personal
            .map_or_else(CustomerPii::default, |p| CustomerPii {
                phone: Some(p.phone),
                email: Some(p.email),
                date_of_birth: Some(p.date_of_birth),
                address: Some(p.address),
                city: Some(p.city),
                state: Some(p.state),
                postal_code: Some(p.postal_code),
                country: Some(p.country),
                tax_id: Some(p.tax_id),
            });
        Self {
            id: c.id,
            code: c.code,
            name: c.name,
            member_tier: c.member_tier,
            points: c.points,
            total_spent: c.total_spent,
            visit_count: c.visit_count,
            last_visit_at: c.last_visit_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            pii,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/partner/v1/customers",
    tag = "Customers",
    summary = "List customers",
    description = "Newest first. Scope `read:customers`; the nine PII keys appear only with \
                   `read:customers:pii`.",
    params(
        crate::rest::openapi::PageParams,
    ),
    security(("oauth2" = ["read:customers"]), ("bearer" = ["read:customers"])),
    responses(
        (status = 200, description = "A page of customers, newest first", body = ListResponse<CustomerResponse>),
        crate::rest::openapi::StandardErrors
    )
)]
pub async fn list_customers(
    State(state): State<AppState>,
    auth: Authorized<ReadCustomers>,
    query: QueryPairs,
) -> AppResult<Json<ListResponse<CustomerResponse>>> {
    let params = CustomerListParams {
        page: query.page(),
        // A REST list always answers the PII keys to a caller who may see them.
        pii: PiiColumns::for_caller(auth.caller.can_read_pii(), true),
    };
    let page = customers::list(&auth.ctx(&state), &params).await?;
    Ok(Json(ListResponse::from_page(page, CustomerResponse::from)))
}
