//! The OpenAPI 3.1 document of the Partner REST API, generated from the handlers' own types,
//! then finished in one place: how to authenticate, which headers each response carries, an
//! example of every answer, and list items referring to their named schemas.

use std::sync::LazyLock;

use axum::Json;
use axum::routing::get;
use serde_json::{Map, Value, json};
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi};

use crate::domain::inventory::WAREHOUSE_NOT_FOUND;
use crate::domain::reports::BRANCH_NOT_FOUND;
use crate::domain::scopes::Scope;
use crate::error::{AppError, ErrorResponse, FieldError, TokenProblem};
use crate::state::AppState;

pub const PATH: &str = "/api/partner/v1/openapi.json";

/// The token endpoint, relative to the server that serves this document.
const TOKEN_URL: &str = "/oauth/token";

/// `limit` and `cursor`, the paging parameters of every list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageParams {
    /// Page size, 1–200; default 50.
    #[param(minimum = 1, maximum = 200, example = 50)]
    limit: Option<u32>,
    /// Where to continue: the `pagination.next_cursor` of the previous page, sent with the same
    /// filters. Opaque; a cursor that was altered, belongs to another list or another tenant,
    /// or was issued for other filters is a 400 naming `cursor`.
    cursor: Option<String>,
}

/// Errors every endpoint behind the bearer token can answer with.
#[allow(dead_code)]
#[derive(IntoResponses)]
pub enum StandardErrors {
    /// `invalid_request`: a parameter failed validation; `details` names each one.
    #[response(status = 400)]
    BadRequest(ErrorResponse),
    /// `invalid_token` (missing, expired, malformed or issued before its application was
    /// suspended) or `invalid_client` (application suspended or revoked).
    #[response(status = 401)]
    Unauthorized(ErrorResponse),
    /// `access_denied` (the plan has no API access, or a browser page's origin is not among
    /// the application's allowed origins) or `insufficient_scope` (the token lacks the
    /// operation's scope; `required_scopes` names it).
    #[response(status = 403)]
    Forbidden(ErrorResponse),
    /// `rate_limited`: the application made its plan's number of requests in the last 15
    /// minutes (a sliding window).
    #[response(status = 429)]
    TooManyRequests(ErrorResponse),
    /// `server_error`: opaque; the cause is logged under the response's `x-request-id`.
    #[response(status = 500)]
    ServerError(ErrorResponse),
    /// `service_unavailable` (no database connection came free in time: retry after
    /// `Retry-After` seconds) or `request_timeout` (the request ran past the server's time
    /// limit and was stopped).
    #[response(status = 503)]
    ServiceUnavailable(ErrorResponse),
}

/// A lookup of something that is unknown, outside the caller's tenant or branches, or whose id
/// is not a UUID — all answered alike, so ids of other tenants cannot be probed.
#[allow(dead_code)]
#[derive(IntoResponses)]
pub enum NotFound {
    /// `not_found`.
    #[response(status = 404)]
    NotFound(ErrorResponse),
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scopes = Scopes::from_iter(
            Scope::ALL
                .into_iter()
                .map(|s| (s.as_str().to_owned(), s.description().to_owned())),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new(
                    TOKEN_URL, scopes,
                ))],
                "OAuth 2 client credentials: exchange the application's client id and secret \
                 at the token URL for a bearer access token.",
            )),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token obtained from POST /oauth/token, sent as \
                         `Authorization: Bearer <token>`.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "partner-gateway Partner REST API",
        description = "Read access to a retail back office (branches, sales, customers, \
                       products, stock, purchasing, reports) for partner applications.\n\n\
                       **Authentication**: OAuth 2 client credentials — POST /oauth/token with \
                       the application's client id and secret, then send \
                       `Authorization: Bearer <access_token>`. Each operation needs one scope.\n\n\
                       **Errors** are flat `{error, message}` objects; `error` is a stable code, \
                       `details` lists every invalid parameter of a 400, `required_scopes` the \
                       missing scope of a 403.\n\n\
                       **Money and quantities** are exact decimal strings in their shortest form \
                       (`\"120\"`, `\"7.85\"`), never floating point. A sales order's items' \
                       `line_total`s add up to its `subtotal − discount_amount`; its \
                       `total_amount` is `subtotal − discount_amount + service_charge_amount`, \
                       and `tax_amount` is the VAT included in that total. A purchase order's \
                       lines add up to its `subtotal`, and `total_amount` is `subtotal + \
                       tax_amount`.\n\n\
                       **Times** are UTC, ISO 8601 with milliseconds (`2026-06-15T03:22:16.709Z`); \
                       days are `YYYY-MM-DD` (UTC).\n\n\
                       **Lists** are newest first and cursor paginated: pass \
                       `pagination.next_cursor` as `cursor` for the next page; it is null on \
                       the last page.\n\n\
                       **Rate limits** are per application over any 15 minutes; see the \
                       `X-RateLimit-*` response headers.",
        version = "1.0.0"
    ),
    servers((url = "/", description = "The server that serves this document")),
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
        super::webhooks::list,
        super::webhooks::create,
        super::webhooks::read,
        super::webhooks::update,
        super::webhooks::remove,
        super::webhooks::deliveries,
        super::webhooks::ping,
    ),
    modifiers(&Security),
    tags(
        (name = "OAuth", description = "Access tokens"),
        (name = "Sales", description = "Sales orders of the caller's branches"),
        (name = "Customers", description = "Customers of the tenant"),
        (name = "Products", description = "The product catalogue"),
        (name = "Inventory", description = "Stock levels and movements"),
        (name = "Purchasing", description = "Purchase orders and suppliers"),
        (name = "Reports", description = "Sales and inventory summaries"),
        (name = "Webhooks", description = "The application's webhook subscriptions and their deliveries"),
    ),
)]
pub struct ApiDoc;

