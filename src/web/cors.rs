//! Browser access (CORS) to the API doors: per application on the partner doors, per API key
//! on the push door (whose guard refuses a key's request from an origin the key does not list).
//!
//! Each application lists the origins whose pages may call with its tokens (`apps origins`).
//! A preflight carries no token, so it is answered for an origin that some active application
//! allows; the real request is then checked by the gate against the calling application's own
//! list and refused (403) before it runs when the origin is not on it. Only a listed origin is
//! ever echoed in `Access-Control-Allow-Origin`, never `*`. Requests without `Origin`, and
//! same-origin ones (the playground), pass with only `Vary: Origin` added. The middleware wraps the whole router, so
//! answers made outside the doors' own handlers (a time limit, a body too large, a panic) are
//! readable by an allowed page too.

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};
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
    /// The Push Integration API's guarded routes: allowed origins are per API key.
    Push,
}

impl Door {
    fn methods(self) -> &'static str {
        match self {
            Door::Rest => "GET",
            Door::Graphql | Door::Push => "GET, POST",
        }
    }

    fn allow_headers(self) -> &'static str {
        match self {
            Door::Rest | Door::Graphql => ALLOW_HEADERS,
            Door::Push => PUSH_ALLOW_HEADERS,
        }
    }

    fn expose_headers(self) -> &'static str {
        match self {
            Door::Rest | Door::Graphql => EXPOSE_HEADERS,
            Door::Push => PUSH_EXPOSE_HEADERS,
        }
    }

    fn origins(self, state: &AppState) -> &AllowedOrigins {
        match self {
            Door::Rest | Door::Graphql => &state.allowed_origins,
            Door::Push => &state.push.origins,
        }
    }

    async fn refuse(self, request_id: String, err: AppError, origin: &str) -> Response {
        match self {
            Door::Rest => err.into_response(),
            Door::Graphql => crate::graphql::error_response(err, false, false),
            Door::Push => {
                crate::push::envelope::with_request_id(request_id, async {
                    crate::push::envelope::PushError::Refused(format!(
                        "Origin \"{origin}\" is not allowed for any API key."
                    ))
                    .into_response()
                })
                .await
            }
        }
    }
}

/// Request headers a page may send to the push door.
const PUSH_ALLOW_HEADERS: &str = "x-api-key, authorization, content-type, accept, idempotency-key";
/// Response headers a page may read from the push door.
const PUSH_EXPOSE_HEADERS: &str =
    "x-request-id, x-ratelimit-limit, x-ratelimit-remaining, retry-after, idempotent-replay";

/// The origin of a cross-origin request, or `None` for a request without `Origin` or from the
/// server's own pages. Browsers send `Origin` on same-origin POSTs too; they say which kind a
/// request is in `Sec-Fetch-Site`, which a page cannot set (it survives proxies that rewrite
/// `Host`); for browsers without it, an `Origin` naming the request's `Host` is same-origin.
pub fn cross_origin(headers: &HeaderMap) -> Option<&str> {
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return (site != "same-origin").then_some(origin);
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    match (origin_host, host) {
        (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => None,
        _ => Some(origin),
    }
}

/// The origins allowed for some active application: a snapshot read from the database at most
/// every [`REFRESH`], or [`MISS_REFRESH`] after an origin it does not hold was asked for. One
/// request at a time reads it, outside the lock every other request reads the snapshot through;
/// a failed read keeps the previous snapshot (and waits as long as a successful one before the
/// next try), so a database outage does not turn preflights into queued queries.
#[derive(Debug)]
pub struct AllowedOrigins {
    source: OriginSource,
    snapshot: RwLock<(Option<Instant>, Arc<BTreeSet<String>>)>,
    refreshing: Mutex<()>,
}

/// Whose origins a set holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginSource {
    /// Active partner applications' (the partner doors).
    Applications,
    /// Usable API keys' (the push door).
    ApiKeys,
}

impl Default for AllowedOrigins {
    fn default() -> Self {
        Self::new(OriginSource::Applications)
    }
}

/// The longest a refresh may wait for the database.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

impl AllowedOrigins {
    pub fn new(source: OriginSource) -> Self {
        Self {
            source,
            snapshot: RwLock::new((None, Arc::default())),
            refreshing: Mutex::new(()),
        }
    }

    /// Forgets the snapshot (after a change made by this process), so the next check reads.
    pub fn forget(&self) {
        match self.snapshot.write() {
            Ok(mut guard) => guard.0 = None,
            Err(poisoned) => poisoned.into_inner().0 = None,
        }
    }

    async fn load(
        &self,
        db: &sea_orm::DatabaseConnection,
        now: crate::clock::Timestamp,
    ) -> Result<BTreeSet<String>, sea_orm::DbErr> {
        match self.source {
            OriginSource::Applications => applications::active_origins(db).await,
            OriginSource::ApiKeys => crate::domain::api_keys::active_origins(db, now).await,
        }
    }

    fn read(&self) -> (Option<Instant>, Arc<BTreeSet<String>>) {
        match self.snapshot.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Whether `origin` is in this source's set (active applications' or usable keys' origins).
    pub async fn allows(
        &self,
        db: &sea_orm::DatabaseConnection,
        origin: &str,
        now: crate::clock::Timestamp,
    ) -> bool {
        let (read_at, set) = self.read();
        let known = set.contains(origin);
        let age = read_at.map(|at| Instant::now().saturating_duration_since(at));
        let fresh = match age {
            None => false,
            Some(age) => age < MISS_REFRESH || (known && age < REFRESH),
        };
        if fresh {
            return known;
        }
        // Someone else is reading it: answer from the snapshot we have.
        let Ok(_refreshing) = self.refreshing.try_lock() else {
            return known;
        };
        let read = tokio::time::timeout(READ_TIMEOUT, self.load(db, now)).await;
        let set = match read {
            Ok(Ok(set)) => Arc::new(set),
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "could not read the allowed origins");
                set
            }
            Err(_) => {
                tracing::warn!("reading the allowed origins timed out");
                set
            }
        };
        let allowed = set.contains(origin);
        match self.snapshot.write() {
            Ok(mut guard) => *guard = (Some(Instant::now()), set),
            Err(poisoned) => *poisoned.into_inner() = (Some(Instant::now()), set),
        }
        allowed
    }
}

/// The CORS middleware of the whole router: requests to `/graphql`, under `/api/partner/v1/`
/// and under `/api/v1/integration/v1/` are handled, every other path passes untouched.
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let door = if path == "/graphql" {
        Door::Graphql
    } else if path.starts_with("/api/partner/v1/") && path != crate::rest::openapi::PATH {
        Door::Rest
    } else if path.starts_with(crate::push::INTEGRATION) {
        Door::Push
    } else {
        return next.run(request).await;
    };
    handle(door, state, request, next).await
}

async fn handle(door: Door, state: AppState, request: Request, next: Next) -> Response {
    let Some(origin) = cross_origin(request.headers()).map(str::to_owned) else {
        // The answer depends on `Origin`: caches must keep them apart.
        let mut response = next.run(request).await;
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("Origin"));
        return response;
    };
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let known = door
        .origins(&state)
        .allows(&state.db, &origin, state.clock.now())
        .await;
    if preflight {
        if !known {
            let request_id = crate::startup::request_id(request.headers());
            let refusal = AppError::OriginNotAllowed {
                origin: origin.clone(),
                rate: None,
            };
            return door.refuse(request_id, refusal, &origin).await;
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
            HeaderValue::from_static(door.allow_headers()),
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
            HeaderValue::from_static(door.expose_headers()),
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
