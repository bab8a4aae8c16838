//! `/api/v1/api-keys`: operators create, list and revoke the push API's keys, with an operator
//! token (`partner-gateway admin-token`) as `Authorization: Bearer …`.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::PushJson;
use super::envelope::{PushError, PushResult, Success};
use crate::auth::operator::OperatorClaims;
use crate::clock::Timestamp;
use crate::domain::api_keys::{self, ApiKeyError, KeyRules, KeyScopes, NewApiKey};
use crate::entities::api_keys as entity;
use crate::error::{AppError, FieldError};
use crate::state::AppState;

/// The operator behind a request (a valid operator token).
#[derive(Debug)]
pub struct Operator(pub OperatorClaims);

impl FromRequestParts<AppState> for Operator {
    type Rejection = PushError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PushError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = crate::auth::caller::bearer_token(header)
            .map_err(|_| PushError::Unauthorized("Operator token is required"))?;
        let claims = state
            .operator
            .verify(token, state.clock.now())
            .map_err(|_| PushError::Unauthorized("Operator token is invalid or has expired"))?;
        tracing::info!(operator = %claims.sub, "operator request");
        Ok(Self(claims))
    }
}

/// A key to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateKeyRequest {
    /// What the key is for, e.g. "ERP Integration" (1–100 characters).
    pub name: String,
    /// `read` (GET endpoints), `write` (POST endpoints), `admin` (every check).
    pub scopes: Vec<String>,
    pub tenant_id: Uuid,
    /// When the key stops working (UTC); none: never.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    /// Addresses and CIDR networks the key may be used from; empty: any.
    #[serde(default, alias = "ipAllowlist")]
    pub ip_whitelist: Vec<String>,
    /// Browser origins whose pages may use the key; empty: none (server-to-server only).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Requests per sliding minute; 0 or none: no limit.
    #[serde(default)]
    pub rate_limit_per_minute: Option<u32>,
}

/// A key as operators see it (the raw key only in the answer that created it).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    pub id: Uuid,
    pub name: String,
    pub tenant_id: Uuid,
    /// The start of the raw key, to recognise it by.
    pub key_prefix: String,
    pub scopes: Vec<&'static str>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
    pub ip_whitelist: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub rate_limit_per_minute: Option<u32>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Only when created: the key itself (`wms_…`). Store it now; it is never shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_key: Option<String>,
}

impl KeyView {
    pub fn new(key: &entity::Model, raw_key: Option<String>) -> Self {
        Self {
            id: key.id,
            name: key.name.clone(),
            tenant_id: key.tenant_id,
            key_prefix: key.key_prefix.clone(),
            scopes: key.scope_set().iter().map(|s| s.as_str()).collect(),
            expires_at: key.expires_at,
            revoked_at: key.revoked_at,
            last_used_at: key.last_used_at,
            ip_whitelist: key
                .allowed_networks()
                .map(|nets| nets.iter().map(|n| shown(*n)).collect())
                .unwrap_or_default(),
            allowed_origins: key.allowed_origin_list(),
            rate_limit_per_minute: key.rate_limit(),
            created_at: key.created_at,
            raw_key,
        }
    }
}

