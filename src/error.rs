//! The one error type. Every variant maps to a row of the seed-000 catalogue; REST renders the
//! flat `{error, message, ...}` body, GraphQL the same code in `extensions.code`.
//! Internal causes are logged under the request's span (which carries the request id) and never
//! rendered.

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::borrow::Cow;

use serde_json::{Map, Value, json};

/// An input a validation problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The page size.
    Limit,
    /// Where a walk resumes.
    Cursor,
    /// The first day of a date window.
    From,
    /// The last day of a date window.
    To,
    /// Branches to narrow a list to (several).
    Branches,
    /// One branch to narrow a report to.
    Branch,
    Warehouse,
    ProductSku,
    LowStock,
    MovementType,
    Status,
    Category,
    Supplier,
    /// A SKU's code (the push API's identifier for items).
    Sku,
    /// A pushed record's display name.
    Name,
    Barcode,
    /// A SKU's base unit of measure.
    BaseUom,
    /// How a SKU's stock is told apart.
    Tracking,
    ShelfLife,
    Weight,
    /// A pushed partner's or location's code.
    Code,
    /// A warehouse named by its code (the push API's identifier for warehouses).
    WarehouseCode,
    /// A storage location's zone.
    Zone,
    /// A storage location's type.
    LocationType,
    /// A pushed partner's contact person, phone, email and address.
    ContactName,
    Phone,
    Email,
    Address,
    TaxId,
}

impl Field {
    /// The field's name in the contract (seed 000's query parameters, seed 003's body fields):
    /// what a problem is called where no door named it otherwise.
    pub fn name(self) -> &'static str {
        match self {
            Self::Limit => "limit",
            Self::Cursor => "cursor",
            Self::From => "from",
            Self::To => "to",
            Self::Branches | Self::Branch => "branch_id",
            Self::Warehouse => "warehouse_id",
            Self::ProductSku => "product_sku_id",
            Self::LowStock => "low_stock",
            Self::MovementType => "movement_type",
            Self::Status => "status",
            Self::Category => "category",
            Self::Supplier => "supplier_id",
            Self::Sku => "sku",
            Self::Name => "name",
            Self::Barcode => "barcode",
            Self::BaseUom => "baseUomCode",
            Self::Tracking => "tracking",
            Self::ShelfLife => "shelfLifeDays",
            Self::Weight => "weightKg",
            Self::Code => "code",
            Self::WarehouseCode => "warehouseCode",
            Self::Zone => "zone",
            Self::LocationType => "type",
            Self::ContactName => "contact.name",
            Self::Phone => "contact.phone",
            Self::Email => "contact.email",
            Self::Address => "contact.address",
            Self::TaxId => "taxId",
        }
    }
}

/// One invalid input and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: Field,
    pub message: Cow<'static, str>,
}

/// One invalid input: which field and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The stable error codes (`error` in REST bodies, `extensions.code` in GraphQL errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidToken,
    InvalidClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    InsufficientScope,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    RequestTimeout,
    ServiceUnavailable,
    ServerError,
    /// A write that contradicts what is stored (a duplicate reference, a finished order).
    Conflict,
    /// A well-formed write the rules refuse.
    UnprocessableEntity,
    /// An idempotency key sent again with a different request.
    IdempotencyKeyMismatch,
    /// The plan's quota of webhook subscriptions is used up.
    LimitReached,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InvalidClient => "invalid_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::InsufficientScope => "insufficient_scope",
            Self::NotFound => "not_found",
            Self::PayloadTooLarge => "payload_too_large",
            Self::RateLimited => "rate_limited",
            Self::RequestTimeout => "request_timeout",
            Self::ServiceUnavailable => "service_unavailable",
            Self::ServerError => "server_error",
            Self::Conflict => "conflict",
            Self::UnprocessableEntity => "unprocessable_entity",
            Self::IdempotencyKeyMismatch => "idempotency_key_mismatch",
            Self::LimitReached => "limit_reached",
        }
    }

    /// The codes the partner API (REST and GraphQL) answers: what its OpenAPI document lists.
    /// Its only writes, webhook subscriptions, add `limit_reached`.
    pub const PARTNER_API: [ErrorCode; 14] = [
        Self::InvalidRequest,
        Self::InvalidToken,
        Self::InvalidClient,
        Self::UnsupportedGrantType,
        Self::InvalidScope,
        Self::AccessDenied,
        Self::InsufficientScope,
        Self::NotFound,
        Self::PayloadTooLarge,
        Self::RateLimited,
        Self::RequestTimeout,
        Self::ServiceUnavailable,
        Self::ServerError,
        Self::LimitReached,
    ];
}

impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "The stable error codes this API answers (`error` in REST bodies, \
                 `extensions.code` in\nGraphQL errors).",
            ))
            .enum_values(Some(Self::PARTNER_API.iter().map(|code| code.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for ErrorCode {}

// Declared for the OpenAPI document; answers are rendered by `AppError::body`.
/// The flat error body of every failed request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorResponse {
    /// Stable code; match on it, not on `message`.
    pub error: ErrorCode,
    /// A sentence for people; it may change.
    pub message: String,
    /// With `invalid_request`: every invalid field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<FieldError>>,
    /// With `insufficient_scope`: the scopes the endpoint needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_scopes: Option<Vec<String>>,
}

/// Why a bearer token was refused (401 `invalid_token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Missing,
    Expired,
    Invalid,
    /// Issued before its application was suspended or revoked.
    Superseded,
}

/// Why client credentials were refused (401 `invalid_client`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientProblem {
    BadCredentials,
    Inactive,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid request")]
    InvalidRequest {
        message: &'static str,
        details: Vec<FieldError>,
    },
    /// Inputs the domain refused, each named by its [`Field`]. A door names them in its own
    /// terms ([`AppError::named`]); rendered unnamed, they carry the contract's names
    /// ([`Field::name`], which REST uses as they are).
    #[error("invalid input")]
    Invalid(Vec<Problem>),
    #[error("invalid token: {0:?}")]
    InvalidToken(TokenProblem),
    #[error("invalid client: {0:?}")]
    InvalidClient(ClientProblem),
    #[error("unsupported grant type")]
    UnsupportedGrantType,
    #[error("invalid scope")]
    InvalidScope { message: String },
    #[error("access denied by plan")]
    AccessDenied,
    /// A browser page of this origin may not call with the caller's tokens. Refused after
    /// its request was counted (`rate`: where the quota then stands), or at a preflight.
    #[error("origin not allowed")]
    OriginNotAllowed {
        origin: String,
        rate: Option<RateStatus>,
    },
    #[error("insufficient scope")]
    InsufficientScope { required_scopes: Vec<String> },
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// 409: the write contradicts what is stored. `message` names what, never a constraint.
    #[error("conflict: {message}")]
    Conflict { message: String },
    /// 422: a well-formed write the domain's rules refuse, field by field.
    #[error("unprocessable: {message}")]
    Unprocessable {
        message: String,
        details: Vec<FieldError>,
    },
    /// 409: an idempotency key already used for a different request.
    #[error("idempotency key mismatch")]
    IdempotencyKeyMismatch,
    #[error("rate limited")]
    RateLimited {
        max: u64,
        retry_after_secs: u64,
        /// Seconds until the window has room for a request again (`X-RateLimit-Reset`).
        reset_secs: u64,
    },
    /// Too many token requests from one address in a short time (the smooth brake in front of
    /// `/oauth/token`).
    #[error("too fast")]
    TooFast { retry_after_secs: u64 },
    #[error("request body too large")]
    PayloadTooLarge { max_bytes: usize },
    /// The owner's quota of webhook subscriptions is used up.
    #[error("webhook subscription limit reached")]
    LimitReached { limit: u64 },
    /// The client did not send its request body in time.
    #[error("request body timed out")]
    SlowBody,
    /// The request did not finish in time: stopped, nothing of it is kept.
    #[error("request timed out")]
    Timeout { seconds: u64 },
    /// Too busy to serve the request now (no database connection free in time, too many
    /// connections): retry later.
    #[error("service unavailable")]
    Unavailable { retry_after_secs: u64 },
    /// Its `Display` never shows the cause, so no conversion can leak it to a client.
    #[error("An unexpected error occurred")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub const VALIDATION_MESSAGE: &'static str = "Query parameter validation failed";

    /// 400 `invalid_request` for query-string problems.
    pub fn validation(details: Vec<FieldError>) -> Self {
        Self::InvalidRequest {
            message: Self::VALIDATION_MESSAGE,
            details,
        }
    }

    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// Names the fields of an [`AppError::Invalid`] (any other error is returned unchanged).
    pub fn named(self, name: impl Fn(Field) -> std::borrow::Cow<'static, str>) -> Self {
        match self {
            Self::Invalid(problems) => Self::validation(
                problems
                    .into_iter()
                    .map(|p| FieldError::new(name(p.field), p.message))
                    .collect(),
            ),
            other => other,
        }
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::Internal(cause.into())
    }

    /// The stable code of the catalogue (`error` in REST, `extensions.code` in GraphQL).
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidRequest { .. } | Self::Invalid(_) => ErrorCode::InvalidRequest,
            Self::InvalidToken(_) => ErrorCode::InvalidToken,
            Self::InvalidClient(_) => ErrorCode::InvalidClient,
            Self::UnsupportedGrantType => ErrorCode::UnsupportedGrantType,
            Self::InvalidScope { .. } => ErrorCode::InvalidScope,
            Self::AccessDenied | Self::OriginNotAllowed { .. } => ErrorCode::AccessDenied,
            Self::InsufficientScope { .. } => ErrorCode::InsufficientScope,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::Unprocessable { .. } => ErrorCode::UnprocessableEntity,
            Self::IdempotencyKeyMismatch => ErrorCode::IdempotencyKeyMismatch,
            Self::RateLimited { .. } | Self::TooFast { .. } => ErrorCode::RateLimited,
            Self::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::LimitReached { .. } => ErrorCode::LimitReached,
            Self::Timeout { .. } | Self::SlowBody => ErrorCode::RequestTimeout,
            Self::Unavailable { .. } => ErrorCode::ServiceUnavailable,
            Self::Internal(_) => ErrorCode::ServerError,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidRequest { .. }
            | Self::Invalid(_)
            | Self::UnsupportedGrantType
            | Self::InvalidScope { .. } => StatusCode::BAD_REQUEST,
            Self::InvalidToken(_) | Self::InvalidClient(_) => StatusCode::UNAUTHORIZED,
            Self::AccessDenied
            | Self::OriginNotAllowed { .. }
            | Self::InsufficientScope { .. }
            | Self::LimitReached { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } | Self::IdempotencyKeyMismatch => StatusCode::CONFLICT,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } | Self::TooFast { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::SlowBody => StatusCode::REQUEST_TIMEOUT,
            Self::Timeout { .. } | Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The client-facing message. Never includes an internal cause.
    pub fn message(&self) -> String {
        match self {
            Self::InvalidRequest { message, .. } => (*message).to_owned(),
            Self::Invalid(_) => Self::VALIDATION_MESSAGE.to_owned(),
            Self::InvalidToken(TokenProblem::Missing) => "Access token is required".into(),
            Self::InvalidToken(TokenProblem::Expired) => "Access token has expired".into(),
            Self::InvalidToken(TokenProblem::Invalid) => {
                "Access token is malformed or invalid".into()
            }
            Self::InvalidToken(TokenProblem::Superseded) => {
                "Access token was issued before its application was suspended or revoked; \
                 request a new one"
                    .into()
            }
            Self::InvalidClient(ClientProblem::BadCredentials) => {
                "Invalid client_id or client_secret".into()
            }
            Self::InvalidClient(ClientProblem::Inactive) => {
                "API application is suspended or revoked".into()
            }
            Self::UnsupportedGrantType => {
                "Only the client_credentials grant type is supported".into()
            }
            Self::InvalidScope { message } => message.clone(),
            Self::AccessDenied => {
                "API access is not available on your current subscription plan.".into()
            }
            Self::OriginNotAllowed { origin, .. } => format!(
                "Browser pages of {origin} may not call this API with this application's tokens \
                 (the origin is not on the application's allowed origins)"
            ),
            Self::InsufficientScope { .. } => "Access token is missing required scope(s)".into(),
            Self::NotFound(what) => (*what).to_owned(),
            Self::Conflict { message } | Self::Unprocessable { message, .. } => message.clone(),
            Self::IdempotencyKeyMismatch => {
                "This Idempotency-Key was used with a different request; send a new key for a \
                 new request"
                    .into()
            }
            Self::RateLimited { max, .. } => {
                format!("Rate limit exceeded. Max {max} requests per 15 minutes.")
            }
            Self::TooFast { retry_after_secs } => format!(
                "Too many token requests from this address; retry in {retry_after_secs} second{}",
                if *retry_after_secs == 1 { "" } else { "s" }
            ),
            Self::PayloadTooLarge { max_bytes } => {
                format!("Request body is larger than {max_bytes} bytes")
            }
            Self::LimitReached { limit } => {
                format!("You have reached the webhook subscription limit ({limit} on this plan).")
            }
            Self::SlowBody => "The request body did not arrive in time".into(),
            Self::Timeout { seconds } => {
                format!("The request did not finish within {seconds} seconds and was stopped")
            }
            Self::Unavailable { retry_after_secs } => format!(
                "The service is busy; retry in {retry_after_secs} second{}",
                if *retry_after_secs == 1 { "" } else { "s" }
            ),
            Self::Internal(_) => "An unexpected error occurred".into(),
        }
    }

    /// The flat JSON body: `error`, `message` and the code's extra fields.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("error".into(), json!(self.code().as_str()));
        body.insert("message".into(), json!(self.message()));
        match self {
            Self::InvalidRequest { details, .. } => {
                body.insert("details".into(), json!(details));
            }
            Self::Unprocessable { details, .. } => {
                body.insert("details".into(), json!(details));
            }
            Self::Invalid(problems) => {
                let details: Vec<FieldError> = problems
                    .iter()
                    .map(|p| FieldError::new(p.field.name(), p.message.clone()))
                    .collect();
                body.insert("details".into(), json!(details));
            }
            Self::InsufficientScope { required_scopes } => {
                body.insert("required_scopes".into(), json!(required_scopes));
            }
            _ => {}
        }
        Value::Object(body)
    }
}