/// The finished document (built once).
pub fn document() -> &'static Value {
    static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
        refer_to_named_schemas(&mut doc);
        finish_operations(&mut doc);
        describe_events(
            &mut doc,
            "Webhooks",
            crate::domain::outbox::Catalogue::Partner,
        );
        doc
    });
    &DOCUMENT
}

/// Appends the event catalogue to the description of the tag `tag`.
pub fn describe_events(doc: &mut Value, tag: &str, catalogue: crate::domain::outbox::Catalogue) {
    let Some(tags) = doc.get_mut("tags").and_then(Value::as_array_mut) else {
        return;
    };
    for entry in tags.iter_mut() {
        if entry.get("name").and_then(Value::as_str) == Some(tag)
            && let Some(entry) = entry.as_object_mut()
        {
            let before = entry
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            entry.insert(
                "description".into(),
                Value::String(format!(
                    "{before}. The events (payloads `{{event, timestamp, data}}`, signed with \
                     Standard Webhooks headers):\n\n{}",
                    crate::domain::outbox::catalogue_table(catalogue)
                )),
            );
        }
    }
}

/// The document as pretty JSON with a trailing newline (what `export-openapi` writes).
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(document()).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route(PATH, get(|| async { Json(document()) }))
}

/// Replaces every inline copy of a named component schema with a `$ref` to it (the generator
/// inlines the item type of a generic list).
fn refer_to_named_schemas(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return;
    };
    let named: Vec<(String, Value)> = schemas
        .iter()
        .filter(|(_, schema)| schema.get("$ref").is_none())
        .map(|(name, schema)| (name.clone(), schema.clone()))
        .collect();
    fn walk(value: &mut Value, named: &[(String, Value)]) {
        match value {
            Value::Object(map) => {
                for child in map.values_mut() {
                    if let Some((name, _)) = named.iter().find(|(_, schema)| schema == child) {
                        *child = json!({ "$ref": format!("#/components/schemas/{name}") });
                    } else {
                        walk(child, named);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| walk(item, named)),
            _ => {}
        }
    }
    // Inside each component (not the component itself), and in the paths.
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            if let Value::Object(map) = schema {
                for child in map.values_mut() {
                    walk(child, &named);
                }
            }
        }
    }
    if let Some(paths) = doc.get_mut("paths") {
        walk(paths, &named);
    }
}

