//! `GET /playground`: GraphiQL (built from `playground/` with npm, embedded here), a token
//! panel, and the example operations as tabs. No CDN: the page and everything it loads come
//! from this server, so it works offline.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::{operations, page_headers};
use crate::demo::{self, DemoApp};
use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/playground", get(page))
        .route("/playground/assets/{file}", get(asset))
        // The bundle is mostly Monaco: gzip takes it from 6.9 MB to about 2.1 MB.
        .layer(tower_http::compression::CompressionLayer::new().gzip(true))
}

/// The built bundle (`npm ci && npm run build` in `playground/`).
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "playground.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/dist/playground.js"),
    ),
    (
        "playground.css",
        "text/css; charset=utf-8",
        include_bytes!("../../playground/dist/playground.css"),
    ),
    (
        "editor.worker.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/dist/editor.worker.js"),
    ),
    (
        "json.worker.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/dist/json.worker.js"),
    ),
    (
        "graphql.worker.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/dist/graphql.worker.js"),
    ),
];

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=3600"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            *bytes,
        )
            .into_response(),
        None => AppError::NotFound("Resource not found").into_response(),
    }
}

async fn page(State(state): State<AppState>) -> Response {
    // In demo mode the page comes with a fresh token for the full-access demo application
    // (its credentials are public anyway); otherwise the visitor brings one.
    let token = if state.config.demo {
        match demo::access_token(&state, DemoApp::full_access()).await {
            Ok(token) => token,
            Err(err) => {
                return AppError::internal(err.context("issuing the playground's demo token"))
                    .into_response();
            }
        }
    } else {
        None
    };
    let operations: Vec<_> = operations::all()
        .into_iter()
        .map(|op| json!({"name": op.name, "query": op.document, "variables": op.variables}))
        .collect();
    let demo_app = DemoApp::full_access();
    let config = json!({
        "demo": state.config.demo,
        "token": token,
        "demoClientId": state.config.demo.then_some(demo_app.client_id),
        "demoClientSecret": state.config.demo.then_some(demo_app.client_secret),
        "graphqlPath": "/graphql",
        "tokenPath": "/oauth/token",
        "operations": operations,
    });
    // `<` is escaped so no string in the data can close the script element.
    let config = config.to_string().replace('<', "\\u003c");
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>partner-gateway · GraphQL playground</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/playground/assets/playground.css">
</head>
<body>
<div id="playground"></div>
<noscript>The playground needs JavaScript. The GraphQL endpoint is <code>/graphql</code>.</noscript>
<script type="application/json" id="playground-config">{config}</script>
<script src="/playground/assets/playground.js"></script>
</body>
</html>
"#
    );
    (StatusCode::OK, page_headers(), html).into_response()
}
