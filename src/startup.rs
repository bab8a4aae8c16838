//! Building and running the HTTP application.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower::ServiceExt as _;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tracing::Instrument;
use uuid::Uuid;

use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::RateLimits;
use crate::clock::SharedClock;
use crate::config::{Config, HttpLimits};
use crate::domain::pagination::CursorCodec;
use crate::error::AppError;
use crate::graphql::Graphql;
use crate::state::AppState;
use crate::web::cors;
use crate::{db, rest};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id [`request_context`] gave a request (empty before it has run).
pub fn request_id(headers: &http::HeaderMap) -> String {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
/// Largest request body accepted anywhere (GraphQL documents and webhook payloads included).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Connects to the database, applies migrations and assembles the shared state.
pub async fn build_state(config: Config, clock: SharedClock) -> anyhow::Result<AppState> {
    config.require_jwt()?;
    let db = db::connect(&config.database).await?;
    build_state_with(config, clock, db).await
}

/// The same over an already opened connection (tests attach a statement counter to it).
pub async fn build_state_with(
    config: Config,
    clock: SharedClock,
    db: sea_orm::DatabaseConnection,
) -> anyhow::Result<AppState> {
    let jwt_config = config.require_jwt()?;
    let graphql = Graphql::new(config.graphql)?;
    let jwt = JwtKeys::new(jwt_config);
    let cursors = CursorCodec::new(jwt_config.secret.expose().as_bytes());
    let rate_limits = RateLimits::new(config.rate_limits);
    let oauth_failures = crate::auth::brake::LoginBrake::new(config.oauth);
    let token_pace = crate::auth::pace::TokenPace::new(config.oauth)?;
    let operator = Arc::new(crate::auth::operator::OperatorKeys::new(jwt_config));
    let push = Arc::new(crate::push::PushState::new(&config.push));
    let db_budgets = db::DbBudgets::new(
        config.database.connections_per_request,
        config.database.connections_per_tenant,
        config.database.acquire_timeout,
    );
    db::migrate(&db).await?;
    let revoked_demo_apps = if config.demo {
        Vec::new()
    } else {
        crate::demo::revoke_public_credentials(&db, clock.now()).await?
    };
    if !revoked_demo_apps.is_empty() {
        tracing::warn!(
            applications = ?revoked_demo_apps,
            "outside demo mode: applications with public demo secrets were revoked"
        );
    }
    Ok(AppState::new(crate::state::Shared {
        revoked_demo_apps: Arc::new(revoked_demo_apps),
        db,
        config: Arc::new(config),
        clock,
        jwt: Arc::new(jwt),
        rate_limits: Arc::new(rate_limits),
        cursors: Arc::new(cursors),
        graphql: Arc::new(graphql),
        db_budgets: Arc::new(db_budgets),
        oauth_failures: Arc::new(oauth_failures),
        token_pace,
        operator,
        push,
        allowed_origins: Arc::default(),
        background: Default::default(),
        webhook_wake: Arc::default(),
    }))
}

/// The complete router with its middleware.
pub fn router(state: AppState) -> Router {
    let request_timeout = state.config.http.request_timeout;
    Router::new()
        .merge(rest::health::router())
        .merge(rest::oauth::router(&state.token_pace))
        .merge(rest::openapi::router())
        .merge(crate::graphql::router())
        .merge(crate::web::router())
        .nest("/api/partner/v1", rest::partner::router(state.clone()))
        .nest(crate::push::PREFIX, crate::push::router(state.clone()))
        .fallback(not_found)
        // Innermost: the route template is known here (and handed out with the answer).
        .layer(middleware::from_fn(crate::metrics::route))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            time_limit(request_timeout, request, next)
        }))
        .layer(middleware::from_fn(json_refusals))
        .layer(CatchPanicLayer::custom(|_panic| {
            AppError::internal(anyhow::anyhow!("a request handler panicked")).into_response()
        }))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            cors::middleware,
        ))
        // Outermost but for the request id: every answer counted and timed, refusals too.
        .layer(middleware::from_fn(crate::metrics::track))
        .layer(middleware::from_fn(request_context))
        .with_state(state)
}