/// A 200 example per operation: real answers of the demo data (trimmed to one or two items).
/// `tests/api/openapi.rs` checks that each has the shape of a live answer.
pub const RESPONSE_EXAMPLES: &[(&str, &str)] = &[
    ("create_token", include_str!("examples/create_token.json")),
    ("list_sales", include_str!("examples/list_sales.json")),
    (
        "list_sales_items",
        include_str!("examples/list_sales_items.json"),
    ),
    (
        "list_customers",
        include_str!("examples/list_customers.json"),
    ),
    ("list_products", include_str!("examples/list_products.json")),
    (
        "list_inventory",
        include_str!("examples/list_inventory.json"),
    ),
    (
        "list_movements",
        include_str!("examples/list_movements.json"),
    ),
    (
        "list_purchase_orders",
        include_str!("examples/list_purchase_orders.json"),
    ),
    (
        "list_purchase_order_items",
        include_str!("examples/list_purchase_order_items.json"),
    ),
    (
        "list_suppliers",
        include_str!("examples/list_suppliers.json"),
    ),
    (
        "get_sales_summary",
        include_str!("examples/get_sales_summary.json"),
    ),
    (
        "get_inventory_summary",
        include_str!("examples/get_inventory_summary.json"),
    ),
    ("list_webhooks", include_str!("examples/list_webhooks.json")),
    (
        "create_webhook",
        include_str!("examples/create_webhook.json"),
    ),
    ("get_webhook", include_str!("examples/get_webhook.json")),
    (
        "update_webhook",
        include_str!("examples/update_webhook.json"),
    ),
    (
        "list_webhook_deliveries",
        include_str!("examples/list_webhook_deliveries.json"),
    ),
    ("ping_webhook", include_str!("examples/ping_webhook.json")),
];

/// The `not_found` message each lookup answers.
fn not_found(operation_id: &str) -> AppError {
    match operation_id {
        "list_sales_items" => crate::domain::sales::ORDER_NOT_FOUND,
        "list_purchase_order_items" => crate::domain::purchasing::ORDER_NOT_FOUND,
        "list_inventory" | "list_movements" | "get_inventory_summary" => WAREHOUSE_NOT_FOUND,
        "get_webhook"
        | "update_webhook"
        | "delete_webhook"
        | "list_webhook_deliveries"
        | "ping_webhook" => crate::domain::webhooks::SUBSCRIPTION_NOT_FOUND,
        _ => BRANCH_NOT_FOUND,
    }
}

/// The error body each status of an operation gives as its example, made by the code that
/// makes real error bodies.
fn error_example(status: &str, operation_id: &str, scope: Option<&str>) -> Option<Value> {
    let err = match (status, scope) {
        ("400", None) => AppError::UnsupportedGrantType,
        ("400", Some(_)) => AppError::validation(vec![FieldError::new(
            "limit",
            "must be an integer between 1 and 200",
        )]),
        ("401", None) => AppError::InvalidClient(crate::error::ClientProblem::BadCredentials),
        ("401", Some(_)) => AppError::InvalidToken(TokenProblem::Expired),
        ("403", Some(scope)) => AppError::InsufficientScope {
            required_scopes: vec![scope.to_owned()],
        },
        ("404", _) => not_found(operation_id),
        ("408", _) => AppError::SlowBody,
        ("413", _) => AppError::PayloadTooLarge {
            max_bytes: crate::startup::MAX_BODY_BYTES,
        },
        ("429", None) => AppError::RateLimited {
            max: 10,
            retry_after_secs: 540,
            reset_secs: 540,
        },
        ("429", Some(_)) => AppError::RateLimited {
            max: 1000,
            retry_after_secs: 12,
            reset_secs: 12,
        },
        ("500", _) => AppError::internal(anyhow::anyhow!("example")),
        ("503", _) => AppError::Unavailable {
            retry_after_secs: 1,
        },
        _ => return None,
    };
    Some(err.body())
}

fn header(description: &str, schema: Value, required: bool) -> Value {
    let mut header = Map::new();
    header.insert("description".into(), json!(description));
    if required {
        header.insert("required".into(), json!(true));
    }
    header.insert("schema".into(), schema);
    Value::Object(header)
}

