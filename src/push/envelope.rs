//! The Push Integration API's answers (seed 003): `{status: "success", data, requestId}`, and
//! errors as `{status: "error", code, message, requestId}` — except where the seed shows the
//! guard's other shape, `{statusCode, message, error, retryAfter?}` (a refused address or
//! origin, an exceeded rate limit), which carries `requestId` too. `requestId` is the
//! request's `x-request-id`.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::{AppError, FieldError};

tokio::task_local! {
    /// The id of the push request being answered (set by the door's middleware).
    static REQUEST_ID: String;
}

/// Runs `future` as the answer to the request `id`.
pub async fn with_request_id<F: std::future::Future>(id: String, future: F) -> F::Output {
    REQUEST_ID.scope(id, future).await
}

/// The id of the request being answered, as a JSON value (`null` outside one).
pub fn current_request_id() -> Value {
    request_id()
}

fn request_id() -> Value {
    REQUEST_ID
        .try_with(|id| Value::String(id.clone()))
        .unwrap_or(Value::Null)
}

/// The stable codes of this door (`code` in error bodies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PushCode {
    /// 400: the body or a parameter is invalid (`details` names each field), or it refers to
    /// an unknown SKU, warehouse or partner.
    ValidationFailed,
    /// 401: no key, an unknown, revoked or expired key, or a key without the needed scope.
    Unauthorized,
    /// 403: the client's address or origin is not allowed for the key (or the operator
    /// token is missing the admin role).
    Forbidden,
    /// 404: no such document or resource.
    NotFound,
    /// 409: the write contradicts what is stored.
    Conflict,
    /// 409: the Idempotency-Key was used with a different request.
    IdempotencyKeyMismatch,
    /// 409: the key's kept answer changed while this request ran (it expired and was taken
    /// again); rare — retry.
    IdempotencyKeyInProgress,
    /// 408: the body did not arrive in time.
    RequestTimeout,
    /// 413: the body is larger than 1 MB.
    PayloadTooLarge,
    /// 429: the key's rate limit is exceeded.
    RateLimited,
    /// 405: the path does not take this method.
    MethodNotAllowed,
    /// 500: a fault of ours (opaque; the cause is logged under the request id).
    InternalError,
    /// 503: too busy now, or the request ran out of time; retry later.
    ServiceUnavailable,
}

/// An error of this door.
#[derive(Debug)]
pub enum PushError {
    /// A catalogue error, rendered in this door's envelope.
    App(AppError),
    /// 401 with the seed's texts (`Missing API key`, ...).
    Unauthorized(&'static str),
    /// 403 in the guard's shape (address or origin refused).
    Refused(String),
    /// 429 in the guard's shape.
    RateLimited { limit: u32, retry_after_secs: u64 },
    /// 404 with the seed's text (`Order "X" not found.`).
    NotFound(String),
    /// 400 with a message of the seed's (`Item SKU "X" not found.`) and optional details.
    Invalid {
        message: String,
        details: Vec<FieldError>,
    },
    /// 409: the key's kept answer changed while this request ran (it expired and was taken by
    /// another request); rare — retry.
    InProgress,
    /// 405: the path exists, the method does not.
    MethodNotAllowed,
    /// A refusal already rendered (with headers of its own).
    Answered(Box<Response>),
}

impl From<AppError> for PushError {
    fn from(err: AppError) -> Self {
        Self::App(err)
    }
}

impl From<sea_orm::DbErr> for PushError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::App(err.into())
    }
}

pub type PushResult<T> = Result<T, PushError>;

/// The message of a request that failed validation (its `details` say where).
pub const VALIDATION_FAILED: &str = "Validation failed";
/// The seed's message for a request without a key.
pub const MISSING_KEY: &str = "Missing API key";
/// The seed's message for an unknown, revoked or expired key.
pub const INVALID_KEY: &str = "Invalid, revoked, or expired API key";
/// The seed's message for a key without the needed scope.
pub const MISSING_SCOPE: &str = "API key missing required scope(s)";

fn code_of(err: &AppError) -> PushCode {
    match err {
        AppError::InvalidRequest { .. }
        | AppError::Invalid(_)
        | AppError::Unprocessable { .. }
        | AppError::InvalidScope { .. }
        | AppError::UnsupportedGrantType => PushCode::ValidationFailed,
        AppError::InvalidToken(_) | AppError::InvalidClient(_) => PushCode::Unauthorized,
        AppError::AccessDenied
        | AppError::OriginNotAllowed { .. }
        | AppError::InsufficientScope { .. }
        | AppError::LimitReached { .. } => PushCode::Forbidden,
        AppError::NotFound(_) => PushCode::NotFound,
        AppError::Conflict { .. } => PushCode::Conflict,
        AppError::IdempotencyKeyMismatch => PushCode::IdempotencyKeyMismatch,
        AppError::RateLimited { .. } | AppError::TooFast { .. } => PushCode::RateLimited,
        AppError::PayloadTooLarge { .. } => PushCode::PayloadTooLarge,
        AppError::SlowBody => PushCode::RequestTimeout,
        AppError::Timeout { .. } | AppError::Unavailable { .. } => PushCode::ServiceUnavailable,
        AppError::Internal(_) => PushCode::InternalError,
    }
}