/// An allow-list entry as it was given: a single address without its prefix length.
fn shown(net: ipnet::IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

fn invalid(field: &str, err: &ApiKeyError) -> PushError {
    PushError::Invalid {
        message: super::envelope::VALIDATION_FAILED.to_owned(),
        details: vec![FieldError::new(field, err.to_string())],
    }
}

impl From<ApiKeyError> for PushError {
    fn from(err: ApiKeyError) -> Self {
        match &err {
            ApiKeyError::BadName => invalid("name", &err),
            ApiKeyError::NoScopes | ApiKeyError::UnknownScope(_) => invalid("scopes", &err),
            ApiKeyError::ExpiresInPast => invalid("expiresAt", &err),
            ApiKeyError::BadAddress(_) => invalid("ipWhitelist", &err),
            ApiKeyError::BadOrigin(..) => invalid("allowedOrigins", &err),
            ApiKeyError::TooManyEntries => invalid("body", &err),
            ApiKeyError::BadRateLimit => invalid("rateLimitPerMinute", &err),
            ApiKeyError::UnknownTenant(_) => invalid("tenantId", &err),
            ApiKeyError::Db(_) | ApiKeyError::Other(_) => {
                PushError::App(AppError::internal(anyhow::anyhow!("{err}")))
            }
        }
    }
}

/// `POST /api/v1/api-keys`: the answer carries the raw key, once.
#[utoipa::path(
    post,
    path = "/api/v1/api-keys",
    operation_id = "createApiKey",
    tag = "API keys",
    summary = "Create an API key",
    description = "With an operator token. The answer holds `rawKey` (`wms_…`): the only time \
                   it is shown; only its SHA-256 is stored.",
    request_body = CreateKeyRequest,
    security(("operator" = [])),
    responses(
        (status = 201, description = "The key, with `rawKey`", body = super::openapi::SuccessBody<KeyView>),
        (status = 400, description = "VALIDATION_FAILED", body = super::envelope::PushErrorBody),
        super::openapi::OperatorErrors,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    _operator: Operator,
    PushJson(body): PushJson<CreateKeyRequest>,
) -> PushResult<axum::response::Response> {
    let scopes = KeyScopes::parse(&body.scopes.join(" "))?;
    let created = api_keys::create(
        &state.db,
        state.clock.now(),
        NewApiKey {
            tenant_id: body.tenant_id,
            name: body.name,
            scopes,
            expires_at: body.expires_at,
            ip_allowlist: body.ip_whitelist,
            allowed_origins: body.allowed_origins,
            rate_limit_per_minute: body.rate_limit_per_minute,
        },
    )
    .await?;
    tracing::info!(key = %created.key.id, tenant = %created.key.tenant_id, "API key created");
    state.push.origins.forget();
    // The raw key is in this answer: no cache may keep it.
    let mut response = Success(
        StatusCode::CREATED,
        KeyView::new(&created.key, Some(created.raw_key)),
    )
    .into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this tenant's keys.
    pub tenant_id: Option<Uuid>,
}

/// `GET /api/v1/api-keys`: every key (or a tenant's), newest first, without raw keys.
#[utoipa::path(
    get,
    path = "/api/v1/api-keys",
    operation_id = "listApiKeys",
    tag = "API keys",
    summary = "List API keys",
    params(ListQuery),
    security(("operator" = [])),
    responses(
        (status = 200, description = "The keys, newest first", body = super::openapi::SuccessBody<Vec<KeyView>>),
        (status = 400, description = "VALIDATION_FAILED: tenantId is not a UUID", body = super::envelope::PushErrorBody),
        super::openapi::OperatorErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    _operator: Operator,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> PushResult<Success<Vec<KeyView>>> {
    let Query(query) = query.map_err(|_| PushError::Invalid {
        message: super::envelope::VALIDATION_FAILED.to_owned(),
        details: vec![FieldError::new("tenantId", "must be a UUID")],
    })?;
    let keys = api_keys::list(&state.db, query.tenant_id).await?;
    Ok(Success(
        StatusCode::OK,
        keys.iter().map(|k| KeyView::new(k, None)).collect(),
    ))
}

/// `DELETE /api/v1/api-keys/{id}`: revokes the key for good (it stays listed, revoked).
#[utoipa::path(
    delete,
    path = "/api/v1/api-keys/{id}",
    operation_id = "revokeApiKey",
    tag = "API keys",
    summary = "Revoke an API key",
    params(("id" = Uuid, Path, description = "The key's id")),
    security(("operator" = [])),
    responses(
        (status = 200, description = "The revoked key", body = super::openapi::SuccessBody<KeyView>),
        (status = 404, description = "NOT_FOUND", body = super::envelope::PushErrorBody),
        super::openapi::OperatorErrors,
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    _operator: Operator,
    super::PathText(id): super::PathText,
) -> PushResult<Success<KeyView>> {
    let not_found = || PushError::NotFound("API key not found".to_owned());
    let id = Uuid::parse_str(&id).map_err(|_| not_found())?;
    let key = api_keys::find(&state.db, &id.to_string())
        .await?
        .ok_or_else(not_found)?;
    let revoked = api_keys::revoke(&state.db, state.clock.now(), key).await?;
    state.push.known_keys.forget(revoked.id);
    tracing::info!(key = %revoked.id, "API key revoked");
    state.push.origins.forget();
    Ok(Success(StatusCode::OK, KeyView::new(&revoked, None)))
}
