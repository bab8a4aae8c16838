//! Prometheus metrics, served on their own listener (`METRICS_BIND`, off by default, never the
//! public port). The `metrics` facade records; `metrics-exporter-prometheus` renders. Every
//! label has a bounded set of values: doors and route templates are the server's own, statuses
//! are numbers, and the values a client could choose (applications, GraphQL operation names)
//! are capped at [`MAX_LABEL_VALUES`] each, later ones counted as `other`.
//!
//! The series (see the README's list):
//! - `http_requests_total{door, route, status, application}` and
//!   `http_request_duration_seconds{door, route}` (histogram);
//! - `rate_limit_refusals_total{door}`;
//! - `graphql_operations_total{operation}` and `graphql_operation_cost{operation}` (histogram);
//! - `db_pool_connections{state="in_use"|"idle"}`, `db_budget_waiting`,
//!   `db_acquire_timeouts_total`;
//! - `push_idempotent_replays_total`, `push_request_log_dropped_total`;
//! - `webhook_deliveries_total{outcome}`, `webhook_queue_oldest_due_seconds`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use uuid::Uuid;

use crate::state::AppState;

/// Distinct values a client-chosen label may take; later ones are `other`.
pub const MAX_LABEL_VALUES: usize = 500;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same handle). Until it is
/// installed, recording costs next to nothing and nothing is kept.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let seconds = [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    ];
    let costs = [
        1.0, 10.0, 50.0, 100.0, 500.0, 1_000.0, 2_500.0, 5_000.0, 10_000.0, 20_000.0, 50_000.0,
    ];
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Suffix("_seconds".into()),
            &seconds,
        )?
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full("graphql_operation_cost".into()),
            &costs,
        )?
        .build_recorder();
    let handle = recorder.handle();
    // Another thread may have installed one first: then that one is used.
    if metrics::set_global_recorder(recorder).is_ok() {
        describe();
        let _ = HANDLE.set(handle);
    }
    HANDLE
        .get()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("a metrics recorder of another kind is installed"))
}

fn describe() {
    metrics::describe_counter!(
        "http_requests_total",
        "Answered requests by door, route template, status and application"
    );
    metrics::describe_histogram!(
        "http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time from a request's arrival to its answer, by door and route template"
    );
    metrics::describe_counter!(
        "rate_limit_refusals_total",
        "Requests answered 429, by door"
    );
    metrics::describe_counter!(
        "graphql_operations_total",
        "GraphQL operations run, by operation name"
    );
    metrics::describe_histogram!(
        "graphql_operation_cost",
        "The computed cost (complexity) of GraphQL operations run, by operation name"
    );
    metrics::describe_gauge!(
        "db_pool_connections",
        "Pooled database connections, in use or idle (at scrape time)"
    );
    metrics::describe_gauge!(
        "db_budget_waiting",
        "Requests waiting for a database connection budget (at scrape time)"
    );
    metrics::describe_counter!(
        "db_acquire_timeouts_total",
        "Database connections not free in time (each answered 503)"
    );
    metrics::describe_counter!(
        "push_idempotent_replays_total",
        "Push API requests answered with a kept answer (Idempotent-Replay: true)"
    );
    metrics::describe_gauge!(
        "push_request_log_dropped_total",
        "Push API request-log entries dropped since start (a full queue or a failed write)"
    );
    metrics::describe_counter!(
        "webhook_deliveries_total",
        "Webhook delivery attempts by outcome"
    );
    metrics::describe_gauge!(
        "webhook_queue_oldest_due_seconds",
        "How long the oldest due webhook delivery has waited (at scrape time)"
    );
}

/// Whether metrics are being kept.
pub fn enabled() -> bool {
    HANDLE.get().is_some()
}

/// A set of label values that stops growing at [`MAX_LABEL_VALUES`].
struct Bounded(OnceLock<Mutex<HashSet<String>>>);

impl Bounded {
    const fn new() -> Self {
        Self(OnceLock::new())
    }

    fn label(&self, value: &str) -> String {
        let set = self.0.get_or_init(Default::default);
        let Ok(mut seen) = set.lock() else {
            return "other".to_owned();
        };
        if seen.contains(value) {
            return value.to_owned();
        }
        if seen.len() >= MAX_LABEL_VALUES {
            return "other".to_owned();
        }
        seen.insert(value.to_owned());
        value.to_owned()
    }
}

static APPLICATIONS: Bounded = Bounded::new();
static OPERATIONS: Bounded = Bounded::new();

/// Put in a response's extensions by the doors that authenticated an application.
#[derive(Clone, Copy, Debug)]
pub struct Application(pub Uuid);

/// Which door a path belongs to.
fn door(path: &str) -> &'static str {
    if path == "/graphql" {
        "graphql"
    } else if path.starts_with("/api/partner/v1") {
        "rest"
    } else if crate::push::is_push_path(path) || path.starts_with(crate::push::PREFIX) {
        "push"
    } else if path.starts_with("/oauth") {
        "oauth"
    } else if path == "/healthz" || path == "/readyz" {
        "health"
    } else {
        "pages"
    }
}

/// The innermost middleware: hands the route template (known only once the request is
/// routed) out with the answer, for [`track`] and the request's span.
pub async fn route(request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(matched) = matched {
        response.extensions_mut().insert(matched);
    }
    response
}

