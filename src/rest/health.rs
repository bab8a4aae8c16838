//! `/healthz` (the process answers) and `/readyz` (the database answers too, and no
//! background task has failed).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(get_health))
        .route("/readyz", get(get_ready))
}

async fn get_health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready when the database answers with the schema this build expects (see
/// [`crate::db::check_ready`]) and no background task has failed; the reason is logged, the
/// body says only which part failed.
async fn get_ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let report = state.background.report();
    let background_ok = !report.values().any(crate::background::Health::failed);
    let background: serde_json::Map<String, Value> = report
        .into_iter()
        .map(|(name, health)| (name.to_owned(), Value::from(health.as_str())))
        .collect();
    let check = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        crate::db::check_ready(&state.db, &state.config.database),
    )
    .await;
    let (problem, database) = match check {
        Ok(Ok(())) if background_ok => {
            return (
                StatusCode::OK,
                Json(json!({ "status": "ok", "database": "ok", "background": background })),
            );
        }
        Ok(Ok(())) => ("a background task has failed".to_owned(), "ok"),
        Ok(Err(err)) => {
            let part = match &err {
                crate::db::NotReady::FileMissing(_) => "missing",
                crate::db::NotReady::Unreachable(_) => "unreachable",
                crate::db::NotReady::Schema { .. } => "schema mismatch",
            };
            (err.to_string(), part)
        }
        Err(_) => (
            "the readiness check did not finish within 5 seconds".to_owned(),
            "unreachable",
        ),
    };
    tracing::warn!(problem = %problem, "readiness check failed");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "database": database, "background": background })),
    )
}
