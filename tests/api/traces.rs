//! OpenTelemetry traces: the binary, run as a real process, exporting to a collector that is a
//! real HTTP server on a loopback port.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;

use crate::helpers::{TEST_JWT_SECRET, TestDb};

/// A collector: keeps every body posted to `/v1/traces`.
async fn collector() -> (String, Arc<Mutex<Vec<Bytes>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: Bytes| {
            let kept = kept.clone();
            async move {
                kept.lock().expect("lock").push(body);
                ([("content-type", "application/x-protobuf")], Bytes::new())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), received)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[tokio::test]
async fn a_request_is_traced_with_its_request_id_and_joins_the_callers_trace() {
    let db = TestDb::new().await;
    drop(db.connect().await);
    let (endpoint, received) = collector().await;
    let port = free_port();
    // Spans wait a minute in the queue: what arrives was sent by the shutdown's flush.
    let mut server = Command::new(env!("CARGO_BIN_EXE_partner-gateway"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env_clear()
        .env("DATABASE_URL", &db.url)
        .env("JWT_SECRET", TEST_JWT_SECRET)
        .env("OTLP_ENDPOINT", &endpoint)
        .env("OTEL_SERVICE_NAME", "gateway-under-test")
        .env("OTEL_BSP_SCHEDULE_DELAY", "60000")
        // Nothing is sampled of its own accord: what is exported, a caller asked for.
        .env("TRACE_SAMPLE_RATIO", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await
            && response.status().is_success()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "the server did not become ready");

    // A caller's trace (W3C traceparent), to be continued.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let response = client
        .get(format!("{base}/api/partner/v1/sales"))
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("request id")
        .to_owned();
    // A malformed traceparent is ignored (the request is answered, in a trace of its own,
    // which the ratio leaves out); so is a caller's trace it did not sample.
    let mut unsampled = Vec::new();
    for traceparent in [
        "00-not-a-trace-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
    ] {
        let other = client
            .get(format!("{base}/healthz"))
            .header("traceparent", traceparent)
            .send()
            .await
            .expect("request");
        assert_eq!(other.status(), 200);
        unsampled.push(
            other
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .expect("request id")
                .to_owned(),
        );
    }
    assert!(
        received.lock().expect("lock").is_empty(),
        "nothing is sent before the batch is due"
    );

    // SIGTERM: the server stops and sends what it holds.
    // SAFETY: kill sends a signal to the child we started; no memory is involved.
    let signalled = unsafe { libc::kill(server.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(signalled, 0);
    let status = tokio::task::spawn_blocking(move || server.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(status.success(), "{status}");

    let bodies = received.lock().expect("lock").concat();
    assert!(!bodies.is_empty(), "no spans reached the collector");
    // Protobuf keeps strings and bytes as they are.
    for id in &unsampled {
        assert!(
            !contains(&bodies, id.as_bytes()),
            "{id} was not to be traced"
        );
    }
    for text in [
        request_id.as_str(),
        "request_id",
        "gateway-under-test",
        "GET /api/partner/v1/sales",
        "http.response.status_code",
    ] {
        assert!(
            contains(&bodies, text.as_bytes()),
            "{text} not exported: {}",
            String::from_utf8_lossy(&bodies)
        );
    }
    let trace_bytes: Vec<u8> = (0..trace_id.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&trace_id[i..i + 2], 16).expect("hex"))
        .collect();
    assert!(
        contains(&bodies, &trace_bytes),
        "the caller's trace id is not the span's"
    );
}