/// The outer middleware that counts and times every answer, the refusals of the layers
/// around the routes included (those have no route template: `unmatched`).
pub async fn track(request: Request, next: Next) -> Response {
    if !enabled() {
        return next.run(request).await;
    }
    let started = Instant::now();
    let door = door(request.uri().path());
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let status = response.status();
    let application = response
        .extensions()
        .get::<Application>()
        .map_or_else(String::new, |a| APPLICATIONS.label(&a.0.to_string()));
    metrics::counter!(
        "http_requests_total",
        "door" => door,
        "route" => route.clone(),
        "status" => status.as_u16().to_string(),
        "application" => application,
    )
    .increment(1);
    metrics::histogram!("http_request_duration_seconds", "door" => door, "route" => route)
        .record(started.elapsed().as_secs_f64());
    if status == StatusCode::TOO_MANY_REQUESTS {
        metrics::counter!("rate_limit_refusals_total", "door" => door).increment(1);
    }
    response
}

/// A GraphQL operation that ran, with its cost. Names a client chose are kept only when they
/// are GraphQL names (and then at most [`MAX_LABEL_VALUES`] of them).
pub fn graphql_operation(name: Option<&str>, cost: usize) {
    if !enabled() {
        return;
    }
    let operation = operation_label(&OPERATIONS, name);
    metrics::counter!("graphql_operations_total", "operation" => operation.clone()).increment(1);
    metrics::histogram!("graphql_operation_cost", "operation" => operation).record(cost as f64);
}

/// The label of an operation name: a GraphQL name (at most 64 characters) as itself while
/// `seen` has room, anything else `other`, no name `anonymous`.
fn operation_label(seen: &Bounded, name: Option<&str>) -> String {
    match name {
        Some(name)
            if !name.is_empty()
                && name.len() <= 64
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            seen.label(name)
        }
        Some(_) => "other".to_owned(),
        None => "anonymous".to_owned(),
    }
}

/// A database connection that did not come free in time.
pub fn db_acquire_timeout() {
    metrics::counter!("db_acquire_timeouts_total").increment(1);
}

/// A push request answered with its kept answer.
pub fn idempotent_replay() {
    metrics::counter!("push_idempotent_replays_total").increment(1);
}

/// A webhook delivery attempt's outcome: `succeeded`, `retrying` (failed, tried again later),
/// `failed` (its last attempt failed) or `not_recorded` (the outcome could not be written).
pub fn webhook_attempt(outcome: &'static str) {
    metrics::counter!("webhook_deliveries_total", "outcome" => outcome).increment(1);
}

/// The gauges read at scrape time.
async fn refresh(state: &AppState) {
    let (in_use, idle) = pool_connections(&state.db);
    metrics::gauge!("db_pool_connections", "state" => "in_use").set(in_use as f64);
    metrics::gauge!("db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("db_budget_waiting").set(state.db_budgets.waiting() as f64);
    metrics::gauge!("push_request_log_dropped_total").set(state.push.request_log.dropped() as f64);
    let oldest = crate::webhooks::queue::oldest_due(&state.db, state.clock.now())
        .await
        .unwrap_or_default();
    metrics::gauge!("webhook_queue_oldest_due_seconds").set(oldest.as_secs_f64());
}

fn pool_connections(db: &sea_orm::DatabaseConnection) -> (u32, usize) {
    let (size, idle) = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    (size.saturating_sub(idle as u32), idle)
}

/// The metrics listener's routes: `GET /metrics`.
pub fn router(state: AppState, handle: PrometheusHandle) -> Router {
    Router::new()
        .route(
            "/metrics",
            axum::routing::get(move |State(state): State<AppState>| {
                let handle = handle.clone();
                async move {
                    refresh(&state).await;
                    handle.run_upkeep();
                    (
                        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                        handle.render(),
                    )
                        .into_response()
                }
            }),
        )
        .with_state(state)
}

/// Serves `/metrics` on `address` until `stop` resolves; the address it listens on.
pub async fn serve(
    state: AppState,
    address: SocketAddr,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<SocketAddr> {
    use anyhow::Context as _;
    let handle = install()?;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| {
            format!("cannot listen on {address} for metrics: choose a free address with METRICS_BIND or --metrics-bind")
        })?;
    let bound = listener.local_addr()?;
    let app = router(state, handle);
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::warn!(error = %err, "the metrics listener stopped");
        }
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_chosen_label_values_stop_at_the_cap() {
        let set = Bounded::new();
        for n in 0..MAX_LABEL_VALUES {
            assert_eq!(set.label(&format!("v{n}")), format!("v{n}"));
        }
        // Known values keep their label; a new one past the cap is `other`.
        assert_eq!(set.label("v0"), "v0");
        assert_eq!(set.label("one-too-many"), "other");
    }

    #[test]
    fn operation_names_are_labels_only_when_they_are_graphql_names() {
        let seen = Bounded::new();
        assert_eq!(operation_label(&seen, Some("LatestSales")), "LatestSales");
        assert_eq!(operation_label(&seen, None), "anonymous");
        for hostile in [
            "",
            "has space",
            "line\nbreak",
            "crlf\r\n",
            "quote\"",
            "ข้าว",
            "9starts_with_a_digit",
            &"A".repeat(65),
        ] {
            assert_eq!(
                operation_label(&seen, Some(hostile)),
                "other",
                "{hostile:?}"
            );
        }
    }

    #[test]
    fn doors_come_from_the_path() {
        assert_eq!(door("/graphql"), "graphql");
        assert_eq!(door("/api/partner/v1/sales"), "rest");
        assert_eq!(door("/api/v1/integration/v1/items"), "push");
        assert_eq!(door("/oauth/token"), "oauth");
        assert_eq!(door("/readyz"), "health");
        assert_eq!(door("/anything/else"), "pages");
    }
}
