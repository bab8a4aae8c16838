//! Browser access (CORS) to the two API doors, per application.
//!
//! Each application lists the origins whose pages may call with its tokens (`apps origins`).
//! A preflight carries no token, so it is answered for an origin that some active application
//! allows; the real request is then checked by the gate against the calling application's own
//! list and refused (403) before it runs when the origin is not on it. Only a listed origin is
//! ever echoed in `Access-Control-Allow-Origin`, never `*`. Requests without `Origin`, and
//! same-origin ones (the playground), pass untouched.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Mutex;

use crate::domain::applications;
use crate::error::AppError;
use crate::state::AppState;

/// How long a preflight may be cached by the browser.
const MAX_AGE_SECONDS: &str = "600";
/// Request headers a page may send.
const ALLOW_HEADERS: &str = "authorization, content-type, accept";
/// Response headers a page may read.
const EXPOSE_HEADERS: &str = "x-request-id, x-ratelimit-limit, x-ratelimit-remaining, \
                              x-ratelimit-reset, retry-after, www-authenticate";
/// How long the set of allowed origins is kept before it is read again.
const REFRESH: Duration = Duration::from_secs(10);
/// An origin not in the set read less than this ago is refused without reading it again.
const MISS_REFRESH: Duration = Duration::from_secs(1);

/// Which door a request came through: its methods, and how it renders a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Door {
    Rest,
    Graphql,
}

impl Door {
    fn methods(self) -> &'static str {
        match self {
            Door::Rest => "GET",
            Door::Graphql => "GET, POST",
        }
    }

    fn refuse(self, err: AppError) -> Response {
        match self {
            Door::Rest => err.into_response(),
            Door::Graphql => crate::graphql::error_response(err, false, false),
        }
    }
}

/// The origin of a cross-origin request: `Origin` when it names another host than the
/// request's `Host` (browsers send `Origin` on same-origin POSTs too).
pub fn cross_origin(headers: &HeaderMap) -> Option<&str> {
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    match (origin_host, host) {
        (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => None,
        _ => Some(origin),
    }
}

/// The origins allowed for some active application, read from the database at most every
/// [`REFRESH`] (an origin just added is honoured within that time, or at once by a new
/// process).
#[derive(Debug)]
pub struct AllowedOrigins {
    cached: Mutex<Option<(Instant, Arc<BTreeSet<String>>)>>,
}

impl Default for AllowedOrigins {
    fn default() -> Self {
        Self {
            cached: Mutex::new(None),
        }
    }
}

impl AllowedOrigins {
    /// Whether some active application allows `origin`. A database failure counts as no.
    pub async fn allows(&self, db: &sea_orm::DatabaseConnection, origin: &str) -> bool {
        let mut cached = self.cached.lock().await;
        let now = Instant::now();
        if let Some((read_at, set)) = cached.as_ref() {
            let age = now.saturating_duration_since(*read_at);
            if age < MISS_REFRESH || (age < REFRESH && set.contains(origin)) {
                return set.contains(origin);
            }
        }
        match applications::active_origins(db).await {
            Ok(set) => {
                let allowed = set.contains(origin);
                *cached = Some((now, Arc::new(set)));
                allowed
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not read the allowed origins");
                false
            }
        }
    }
}

/// The CORS middleware of the REST door.
pub async fn rest(State(state): State<AppState>, request: Request, next: Next) -> Response {
    handle(Door::Rest, state, request, next).await
}

/// The CORS middleware of the GraphQL door.
pub async fn graphql(State(state): State<AppState>, request: Request, next: Next) -> Response {
    handle(Door::Graphql, state, request, next).await
}

async fn handle(door: Door, state: AppState, request: Request, next: Next) -> Response {
    let Some(origin) = cross_origin(request.headers()).map(str::to_owned) else {
        return next.run(request).await;
    };
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let known = state.allowed_origins.allows(&state.db, &origin).await;
    if preflight {
        if !known {
            return door.refuse(AppError::OriginNotAllowed { origin });
        }
        let mut response = StatusCode::NO_CONTENT.into_response();
        allow(response.headers_mut(), &origin);
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(door.methods()),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE_SECONDS),
        );
        headers.append(
            header::VARY,
            HeaderValue::from_static(
                "Access-Control-Request-Method, Access-Control-Request-Headers",
            ),
        );
        return response;
    }
    let mut response = next.run(request).await;
    // Any answer, refusals included, is readable by a page of an origin that is allowed at
    // all; the gate has already refused requests whose application does not list it.
    if known {
        allow(response.headers_mut(), &origin);
        response.headers_mut().insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    } else {
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

fn allow(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}
