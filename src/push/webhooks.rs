//! `/api/v1/webhook-subscriptions`: operators register a tenant's own subscriptions to the WMS
//! events of seed 003 §6 (`asn.received`, `order.allocated`, …), with an operator token, and
//! see their deliveries. The same domain, queue and worker as the partner API's `/webhooks`.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::PushJson;
use super::envelope::{PushError, PushResult, Success};
use super::keys::Operator;
use crate::clock::Timestamp;
use crate::domain::context::Ctx;
use crate::domain::pagination::{PageRequest, Walk};
use crate::domain::scope::TenantScope;
use crate::domain::webhooks::{self, Delivery, NewSubscription, Owner, Subscription};
use crate::entities::enums::{DeliveryStatus, WebhookStatus};
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;

/// A tenant's WMS subscription.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionView {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    #[schema(required = true)]
    pub description: Option<String>,
    pub status: WebhookStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The signing secret (`whsec_…`): in the answer to its creation only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl SubscriptionView {
    fn new(tenant_id: Uuid, s: Subscription, secret: Option<String>) -> Self {
        Self {
            id: s.id,
            tenant_id,
            url: s.url,
            events: s.events,
            description: s.description,
            status: s.status,
            created_at: s.created_at,
            updated_at: s.updated_at,
            secret,
        }
    }
}

/// A delivery with every attempt.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempt_count: i32,
    #[schema(required = true)]
    pub next_attempt_at: Option<Timestamp>,
    #[schema(required = true)]
    pub completed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub attempts: Vec<AttemptView>,
}

/// One attempt.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    pub attempt: i32,
    pub started_at: Timestamp,
    pub duration_ms: i32,
    pub outcome: String,
    #[schema(required = true)]
    pub response_status: Option<i32>,
    #[schema(required = true)]
    pub response_body: Option<String>,
    #[schema(required = true)]
    pub error: Option<String>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.delivery.id,
            event_id: d.delivery.event_id,
            event_type: d.delivery.event_type,
            status: d.delivery.status,
            attempt_count: d.delivery.attempts,
            next_attempt_at: d.delivery.next_attempt_at,
            completed_at: d.delivery.completed_at,
            created_at: d.delivery.created_at,
            attempts: d
                .attempts
                .into_iter()
                .map(|a| AttemptView {
                    attempt: a.attempt,
                    started_at: a.started_at,
                    duration_ms: a.duration_ms,
                    outcome: a.outcome,
                    response_status: a.response_status,
                    response_body: a.response_body,
                    error: a.error,
                })
                .collect(),
        }
    }
}

/// A subscription to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSubscriptionRequest {
    pub tenant_id: Uuid,
    /// `http` or `https`; a host that resolves to public addresses only.
    pub url: String,
    /// At least one WMS event name.
    pub events: Vec<String>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct TenantQuery {
    /// The tenant whose subscriptions to list.
    pub tenant_id: Option<String>,
}

fn not_found() -> PushError {
    PushError::App(webhooks::SUBSCRIPTION_NOT_FOUND)
}

