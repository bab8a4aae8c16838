//! `/webhooks` (SPEC §7, seed 000 `read:webhooks`): the calling application's subscriptions,
//! their deliveries with every attempt, and pings. Another application's subscription answers
//! 404 `Webhook subscription not found`, as if it did not exist.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use super::ListResponse;
use super::extract::{Authorized, PathUuid, QueryPairs, ReadWebhooks};
use crate::clock::Timestamp;
use crate::domain::context::Ctx;
use crate::domain::webhooks::{
    self, Changes, Delivery, NewSubscription, Owner, SUBSCRIPTION_NOT_FOUND, Subscription,
};
use crate::entities::enums::{DeliveryStatus, WebhookStatus};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::json::JsonBody;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list).post(create))
        .route("/webhooks/{id}", get(read).patch(update).delete(remove))
        .route("/webhooks/{id}/deliveries", get(deliveries))
        .route("/webhooks/{id}/ping", post(ping))
}

/// One resource.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemResponse<T> {
    pub data: T,
}

/// A webhook subscription (its signing secret is shown once, when it is created).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookResponse {
    pub id: Uuid,
    pub url: String,
    /// Event names (see the catalogue in the README).
    pub events: Vec<String>,
    #[schema(required = true)]
    pub description: Option<String>,
    pub status: WebhookStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<Subscription> for WebhookResponse {
    fn from(s: Subscription) -> Self {
        Self {
            id: s.id,
            url: s.url,
            events: s.events,
            description: s.description,
            status: s.status,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A new subscription with the secret its deliveries are signed with — shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedWebhookResponse {
    #[serde(flatten)]
    pub subscription: WebhookResponse,
    /// `whsec_` + base64 key: verify `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
}

/// One attempt at a delivery.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryAttemptResponse {
    pub attempt: i32,
    pub started_at: Timestamp,
    pub duration_ms: i32,
    /// `SUCCEEDED` or `FAILED`.
    pub outcome: String,
    #[schema(required = true)]
    pub response_status: Option<i32>,
    /// The start of the receiver's answer (at most 1 KiB).
    #[schema(required = true)]
    pub response_body: Option<String>,
    #[schema(required = true)]
    pub error: Option<String>,
}

/// An event's delivery to the subscription, with every attempt so far.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryResponse {
    pub id: Uuid,
    /// The `webhook-id` of every attempt.
    pub event_id: Uuid,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempt_count: i32,
    /// When the next attempt is due (pending deliveries).
    #[schema(required = true)]
    pub next_attempt_at: Option<Timestamp>,
    #[schema(required = true)]
    pub completed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub attempts: Vec<DeliveryAttemptResponse>,
}

impl From<Delivery> for DeliveryResponse {
    fn from(d: Delivery) -> Self {
        let delivery = d.delivery;
        Self {
            id: delivery.id,
            event_id: delivery.event_id,
            event_type: delivery.event_type,
            status: delivery.status,
            attempt_count: delivery.attempts,
            next_attempt_at: delivery.next_attempt_at,
            completed_at: delivery.completed_at,
            created_at: delivery.created_at,
            attempts: d
                .attempts
                .into_iter()
                .map(|a| DeliveryAttemptResponse {
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

/// `POST /webhooks`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// `http` or `https`; a host that resolves to public addresses only.
    pub url: String,
    /// At least one event name of the partner catalogue.
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// `PATCH /webhooks/{id}`: the fields given change; `description: null` clears it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// `ACTIVE` or `DISABLED` (a disabled subscription is sent nothing; what is queued for
    /// it waits).
    pub status: Option<WebhookStatus>,
}

/// A field that is present (`Some`, its value possibly `null`) or absent (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

fn owner(auth: &Authorized<ReadWebhooks>) -> Owner {
    Owner::Application {
        id: auth.caller.application_id,
        plan: auth.caller.plan,
    }
}

/// Runs `work` in a transaction of the request, committed when it succeeds.
async fn in_transaction<T>(
    state: &AppState,
    auth: &Authorized<ReadWebhooks>,
    work: impl AsyncFnOnce(&Ctx<'_, sea_orm::DatabaseTransaction>) -> AppResult<T>,
) -> AppResult<T> {
    let txn = auth.db.begin().await?;
    let ctx = Ctx::new(
        &*txn,
        &auth.caller.tenancy,
        state.clock.now(),
        &state.cursors,
    );
    let done = work(&ctx).await?;
    txn.commit().await?;
    Ok(done)
}

#[utoipa::path(
    get,
    path = "/api/partner/v1/webhooks",
    operation_id = "list_webhooks",
    tag = "Webhooks",
    summary = "List webhook subscriptions",
    description = "The calling application's subscriptions, newest first.",
    params(crate::rest::openapi::PageParams),
    security(("oauth2" = ["read:webhooks"]), ("bearer" = ["read:webhooks"])),
    responses(
        (status = 200, description = "The subscriptions, newest first", body = ListResponse<WebhookResponse>),
        crate::rest::openapi::StandardErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    auth: Authorized<ReadWebhooks>,
    query: QueryPairs,
) -> AppResult<Json<ListResponse<WebhookResponse>>> {
    let page = webhooks::list(&auth.ctx(&state), owner(&auth), &query.page()).await?;
    Ok(Json(ListResponse::from_page(page, WebhookResponse::from)))
}

#[utoipa::path(
    post,
    path = "/api/partner/v1/webhooks",
    operation_id = "create_webhook",
    tag = "Webhooks",
    summary = "Create a webhook subscription",
    description = "Registers a URL for events of the partner catalogue. The answer carries the \
        signing secret, shown this once. Over the plan's quota (PRO 5, ENTERPRISE 25): 403 \
        `limit_reached`.",
    request_body = CreateWebhookRequest,
    security(("oauth2" = ["read:webhooks"]), ("bearer" = ["read:webhooks"])),
    responses(
        (status = 201, description = "Created, with its signing secret (shown this once)", body = ItemResponse<CreatedWebhookResponse>),
        crate::rest::openapi::StandardErrors,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    auth: Authorized<ReadWebhooks>,
    JsonBody(body): JsonBody<CreateWebhookRequest>,
) -> AppResult<Response> {
    let policy = state.config.webhooks.targets;
    let created = in_transaction(&state, &auth, async |ctx| {
        webhooks::create(
            ctx,
            owner(&auth),
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
    let mut response = (
        StatusCode::CREATED,
        Json(ItemResponse {
            data: CreatedWebhookResponse {
                subscription: created.subscription.into(),
                secret: created.secret,
            },
        }),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[utoipa::path(
    get,
    path = "/api/partner/v1/webhooks/{id}",
    operation_id = "get_webhook",
    tag = "Webhooks",
    summary = "Read a webhook subscription",
    params(("id" = Uuid, Path, description = "The subscription's id")),
    security(("oauth2" = ["read:webhooks"]), ("bearer" = ["read:webhooks"])),
    responses(
        (status = 200, description = "The subscription", body = ItemResponse<WebhookResponse>),
        crate::rest::openapi::StandardErrors,
        crate::rest::openapi::NotFound,
    )
)]
pub async fn read(
    State(state): State<AppState>,
    auth: Authorized<ReadWebhooks>,
    PathUuid(id): PathUuid,
) -> AppResult<Json<ItemResponse<WebhookResponse>>> {
    let id = id.ok_or(SUBSCRIPTION_NOT_FOUND)?;
    let found = webhooks::get(&auth.ctx(&state), owner(&auth), id).await?;
    Ok(Json(ItemResponse { data: found.into() }))
}

#[utoipa::path(
    patch,
    path = "/api/partner/v1/webhooks/{id}",
    operation_id = "update_webhook",
    tag = "Webhooks",
    summary = "Change a webhook subscription",
    params(("id" = Uuid, Path, description = "The subscription's id")),
    request_body = UpdateWebhookRequest,
    security(("oauth2" = ["read:webhooks"]), ("bearer" = ["read:webhooks"])),
    responses(
        (status = 200, description = "The subscription as changed", body = ItemResponse<WebhookResponse>),
        crate::rest::openapi::StandardErrors,
        crate::rest::openapi::NotFound,
    )
)]
pub async fn update(
    State(state): State<AppState>,
    auth: Authorized<ReadWebhooks>,
    PathUuid(id): PathUuid,
    JsonBody(body): JsonBody<UpdateWebhookRequest>,
) -> AppResult<Json<ItemResponse<WebhookResponse>>> {
    let id = id.ok_or(SUBSCRIPTION_NOT_FOUND)?;
    let policy = state.config.webhooks.targets;
    let changed = in_transaction(&state, &auth, async |ctx| {
        webhooks::update(
            ctx,
            owner(&auth),
            policy,
            id,
            Changes {
                url: body.url,
                events: body.events,
                description: body.description,
                status: body.status,
            },
        )
        .await
    })
    .await?;
    Ok(Json(ItemResponse {
        data: changed.into(),
    }))
}

#[utoipa::path(
    delete,
    path = "/api/partner/v1/webhooks/{id}",
    operation_id = "delete_webhook",
    tag = "Webhooks",
    summary = "Delete a webhook subscription",
    description = "Deletes it with its deliveries; nothing more is sent to it.",
    params(("id" = Uuid, Path, description = "The subscription's id")),
    security(("oauth2" = ["read:webhooks"]), ("bearer" = ["read:webhooks"])),
    responses(
        (status = 204, description = "Deleted"),
        crate::rest::openapi::StandardErrors,
        crate::rest::openapi::NotFound,
    )
)]
pub async fn remove(
    State(state): State<AppState>,
    auth: Authorized<ReadWebhooks>,
    PathUuid(id): PathUuid,
) -> AppResult<StatusCode> {
    let id = id.ok_or(SUBSCRIPTION_NOT_FOUND)?;
    in_transaction(&state, &auth, async |ctx| {
        webhooks::delete(ctx, owner(&auth), id).await
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/partner/v1/webhooks/{id}/deliveries",
    operation_id = "list_webhook_deliveries",
    tag = "Webhooks",
    summary = "List a subscription's deliveries",
    description = "Newest first, each with every attempt made.",
    params(
        ("id" = Uuid, Path, description = "The subscription's id"),
        crate::rest::openapi::PageParams,
    ),
    security(("oauth2" = ["read:webhooks"]), ("bearer" = ["read:webhooks"])),
    responses(
        (status = 200, description = "The deliveries, newest first, with their attempts", body = ListResponse<DeliveryResponse>),
        crate::rest::openapi::StandardErrors,
        crate::rest::openapi::NotFound,
    )
)]
pub async fn deliveries(
    State(state): State<AppState>,
    auth: Authorized<ReadWebhooks>,
    PathUuid(id): PathUuid,
    query: QueryPairs,
) -> AppResult<Json<ListResponse<DeliveryResponse>>> {
    let id = id.ok_or(SUBSCRIPTION_NOT_FOUND)?;
    let page = webhooks::deliveries(&auth.ctx(&state), owner(&auth), id, &query.page()).await?;
    Ok(Json(ListResponse::from_page(page, DeliveryResponse::from)))
}

#[utoipa::path(
    post,
    path = "/api/partner/v1/webhooks/{id}/ping",
    operation_id = "ping_webhook",
    tag = "Webhooks",
    summary = "Ping a webhook subscription",
    description = "Queues a `ping` event for this subscription alone; its delivery shows in \
        `/deliveries`.",
    params(("id" = Uuid, Path, description = "The subscription's id")),
    security(("oauth2" = ["read:webhooks"]), ("bearer" = ["read:webhooks"])),
    responses(
        (status = 202, description = "The ping's delivery, queued", body = ItemResponse<DeliveryResponse>),
        crate::rest::openapi::StandardErrors,
        crate::rest::openapi::NotFound,
    )
)]
pub async fn ping(
    State(state): State<AppState>,
    auth: Authorized<ReadWebhooks>,
    PathUuid(id): PathUuid,
) -> AppResult<(StatusCode, Json<ItemResponse<DeliveryResponse>>)> {
    let id = id.ok_or(SUBSCRIPTION_NOT_FOUND)?;
    let queued = in_transaction(&state, &auth, async |ctx| {
        webhooks::ping(ctx, owner(&auth), id).await
    })
    .await?;
    state.webhook_wake.ring_for(queued.delivery.subscription_id);
    Ok((
        StatusCode::ACCEPTED,
        Json(ItemResponse {
            data: queued.into(),
        }),
    ))
}