impl From<sea_orm::DbErr> for AppError {
    /// No free connection in time is overload, not a bug: a 503 the client may retry. A write
    /// that breaks a unique key is a 409 (the constraint's name is logged at debug level, never
    /// sent); a domain function that knows what was duplicated says so itself.
    fn from(err: sea_orm::DbErr) -> Self {
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) = err.sql_err() {
            tracing::debug!(%detail, "write refused by a unique key");
            return Self::Conflict {
                message: DUPLICATE.to_owned(),
            };
        }
        match err {
            sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout) => {
                crate::metrics::db_acquire_timeout();
                Self::Unavailable {
                    retry_after_secs: 1,
                }
            }
            other => Self::Internal(other.into()),
        }
    }
}

/// What a write that breaks a unique key is told when nothing more specific is known.
pub const DUPLICATE: &str = "A record with the same unique reference already exists";

impl AppError {
    /// The headers this error carries at every door (REST and GraphQL alike):
    /// `WWW-Authenticate` on 401s, `Retry-After` and `X-RateLimit-*` where they apply.
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        match self {
            Self::InvalidToken(problem) => {
                let value = match problem {
                    TokenProblem::Missing => r#"Bearer realm="partner-api""#.to_owned(),
                    _ => format!(
                        r#"Bearer realm="partner-api", error="invalid_token", error_description="{}""#,
                        self.message()
                    ),
                };
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            Self::InvalidClient(ClientProblem::BadCredentials) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Basic realm="partner-api""#),
                );
            }
            Self::InvalidClient(ClientProblem::Inactive) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        r#"Bearer realm="partner-api", error="invalid_token", error_description="API application is suspended or revoked""#,
                    ),
                );
            }
            Self::RateLimited {
                max,
                retry_after_secs,
                reset_secs,
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
                headers.insert(RATE_LIMIT_LIMIT, HeaderValue::from(*max));
                headers.insert(RATE_LIMIT_REMAINING, HeaderValue::from(0u32));
                headers.insert(RATE_LIMIT_RESET, HeaderValue::from(*reset_secs));
            }
            Self::Unavailable { retry_after_secs } | Self::TooFast { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            Self::OriginNotAllowed {
                rate: Some(rate), ..
            } => rate.apply(&mut headers),
            _ => {}
        }
        headers
    }

    /// Logs an internal cause under the current request's span (which carries the request
    /// id). Client mistakes and overload are not bugs of ours and are not logged as errors.
    pub fn log(&self) {
        match self {
            Self::Internal(cause) => {
                tracing::error!(
                    error = format!("{cause:#}"),
                    "request failed with an internal error"
                );
            }
            Self::Unavailable { .. } => tracing::warn!("request refused: the service is busy"),
            Self::Timeout { seconds } => {
                tracing::warn!(seconds, "request stopped: it ran out of time")
            }
            _ => {}
        }
    }
}