fn envelope(code: PushCode, message: String, details: Option<Value>) -> Value {
    let mut body = Map::new();
    body.insert("status".into(), json!("error"));
    body.insert("code".into(), json!(code));
    body.insert("message".into(), json!(message));
    if let Some(details) = details {
        body.insert("details".into(), json!(details));
    }
    body.insert("requestId".into(), request_id());
    Value::Object(body)
}

fn guard_body(status: StatusCode, message: String, retry_after: Option<u64>) -> Value {
    let mut body = Map::new();
    body.insert("statusCode".into(), json!(status.as_u16()));
    body.insert("message".into(), json!(message));
    body.insert(
        "error".into(),
        json!(status.canonical_reason().unwrap_or_default()),
    );
    if let Some(seconds) = retry_after {
        body.insert("retryAfter".into(), json!(seconds));
    }
    body.insert("requestId".into(), request_id());
    Value::Object(body)
}

impl IntoResponse for PushError {
    fn into_response(self) -> Response {
        let (status, body, headers) = match self {
            PushError::Answered(response) => return *response,
            PushError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                envelope(
                    PushCode::MethodNotAllowed,
                    "This path does not take this method".to_owned(),
                    None,
                ),
                HeaderMap::new(),
            ),
            PushError::App(err) => {
                err.log();
                let status = err.status();
                let details = err.body().get("details").cloned();
                let mut headers = err.headers();
                // The partner API's challenge does not apply to this door.
                headers.remove(header::WWW_AUTHENTICATE);
                let code = code_of(&err);
                // A refused write keeps its own message (seed 003's `Warehouse code "X" not
                // found.`); other validation answers say what the details then spell out.
                let (status, message) = match (&err, code) {
                    (AppError::Unprocessable { message, .. }, _) => {
                        (StatusCode::BAD_REQUEST, message.clone())
                    }
                    (_, PushCode::ValidationFailed) => (status, VALIDATION_FAILED.to_owned()),
                    _ => (status, err.message()),
                };
                (status, envelope(code, message, details), headers)
            }
            PushError::Unauthorized(message) => (
                StatusCode::UNAUTHORIZED,
                envelope(PushCode::Unauthorized, message.to_owned(), None),
                HeaderMap::new(),
            ),
            PushError::Refused(message) => (
                StatusCode::FORBIDDEN,
                guard_body(StatusCode::FORBIDDEN, message, None),
                HeaderMap::new(),
            ),
            PushError::RateLimited {
                limit,
                retry_after_secs,
            } => {
                let mut headers = HeaderMap::new();
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                headers.insert(crate::error::RATE_LIMIT_LIMIT, HeaderValue::from(limit));
                headers.insert(crate::error::RATE_LIMIT_REMAINING, HeaderValue::from(0u32));
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    guard_body(
                        StatusCode::TOO_MANY_REQUESTS,
                        format!(
                            "Rate limit exceeded for API key ({limit} req/min). Retry in \
                             {retry_after_secs}s."
                        ),
                        Some(retry_after_secs),
                    ),
                    headers,
                )
            }
            PushError::NotFound(message) => (
                StatusCode::NOT_FOUND,
                envelope(PushCode::NotFound, message, None),
                HeaderMap::new(),
            ),
            PushError::Invalid { message, details } => (
                StatusCode::BAD_REQUEST,
                envelope(
                    PushCode::ValidationFailed,
                    message,
                    (!details.is_empty()).then(|| json!(details)),
                ),
                HeaderMap::new(),
            ),
            PushError::InProgress => (
                StatusCode::CONFLICT,
                envelope(
                    PushCode::IdempotencyKeyInProgress,
                    "The answer kept for this Idempotency-Key changed while this request ran; \
                     retry"
                        .to_owned(),
                    None,
                ),
                HeaderMap::from_iter([(header::RETRY_AFTER, HeaderValue::from(1u32))]),
            ),
        };
        let mut response = (status, Json(body)).into_response();
        response.headers_mut().extend(headers);
        response
    }
}

/// A successful answer: `{status: "success", data, requestId}`.
#[derive(Debug)]
pub struct Success<T>(pub StatusCode, pub T);

impl<T: Serialize> IntoResponse for Success<T> {
    fn into_response(self) -> Response {
        let body = json!({
            "status": "success",
            "data": self.1,
            "requestId": request_id(),
        });
        (self.0, Json(body)).into_response()
    }
}

/// The error body of this door, for the OpenAPI document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushErrorBody {
    /// Always `error`.
    pub status: &'static str,
    pub code: PushCode,
    /// For people; it may change.
    pub message: String,
    /// With `VALIDATION_FAILED`: every invalid field (JSON paths for body fields).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<FieldError>>,
    /// The request's `x-request-id`.
    pub request_id: String,
}

/// The guard's refusal body (seed 003 §8): a refused address or origin (403) or an exceeded
/// rate limit (429).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardRefusalBody {
    pub status_code: u16,
    pub message: String,
    /// The HTTP reason phrase, e.g. `Forbidden`.
    pub error: String,
    /// With 429: seconds until a request is admitted again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    pub request_id: String,
}
