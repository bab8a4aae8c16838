//! The GraphQL facade at `/graphql` (GraphQL over HTTP: POST JSON, GET for queries,
//! `application/graphql-response+json`). Same gate as REST ([`caller::authenticate`]); every
//! answer, refusals of the gate included, is a GraphQL response carrying the catalogue code in
//! `extensions.code`.
//!
//! A request goes: gate (token, plan, one rate-limit unit per operation, origin) → its
//! document, from the tenant's cache of checked documents (by text or persisted-query hash,
//! [`documents`]: only the checks that depend on the variables run again) or through the
//! guarded path (lexical scan, parse, nesting, expanded size, introspection shape; on
//! big-stack threads), then kept → validation and execution under the request's time limit,
//! every statement within the request's and the tenant's connection budget
//! ([`crate::db::DbBudgets`]).

pub mod documents;
pub mod errors;
pub mod guard;
pub mod limits;
pub mod loaders;
pub mod response_order;
pub mod schema;

use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, Request, Response as GqlResponse};
use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt, StreamExt};

use self::documents::{Digest, Documents, Known};
use self::guard::Guard;
use self::limits::{GraphqlLimits, Inspected};
use self::loaders::Loaders;
use self::schema::PartnerSchema;
use crate::auth::caller::{self, Caller};
use crate::domain::customers::PiiColumns;
use crate::error::{AppError, FieldError};
use crate::state::AppState;

pub const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// The schema, its limits and the guarded threads, shared by all requests.
#[derive(Clone)]
pub struct Graphql {
    pub schema: PartnerSchema,
    /// The same schema for documents that only read the schema: deeper selections allowed
    /// (GraphiQL's introspection query), introspection cycles refused beforehand.
    pub introspection: PartnerSchema,
    pub limits: GraphqlLimits,
    pub guard: Arc<Guard>,
    /// Documents already parsed and checked, and the persisted-query hashes they answer to.
    pub documents: Arc<Documents>,
}

impl std::fmt::Debug for Graphql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graphql")
            .field("limits", &self.limits)
            .field("guard", &self.guard)
            .finish()
    }
}

impl Graphql {
    pub fn new(limits: GraphqlLimits) -> std::io::Result<Self> {
        let introspection = GraphqlLimits {
            max_depth: limits.max_depth.max(limits::INTROSPECTION_DEPTH),
            ..limits
        };
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Ok(Self {
            schema: schema::build(&limits),
            introspection: schema::build(&introspection),
            limits,
            guard: Arc::new(Guard::new(threads, limits.max_body_bytes)?),
            documents: Arc::new(Documents::default()),
        })
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
    Router::new().route(
        "/graphql",
        get(graphql_get)
            .post(graphql_post)
            .fallback(method_not_allowed),
    )
}

/// Any other method: 405 with `Allow`, as a GraphQL response like every answer here.
async fn method_not_allowed(headers: HeaderMap) -> Response {
    let mut response = error_response(
        invalid("method", "must be GET (queries) or POST"),
        wants_graphql_response(&headers),
        false,
    );
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response.headers_mut().insert(
        header::ALLOW,
        axum::http::HeaderValue::from_static("GET, POST"),
    );
    response
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

fn content_type(graphql_media: bool) -> &'static str {
    if graphql_media {
        GRAPHQL_RESPONSE
    } else {
        "application/json"
    }
}

/// An error that stops the whole request, as a GraphQL response: `{"errors": [...]}` with
/// the catalogue code, the error's own status and headers (`WWW-Authenticate`,
/// `Retry-After`, `X-RateLimit-*`). A document the server refuses to run (parse, limits) is
/// a request error: 400 with `application/graphql-response+json`, 200 with
/// `application/json`, as GraphQL over HTTP gives.
pub fn error_response(err: AppError, graphql_media: bool, document_error: bool) -> Response {
    err.log();
    let status = if document_error && !graphql_media {
        StatusCode::OK
    } else {
        err.status()
    };
    let headers = err.headers();
    let error = errors::gql_server_error(err);
    let body = serde_json::to_vec(&serde_json::json!({ "errors": [error] })).unwrap_or_default();
    let mut response = (
        status,
        [(header::CONTENT_TYPE, content_type(graphql_media))],
        body,
    )
        .into_response();
    response.headers_mut().extend(headers);
    response
}

/// A persisted-query hash without its document, alone in its request: 200 (as Apollo's
/// servers answer, so clients read the error and send the document) and never cached.
fn unknown_hash(graphql_media: bool) -> Response {
    let body = serde_json::to_vec(&serde_json::json!({ "errors": [documents::not_found()] }))
        .unwrap_or_default();
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type(graphql_media)),
            (header::CACHE_CONTROL, "private, no-cache, must-revalidate"),
        ],
        body,
    )
        .into_response()
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
        let extensions = match get("extensions") {
            Some(text) => serde_json::from_str::<async_graphql::Extensions>(&text)
                .map_err(|_| invalid("extensions", "must be a JSON object"))?,
            None => async_graphql::Extensions::default(),
        };
        // A persisted query may come as its hash alone.
        let document = match get("query") {
            Some(document) => document,
            None if extensions.0.contains_key("persistedQuery") => String::new(),
            None => return Err(invalid("query", "is required")),
        };
        let mut request = Request::new(document);
        request.extensions = extensions;
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
    let caller = match admit(&state, &headers).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    execute(state, caller, headers, Method::GET, request).await
}

