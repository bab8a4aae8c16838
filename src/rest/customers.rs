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
use crate::domain::customers::{self, CustomerListParams};
use crate::domain::money::Amount;
use crate::entities::customers as entity;
use crate::entities::enums::MemberTier;
use crate::error::AppResult;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/customers", get(list_customers))
}

#[derive(Debug, Serialize)]
pub struct CustomerResponse {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub member_tier: MemberTier,
    pub points: i64,
    pub total_spent: Amount,
    pub visit_count: i32,
    pub last_visit_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub pii: Option<CustomerPii>,
}

/// Personal data: serialized only for callers holding `read:customers:pii`.
#[derive(Debug, Serialize)]
pub struct CustomerPii {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub tax_id: Option<String>,
}

impl CustomerResponse {
    pub fn new(c: entity::Model, with_pii: bool) -> Self {
        let pii = with_pii.then_some(CustomerPii {
            phone: c.phone,
            email: c.email,
            date_of_birth: c.date_of_birth,
            address: c.address,
            city: c.city,
            state: c.state,
            postal_code: c.postal_code,
            country: c.country,
            tax_id: c.tax_id,
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

async fn list_customers(
    State(state): State<AppState>,
    auth: Authorized<ReadCustomers>,
    query: QueryPairs,
) -> AppResult<Json<ListResponse<CustomerResponse>>> {
    let params = CustomerListParams {
        limit: query.get("limit"),
        cursor: query.get("cursor"),
    };
    let page = customers::list(&state.db, &state.cursors, &auth.caller.scope, &params).await?;
    let with_pii = auth.caller.can_read_pii();
    Ok(Json(ListResponse::from_page(page, |c| {
        CustomerResponse::new(c, with_pii)
    })))
}