/// Runs `work` as `tenant` in a transaction, committed when it succeeds.
async fn as_tenant<T>(
    state: &AppState,
    tenant: Uuid,
    work: impl AsyncFnOnce(&Ctx<'_, sea_orm::DatabaseTransaction>) -> AppResult<T>,
) -> AppResult<T> {
    let scope = TenantScope::whole_tenant(tenant);
    let txn = state
        .db_budgets
        .for_request(&state.db, tenant)
        .begin()
        .await?;
    let ctx = Ctx::new(&*txn, &scope, state.clock.now(), &state.cursors);
    let done = work(&ctx).await?;
    txn.commit().await?;
    Ok(done)
}

/// The tenant of subscription `id` (path text), or 404.
async fn tenant_of(state: &AppState, id: &str) -> PushResult<(Uuid, Uuid)> {
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    Ok((webhooks::tenant_of(&state.db, id).await?, id))
}

/// Every subscription a tenant may have, at once (the quota keeps it short).
fn everything() -> PageRequest<'static> {
    PageRequest {
        limit: crate::domain::input::Input::Given(webhooks::TENANT_QUOTA as i64),
        cursor: None,
        walk: Walk::Forward,
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/webhook-subscriptions",
    operation_id = "createWebhookSubscription",
    tag = "Webhook subscriptions",
    summary = "Subscribe a tenant to WMS events",
    description = "Registers a URL for seed 003 §6 events of a tenant. The answer carries the \
        signing secret, shown this once. At most 25 per tenant (403 FORBIDDEN past it).",
    request_body = CreateSubscriptionRequest,
    security(("operator" = [])),
    responses(
        (status = 201, description = "Created, with its secret", body = super::openapi::SuccessBody<SubscriptionView>),
        (status = 400, description = "VALIDATION_FAILED", body = super::envelope::PushErrorBody),
        super::openapi::OperatorErrors,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    _operator: Operator,
    PushJson(body): PushJson<CreateSubscriptionRequest>,
) -> PushResult<Response> {
    let tenant = body.tenant_id;
    crate::domain::tenants::find(&state.db, tenant)
        .await?
        .ok_or_else(|| {
            PushError::App(AppError::validation(vec![FieldError::new(
                "tenantId",
                "no such tenant",
            )]))
        })?;
    let policy = state.config.webhooks.targets;
    let created = as_tenant(&state, tenant, async |ctx| {
        webhooks::create(
            ctx,
            Owner::Tenant,
            policy,
            NewSubscription {
                url: body.url,
                events: body.events,
                description: body.description,
            },
        )
        .await
    })
    .await?;
    tracing::info!(subscription = %created.subscription.id, %tenant, "WMS webhook subscription created");
    let mut response = Success(
        StatusCode::CREATED,
        SubscriptionView::new(tenant, created.subscription, Some(created.secret)),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[utoipa::path(
    get,
    path = "/api/v1/webhook-subscriptions",
    operation_id = "listWebhookSubscriptions",
    tag = "Webhook subscriptions",
    summary = "List a tenant's WMS subscriptions",
    params(TenantQuery),
    security(("operator" = [])),
    responses(
        (status = 200, description = "Newest first", body = super::openapi::SuccessBody<Vec<SubscriptionView>>),
        (status = 400, description = "VALIDATION_FAILED: tenantId missing or not a UUID", body = super::envelope::PushErrorBody),
        super::openapi::OperatorErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    _operator: Operator,
    query: Result<Query<TenantQuery>, axum::extract::rejection::QueryRejection>,
) -> PushResult<Success<Vec<SubscriptionView>>> {
    // A query string that cannot be read (a repeated tenantId) is refused like a bad one,
    // in this door's envelope.
    let tenant = query
        .ok()
        .and_then(|Query(query)| query.tenant_id)
        .as_deref()
        .and_then(|t| Uuid::parse_str(t).ok())
        .ok_or_else(|| {
            PushError::App(AppError::validation(vec![FieldError::new(
                "tenantId",
                "required: the tenant's UUID",
            )]))
        })?;
    let page = as_tenant(&state, tenant, async |ctx| {
        webhooks::list(ctx, Owner::Tenant, &everything()).await
    })
    .await?;
    Ok(Success(
        StatusCode::OK,
        page.items
            .into_iter()
            .map(|s| SubscriptionView::new(tenant, s, None))
            .collect(),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/webhook-subscriptions/{id}",
    operation_id = "deleteWebhookSubscription",
    tag = "Webhook subscriptions",
    summary = "Delete a WMS subscription",
    params(("id" = Uuid, Path, description = "The subscription's id")),
    security(("operator" = [])),
    responses(
        (status = 200, description = "Deleted; the subscription as it was", body = super::openapi::SuccessBody<SubscriptionView>),
        (status = 404, description = "NOT_FOUND", body = super::envelope::PushErrorBody),
        super::openapi::OperatorErrors,
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    _operator: Operator,
    super::PathText(id): super::PathText,
) -> PushResult<Success<SubscriptionView>> {
    let (tenant, id) = tenant_of(&state, &id).await?;
    let gone = as_tenant(&state, tenant, async |ctx| {
        let found = webhooks::get(ctx, Owner::Tenant, id).await?;
        webhooks::delete(ctx, Owner::Tenant, id).await?;
        Ok(found)
    })
    .await?;
    tracing::info!(subscription = %id, %tenant, "WMS webhook subscription deleted");
    Ok(Success(
        StatusCode::OK,
        SubscriptionView::new(tenant, gone, None),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/webhook-subscriptions/{id}/deliveries",
    operation_id = "listWebhookSubscriptionDeliveries",
    tag = "Webhook subscriptions",
    summary = "A WMS subscription's latest deliveries",
    description = "The newest 50, each with every attempt.",
    params(("id" = Uuid, Path, description = "The subscription's id")),
    security(("operator" = [])),
    responses(
        (status = 200, description = "Newest first", body = super::openapi::SuccessBody<Vec<DeliveryView>>),
        (status = 404, description = "NOT_FOUND", body = super::envelope::PushErrorBody),
        super::openapi::OperatorErrors,
    )
)]
pub async fn deliveries(
    State(state): State<AppState>,
    _operator: Operator,
    super::PathText(id): super::PathText,
) -> PushResult<Success<Vec<DeliveryView>>> {
    let (tenant, id) = tenant_of(&state, &id).await?;
    let page = as_tenant(&state, tenant, async |ctx| {
        let newest = PageRequest {
            limit: crate::domain::input::Input::Given(50),
            cursor: None,
            walk: Walk::Forward,
        };
        webhooks::deliveries(ctx, Owner::Tenant, id, &newest).await
    })
    .await?;
    Ok(Success(
        StatusCode::OK,
        page.items.into_iter().map(DeliveryView::from).collect(),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/webhook-subscriptions/{id}/ping",
    operation_id = "pingWebhookSubscription",
    tag = "Webhook subscriptions",
    summary = "Ping a WMS subscription",
    params(("id" = Uuid, Path, description = "The subscription's id")),
    security(("operator" = [])),
    responses(
        (status = 202, description = "Queued", body = super::openapi::SuccessBody<DeliveryView>),
        (status = 404, description = "NOT_FOUND", body = super::envelope::PushErrorBody),
        super::openapi::OperatorErrors,
    )
)]
pub async fn ping(
    State(state): State<AppState>,
    _operator: Operator,
    super::PathText(id): super::PathText,
) -> PushResult<Success<DeliveryView>> {
    let (tenant, id) = tenant_of(&state, &id).await?;
    let queued = as_tenant(&state, tenant, async |ctx| {
        webhooks::ping(ctx, Owner::Tenant, id).await
    })
    .await?;
    state.webhook_wake.ring_for(queued.delivery.subscription_id);
    Ok(Success(StatusCode::ACCEPTED, queued.into()))
}