/// Stops a request that runs longer than `limit` with a 503 `request_timeout`. GraphQL keeps
/// its own, shorter limit and answers it as a GraphQL response.
async fn time_limit(limit: Duration, request: Request, next: Next) -> Response {
    if request.uri().path() == "/graphql" {
        return next.run(request).await;
    }
    let push =
        crate::push::is_push_path(request.uri().path()).then(|| request_id(request.headers()));
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let err = AppError::Timeout {
                seconds: limit.as_secs().max(1),
            };
            match push {
                Some(request_id) => crate::push::refuse(request_id, err).await,
                None => err.into_response(),
            }
        }
    }
}

/// The body limit layer answers an oversized body with a plain-text 413: every door answers
/// in its own error format instead.
async fn json_refusals(request: Request, next: Next) -> Response {
    let graphql = request.uri().path() == "/graphql";
    let push =
        crate::push::is_push_path(request.uri().path()).then(|| request_id(request.headers()));
    let graphql_media = request
        .headers()
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains(crate::graphql::GRAPHQL_RESPONSE));
    let response = next.run(request).await;
    let plain = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if response.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE && plain {
        let err = AppError::PayloadTooLarge {
            max_bytes: MAX_BODY_BYTES,
        };
        return if graphql {
            crate::graphql::error_response(err, graphql_media, false)
        } else if let Some(request_id) = push {
            crate::push::refuse(request_id, err).await
        } else {
            err.into_response()
        };
    }
    response
}

async fn not_found() -> AppError {
    AppError::NotFound("Resource not found")
}

/// Gives every request a fresh id (client-supplied ids are not trusted into logs), runs it in a
/// span carrying that id, returns the id in `x-request-id` and logs one line per request.
async fn request_context(mut request: Request, next: Next) -> Response {
    let id = Uuid::new_v4();
    let header = HeaderValue::from_str(&id.to_string()).ok();
    if let Some(value) = &header {
        request
            .headers_mut()
            .insert(REQUEST_ID_HEADER, value.clone());
    }
    // Traced, the span also carries what a trace viewer shows (and log lines inside it show
    // those fields too); untraced, it carries only what the logs need.
    let span = if crate::telemetry::tracing_enabled() {
        tracing::info_span!(
            "request",
            request_id = %id,
            method = %request.method(),
            path = %request.uri().path(),
            otel.name = %request.method(),
            otel.kind = "server",
            http.route = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
        )
    } else {
        tracing::info_span!(
            "request",
            request_id = %id,
            method = %request.method(),
            path = %request.uri().path(),
        )
    };
    crate::telemetry::continue_trace(&span, request.headers());
    let method = request.method().clone();
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    if let Some(route) = response.extensions().get::<axum::extract::MatchedPath>() {
        span.record("http.route", route.as_str());
        crate::telemetry::rename(&span, format!("{method} {}", route.as_str()));
    }
    span.record("http.response.status_code", response.status().as_u16());
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_millis() as u64,
            "request finished"
        );
    });
    if let Some(value) = header {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// File descriptors kept for everything that is not a client connection (database files and
/// connections, the listener, logs).
const RESERVED_FDS: u64 = 64;

/// The process's open-file soft limit, read at start.
pub fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct we own and reads nothing else.
        let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
        ok.then_some(limit.rlim_cur)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The connection cap: the configured one, checked against the open-file limit, or one
/// derived from it (at most 10,000).
pub fn connection_cap(
    configured: Option<usize>,
    health_connections: usize,
    database_connections: u32,
    open_files: Option<u64>,
) -> anyhow::Result<usize> {
    let overhead = RESERVED_FDS + u64::from(database_connections) + health_connections as u64;
    let room = open_files.map(|n| n.saturating_sub(overhead));
    match (configured, room) {
        (Some(cap), Some(room)) if cap as u64 > room => anyhow::bail!(
            "HTTP_MAX_CONNECTIONS (--http-max-connections) is {cap}, but the open-file limit \
             ({}) leaves room for {room} client connections: raise it (`ulimit -n`) or lower \
             HTTP_MAX_CONNECTIONS",
            open_files.unwrap_or_default()
        ),
        (Some(cap), _) => Ok(cap),
        (None, Some(room)) if room < 16 => anyhow::bail!(
            "the open-file limit ({}) leaves no room for client connections: raise it \
             (`ulimit -n`)",
            open_files.unwrap_or_default()
        ),
        (None, Some(room)) => Ok(room.min(10_000) as usize),
        (None, None) => Ok(1_024),
    }
}

/// A bound, not yet running server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    grace: Duration,
    limits: HttpLimits,
    max_connections: usize,
    state: Option<AppState>,
}

