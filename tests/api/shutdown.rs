//! Graceful shutdown: a request in flight when the signal arrives still gets its answer.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use partner_gateway::startup::Application;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[tokio::test]
async fn in_flight_requests_finish_after_the_shutdown_signal() {
    let router = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            "done"
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let app = Application::from_parts(listener, router, Duration::from_secs(5));
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));

    let request = tokio::spawn(async move {
        reqwest::get(format!("http://{address}/slow"))
            .await
            .expect("in-flight request is answered")
            .text()
            .await
            .expect("body")
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).expect("server is running");

    assert_eq!(request.await.expect("request task"), "done");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server stops after draining")
        .expect("server task")
        .expect("clean exit");
    assert!(
        reqwest::get(format!("http://{address}/slow"))
            .await
            .is_err(),
        "no new connections after shutdown"
    );
}

#[tokio::test]
async fn a_stuck_request_cannot_hold_shutdown_past_the_grace_period() {
    let router = Router::new().route(
        "/stuck",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(600)).await;
            "never"
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let app = Application::from_parts(listener, router, Duration::from_millis(300));
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let _pending = tokio::spawn(reqwest::get(format!("http://{address}/stuck")));
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).expect("server is running");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("grace period bounds shutdown")
        .expect("server task")
        .expect("clean exit");
}
