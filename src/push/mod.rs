//! The Push Integration API (seed 003): ERPs, e-commerce back ends and suppliers write through
//! it with API keys. `/api/v1/api-keys` is for operators (an operator token);
//! `/api/v1/integration/v1/*` is behind the key guard ([`guard`]). Answers are the seed's
//! envelopes ([`envelope`]); quantities are JSON numbers here, as the seed shows them.

pub mod bulk;
pub mod decimal;
pub mod envelope;
pub mod guard;
pub mod idempotency;
pub mod inbound;
pub mod items;
pub mod keys;
pub mod locations;
pub mod openapi;
pub mod orders;
pub mod partners;
pub mod request_log;
pub mod stock;
pub mod webhooks;

use std::sync::Mutex;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequest, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::de::DeserializeOwned;
use tower_http::catch_panic::CatchPanicLayer;
use uuid::Uuid;

use self::envelope::PushError;
use self::request_log::{Pending, RequestLog};
use crate::auth::rate_limit::SlidingWindow;
use crate::config::PushConfig;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::cors::{AllowedOrigins, OriginSource};

/// Where the door is mounted.
pub const PREFIX: &str = "/api/v1";
/// The guarded routes.
pub const INTEGRATION: &str = "/api/v1/integration/v1";
/// The window of a key's rate limit.
pub const RATE_WINDOW: Duration = Duration::from_secs(60);

/// The door's shared state.
#[derive(Debug)]
pub struct PushState {
    /// Requests per key in the sliding minute.
    pub key_limits: SlidingWindow<Uuid>,
    pub request_log: RequestLog,
    /// The request log's receiving side, until the writer task takes it.
    pub pending_log: Mutex<Option<Pending>>,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Origins some usable key allows (what preflights are checked against).
    pub origins: AllowedOrigins,
    /// Keys recently authenticated.
    pub known_keys: guard::KnownKeys,
    /// Benchmark builds only: when set, the integration routes run as this caller without the
    /// key guard, the request log and idempotency, to measure what they cost.
    #[cfg(feature = "bench")]
    pub bare: std::sync::OnceLock<guard::KeyCaller>,
}

impl PushState {
    pub fn new(config: &PushConfig) -> Self {
        let (request_log, pending) = RequestLog::new(config.request_log_queue);
        Self {
            key_limits: SlidingWindow::new(RATE_WINDOW),
            request_log,
            pending_log: Mutex::new(Some(pending)),
            trusted_proxies: config.trusted_proxies.clone(),
            origins: AllowedOrigins::new(OriginSource::ApiKeys),
            known_keys: guard::KnownKeys::default(),
            #[cfg(feature = "bench")]
            bare: std::sync::OnceLock::new(),
        }
    }

    /// The request log's receiving side (once).
    pub fn take_pending_log(&self) -> Option<Pending> {
        self.pending_log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

/// A JSON body (at most the server's 1 MB), its problems in this door's envelope.
#[derive(Debug)]
pub struct PushJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PushJson<T> {
    type Rejection = PushError;

    async fn from_request(request: Request, state: &S) -> Result<Self, PushError> {
        crate::web::json::JsonBody::<T, { crate::startup::MAX_BODY_BYTES }>::from_request(
            request, state,
        )
        .await
        .map(|crate::web::json::JsonBody(value)| Self(value))
        .map_err(PushError::App)
    }
}

/// The door's routes.
pub fn router(state: AppState) -> Router<AppState> {
    let integration = Router::new()
        .route("/items", post(items::upsert))
        .route("/items/bulk", post(items::bulk))
        .route("/items/{sku}", get(items::read))
        .route("/partners", post(partners::upsert))
        .route("/partners/bulk", post(partners::bulk))
        .route("/locations", post(locations::upsert))
        .route("/locations/bulk", post(locations::bulk))
        .route("/asn", post(inbound::create))
        .route("/asn/bulk", post(inbound::bulk))
        .route("/asn/{asn_no}", get(inbound::read))
        .route("/grn", post(inbound::receive))
        .route("/orders", post(orders::create))
        .route("/orders/bulk", post(orders::bulk))
        .route("/orders/{order_no}", get(orders::read))
        .route("/orders/{order_no}/cancel", post(orders::cancel))
        .route("/stock", get(stock::read))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    #[cfg(feature = "bench")]
    if let Some(caller) = state.push.bare.get() {
        let bare = integration
            .layer(CatchPanicLayer::custom(panicked))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                idempotency::without_keys,
            ))
            .layer(axum::Extension(caller.clone()));
        return door(bare);
    }
    let integration = integration
        // Inside the guard and the idempotency keys, so a panicking handler's answer is still
        // counted and logged, and its key freed.
        .layer(CatchPanicLayer::custom(panicked))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::middleware,
        ))
        .layer(middleware::from_fn_with_state(state, guard::guard));
    door(integration)
}