impl Application {
    /// Binds the configured address (port 0 picks a free port, as tests do).
    pub async fn bind(state: AppState) -> anyhow::Result<Self> {
        let max_connections = connection_cap(
            state.config.http.max_connections,
            state.config.http.health_connections,
            state.config.database.max_connections,
            open_file_limit(),
        )?;
        let bind = state.config.bind;
        let listener = TcpListener::bind(bind).await.with_context(|| {
            format!(
                "cannot listen on {bind}: choose a free address with BIND or --bind \
                 (e.g. --bind 127.0.0.1:8081)"
            )
        })?;
        let mut app =
            Self::from_parts(listener, router(state.clone()), state.config.shutdown_grace);
        app.limits = state.config.http;
        app.max_connections = max_connections;
        app.state = Some(state);
        Ok(app)
    }

    /// A server for any router (tests use it to serve deliberately slow handlers).
    pub fn from_parts(listener: TcpListener, router: Router, grace: Duration) -> Self {
        Self {
            listener,
            router,
            grace,
            limits: HttpLimits {
                header_timeout: Duration::from_secs(10),
                body_timeout: Duration::from_secs(10),
                write_timeout: Duration::from_secs(30),
                request_timeout: Duration::from_secs(30),
                max_connections: None,
                health_connections: 32,
            },
            max_connections: 1_024,
            state: None,
        }
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn port(&self) -> u16 {
        self.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// Serves until `shutdown` completes, then stops accepting and lets in-flight requests
    /// finish for up to the configured grace period.
    ///
    /// Every connection must send a request's headers within the header timeout (from the
    /// moment it opens or its previous response ends, so idle keep-alive connections close
    /// too). Past the connection cap, up to `HTTP_HEALTH_CONNECTIONS` more connections are served
    /// `/healthz` and `/readyz` only; beyond that a connection gets a canned 503 and is
    /// closed at once, so `accept` never runs out of file descriptors.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Self {
            listener,
            router,
            grace,
            limits,
            max_connections,
            state,
        } = self;
        if let Some(state) = &state {
            let swept = state.clone();
            state
                .background
                .spawn("rate-limit-sweeper", |stop| sweep_forever(swept, stop));
            let purged = state.clone();
            state.background.spawn("idempotency-purge", |stop| {
                crate::push::idempotency::purge_forever(purged, stop)
            });
            let worker = crate::webhooks::Worker {
                db: state.db.clone(),
                budgets: state.db_budgets.clone(),
                clock: state.clock.clone(),
                config: state.config.webhooks,
                wake: state.webhook_wake.clone(),
            };
            state.background.spawn("webhook-worker", |stop| {
                crate::webhooks::work_forever(worker, stop)
            });
            let trimmed = state.clone();
            state.background.spawn("webhook-retention", |stop| {
                crate::webhooks::retention::trim_forever(trimmed, stop)
            });
            if state.config.simulate {
                let simulated = state.clone();
                state.background.spawn("simulator", |stop| {
                    crate::demo::simulate::simulate_forever(simulated, stop)
                });
            }
            if let Some(pending) = state.push.take_pending_log() {
                let db = state.db.clone();
                let budgets = state.db_budgets.clone();
                state.background.spawn("request-log", |stop| {
                    crate::push::request_log::write_forever(db, budgets, pending, stop)
                });
            }
        }
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_headers(100);
        let mut health_http = http.clone();
        health_http.keep_alive(false);
        let health_router = health_only_router(router.clone());
        let full = Arc::new(Semaphore::new(max_connections));
        let headroom = Arc::new(Semaphore::new(limits.health_connections));
        let graceful = GracefulShutdown::new();
        let mut connections = JoinSet::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                _ = &mut shutdown => break,
                Some(_) = connections.join_next(), if !connections.is_empty() => continue,
                accepted = listener.accept() => match accepted {
                    Ok(found) => found,
                    Err(err) if matches!(
                        err.kind(),
                        std::io::ErrorKind::ConnectionAborted
                            | std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::ConnectionRefused
                    ) => continue,
                    Err(err) => {
                        tracing::warn!(error = %err, "accept failed; pausing briefly");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let (permit, builder, service_router) = match full.clone().try_acquire_owned() {
                Ok(permit) => (permit, &http, &router),
                Err(_) => match headroom.clone().try_acquire_owned() {
                    Ok(permit) => (permit, &health_http, &health_router),
                    Err(_) => {
                        refuse_connection(stream);
                        continue;
                    }
                },
            };
            let service = service_router.clone().map_request(
                move |mut request: axum::http::Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request
                },
            );
            let io = TokioIo::new(WriteTimeout::new(stream, limits.write_timeout));
            let connection =
                graceful.watch(builder.serve_connection(io, TowerToHyperService::new(service)));
            connections.spawn(async move {
                if let Err(err) = connection.await {
                    tracing::debug!(peer = %peer, error = %err, "connection closed with an error");
                }
                drop(permit);
            });
        }
        drop(listener);
        tracing::info!("shutdown requested: draining in-flight requests");
        if tokio::time::timeout(grace, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                grace_seconds = grace.as_secs(),
                "in-flight requests did not finish in time; stopping anyway"
            );
        }
        connections.shutdown().await;
        if let Some(state) = &state {
            state.background.stop(Duration::from_secs(5)).await;
        }
        Ok(())
    }
}

