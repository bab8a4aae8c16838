//! Building and running the HTTP application.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tracing::Instrument;
use uuid::Uuid;

use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::RateLimits;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::domain::pagination::CursorCodec;
use crate::error::AppError;
use crate::graphql::Graphql;
use crate::state::AppState;
use crate::{db, rest};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");
/// Largest request body accepted anywhere (GraphQL documents and webhook payloads included).
const MAX_BODY_BYTES: usize = 1024 * 1024;

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
    let graphql = Graphql::new(config.graphql);
    let jwt = JwtKeys::new(jwt_config);
    let cursors = CursorCodec::new(jwt_config.secret.expose().as_bytes());
    let rate_limits = RateLimits::new(config.rate_limits);
    db::migrate(&db).await?;
    Ok(AppState {
        db,
        config: Arc::new(config),
        clock,
        jwt: Arc::new(jwt),
        rate_limits: Arc::new(rate_limits),
        cursors: Arc::new(cursors),
        graphql: Arc::new(graphql),
    })
}

/// The complete router with its middleware.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(rest::health::router())
        .merge(rest::oauth::router())
        .merge(rest::openapi::router())
        .merge(crate::graphql::router())
        .merge(crate::web::router())
        .nest("/api/partner/v1", rest::partner::router(state.clone()))
        .fallback(not_found)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(|_panic| {
            AppError::internal(anyhow::anyhow!("a request handler panicked")).into_response()
        }))
        .layer(middleware::from_fn(request_context))
        .with_state(state)
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
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
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

/// A bound, not yet running server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    grace: Duration,
}

impl Application {
    /// Binds the configured address (port 0 picks a free port, as tests do).
    pub async fn bind(state: AppState) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(state.config.bind).await?;
        let grace = state.config.shutdown_grace;
        Ok(Self::from_parts(listener, router(state), grace))
    }

    /// A server for any router (tests use it to serve deliberately slow handlers).
    pub fn from_parts(listener: TcpListener, router: Router, grace: Duration) -> Self {
        Self {
            listener,
            router,
            grace,
        }
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn port(&self) -> u16 {
        self.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// Serves until `shutdown` completes, then stops accepting and lets in-flight requests
    /// finish for up to the configured grace period.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stopping = Arc::new(Notify::new());
        let notify = stopping.clone();
        let deadline = stopping.notified();
        let server = axum::serve(self.listener, self.router).with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutdown requested: draining in-flight requests");
            notify.notify_waiters();
        });
        let grace = self.grace;
        tokio::select! {
            result = server.into_future() => result,
            _ = async { deadline.await; tokio::time::sleep(grace).await } => {
                tracing::warn!(grace_seconds = grace.as_secs(), "in-flight requests did not finish in time; stopping anyway");
                Ok(())
            }
        }
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