/// The outcome of an allowed request, for the `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the oldest counted request leaves the window.
    pub reset_secs: u64,
}

impl RateStatus {
    /// `X-RateLimit-Limit`, `-Remaining` and `-Reset`, on every authenticated answer of
    /// either door.
    pub fn apply(&self, headers: &mut HeaderMap) {
        headers.insert(RATE_LIMIT_LIMIT, HeaderValue::from(self.limit));
        headers.insert(RATE_LIMIT_REMAINING, HeaderValue::from(self.remaining));
        headers.insert(RATE_LIMIT_RESET, HeaderValue::from(self.reset_secs));
    }
}

pub const RATE_LIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
pub const RATE_LIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
pub const RATE_LIMIT_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let mut response = (self.status(), Json(self.body())).into_response();
        response.headers_mut().extend(self.headers());
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_render_their_cause() {
        let err = AppError::internal(anyhow::anyhow!("relation \"customers\" does not exist"));
        let body = err.body().to_string();
        assert!(!body.contains("customers"), "{body}");
        assert_eq!(err.body()["error"], "server_error");
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn catalogue_extra_fields() {
        let err = AppError::invalid_field("limit", "must be between 1 and 200");
        assert_eq!(
            err.body(),
            json!({
                "error": "invalid_request",
                "message": "Query parameter validation failed",
                "details": [{"field": "limit", "message": "must be between 1 and 200"}],
            })
        );
        let err = AppError::InsufficientScope {
            required_scopes: vec!["read:sales".into()],
        };
        assert_eq!(err.body()["required_scopes"], json!(["read:sales"]));
        assert_eq!(err.status(), StatusCode::FORBIDDEN);
        let err = AppError::RateLimited {
            max: 1000,
            retry_after_secs: 3,
            reset_secs: 3,
        };
        assert_eq!(
            err.body()["message"],
            "Rate limit exceeded. Max 1000 requests per 15 minutes."
        );
    }

    #[test]
    fn unauthorized_responses_carry_www_authenticate() {
        let response = AppError::InvalidToken(TokenProblem::Expired).into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = response.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .expect("ascii header");
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{challenge}"
        );
    }

    #[test]
    fn each_error_code_is_written_the_same_in_bodies_and_in_the_api_description() {
        let errors = [
            AppError::validation(vec![]),
            AppError::Invalid(vec![]),
            AppError::InvalidToken(TokenProblem::Missing),
            AppError::InvalidClient(ClientProblem::Inactive),
            AppError::UnsupportedGrantType,
            AppError::InvalidScope {
                message: String::new(),
            },
            AppError::AccessDenied,
            AppError::OriginNotAllowed {
                origin: "https://app.example.com".into(),
                rate: None,
            },
            AppError::InsufficientScope {
                required_scopes: vec![],
            },
            AppError::NotFound(""),
            AppError::Conflict {
                message: String::new(),
            },
            AppError::Unprocessable {
                message: String::new(),
                details: vec![],
            },
            AppError::IdempotencyKeyMismatch,
            AppError::RateLimited {
                max: 1,
                retry_after_secs: 1,
                reset_secs: 1,
            },
            AppError::TooFast {
                retry_after_secs: 1,
            },
            AppError::PayloadTooLarge { max_bytes: 1 },
            AppError::SlowBody,
            AppError::Timeout { seconds: 1 },
            AppError::Unavailable {
                retry_after_secs: 1,
            },
            AppError::internal(anyhow::anyhow!("cause")),
        ];
        for err in errors {
            let code = err.code();
            assert_eq!(
                serde_json::to_value(code).expect("serializes"),
                json!(code.as_str())
            );
            assert_eq!(err.body()["error"], json!(code.as_str()));
        }
    }
}
