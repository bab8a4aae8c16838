//! The `/api/partner/v1` router and its gate: every request is authenticated, plan-checked
//! and rate-limited here, and every authenticated answer carries `X-RateLimit-*`.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use super::{customers, inventory, products, purchasing, reports, sales};
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
        .fallback(|| async { AppError::NotFound("Resource not found") })
        .layer(middleware::from_fn_with_state(state, gate))
}

async fn gate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match caller::authenticate(&state, authorization.as_deref()).await {
        Ok(caller) => {
            let rate = caller.rate;
            request.extensions_mut().insert::<Caller>(caller);
            let mut response = next.run(request).await;
            let headers = response.headers_mut();
            headers.insert("x-ratelimit-limit", HeaderValue::from(rate.limit));
            headers.insert("x-ratelimit-remaining", HeaderValue::from(rate.remaining));
            response
        }
        Err(err) => {
            let limit = match &err {
                AppError::RateLimited { max, .. } => Some(*max),
                _ => None,
            };
            let mut response = err.into_response();
            if let Some(limit) = limit {
                let headers = response.headers_mut();
                headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
                headers.insert("x-ratelimit-remaining", HeaderValue::from(0u32));
            }
            response
        }
    }
}
