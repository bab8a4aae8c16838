//! The Push Integration API's OpenAPI document, served at `/api/v1/openapi.json` (no key needed)
//! and written by `export-openapi --push` (the committed `push-openapi.json`).

use std::sync::LazyLock;

use axum::Json;
use axum::routing::get;
use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::state::AppState;

/// Where the document is served.
pub const PATH: &str = "/api/v1/openapi.json";

/// A successful answer: `{status: "success", data, requestId}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuccessBody<T> {
    /// Always `success`.
    pub status: String,
    pub data: T,
    /// The answer's `x-request-id`.
    pub request_id: String,
}

/// One entry of a bulk report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkEntry {
    /// The entry's position in the request.
    pub index: u32,
    /// The entry's identifier (`sku`, `code`), as sent.
    pub key: String,
    /// `created`, `updated` or `error`.
    pub status: String,
    /// With `created`/`updated`: what was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    /// With `error`: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// With `error`: each invalid field by its JSON path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<crate::error::FieldError>>,
}

/// A bulk report (200 when every entry passed, 207 otherwise).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkReport {
    /// `success` or `partial`.
    pub status: String,
    pub total: u32,
    pub created: u32,
    pub updated: u32,
    /// The failed entries.
    pub errors: Vec<BulkEntry>,
    /// Every entry, in request order.
    pub data: Vec<BulkEntry>,
    pub request_id: String,
}

/// What any guarded operation may answer besides its own results.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub enum GuardedErrors {
    /// `UNAUTHORIZED`: no key, an unknown, revoked or expired key, or a key without the scope
    /// the method needs (`read` for GET, `write` for POST).
    #[response(status = 401)]
    Unauthorized(super::envelope::PushErrorBody),
    /// The client's address or origin is not allowed for the key (the guard's body).
    #[response(status = 403)]
    Forbidden(super::envelope::GuardRefusalBody),
    /// `IDEMPOTENCY_KEY_MISMATCH` or `IDEMPOTENCY_KEY_IN_PROGRESS` (POST with an
    /// `Idempotency-Key`), or `CONFLICT`.
    #[response(status = 409)]
    Conflict(super::envelope::PushErrorBody),
    /// `PAYLOAD_TOO_LARGE`: a body over 1 MB.
    #[response(status = 413)]
    TooLarge(super::envelope::PushErrorBody),
    /// The key's per-minute limit is reached (the guard's body).
    #[response(
        status = 429,
        headers(
            ("Retry-After" = u64, description = "Seconds until a request is admitted again"),
            ("X-RateLimit-Limit" = u32, description = "Requests allowed per sliding minute"),
            ("X-RateLimit-Remaining" = u32, description = "Requests left in the current minute"),
        )
    )]
    RateLimited(super::envelope::GuardRefusalBody),
    /// `INTERNAL_ERROR`: opaque; the cause is logged under the request id.
    #[response(status = 500)]
    ServerError(super::envelope::PushErrorBody),
    /// `SERVICE_UNAVAILABLE`: too busy now, or the request ran out of time.
    #[response(status = 503)]
    Unavailable(super::envelope::PushErrorBody),
}