/// The operators' routes and the integration routes under one request id.
fn door(integration: Router<AppState>) -> Router<AppState> {
    Router::new()
        .merge(openapi::router())
        .route("/api-keys", post(keys::create).get(keys::list))
        .route("/api-keys/{id}", delete(keys::revoke))
        .route(
            "/webhook-subscriptions",
            post(webhooks::create).get(webhooks::list),
        )
        .route("/webhook-subscriptions/{id}", delete(webhooks::delete))
        .route(
            "/webhook-subscriptions/{id}/deliveries",
            get(webhooks::deliveries),
        )
        .route("/webhook-subscriptions/{id}/ping", post(webhooks::ping))
        .nest("/integration/v1", integration)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(panicked))
        .layer(middleware::from_fn(with_request_id))
}

fn panicked(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    PushError::App(AppError::internal(anyhow::anyhow!(
        "a push API handler panicked"
    )))
    .into_response()
}

async fn method_not_allowed() -> PushError {
    PushError::MethodNotAllowed
}

async fn not_found() -> PushError {
    PushError::NotFound("Resource not found".to_owned())
}

/// Answers the request with its id at hand for the envelopes.
async fn with_request_id(request: Request, next: Next) -> Response {
    let id = crate::startup::request_id(request.headers());
    envelope::with_request_id(id, next.run(request)).await
}

/// A code a request names in its path (`/items/{sku}`) or query (`?sku=`) when it could name
/// something: 1 to 64 characters, no control characters (PostgreSQL refuses a NUL in text, and
/// no code holds one). Anything else names nothing: the caller answers 404 without asking the
/// database.
pub fn path_code(code: &str) -> Option<&str> {
    let code = code.trim();
    let fits = !code.is_empty() && code.chars().count() <= 64;
    (fits && !code.chars().any(char::is_control)).then_some(code)
}

/// The one `{…}` of a push path, as text, never refused: a segment that is not UTF-8 once
/// decoded (it can name nothing) is read with U+FFFD where it is not, and then found nowhere —
/// a 404 in the door's envelope, not the framework's plain-text 400.
#[derive(Debug)]
pub struct PathText(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathText {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        if let Ok(params) = axum::extract::RawPathParams::from_request_parts(parts, state).await
            && let Some((_, value)) = params.iter().next()
        {
            debug_assert_eq!(
                params.iter().count(),
                1,
                "PathText reads routes of one `{{…}}`"
            );
            return Ok(Self(value.to_owned()));
        }
        // The segment where the route's template has its parameter, decoded lossily.
        let at = parts
            .extensions
            .get::<axum::extract::MatchedPath>()
            .and_then(|template| {
                template
                    .as_str()
                    .split('/')
                    .position(|s| s.starts_with('{'))
            });
        // The whole path, as the template is (a nested router sees its own part of it).
        let path = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| parts.uri.path(), |original| original.path());
        let text = at
            .and_then(|at| path.split('/').nth(at))
            .map(|segment| {
                percent_encoding::percent_decode_str(segment)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .unwrap_or_default();
        Ok(Self(text))
    }
}

/// Whether `path` is this door's.
pub fn is_push_path(path: &str) -> bool {
    path == PREFIX || path.starts_with("/api/v1/")
}

/// A refusal made outside the door's handlers (a body too large, a time limit), in the door's
/// envelope with the request's id.
pub async fn refuse(request_id: String, err: AppError) -> Response {
    envelope::with_request_id(
        request_id,
        async move { PushError::App(err).into_response() },
    )
    .await
}
