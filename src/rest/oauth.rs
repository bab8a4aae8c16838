//! `POST /oauth/token`: the client-credentials grant, credentials in a form body, a JSON body
//! or HTTP Basic.

use std::net::SocketAddr;

use axum::Extension;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::auth::token::{self, TokenRequest};
use crate::error::AppError;
use crate::state::AppState;

/// `POST /oauth/token`, behind the per-address pace ([`crate::auth::pace`]).
pub fn router(pace: &crate::auth::pace::TokenPace) -> Router<AppState> {
    Router::new().route("/oauth/token", post(create_token).layer(pace.layer()))
}

/// An access token (RFC 6749 §5.1).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    #[schema(example = 3600)]
    pub expires_in: u64,
    /// The token's scopes, space-separated.
    pub scope: String,
}

/// The token request (form fields or a JSON object).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct TokenRequestBody {
    /// Must be `client_credentials`.
    #[schema(example = "client_credentials")]
    pub grant_type: String,
    /// The application's client id (or send it with HTTP Basic).
    pub client_id: Option<String>,
    /// The application's client secret (or send it with HTTP Basic).
    pub client_secret: Option<String>,
    /// Space-separated subset of the application's scopes.
    pub scope: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct TokenBody {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<TokenBody, AppError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if body.is_empty() {
        return Ok(TokenBody::default());
    }
    let looks_like_json = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[');
    if crate::web::json::is_json(&content_type) {
        crate::web::json::parse(body)
    } else if content_type.is_empty() && looks_like_json {
        // Read as a form, it would only say that grant_type is missing.
        Err(AppError::invalid_field(
            "content-type",
            "is missing and the body looks like JSON: send it with Content-Type: \
             application/json, or send a form (application/x-www-form-urlencoded)",
        ))
    } else if content_type.starts_with("application/x-www-form-urlencoded")
        || content_type.is_empty()
    {
        let mut parsed = TokenBody::default();
        for (key, value) in form_urlencoded::parse(body) {
            let slot = match key.as_ref() {
                "grant_type" => &mut parsed.grant_type,
                "client_id" => &mut parsed.client_id,
                "client_secret" => &mut parsed.client_secret,
                "scope" => &mut parsed.scope,
                _ => continue,
            };
            if slot.is_some() {
                return Err(AppError::invalid_field(
                    key.as_ref(),
                    "must not be repeated",
                ));
            }
            *slot = Some(value.into_owned());
        }
        Ok(parsed)
    } else {
        Err(AppError::invalid_field(
            "content-type",
            "must be application/x-www-form-urlencoded or application/json",
        ))
    }
}

/// `Authorization: Basic base64(client_id:client_secret)` (RFC 6749 §2.3.1, form-encoded parts).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || AppError::InvalidClient(crate::error::ClientProblem::BadCredentials);
    let text = value.to_str().map_err(|_| bad())?;
    let Some((scheme, encoded)) = text.split_once(' ') else {
        return Err(bad());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| -> String {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

#[utoipa::path(
    post,
    path = "/oauth/token",
    tag = "OAuth",
    summary = "Client-credentials token",
    description = "The OAuth 2 client-credentials grant (RFC 6749 §4.4). The body is a form \
                   (`application/x-www-form-urlencoded`) or a JSON object (`application/json`) \
                   with `grant_type=client_credentials`. The client id and secret go either in \
                   the body (`client_id`, `client_secret`) or in an HTTP Basic `Authorization` \
                   header (`Basic base64(client_id:client_secret)`, each part form-encoded), \
                   not both. `scope` (space-separated) narrows the token to some of the \
                   application's scopes; without it the token has all of them. Failed requests \
                   are braked per client id and per address, and all requests are paced per \
                   address (429).",
    request_body(
        description = "The grant, and the client credentials unless they are sent with HTTP \
                       Basic. The same fields may be sent as a JSON object instead, with \
                       `Content-Type: application/json` (only the standard form is declared \
                       here: several generators cannot yet produce a client for a body of two \
                       media types).",
        content(
            (TokenRequestBody = "application/x-www-form-urlencoded", example = json!({
                "grant_type": "client_credentials",
                "client_id": "demo-full-access",
                "client_secret": "pgs_demo_full_access_secret",
                "scope": "read:sales read:products"
            })),
        )
    ),
    responses(
        (status = 200, description = "A bearer access token", body = TokenResponse),
        (status = 400, description = "invalid_request, unsupported_grant_type or invalid_scope", body = crate::error::ErrorResponse),
        (status = 401, description = "invalid_client", body = crate::error::ErrorResponse),
        (status = 413, description = "payload_too_large", body = crate::error::ErrorResponse),
        (status = 408, description = "request_timeout: the body did not arrive in time", body = crate::error::ErrorResponse),
        (status = 429, description = "rate_limited: too many failed token requests for this client id or from this address, or too many token requests from this address in a short time", body = crate::error::ErrorResponse,
            headers(("Retry-After" = u64, description = "Seconds until a request is admitted again"))),
        (status = 500, description = "server_error", body = crate::error::ErrorResponse),
        (status = 503, description = "service_unavailable or request_timeout", body = crate::error::ErrorResponse),
    )
)]
pub async fn create_token(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let body = crate::web::json::read_body(
            body,
            crate::startup::MAX_BODY_BYTES,
            state.config.http.body_timeout,
        )
        .await?;
        let body = parse_body(&headers, &body)?;
        let (client_id, client_secret) = match basic_credentials(&headers)? {
            Some(_) if body.client_secret.is_some() => {
                return Err(AppError::invalid_field(
                    "client_secret",
                    "send client credentials either with HTTP Basic or in the body, not both",
                ));
            }
            Some((id, secret)) => (Some(id), Some(secret)),
            None => (body.client_id, body.client_secret),
        };
        token::issue(
            state.auth(),
            TokenRequest {
                grant_type: body.grant_type,
                client_id,
                client_secret,
                scope: body.scope,
                address: peer.map(|Extension(ConnectInfo(addr))| addr.ip()),
            },
        )
        .await
    }
    .await;
    let mut response = match result {
        Ok(issued) => Json(TokenResponse {
            access_token: issued.access_token,
            token_type: "Bearer",
            expires_in: issued.expires_in,
            scope: issued.scope,
        })
        .into_response(),
        Err(err) => err.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
