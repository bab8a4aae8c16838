//! The OpenAPI 3.1 document of the Partner REST API, generated from the handlers' own types.

use axum::Json;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi};

use crate::error::ErrorResponse;
use crate::state::AppState;

pub const PATH: &str = "/api/partner/v1/openapi.json";

/// Errors every authenticated endpoint can answer with (seed 000).
#[allow(dead_code)]
#[derive(IntoResponses)]
pub enum StandardErrors {
    /// `invalid_request`: a query parameter failed validation; `details` names each one.
    #[response(status = 400)]
    BadRequest(ErrorResponse),
    /// `invalid_token` (missing, expired, malformed) or `invalid_client` (application
    /// suspended or revoked). Carries `WWW-Authenticate: Bearer`.
    #[response(status = 401)]
    Unauthorized(ErrorResponse),
    /// `access_denied` (plan without API access) or `insufficient_scope` with `required_scopes`.
    #[response(status = 403)]
    Forbidden(ErrorResponse),
    /// `rate_limited`: the application made its plan's number of requests in the last 15
    /// minutes (a sliding window).
    #[response(
        status = 429,
        headers(
            ("Retry-After" = u64, description = "Seconds until the oldest counted request leaves the window"),
            ("X-RateLimit-Limit" = u32, description = "Requests allowed in any 15 minutes"),
            ("X-RateLimit-Remaining" = u32, description = "Always 0 here"),
            ("X-RateLimit-Reset" = u64, description = "Seconds until the oldest counted request leaves the window")
        )
    )]
    TooManyRequests(ErrorResponse),
    /// `server_error`: opaque; the cause is logged under the `x-request-id` of the response.
    #[response(status = 500)]
    ServerError(ErrorResponse),
    /// `service_unavailable` (no database connection came free in time; retry after
    /// `Retry-After` seconds) or `request_timeout` (the request ran past the server's time
    /// limit and was stopped).
    #[response(
        status = 503,
        headers(("Retry-After" = u64, description = "With service_unavailable: seconds to wait"))
    )]
    ServiceUnavailable(ErrorResponse),
}

/// A single-object lookup outside the caller's tenant or branches, or unknown.
#[allow(dead_code)]
#[derive(IntoResponses)]
pub enum NotFound {
    /// `not_found`.
    #[response(status = 404)]
    NotFound(ErrorResponse),
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from POST /oauth/token"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "partner-gateway Partner REST API",
        description = "Read access to a retail back office for partners. Errors are flat \
                       `{error, message, ...}` objects; money and quantities are decimal \
                       strings; times are UTC ISO 8601 with milliseconds. Lists are cursor \
                       paginated, newest first.",
        version = "1.0.0"
    ),
    paths(
        super::oauth::create_token,
        super::sales::list_sales,
        super::sales::list_sales_items,
        super::products::list_products,
        super::inventory::list_inventory,
        super::inventory::list_movements,
        super::purchasing::list_purchase_orders,
        super::purchasing::list_purchase_order_items,
        super::purchasing::list_suppliers,
        super::customers::list_customers,
        super::reports::get_sales_summary,
        super::reports::get_inventory_summary,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

/// The document as pretty JSON with a trailing newline (what `export-openapi` writes).
pub fn document_json() -> String {
    let mut text = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route(PATH, get(|| async { Json(ApiDoc::openapi()) }))
}
