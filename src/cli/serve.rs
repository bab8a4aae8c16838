//! `serve`: migrate, fill an empty demo database, print the banner, serve until signalled.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::clock::Clock;
use crate::config::Config;
use crate::demo::{self, DemoApp, SeedOptions, SeedSummary};
use crate::startup::{self, Application};
use crate::state::AppState;

/// The endpoints listed in the banner: (label, path).
pub const ENDPOINTS: &[(&str, &str)] = &[
    ("Home", "/"),
    ("Playground", "/playground"),
    ("GraphQL", "/graphql"),
    ("OpenAPI", "/api/partner/v1/openapi.json"),
    ("Token", "/oauth/token"),
    ("Health", "/healthz"),
    ("Readiness", "/readyz"),
];

pub async fn run(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let state = startup::build_state(config, clock).await?;
    if state.config.demo && demo::is_empty(&state.db).await? {
        eprintln!("empty database: generating demo data (once; later starts reuse it)…");
        let summary = demo::seed(&state.db, state.clock.now(), &SeedOptions::default()).await?;
        tracing::info!(
            orders = summary.sales_orders,
            elapsed_ms = summary.elapsed.as_millis() as u64,
            "demo data generated"
        );
    }
    let app = Application::bind(state.clone()).await?;
    let metrics = match state.config.metrics_bind {
        Some(address) => {
            Some(crate::metrics::serve(state.clone(), address, std::future::pending()).await?)
        }
        None => None,
    };
    let mut banner = banner(&state, app.local_addr()?.port()).await?;
    if let Some(address) = metrics {
        banner.push_str(&format!(
            "\n  Metrics (Prometheus): http://{address}/metrics\n"
        ));
    }
    if let Some(traces) = &state.config.traces {
        banner.push_str(&format!(
            "\n  Traces (OTLP/HTTP): {} ({}% of requests)\n",
            traces.endpoint,
            traces.sample_ratio * 100.0
        ));
    }
    eprintln!("{banner}");
    tracing::info!(address = %app.local_addr()?, demo = state.config.demo, "listening");
    let served = app.run_until(startup::shutdown_signal()).await;
    tracing::info!("stopped");
    // The spans still queued go out before the process ends.
    tokio::task::spawn_blocking(crate::telemetry::shutdown_traces).await?;
    Ok(served?)
}

/// The REST API is shown as a request to copy (its URL alone only shows a 401 in a browser).
const REST_EXAMPLE: &str = "/api/partner/v1/sales?limit=5";

/// The startup banner. Outside demo mode it holds no secret at all.
pub async fn banner(state: &AppState, port: u16) -> anyhow::Result<String> {
    let base = if state.config.bind.port() == 0 {
        format!("http://{}:{port}", state.config.bind.ip())
    } else {
        state.config.public_url.clone()
    };
    let mut out = String::new();
    out.push_str("\npartner-gateway is running\n\n");
    for (label, path) in ENDPOINTS {
        out.push_str(&format!("  {label:<12} {base}{path}\n"));
    }
    if !state.config.demo {
        out.push_str(&format!(
            "  {:<12} curl -H 'Authorization: Bearer <access_token from /oauth/token>' \
             '{base}{REST_EXAMPLE}'\n",
            "REST API"
        ));
        out.push_str(
            "\n  (production mode: create credentials with `partner-gateway apps create`)\n",
        );
        if !state.revoked_demo_apps.is_empty() {
            out.push_str(&format!(
                "\n  Revoked at start: credentials with public demo texts ({}).\n  \
                 Demo credentials never work outside demo mode.\n",
                state.revoked_demo_apps.join(", ")
            ));
        }
        return Ok(out);
    }
    out.push_str("\nDEMO MODE: demo data and public demo credentials. Set JWT_SECRET or pass --no-demo for real use.\n\n");
    out.push_str("  client_id          client_secret                  what it can do\n");
    for app in demo::DEMO_APPS {
        out.push_str(&format!(
            "  {:<18} {:<30} {}\n",
            app.client_id, app.client_secret, app.purpose
        ));
    }
    out.push_str(&format!(
        "\n  Push Integration API key (read, write): {}\n  \
         e.g. curl -H 'X-API-Key: {}' {}/api/v1/integration/v1/items/<sku>\n",
        demo::DEMO_API_KEY,
        demo::DEMO_API_KEY,
        state.config.public_url.trim_end_matches('/'),
    ));
    if let Some(token) = demo::access_token(state, DemoApp::full_access()).await? {
        out.push_str(&format!(
            "\n  Bearer token ({}, valid {} min):\n  {token}\n\n  \
             REST API, with it:\n  curl -H 'Authorization: Bearer {token}' '{base}{REST_EXAMPLE}'\n",
            DemoApp::full_access().client_id,
            state
                .config
                .jwt
                .as_ref()
                .map(|j| j.ttl.as_secs() / 60)
                .unwrap_or_default()
        ));
    }
    Ok(out)
}

pub fn summary_json(summary: &SeedSummary) -> Value {
    json!({
        "tenant_id": summary.tenant_id,
        "free_tenant_id": summary.free_tenant_id,
        "tenants": summary.tenants,
        "applications": summary.applications,
        "branches": summary.branches,
        "warehouses": summary.warehouses,
        "products": summary.products,
        "skus": summary.skus,
        "suppliers": summary.suppliers,
        "customers": summary.customers,
        "purchase_orders": summary.purchase_orders,
        "purchase_order_items": summary.purchase_order_items,
        "sales_orders": summary.sales_orders,
        "sales_order_items": summary.sales_order_items,
        "inventory_levels": summary.inventory_levels,
        "inventory_movements": summary.inventory_movements,
        "elapsed_ms": summary.elapsed.as_millis() as u64,
    })
}
