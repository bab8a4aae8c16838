//! The GraphQL facade at `/graphql` (GraphQL over HTTP: POST JSON, GET for queries,
//! `application/graphql-response+json`). Same token, plan, rate limit and tenant/branch
//! rules as REST, through the same code; transport failures get the REST status and body.

pub mod errors;
pub mod limits;
pub mod loaders;
pub mod order;
pub mod schema;

use async_graphql::{BatchRequest, BatchResponse, Request};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use self::limits::{GraphqlLimits, check_document, check_introspection};
use self::loaders::Loaders;
use self::schema::PartnerSchema;
use crate::auth::caller;
use crate::error::{AppError, FieldError};
use crate::state::AppState;

pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// The schema and its limits, shared by all requests.
#[derive(Clone)]
pub struct Graphql {
    pub schema: PartnerSchema,
    /// The same schema for documents that only read the schema: deeper selections allowed
    /// (GraphiQL's introspection query), introspection cycles refused beforehand.
    pub introspection: PartnerSchema,
    pub limits: GraphqlLimits,
}

impl std::fmt::Debug for Graphql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graphql")
            .field("limits", &self.limits)
            .finish()
    }
}

impl Graphql {
    pub fn new(limits: GraphqlLimits) -> Self {
        let introspection = GraphqlLimits {
            max_depth: limits.max_depth.max(limits::INTROSPECTION_DEPTH),
            ..limits
        };
        Self {
            schema: schema::build(&limits),
            introspection: schema::build(&introspection),
            limits,
        }
    }
}

/// The full schema in SDL, PII fields included (what `export-schema` writes).
pub fn sdl() -> String {
    let schema = schema::build(&GraphqlLimits::default());
    let options = async_graphql::SDLExportOptions::new().include_specified_by();
    let mut text = schema.sdl_with_options(options);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

pub fn router() -> Router<AppState> {
    Router::new().route("/graphql", get(graphql_get).post(graphql_post))
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::InvalidRequest {
        message: "Invalid GraphQL request",
        details: vec![FieldError::new(field, message)],
    }
}

/// Whether the client asked for the GraphQL-over-HTTP media type; otherwise (no `Accept`,
/// `*/*`, `application/json`) the answer is `application/json`, as the spec recommends.
fn wants_graphql_response(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains(GRAPHQL_RESPONSE))
}

async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> = query
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let request = (|| {
        let document = get("query").ok_or_else(|| invalid("query", "is required"))?;
        let mut request = Request::new(document);
        if let Some(name) = get("operationName") {
            request = request.operation_name(name);
        }
        if let Some(vars) = get("variables") {
            let value: serde_json::Value = serde_json::from_str(&vars)
                .map_err(|_| invalid("variables", "must be a JSON object"))?;
            request = request.variables(async_graphql::Variables::from_json(value));
        }
        Ok::<_, AppError>(BatchRequest::Single(request))
    })();
    execute(state, headers, Method::GET, request).await
}

async fn graphql_post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let request = (|| {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !content_type.starts_with("application/json") {
            return Err(invalid("content-type", "must be application/json"));
        }
        serde_json::from_slice::<BatchRequest>(&body).map_err(|_| {
            invalid(
                "body",
                "must be a GraphQL request object or a batch array of them",
            )
        })
    })();
    execute(state, headers, Method::POST, request).await
}

async fn execute(
    state: AppState,
    headers: HeaderMap,
    method: Method,
    request: Result<BatchRequest, AppError>,
) -> Response {
    let graphql_media = wants_graphql_response(&headers);
    // Transport first: token, plan, rate limit — the same gate as REST.
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = match caller::authenticate(&state, authorization).await {
        Ok(caller) => caller,
        Err(err) => return err.into_response(),
    };
    let rate = caller.rate;
    let result = async {
        let batch = request?;
        let requests: Vec<&Request> = match &batch {
            BatchRequest::Single(r) => vec![r],
            BatchRequest::Batch(list) => list.iter().collect(),
        };
        if requests.len() > state.graphql.limits.max_batch {
            return Err(invalid(
                "body",
                &format!(
                    "a batch may hold at most {} operations",
                    state.graphql.limits.max_batch
                ),
            ));
        }
        let mut schema_only = true;
        for r in &requests {
            check_document(&r.query, &state.graphql.limits)?;
            schema_only &= check_introspection(&r.query)?;
            if method == Method::GET && r.query.trim_start().starts_with("mutation") {
                return Err(invalid("query", "mutations are not allowed over GET"));
            }
        }
        Ok((batch, schema_only))
    }
    .await;
    let (batch, schema_only) = match result {
        Ok(found) => found,
        Err(err) => {
            let mut response = err.into_response();
            add_rate_headers(&mut response, rate);
            return response;
        }
    };
    let loaders = std::sync::Arc::new(Loaders::new(state.db.clone(), caller.scope.clone()));
    let batch = batch.data(caller).data(state.clone()).data(loaders);
    let schema = if schema_only {
        &state.graphql.introspection
    } else {
        &state.graphql.schema
    };
    let response = match schema.execute_batch(batch).await {
        BatchResponse::Single(r) => BatchResponse::Single(errors::sanitize(r)),
        BatchResponse::Batch(list) => {
            BatchResponse::Batch(list.into_iter().map(errors::sanitize).collect())
        }
    };
    let request_failed = match &response {
        // A request error (parse, validation, limits): nothing was executed.
        BatchResponse::Single(r) => {
            r.data == async_graphql::Value::Null
                && !r.errors.is_empty()
                && r.errors.iter().all(|e| e.path.is_empty())
        }
        BatchResponse::Batch(_) => false,
    };
    let status = if graphql_media && request_failed {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    // Serialized as is, so `data` keeps the order of the selections.
    let body = match (&response, request_failed) {
        // Nothing was executed: no `data` entry at all.
        (BatchResponse::Single(r), true) => serde_json::to_vec(&serde_json::json!({
            "errors": r.errors,
        })),
        _ => serde_json::to_vec(&response),
    }
    .unwrap_or_default();
    let content_type = if graphql_media {
        GRAPHQL_RESPONSE
    } else {
        "application/json"
    };
    let mut http = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    add_rate_headers(&mut http, rate);
    http
}

fn add_rate_headers(response: &mut Response, rate: crate::auth::rate_limit::RateStatus) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(rate.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(rate.remaining));
}
