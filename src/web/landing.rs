//! `GET /`: where the banner's first URL leads.

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;

use super::{escape, page_headers};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(landing))
}

const README: &str = include_str!("../../README.md");

/// The README's "Quick start" section, as written.
fn quick_start() -> &'static str {
    let Some(start) = README.find("## Quick start") else {
        return "";
    };
    let section = &README[start..];
    let body_start = section.find('\n').map_or(section.len(), |i| i + 1);
    let end = section[body_start..]
        .find("\n## ")
        .map_or(section.len(), |i| body_start + i);
    section[body_start..end].trim()
}

async fn landing(State(state): State<AppState>) -> impl IntoResponse {
    let mode = if state.config.demo {
        "<p class=\"demo\"><strong>Demo mode:</strong> demo data and public demo credentials \
         (printed by the server at start). The playground comes with a token.</p>"
    } else {
        "<p>Create API credentials with <code>partner-gateway apps create</code>, then get a \
         token from <code>POST /oauth/token</code>.</p>"
    };
    let html = format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>partner-gateway</title>
<link rel="icon" href="data:,">
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 3rem auto; padding: 0 1rem; color: #1f2630; }}
h1 {{ margin-bottom: 0; }} .lead {{ color: #5b6472; margin-top: 0.25rem; }}
ul {{ padding-left: 1.2rem; }} li {{ margin: 0.4rem 0; }}
pre {{ background: #f6f7f9; padding: 0.75rem; overflow: auto; font-size: 14px; }}
code {{ background: #f1f3f6; padding: 0 0.25rem; border-radius: 3px; }}
.demo {{ background: #fff7e0; border: 1px solid #f0dc9c; padding: 0.5rem 0.75rem; border-radius: 4px; }}
</style>
</head>
<body>
<h1>partner-gateway</h1>
<p class="lead">The retail back office — branches, stock, purchasing, customers and sales — for partners.</p>
{mode}
<ul>
<li><a href="/playground"><strong>GraphQL playground</strong></a> — explore the schema and run the example queries in your browser.</li>
<li><a href="/api/partner/v1/openapi.json">OpenAPI document</a> of the Partner REST API at <code>{base}/api/partner/v1</code>.</li>
<li>GraphQL endpoint: <code>{base}/graphql</code> (POST JSON, or GET for queries).</li>
<li>Tokens: <code>POST {base}/oauth/token</code> with <code>grant_type=client_credentials</code>.</li>
<li><a href="/healthz">Health</a> and <a href="/readyz">readiness</a>.</li>
<li><a href="#quick-start">Quick start</a> from the README.</li>
</ul>
<h2 id="quick-start">Quick start</h2>
<pre>{quick_start}</pre>
<p>partner-gateway {version}</p>
</body>
</html>
"##,
        base = escape(&state.config.public_url),
        quick_start = escape(quick_start()),
        version = env!("CARGO_PKG_VERSION"),
    );
    (page_headers(), html)
}