async fn graphql_post(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    // The gate before the body is even read: a caller without a valid token costs no memory.
    let caller = match admit(&state, &headers).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let body = crate::web::json::read_body(
        body,
        crate::startup::MAX_BODY_BYTES,
        state.config.http.body_timeout,
    )
    .await;
    let request = (|| {
        let body = body?;
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
    execute(state, caller, headers, Method::POST, request).await
}

/// The shared gate ([`caller::authenticate`]): token, plan, and one unit of the quota.
async fn admit(state: &AppState, headers: &HeaderMap) -> Result<Caller, Response> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let origin = crate::web::cors::cross_origin(headers);
    caller::authenticate(state.auth(), authorization, origin, 1)
        .await
        .map_err(|err| error_response(err, wants_graphql_response(headers), false))
}

async fn execute(
    state: AppState,
    mut caller: Caller,
    headers: HeaderMap,
    method: Method,
    request: Result<BatchRequest, AppError>,
) -> Response {
    let graphql_media = wants_graphql_response(&headers);
    // Every further operation of a batch is one more request of the quota (a batch longer
    // than the batch limit is refused below; it is counted up to that limit).
    if let Ok(BatchRequest::Batch(list)) = &request
        && list.len() > 1
    {
        let operations = list.len().min(state.graphql.limits.max_batch + 1);
        let quota = state.rate_limits.limit(caller.plan) as usize;
        if operations > quota {
            let err = invalid(
                "body",
                &format!(
                    "a batch of {operations} operations is more than the quota allows \
                     ({quota} requests per 15 minutes)"
                ),
            );
            let mut response = error_response(err, graphql_media, false);
            caller.rate.apply(response.headers_mut());
            return response;
        }
        match state.rate_limits.check(
            caller.plan,
            caller.application_id,
            u32::try_from(operations - 1).unwrap_or(u32::MAX),
            state.clock.now(),
        ) {
            Ok(rate) => caller.rate = rate,
            Err(err) => return error_response(err, graphql_media, false),
        }
    }
    let rate = caller.rate;
    let application = crate::metrics::Application(caller.application_id);
    // The time limit covers everything after the gate: the guarded path, validation and
    // execution.
    let limit = state.config.graphql_timeout;
    // A panic below is a bug of ours; it is answered as a GraphQL response like any other.
    let work = std::panic::AssertUnwindSafe(run(&state, caller, method, request, graphql_media))
        .catch_unwind();
    let mut response = match tokio::time::timeout(limit, work).await {
        Ok(Ok(Ok(response))) => response,
        Ok(Ok(Err((err, document_error)))) => error_response(err, graphql_media, document_error),
        Ok(Err(_panic)) => error_response(
            AppError::internal(anyhow::anyhow!("a GraphQL request panicked")),
            graphql_media,
            false,
        ),
        Err(_) => error_response(
            AppError::Timeout {
                seconds: limit.as_secs().max(1),
            },
            graphql_media,
            false,
        ),
    };
    rate.apply(response.headers_mut());
    response.extensions_mut().insert(application);
    response
}

/// One operation after the guarded path: ready to run (with its checked document, also
/// used to put the answer back in selection order), or refused with its own error.
enum Prepared {
    Run {
        request: Box<Request>,
        document: Arc<Known>,
    },
    Refused(AppError),
    /// A persisted-query hash this tenant has not sent its document for (yet).
    UnknownHash,
}

/// Where an operation's document comes from before the guarded path.
enum Source {
    Known(Arc<Known>),
    /// To be inspected, then kept under this digest (none: not worth hashing).
    Inspect(Option<Digest>),
    Refused(AppError),
    UnknownHash,
}

/// The document of `request`: known by its text or by the persisted-query hash it was sent
/// as, or to be inspected.
fn source(documents: &Documents, tenant: uuid::Uuid, request: &Request) -> Source {
    let hash = match documents::persisted_query(&request.extensions) {
        Ok(hash) => hash,
        Err(err) => return Source::Refused(err),
    };
    if request.query.is_empty() {
        return match hash {
            Some(hash) => documents
                .get(tenant, &hash)
                .map_or(Source::UnknownHash, Source::Known),
            // No document at all: the inspection names the problem.
            None => Source::Inspect(None),
        };
    }
    if hash.is_none() && request.query.len() > documents::MAX_DOCUMENT_BYTES {
        return Source::Inspect(None);
    }
    let digest = documents::digest(&request.query);
    if hash.is_some_and(|hash| hash != digest) {
        return Source::Refused(documents::mismatch());
    }
    match documents.get(tenant, &digest) {
        Some(known) => Source::Known(known),
        None => Source::Inspect(Some(digest)),
    }
}

/// Everything after the gate. `Err((error, is_document_error))` ends the request.
async fn run(
    state: &AppState,
    caller: Caller,
    method: Method,
    request: Result<BatchRequest, AppError>,
    graphql_media: bool,
) -> Result<Response, (AppError, bool)> {
    let limits = state.graphql.limits;
    let batch = request.map_err(|e| (e, false))?;
    let (requests, single) = match batch {
        BatchRequest::Single(r) => (vec![r], true),
        BatchRequest::Batch(list) => (list, false),
    };
    if requests.len() > limits.max_batch {
        return Err((
            invalid(
                "body",
                &format!("a batch may hold at most {} operations", limits.max_batch),
            ),
            false,
        ));
    }
    if requests.is_empty() {
        return Err((invalid("body", "a batch must hold an operation"), false));
    }

    let documents = &state.graphql.documents;
    let tenant = caller.tenant_id;
    let mut sources: Vec<Source> = requests
        .iter()
        .map(|r| source(documents, tenant, r))
        .collect();

    // A document already known: only the checks that depend on this request's variables run
    // again (the guarded path below runs them for the others).
    for (source, request) in sources.iter_mut().zip(&requests) {
        if let Source::Known(known) = source
            && let Err(err) = limits::check_variables(&known.document, &request.variables, &limits)
        {
            *source = Source::Refused(err);
        }
    }

    // The guarded path for documents not seen before, one hop for the whole batch.
    let unseen: Vec<(usize, String, async_graphql::Variables)> = sources
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Source::Inspect(_)))
        .map(|(i, _)| (i, requests[i].query.clone(), requests[i].variables.clone()))
        .collect();
    if !unseen.is_empty() {
        let inspected = state
            .graphql
            .guard
            .run(move || {
                unseen
                    .into_iter()
                    .map(|(i, document, variables)| {
                        let inspection = limits::inspect(&document, &variables, &limits);
                        (i, document, inspection)
                    })
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| (AppError::internal(e), false))?;
        for (i, text, inspection) in inspected {
            let Source::Inspect(digest) = sources[i] else {
                continue;
            };
            sources[i] = match inspection {
                Ok(Inspected {
                    document,
                    schema_only,
                }) => {
                    let known = Known::new(
                        document,
                        schema_only,
                        schema::asks_for_pii(&text),
                        text.len(),
                    );
                    Source::Known(match digest {
                        Some(digest) => documents.insert(tenant, digest, known),
                        None => Arc::new(known),
                    })
                }
                Err(err) => Source::Refused(err),
            };
        }
    }

    let db = state.db_budgets.for_request(&state.db, caller.tenant_id);
    // Personal data is read only for callers allowed to see it whose documents ask for it.
    let pii = PiiColumns::for_caller(
        caller.can_read_pii(),
        sources
            .iter()
            .any(|s| matches!(s, Source::Known(known) if known.asks_for_pii)),
    );
    let loaders = Arc::new(Loaders::new(db.clone(), caller.tenancy.clone(), pii));
    let mut prepared = Vec::with_capacity(requests.len());
    // A mutation sent over GET: 405, as the GraphQL-over-HTTP specification requires.
    let mut mutation_over_get = false;
    for (mut request, source) in requests.into_iter().zip(sources) {
        let document = match source {
            Source::Known(known) => known,
            Source::Refused(err) => {
                prepared.push(Prepared::Refused(err));
                continue;
            }
            Source::UnknownHash => {
                prepared.push(Prepared::UnknownHash);
                continue;
            }
            Source::Inspect(_) => {
                prepared.push(Prepared::Refused(AppError::internal(anyhow::anyhow!(
                    "a GraphQL document was not inspected"
                ))));
                continue;
            }
        };
        if method == Method::GET
            && document
                .document
                .operations
                .iter()
                .any(|(_, op)| op.node.ty != OperationType::Query)
        {
            prepared.push(Prepared::Refused(invalid(
                "query",
                "only queries are allowed over GET (send mutations with POST)",
            )));
            mutation_over_get = true;
            continue;
        }
        request.set_parsed_query(document.document.clone());
        request = request
            .data(caller.clone())
            .data(state.clone())
            .data(loaders.clone())
            .data(pii)
            .data(db.clone());
        prepared.push(Prepared::Run {
            request: Box::new(request),
            document,
        });
    }
    if single && matches!(prepared.first(), Some(Prepared::UnknownHash)) {
        return Ok(unknown_hash(graphql_media));
    }
    if single
        && matches!(prepared.first(), Some(Prepared::Refused(_)))
        && let Some(Prepared::Refused(err)) = prepared.pop()
    {
        if mutation_over_get {
            let mut response = error_response(err, graphql_media, false);
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response
                .headers_mut()
                .insert(header::ALLOW, axum::http::HeaderValue::from_static("POST"));
            return Ok(response);
        }
        return Err((err, true));
    }

    let responses = prepared
        .into_iter()
        .map(|item| async move {
            match item {
                Prepared::Run { request, document } => {
                    let schema = if document.schema_only {
                        &state.graphql.introspection
                    } else {
                        &state.graphql.schema
                    };
                    let operation = request.operation_name.clone();
                    let mut response = errors::sanitize(schema.execute(*request).await);
                    // Ran (validation passed): counted with its cost.
                    if let Some(async_graphql::Value::Object(analyzer)) =
                        response.extensions.get("analyzer")
                        && let Some(async_graphql::Value::Number(cost)) = analyzer.get("complexity")
                    {
                        // Named by the request, or by the document's one named operation.
                        let named =
                            operation
                                .clone()
                                .or_else(|| match &document.document.operations {
                                    async_graphql::parser::types::DocumentOperations::Multiple(
                                        operations,
                                    ) if operations.len() == 1 => {
                                        operations.keys().next().map(ToString::to_string)
                                    }
                                    _ => None,
                                });
                        crate::metrics::graphql_operation(
                            named.as_deref(),
                            cost.as_u64().unwrap_or_default() as usize,
                        );
                    }
                    response_order::restore(
                        &mut response.data,
                        &document.document,
                        operation.as_deref(),
                    );
                    schema::describe_schema(&mut response.data, &document.document);
                    response
                }
                Prepared::Refused(err) => errors::refused(err),
                Prepared::UnknownHash => GqlResponse::from_errors(vec![documents::not_found()]),
            }
        })
        .collect::<FuturesOrdered<_>>()
        .collect::<Vec<GqlResponse>>()
        .await;

    let (status, body) = if single {
        let response = responses.into_iter().next().unwrap_or_default();
        // A request error (validation): nothing was executed, so no `data` entry at all.
        let request_failed = response.data == async_graphql::Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|e| e.path.is_empty());
        let status = if graphql_media && request_failed {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        let body = if request_failed {
            serde_json::to_vec(&serde_json::json!({ "errors": response.errors }))
        } else {
            serde_json::to_vec(&response)
        };
        (status, body)
    } else {
        (StatusCode::OK, serde_json::to_vec(&responses))
    };
    let body = body.map_err(|e| (AppError::internal(e), false))?;
    Ok((
        status,
        [(header::CONTENT_TYPE, content_type(graphql_media))],
        body,
    )
        .into_response())
}