/// What any operator operation may answer besides its own results.
#[allow(dead_code)]
#[derive(utoipa::IntoResponses)]
pub enum OperatorErrors {
    /// `UNAUTHORIZED`: no operator token, or an invalid or expired one.
    #[response(status = 401)]
    Unauthorized(super::envelope::PushErrorBody),
    /// `PAYLOAD_TOO_LARGE`: a body over 1 MB.
    #[response(status = 413)]
    TooLarge(super::envelope::PushErrorBody),
    /// `INTERNAL_ERROR`: opaque; the cause is logged under the request id.
    #[response(status = 500)]
    ServerError(super::envelope::PushErrorBody),
    /// `SERVICE_UNAVAILABLE`: too busy now, or the request ran out of time.
    #[response(status = 503)]
    Unavailable(super::envelope::PushErrorBody),
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key (`wms_…`), also accepted as `Authorization: ApiKey <key>`. Its \
                 scopes: `read` (GET), `write` (POST), `admin` (every check).",
            ))),
        );
        components.add_security_scheme(
            "operator",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An operator token (`partner-gateway admin-token`), sent as \
                         `Authorization: Bearer <token>`.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "partner-gateway Push Integration API",
        description = "Write access for ERPs, e-commerce back ends and suppliers: master data \
                       (items, partners, storage locations) upserted by their codes; advance \
                       shipping notices, goods receipts and sales orders, with stock held by \
                       warehouse, location and lot. What is pushed is what partners read \
                       through the Partner REST API and GraphQL.\n\n\
                       **Authentication**: an API key in `X-API-Key` (or `Authorization: ApiKey \
                       …`), checked in this order: the key, its IP allow-list, its allowed \
                       origins, its per-minute rate limit, the scope.\n\n\
                       **Idempotency**: every POST takes an optional `Idempotency-Key`; the same \
                       request with the same key within 24 hours gets the first answer again \
                       with `Idempotent-Replay: true`.\n\n\
                       **Answers** are `{status, data, requestId}`; errors `{status: \"error\", \
                       code, message, details?, requestId}`, except the guard's address, origin \
                       and rate-limit refusals (`{statusCode, message, error, retryAfter?, \
                       requestId}`).\n\n\
                       **Quantities and weights** are JSON numbers, exact to 4 decimal places.",
        version = "1.0.0"
    ),
    servers((url = "/", description = "The server that serves this document")),
    paths(
        super::keys::create,
        super::keys::list,
        super::keys::revoke,
        super::webhooks::create,
        super::webhooks::list,
        super::webhooks::delete,
        super::webhooks::deliveries,
        super::webhooks::ping,
        super::items::upsert,
        super::items::bulk,
        super::items::read,
        super::partners::upsert,
        super::partners::bulk,
        super::locations::upsert,
        super::locations::bulk,
        super::inbound::create,
        super::inbound::bulk,
        super::inbound::read,
        super::inbound::receive,
        super::orders::create,
        super::orders::bulk,
        super::orders::cancel,
        super::orders::read,
        super::stock::read,
    ),
    components(schemas(
        super::envelope::PushCode,
        super::envelope::PushErrorBody,
        super::envelope::GuardRefusalBody,
        BulkReport,
        BulkEntry,
    )),
    modifiers(&Security),
    tags(
        (name = "API keys", description = "Keys of this API, for operators"),
        (name = "Webhook subscriptions", description = "A tenant's subscriptions to the WMS events (seed 003 §6), for operators"),
        (name = "Push: master data", description = "Items, partners and storage locations"),
        (name = "Push: inbound", description = "Advance shipping notices and goods receipts"),
        (name = "Push: outbound", description = "Sales orders, allocated from stock, and their cancellation"),
        (name = "Push: inquiry", description = "Orders, ASNs and stock as they stand"),
    ),
)]
pub struct PushApiDoc;

/// The finished document (built once).
pub fn document() -> &'static Value {
    static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
        let mut doc = serde_json::to_value(PushApiDoc::openapi()).unwrap_or(Value::Null);
        crate::rest::openapi::describe_events(
            &mut doc,
            "Webhook subscriptions",
            crate::domain::outbox::Catalogue::Wms,
        );
        doc
    });
    &DOCUMENT
}

/// The document as pretty JSON with a trailing newline.
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(document()).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

/// `GET /openapi.json` below the door.
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/openapi.json", get(|| async { Json(document()) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_subscription_quota_is_the_enforced_one() {
        let description =
            document()["paths"]["/api/v1/webhook-subscriptions"]["post"]["description"]
                .as_str()
                .unwrap_or_default();
        let quota = crate::domain::webhooks::TENANT_QUOTA;
        assert!(
            description.contains(&format!("At most {quota} per tenant")),
            "{description}"
        );
    }
}
