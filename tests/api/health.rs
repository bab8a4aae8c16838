use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::TestApp;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ok");

    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["database"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.state.db.clone().close().await.expect("close pool");
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["database"], "unreachable");
    // The process itself is still healthy.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_paths_get_the_flat_not_found_body_and_every_response_a_request_id() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/no/such/thing"))
        .header("x-request-id", "client-chosen-id")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let first_id = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_ne!(
        first_id, "client-chosen-id",
        "client ids are not trusted into logs"
    );
    Uuid::parse_str(&first_id).expect("the server assigns its own uuid");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "not_found");
    assert!(body["message"].is_string());
    assert!(body.get("success").is_none());

    let second = app.get("/healthz").await;
    let second_id = second.headers()["x-request-id"].to_str().expect("ascii");
    assert_ne!(first_id, second_id);
    app.stop().await;
}

#[tokio::test]
async fn readiness_fails_when_the_sqlite_file_disappears_or_the_schema_is_not_current() {
    use sea_orm::ConnectionTrait;

    let app = TestApp::spawn().await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    // A schema behind this build (a migration missing): not ready.
    app.state
        .db
        .execute_unprepared(&format!(
            "DELETE FROM seaql_migrations WHERE version = '{}'",
            partner_gateway::db::expected_migration()
        ))
        .await
        .expect("forget the newest migration");
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["database"], "schema mismatch");

    let Some(path) = partner_gateway::db::sqlite_path(app.state.config.database.url.expose())
    else {
        return; // PostgreSQL: no file to lose.
    };
    std::fs::remove_file(&path).expect("delete the database file");
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["database"], "missing");
    assert!(!path.exists(), "no connection re-created an empty file");
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

/// Background tasks have an owner: `/readyz` lists them, a failed one makes the server not
/// ready, and shutdown stops them.
#[tokio::test]
async fn readiness_reports_background_tasks_and_shutdown_stops_them() {
    let app = TestApp::spawn().await;
    let body: Value = app.get("/readyz").await.json().await.expect("json");
    for task in [
        "rate-limit-sweeper",
        "idempotency-purge",
        "webhook-worker",
        "webhook-retention",
    ] {
        assert_eq!(body["background"][task], "running", "{task}: {body}");
    }

    app.state.background.spawn("doomed", |_| async {
        panic!("a task made to fail by the test")
    });
    let mut answer = None;
    for _ in 0..100 {
        let response = app.get("/readyz").await;
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            answer = Some(response.json::<Value>().await.expect("json"));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let body = answer.expect("readiness fails once a background task has failed");
    assert_eq!(body["background"]["doomed"], "failed");
    assert_eq!(body["background"]["rate-limit-sweeper"], "running");
    assert_eq!(body["database"], "ok");

    let background = app.state.background.clone();
    app.stop().await;
    assert_eq!(
        background.report()["rate-limit-sweeper"],
        partner_gateway::background::Health::Stopped
    );
}
