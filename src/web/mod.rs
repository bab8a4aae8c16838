//! What the doors share over HTTP (CORS, JSON bodies), and the pages for people: the landing
//! page at `/` and the GraphiQL playground at `/playground`. Everything they load is embedded
//! in the binary and served from here.

pub mod cors;
pub mod json;
pub mod landing;
pub mod operations;
pub mod playground;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(landing::router())
        .merge(playground::router())
}

/// Pages load nothing from another origin; the browser enforces it.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     worker-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'";

/// The headers of an HTML page.
fn page_headers() -> [(HeaderName, HeaderValue); 4] {
    [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ]
}

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
