//! The `/api/partner/v1` router and its gate: every request is authenticated, plan-checked
//! and rate-limited here, and every authenticated answer carries `X-RateLimit-*`.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use super::{customers, inventory, products, purchasing, reports, sales, webhooks};
use crate::auth::caller::{self, Caller};
use crate::error::AppError;
use crate::state::AppState;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(sales::router())
        .merge(customers::router())
        .merge(products::router())
        .merge(inventory::router())
        .merge(purchasing::router())
        .merge(reports::router())
        .merge(webhooks::router())
        .fallback(|| async { AppError::NotFound("Resource not found") })
        .layer(middleware::from_fn_with_state(state, gate))
}

/// The shared gate ([`caller::authenticate`]) in front of every REST endpoint.
async fn gate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let origin = crate::web::cors::cross_origin(request.headers()).map(str::to_owned);
    match caller::authenticate(state.auth(), authorization.as_deref(), origin.as_deref(), 1).await {
        Ok(caller) => {
            let rate = caller.rate;
            let application = crate::metrics::Application(caller.application_id);
            let db = state.db_budgets.for_request(&state.db, caller.tenant_id);
            request.extensions_mut().insert(db);
            request.extensions_mut().insert::<Caller>(caller);
            let mut response = next.run(request).await;
            rate.apply(response.headers_mut());
            response.extensions_mut().insert(application);
            response
        }
        Err(err) => err.into_response(),
    }
}