/// A client connection whose writes fail once one has waited `timeout` for the client to read:
/// a client that requests a large answer and never reads it cannot hold its connection (and
/// its place under the cap) for ever. Reads are left to hyper's header timeout and the body
/// timeout.
struct WriteTimeout<S> {
    inner: S,
    timeout: Duration,
    stalled: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl<S> WriteTimeout<S> {
    fn new(inner: S, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            stalled: None,
        }
    }

    /// After the inner write answered `Pending`: an error once it has been pending too long.
    fn check_stall<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        answer: std::task::Poll<std::io::Result<T>>,
    ) -> std::task::Poll<std::io::Result<T>> {
        use std::future::Future as _;
        use std::task::Poll;
        match answer {
            Poll::Ready(result) => {
                self.stalled = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let timeout = self.timeout;
                let sleep = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client stopped reading its response",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for WriteTimeout<S> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for WriteTimeout<S> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let answer = std::pin::Pin::new(&mut this.inner).poll_write(cx, buf);
        this.check_stall(cx, answer)
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let answer = std::pin::Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.check_stall(cx, answer)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let answer = std::pin::Pin::new(&mut this.inner).poll_flush(cx);
        this.check_stall(cx, answer)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A connection past the cap: a canned 503 if the socket takes it at once, then closed.
fn refuse_connection(stream: tokio::net::TcpStream) {
    const BODY: &str =
        r#"{"error":"service_unavailable","message":"The service is busy; retry in 1 second"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         x-request-id: {}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BODY}",
        Uuid::new_v4(),
        BODY.len()
    );
    let _ = stream.try_write(response.as_bytes());
    drop(stream);
}

/// What a connection in the health headroom may reach.
fn health_only_router(full: Router) -> Router {
    let full = full.clone();
    Router::new().fallback(move |request: Request| {
        let full = full.clone();
        async move {
            let mut response = match request.uri().path() {
                "/healthz" | "/readyz" => {
                    use tower::ServiceExt;
                    match full.oneshot(request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    }
                }
                "/graphql" => {
                    let graphql_media = request
                        .headers()
                        .get(axum::http::header::ACCEPT)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|a| a.contains(crate::graphql::GRAPHQL_RESPONSE));
                    crate::graphql::error_response(
                        AppError::Unavailable {
                            retry_after_secs: 1,
                        },
                        graphql_media,
                        false,
                    )
                }
                _ => AppError::Unavailable {
                    retry_after_secs: 1,
                }
                .into_response(),
            };
            // Health answers come from the full router with their own id.
            if !response.headers().contains_key(REQUEST_ID_HEADER)
                && let Ok(id) = HeaderValue::from_str(&Uuid::new_v4().to_string())
            {
                response.headers_mut().insert(REQUEST_ID_HEADER, id);
            }
            response
        }
    })
}

/// Forgets rate-limit, login-brake and token-pace state that has left its window, every
/// minute, until told to stop.
async fn sweep_forever(state: AppState, mut stop: crate::background::StopSignal) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.stopped() => return,
        }
        let now = state.clock.now();
        state.rate_limits.sweep(now);
        state.oauth_failures.sweep(now);
        state.token_pace.sweep();
        state.push.key_limits.sweep(now);
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