/// Headers a response of a gated operation (`gated`) or of the token endpoint carries.
fn headers_for(status: &str, gated: bool) -> Vec<(&'static str, Value)> {
    let integer = json!({ "type": "integer", "minimum": 0 });
    let mut headers = vec![(
        "x-request-id",
        header(
            "The id under which the server logged this request; quote it when reporting a \
             problem.",
            json!({ "type": "string", "format": "uuid" }),
            true,
        ),
    )];
    let rate_limit = |required: bool, when: &str| {
        [
            (
                "X-RateLimit-Limit",
                header(
                    &format!("Requests the application may make in any 15 minutes{when}."),
                    integer.clone(),
                    required,
                ),
            ),
            (
                "X-RateLimit-Remaining",
                header(
                    &format!("Requests left in the current 15-minute window{when}."),
                    integer.clone(),
                    required,
                ),
            ),
            (
                "X-RateLimit-Reset",
                header(
                    &format!("Seconds until the oldest counted request leaves the window{when}."),
                    integer.clone(),
                    required,
                ),
            ),
        ]
    };
    match (status, gated) {
        ("200" | "400" | "404", true) => headers.extend(rate_limit(true, "")),
        ("403", true) => headers.extend(rate_limit(false, " (with insufficient_scope only)")),
        ("500", true) => headers.extend(rate_limit(
            false,
            " (when the failure came from the endpoint itself)",
        )),
        ("401", _) => headers.push((
            "WWW-Authenticate",
            header(
                "The authentication scheme to use and, for a refused token, why \
                 (RFC 6750 `error=\"invalid_token\"`).",
                json!({ "type": "string" }),
                true,
            ),
        )),
        ("429", _) => {
            headers.push((
                "Retry-After",
                header(
                    "Seconds to wait before the request can succeed.",
                    integer.clone(),
                    true,
                ),
            ));
            if gated {
                headers.extend(rate_limit(true, ""));
            }
        }
        ("503", _) => headers.push((
            "Retry-After",
            header(
                "With service_unavailable: seconds to wait before retrying.",
                integer.clone(),
                false,
            ),
        )),
        _ => {}
    }
    headers
}

/// Per operation: the security it needs (none for the token endpoint), the headers of each
/// response, and an example of each answer.
fn finish_operations(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            let Some(operation) = operation.as_object_mut() else {
                continue;
            };
            let gated = path != TOKEN_URL;
            if !gated {
                // No credentials of the bearer kind: the client's own go in the request.
                operation.insert("security".into(), json!([]));
            }
            let scope = operation
                .get("security")
                .and_then(|s| s.pointer("/0/oauth2/0"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let operation_id = operation
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            for (status, response) in responses.iter_mut() {
                let Some(response) = response.as_object_mut() else {
                    continue;
                };
                let headers = response
                    .entry("headers")
                    .or_insert_with(|| json!({}))
                    .as_object_mut();
                if let Some(headers) = headers {
                    for (name, value) in headers_for(status, gated) {
                        headers.insert(name.to_owned(), value);
                    }
                }
                let example = if status.starts_with('2') {
                    RESPONSE_EXAMPLES
                        .iter()
                        .find(|(id, _)| *id == operation_id)
                        .and_then(|(_, text)| serde_json::from_str::<Value>(text).ok())
                } else {
                    error_example(status, &operation_id, scope.as_deref())
                };
                if let (Some(example), Some(content)) = (
                    example,
                    response
                        .get_mut("content")
                        .and_then(|c| c.get_mut("application/json"))
                        .and_then(Value::as_object_mut),
                ) {
                    content.insert("example".into(), example);
                }
            }
        }
    }
}

/// The OpenAPI schema of each enumeration of the data model, from the entity layer's one list:
/// a string with its values and the enum's description.
macro_rules! enum_schemas {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident { $($(#[doc = $vdoc:literal])* $variant:ident => $text:literal),+ $(,)? }
    )+) => {
        $(
            impl utoipa::PartialSchema for crate::entities::enums::$name {
                fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                    utoipa::openapi::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::String)
                        .description(description(&[$($doc),*]))
                        .enum_values(Some([$($text),+]))
                        .into()
                }
            }

            impl utoipa::ToSchema for crate::entities::enums::$name {}
        )+
    };
}

/// A description from doc-comment lines, as the schema derive makes it.
fn description(lines: &[&str]) -> Option<String> {
    let text = lines
        .iter()
        .map(|line| line.trim())
        .collect::<Vec<_>>()
        .join("\n");
    (!text.is_empty()).then_some(text)
}

crate::entities::enums::with_every_enum!(enum_schemas);

/// The shared value types as the API's schemas.
impl utoipa::PartialSchema for crate::money::Amount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^-?[0-9]+(\.[0-9]{1,4})?$"))
            .description(Some(
                "An exact decimal as a string (money or quantity, up to 4 decimal places)",
            ))
            .examples(["12510.4"])
            .into()
    }
}

impl utoipa::ToSchema for crate::money::Amount {}

impl utoipa::PartialSchema for crate::clock::Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .description(Some("UTC, ISO 8601 with milliseconds"))
            .examples(["2026-06-15T03:22:16.709Z"])
            .into()
    }
}

impl utoipa::ToSchema for crate::clock::Timestamp {}
