//! The GraphQL facade: transport rules shared with REST, scopes as field guards, PII, limits,
//! pagination equal to REST, and the committed schema.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

pub(crate) async fn post(
    app: &TestApp,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, Option<String>, Value) {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, content_type, response.json().await.expect("json"))
}

pub(crate) async fn query(app: &TestApp, token: &str, document: &str) -> Value {
    query_with(app, token, document, json!({})).await
}

/// A document with variables; the answer must be a 200 GraphQL response.
pub(crate) async fn query_with(
    app: &TestApp,
    token: &str,
    document: &str,
    variables: Value,
) -> Value {
    let (status, content_type, body) = post(
        app,
        Some(token),
        json!({ "query": document, "variables": variables }),
    )
    .await;
    let excerpt: String = body.to_string().chars().take(500).collect();
    assert_eq!(status, StatusCode::OK, "{excerpt}");
    assert_eq!(
        content_type.as_deref(),
        Some("application/graphql-response+json")
    );
    body
}

#[tokio::test]
async fn transport_errors_match_rest_and_viewer_describes_the_caller() {
    let app = TestApp::spawn().await;
    let summary = app.seed().await;
    // The gate's refusals keep the REST status, as GraphQL responses with the same code.
    let (status, _, body) = post(&app, None, json!({"query": "{ viewer { plan } }"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"errors": [{
            "message": "Access token is required",
            "extensions": {"code": "invalid_token"},
        }]})
    );
    let free = app.token("demo-free-plan", None).await;
    let (status, _, body) = post(&app, Some(&free), json!({"query": "{ viewer { plan } }"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["errors"][0]["extensions"]["code"], "access_denied");

    let one = app.token("demo-one-branch", None).await;
    let body = query(
        &app,
        &one,
        "{ viewer { plan scopes allowedBranches tenantId rateLimit { limit } } }",
    )
    .await;
    let viewer = &body["data"]["viewer"];
    assert_eq!(viewer["plan"], "PRO");
    assert_eq!(viewer["tenantId"], summary.tenant_id.to_string());
    assert_eq!(
        viewer["allowedBranches"],
        json!([summary.first_branch_id.to_string()])
    );
    assert_eq!(viewer["rateLimit"]["limit"], 1000);
    assert!(
        body["extensions"]["analyzer"]["complexity"].is_number(),
        "cost is reported: {body}"
    );
}

#[tokio::test]
async fn a_missing_scope_nulls_only_that_field() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", Some("read:customers")).await;
    let body = query(
        &app,
        &token,
        "{ salesOrders(first: 1) { edges { node { uuid } } } customers(first: 2) { edges { node { code } } } }",
    )
    .await;
    assert_eq!(body["data"]["salesOrders"], Value::Null);
    assert_eq!(
        body["data"]["customers"]["edges"]
            .as_array()
            .expect("edges")
            .len(),
        2
    );
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "insufficient_scope");
    assert_eq!(
        error["extensions"]["required_scopes"],
        json!(["read:sales"])
    );
    assert_eq!(error["path"], json!(["salesOrders"]));
    assert!(
        body["data"]
            .as_object()
            .expect("data")
            .contains_key("salesOrders"),
        "a refused field is present as null, not missing: {body}"
    );
}

#[tokio::test]
async fn pii_never_leaks_without_the_scope() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let with = app.token("demo-full-access", None).await;
    let without = app.token("demo-no-pii", None).await;
    let documents = [
        "{ customers(first: 3) { edges { node { code phone email taxId } } } }",
        "{ customers(first: 3) { edges { node { code p: phone e: email } } } }",
        "{ customers(first: 3) { edges { node { ...C } } } } fragment C on Customer { code phone dateOfBirth address }",
    ];
    for document in documents {
        let body = query(&app, &with, document).await;
        assert!(body.get("errors").is_none(), "{document}: {body}");
        let keys_with_scope: Vec<String> = body["data"]["customers"]["edges"][0]["node"]
            .as_object()
            .expect("node")
            .keys()
            .cloned()
            .collect();
        let text = body.to_string();
        assert!(
            text.contains("08"),
            "phones are visible with the scope: {text}"
        );

        // Without the scope each PII field resolves to null with an insufficient_scope error;
        // the rest of the customer still arrives.
        let body = query(&app, &without, document).await;
        let edges = body["data"]["customers"]["edges"]
            .as_array()
            .expect("edges");
        assert_eq!(edges.len(), 3, "{document}");
        for edge in edges {
            let node = edge["node"].as_object().expect("node");
            let mut keys: Vec<String> = node.keys().cloned().collect();
            let mut expected = keys_with_scope.clone();
            keys.sort();
            expected.sort();
            assert_eq!(
                keys, expected,
                "{document}: refused fields are null, not missing"
            );
            assert!(node["code"].is_string());
            for (key, value) in node {
                if key != "code" {
                    assert!(value.is_null(), "{document}: {key} = {value}");
                }
            }
        }
        let errors = body["errors"].as_array().expect("errors");
        assert!(!errors.is_empty());
        for error in errors {
            assert_eq!(error["extensions"]["code"], "insufficient_scope");
            assert_eq!(
                error["extensions"]["required_scopes"],
                json!(["read:customers:pii"])
            );
        }
        let text = body.to_string();
        assert!(!text.contains("@") && !text.contains("\"08"), "{text}");
    }

    // One schema for every caller: introspection, validation and execution agree, so tools
    // driven by the live schema accept what the server accepts. Each PII field says which
    // scope it needs.
    let introspect = "{ __type(name: \"Customer\") { fields { name description } } }";
    let fields = |body: Value| -> Vec<(String, String)> {
        body["data"]["__type"]["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| {
                (
                    f["name"].as_str().expect("name").to_owned(),
                    f["description"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let seen_with = fields(query(&app, &with, introspect).await);
    let seen_without = fields(query(&app, &without, introspect).await);
    assert_eq!(seen_with, seen_without, "the same schema for both tokens");
    for pii in [
        "phone",
        "email",
        "dateOfBirth",
        "address",
        "city",
        "state",
        "postalCode",
        "country",
        "taxId",
    ] {
        let (_, description) = seen_without
            .iter()
            .find(|(name, _)| name == pii)
            .unwrap_or_else(|| panic!("{pii} is in the schema"));
        assert!(
            description.contains("read:customers:pii"),
            "{pii}: {description}"
        );
    }
}

#[tokio::test]
async fn hostile_documents_are_refused_and_the_server_stays_up() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let deep_list = format!(
        "{{ salesOrders(filter: {{ branchIds: {}\"x\"{} }}) {{ edges {{ cursor }} }} }}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let deep_object = format!(
        "{{ salesOrders(filter: {}) {{ edges {{ cursor }} }} }}",
        "{from: ".repeat(2_000) + "\"x\"" + &"}".repeat(2_000)
    );
    let deep_selection = format!(
        "{{ viewer {}{} }}",
        "{ rateLimit ".repeat(100),
        "}".repeat(100)
    );
    let aliases = format!(
        "{{ {} }}",
        (0..10_000)
            .map(|i| format!("a{i}: viewer {{ plan }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    for document in [deep_list, deep_object, deep_selection, aliases] {
        let (status, _, body) = post(&app, Some(&token), json!({ "query": document })).await;
        let excerpt: String = body.to_string().chars().take(300).collect();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{excerpt}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");
        assert!(body.get("data").is_none(), "{excerpt}");
    }
    let batch: Vec<Value> = (0..1_000)
        .map(|_| json!({"query": "{ viewer { plan } }"}))
        .collect();
    let (status, _, body) = post(&app, Some(&token), Value::Array(batch)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");

    // Too costly: a connection costs first × its children.
    let costly = format!(
        "{{ {} }}",
        (0..30)
            .map(|i| format!("c{i}: salesOrders(first: 200) {{ edges {{ node {{ items {{ uuid skuCode quantity unitPrice lineTotal }} }} }} }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (status, _, body) = post(&app, Some(&token), json!({ "query": costly })).await;
    let excerpt: String = body.to_string().chars().take(300).collect();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{excerpt}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");

    let body = query(&app, &token, "{ viewer { plan } }").await;
    assert_eq!(body["data"]["viewer"]["plan"], "PRO");
}

#[tokio::test]
async fn forward_pagination_equals_the_rest_walk_and_cursors_are_bound() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let mut graphql_ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let args = match &after {
            Some(cursor) => format!("first: 40, after: \"{cursor}\""),
            None => "first: 40".to_owned(),
        };
        let body = query(
            &app,
            &token,
            &format!("{{ salesOrders({args}, filter: {{ status: COMPLETED }}) {{ edges {{ cursor node {{ uuid items {{ lineTotal }} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"),
        )
        .await;
        let connection = &body["data"]["salesOrders"];
        for edge in connection["edges"].as_array().expect("edges") {
            graphql_ids.push(edge["node"]["uuid"].as_str().expect("uuid").to_owned());
            assert!(!edge["node"]["items"].as_array().expect("items").is_empty());
        }
        if connection["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = connection["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
    let mut rest_ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/partner/v1/sales?status=COMPLETED&limit=200&cursor={c}"),
            None => "/api/partner/v1/sales?status=COMPLETED&limit=200".to_owned(),
        };
        let body: Value = app
            .get_with(&path, &token)
            .await
            .json()
            .await
            .expect("json");
        for order in body["data"].as_array().expect("data") {
            rest_ids.push(order["id"].as_str().expect("id").to_owned());
        }
        match body["pagination"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert!(rest_ids.len() > 100);
    assert_eq!(graphql_ids, rest_ids);

    // A cursor of another filter is refused with the after argument named.
    let body = query(
        &app,
        &token,
        &format!(
            "{{ salesOrders(first: 5, after: \"{}\") {{ edges {{ cursor }} }} }}",
            after.expect("a cursor")
        ),
    )
    .await;
    assert_eq!(body["data"]["salesOrders"], Value::Null);
    assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");
    assert_eq!(
        body["errors"][0]["extensions"]["details"][0]["field"],
        "after"
    );
}

#[test]
fn committed_schema_graphql_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).expect("schema.graphql is committed");
    assert!(
        committed == partner_gateway::graphql::sdl(),
        "schema.graphql is out of date: run `cargo run -- export-schema --output schema.graphql`"
    );
}

/// The published schema documents itself: every type (built-in scalars and introspection types
/// aside), field, input field and enum value of the exported SDL has a description, and no
/// description names internals (seed documents, the spec, server error types).
#[test]
fn every_schema_element_is_described_without_internal_references() {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    use async_graphql::parser::{Positioned, parse_schema};

    const BUILT_IN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];
    let sdl = partner_gateway::graphql::sdl();
    let document = parse_schema(&sdl).expect("the exported SDL parses");

    // Every description found, with where it is; and every element without one.
    let mut described: Vec<(String, String)> = vec![(
        "schema".to_owned(),
        partner_gateway::graphql::schema::SCHEMA_DESCRIPTION.to_owned(),
    )];
    let mut missing: Vec<String> = Vec::new();
    // `required`: the element must have a description (arguments and directives need none,
    // but any they have is public text too).
    let mut check =
        |place: String, description: &Option<Positioned<String>>, required: bool| match description
        {
            Some(text) if !text.node.trim().is_empty() => {
                described.push((place, text.node.clone()))
            }
            _ if required => missing.push(place),
            _ => {}
        };
    let mut types = 0;
    for definition in &document.definitions {
        match definition {
            TypeSystemDefinition::Type(ty) => {
                let ty = &ty.node;
                let name = ty.name.node.as_str();
                if name.starts_with("__") || BUILT_IN_SCALARS.contains(&name) {
                    continue;
                }
                types += 1;
                check(name.to_owned(), &ty.description, true);
                let fields = match &ty.kind {
                    TypeKind::Object(object) => &object.fields[..],
                    TypeKind::Interface(interface) => &interface.fields[..],
                    _ => &[],
                };
                for field in fields {
                    let field = &field.node;
                    let place = format!("{name}.{}", field.name.node);
                    for argument in &field.arguments {
                        let argument = &argument.node;
                        let place = format!("{place}({}:)", argument.name.node);
                        check(place, &argument.description, false);
                    }
                    check(place, &field.description, true);
                }
                if let TypeKind::InputObject(input) = &ty.kind {
                    for field in &input.fields {
                        let field = &field.node;
                        check(
                            format!("{name}.{}", field.name.node),
                            &field.description,
                            true,
                        );
                    }
                }
                if let TypeKind::Enum(enumeration) = &ty.kind {
                    for value in &enumeration.values {
                        let value = &value.node;
                        check(
                            format!("{name}.{}", value.value.node),
                            &value.description,
                            true,
                        );
                    }
                }
            }
            TypeSystemDefinition::Directive(directive) => {
                let directive = &directive.node;
                let place = format!("@{}", directive.name.node);
                check(place, &directive.description, false);
            }
            TypeSystemDefinition::Schema(_) => {}
        }
    }
    assert!(types > 30, "the SDL holds the whole schema ({types} types)");
    assert!(
        missing.is_empty(),
        "schema elements without a description:\n  {}",
        missing.join("\n  ")
    );
    let internal: Vec<String> = described
        .iter()
        .filter(|(_, text)| {
            text.to_lowercase().contains("seed")
                || text.contains("SPEC")
                || text.contains("AppError")
        })
        .map(|(place, text)| format!("{place}: {text}"))
        .collect();
    assert!(
        internal.is_empty(),
        "descriptions naming internals:\n  {}",
        internal.join("\n  ")
    );
}

#[tokio::test]
async fn pii_does_not_leak_through_an_orders_customer() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let document = "{ salesOrders(first: 200, filter: { status: COMPLETED }) { edges { node { customer { code phone email } } } } }";
    let without = app.token("demo-no-pii", None).await;
    let body = query(&app, &without, document).await;
    let text = body.to_string();
    assert!(
        text.contains("CUS-"),
        "customers still arrive: {}",
        &text[..text.len().min(300)]
    );
    assert!(
        !text.contains("@") && !text.contains("\"08"),
        "PII leaked through order.customer"
    );
    let sales_only = app.token("demo-full-access", Some("read:sales")).await;
    let body = query(&app, &sales_only, document).await;
    assert!(
        !body.to_string().contains("CUS-"),
        "the customer edge needs read:customers"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["required_scopes"],
        json!(["read:customers"])
    );
}

#[tokio::test]
async fn a_page_costs_the_same_few_statements_whatever_its_size() {
    let counted = CountedApp::start().await;
    let mut counts = Vec::new();
    let mut listed = Vec::new();
    for n in [1, 50, 200] {
        let document = format!(
            "{{ salesOrders(first: {n}) {{ edges {{ node {{ orderNumber items {{ skuCode quantity }} customer {{ code }} branch {{ name }} }} }} }} }}"
        );
        let (body, statements) = counted.run_listed(&document).await;
        assert_eq!(
            body["data"]["salesOrders"]["edges"]
                .as_array()
                .expect("edges")
                .len(),
            n
        );
        counts.push(statements.len());
        listed.push(statements);
    }
    // The caller check, the page, and one batch each for items, customers and branches (a
    // single walk-in order without a customer skips the customer batch).
    assert!(
        counts.iter().all(|c| (4..=5).contains(c)),
        "{counts:?}: {listed:#?}"
    );
    assert_eq!(
        counts[1], counts[2],
        "50 and 200 orders cost the same: {listed:#?}"
    );
    assert_eq!(counts[2], 5, "{listed:#?}");
}

/// A server on a database whose statements are counted.
pub(crate) struct CountedApp(crate::captured::CapturingApp);

impl CountedApp {
    pub(crate) async fn start() -> Self {
        Self(crate::captured::CapturingApp::start().await)
    }

    /// Runs a document without errors; returns the response and the statements it cost.
    pub(crate) async fn run(&self, document: &str) -> (Value, usize) {
        let (body, statements) = self.run_listed(document).await;
        (body, statements.len())
    }

    /// Runs a document without errors; returns the response and the SQL of the statements it
    /// ran, in order.
    pub(crate) async fn run_listed(&self, document: &str) -> (Value, Vec<String>) {
        self.0.take();
        let body = self.0.graphql(document).await;
        let statements = self.0.take().into_iter().map(|s| s.sql).collect();
        (body, statements)
    }
}

#[tokio::test]
async fn backward_pagination_and_total_count_agree_with_the_forward_walk() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let fetch = |args: String| {
        let app = &app;
        let token = &token;
        async move {
            let body = query(
                app,
                token,
                &format!("{{ salesOrders({args}) {{ totalCount edges {{ node {{ uuid }} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"),
            )
            .await;
            body["data"]["salesOrders"].clone()
        }
    };
    let ids = |connection: &Value| -> Vec<String> {
        connection["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["uuid"].as_str().expect("uuid").to_owned())
            .collect()
    };

    let mut forward = Vec::new();
    let mut total = None;
    let mut after: Option<String> = None;
    loop {
        let args = match &after {
            Some(c) => format!("first: 30, after: \"{c}\""),
            None => "first: 30".to_owned(),
        };
        let connection = fetch(args).await;
        total = connection["totalCount"].as_u64().or(total);
        forward.extend(ids(&connection));
        if connection["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = connection["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(
        total,
        Some(forward.len() as u64),
        "totalCount counts the whole filter"
    );

    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let args = match &before {
            Some(c) => format!("last: 30, before: \"{c}\""),
            None => "last: 30".to_owned(),
        };
        let connection = fetch(args).await;
        pages.push(ids(&connection));
        if connection["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = connection["pageInfo"]["startCursor"]
            .as_str()
            .map(str::to_owned);
    }
    let backward: Vec<String> = pages.into_iter().rev().flatten().collect();
    assert_eq!(
        backward, forward,
        "walking backward visits the same orders in the same order"
    );

    let body = query(
        &app,
        &token,
        "{ salesOrders(first: 2, last: 2) { edges { cursor } } }",
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["details"][0]["field"],
        "last"
    );
}

#[tokio::test]
async fn node_lookups_respect_scopes_tenants_and_pii() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let with = app.token("demo-full-access", None).await;
    let without = app.token("demo-no-pii", None).await;
    let body = query(
        &app,
        &with,
        "{ customers(first: 1) { edges { node { id uuid phone } } } salesOrders(first: 1) { edges { node { id uuid } } } }",
    )
    .await;
    let customer = &body["data"]["customers"]["edges"][0]["node"];
    let customer_id = customer["id"].as_str().expect("global id").to_owned();
    let order = &body["data"]["salesOrders"]["edges"][0]["node"];
    let order_id = order["id"].as_str().expect("global id").to_owned();

    use base64::Engine;
    let unknown = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode("SalesOrder:00000000-0000-0000-0000-000000000000");
    let lookup = format!(
        "{{ node(id: \"{customer_id}\") {{ id ... on Customer {{ uuid phone email }} }} nodes(ids: [\"{order_id}\", \"{unknown}\"]) {{ id ... on SalesOrder {{ uuid }} }} }}"
    );
    let body = query(&app, &with, &lookup).await;
    assert_eq!(body["data"]["node"]["uuid"], customer["uuid"]);
    assert_eq!(body["data"]["node"]["phone"], customer["phone"]);
    assert_eq!(body["data"]["nodes"][0]["uuid"], order["uuid"]);
    assert_eq!(
        body["data"]["nodes"][1],
        Value::Null,
        "unknown ids are null"
    );
    // Something that is not a global id at all is the client's mistake, named.
    let body = query(
        &app,
        &with,
        &format!("{{ nodes(ids: [\"{order_id}\", \"bm9wZQ\"]) {{ id }} viewer {{ plan }} }}"),
    )
    .await;
    assert_eq!(body["data"]["nodes"], Value::Null);
    assert_eq!(body["data"]["viewer"]["plan"], "PRO");
    assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");
    assert_eq!(
        body["errors"][0]["extensions"]["details"][0]["field"],
        "ids[1]"
    );

    // The same lookup without the PII scope: the customer arrives, its PII does not.
    let body = query(&app, &without, &lookup).await;
    assert_eq!(body["data"]["node"]["uuid"], customer["uuid"]);
    assert_eq!(body["data"]["node"]["phone"], Value::Null);
    assert_eq!(body["data"]["node"]["email"], Value::Null);
    assert!(!body.to_string().contains("@"));

    // Without read:customers the customer node is null with insufficient_scope.
    let sales_only = app.token("demo-full-access", Some("read:sales")).await;
    let body = query(
        &app,
        &sales_only,
        &format!("{{ node(id: \"{customer_id}\") {{ id }} }}"),
    )
    .await;
    assert_eq!(body["data"]["node"], Value::Null);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "insufficient_scope"
    );
}

#[tokio::test]
async fn summaries_equal_the_rest_reports() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let rest: Value = app
        .get_with(
            "/api/partner/v1/reports/sales-summary?from=2026-05-20&to=2026-06-14",
            &token,
        )
        .await
        .json()
        .await
        .expect("json");
    let body = query(
        &app,
        &token,
        "{ salesSummary(from: \"2026-05-20\", to: \"2026-06-14\") { totals { orderCount grossSales netSales taxAmount refundedAmount } byDay { date netSales } topProducts { skuCode netSales } } inventorySummary { totals { skuCount onHand stockValue lowStockCount } } }",
    )
    .await;
    let summary = &body["data"]["salesSummary"];
    assert_eq!(
        summary["totals"]["orderCount"],
        rest["totals"]["order_count"]
    );
    assert_eq!(
        summary["totals"]["grossSales"],
        rest["totals"]["gross_sales"]
    );
    assert_eq!(summary["totals"]["netSales"], rest["totals"]["net_sales"]);
    assert_eq!(
        summary["totals"]["refundedAmount"],
        rest["totals"]["refunded_amount"]
    );
    assert_eq!(
        summary["byDay"].as_array().map(Vec::len),
        rest["by_day"].as_array().map(Vec::len)
    );
    assert_eq!(
        summary["topProducts"][0]["skuCode"],
        rest["top_products"][0]["sku_code"]
    );

    let stock: Value = app
        .get_with("/api/partner/v1/reports/inventory-summary", &token)
        .await
        .json()
        .await
        .expect("json");
    let totals = &body["data"]["inventorySummary"]["totals"];
    assert_eq!(totals["skuCount"], stock["sku_count"]);
    assert_eq!(totals["onHand"], stock["total_on_hand"]);
    assert_eq!(totals["stockValue"], stock["stock_value"]);

    let body = query(
        &app,
        &token,
        "{ salesSummary(branchId: \"00000000-0000-0000-0000-000000000000\") { currency } viewer { plan } }",
    )
    .await;
    assert_eq!(body["data"]["salesSummary"], Value::Null);
    assert_eq!(body["data"]["viewer"]["plan"], "PRO");
    assert_eq!(body["errors"][0]["extensions"]["code"], "not_found");
    assert_eq!(body["errors"][0]["message"], "Branch not found");
}

#[tokio::test]
async fn limits_are_configurable() {
    let app = TestApp::spawn_with(crate::helpers::fixed_now(), |args| {
        args.graphql_max_aliases = 1;
        args.graphql_max_batch = 1;
        args.graphql_max_depth = 3;
    })
    .await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let (status, _, body) = post(
        &app,
        Some(&token),
        json!({"query": "{ a: viewer { plan } b: viewer { plan } }"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["errors"][0]["extensions"]["details"][0]["message"]
            .as_str()
            .expect("message")
            .contains("1 aliases"),
        "{body}"
    );
    let (status, _, _) = post(
        &app,
        Some(&token),
        json!([{"query": "{ viewer { plan } }"}, {"query": "{ viewer { plan } }"}]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body = query(&app, &token, "{ a: viewer { plan } }").await;
    assert_eq!(body["data"]["a"]["plan"], "PRO");
    // Too deep: the answer says how deep it is and what the limit is.
    let (status, _, body) = post(
        &app,
        Some(&token),
        json!({"query": "{ salesOrders(first: 1) { edges { node { orderNumber } } } }"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "invalid_request", "{body}");
    assert_eq!(error["extensions"]["limit"], 3, "{body}");
    assert_eq!(error["extensions"]["measured"], 4, "{body}");
    assert_eq!(
        error["message"], "Query is nested too deep: it measures 4, the limit is 3.",
        "{body}"
    );
}

#[tokio::test]
async fn the_full_introspection_query_runs_and_introspection_cycles_are_refused() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    // graphql-js's introspection query (what GraphiQL sends): `ofType` nine levels deep.
    let introspection = include_str!("fixtures/introspection.graphql");
    let body = query(&app, &token, introspection).await;
    assert!(body.get("errors").is_none(), "{body}");
    let types = body["data"]["__schema"]["types"].as_array().expect("types");
    assert!(types.iter().any(|t| t["name"] == "SalesOrder"));

    // The deeper allowance is for schema-only documents: an ordinary query keeps its depth.
    let deep = "{ __typename salesOrders(first: 1) { edges { node { items { sku { product { skus { product { skus { product { skus { product { name } } } } } } } } } } } } }";
    let (status, _, body) = post(&app, Some(&token), json!({ "query": deep })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // An introspection cycle multiplies the answer: refused before execution.
    let cycle = "{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }";
    let (status, _, body) = post(&app, Some(&token), json!({ "query": cycle })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_request");
    let body = query(&app, &token, "{ viewer { plan } }").await;
    assert_eq!(body["data"]["viewer"]["plan"], "PRO");
}

/// Fields come back in the order of the selection, not alphabetically and not in the order
/// the executor finished them (loader-backed fields finish last).
#[tokio::test]
async fn responses_keep_the_order_of_the_selection() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let document = "{ viewer { tenantId scopes plan application } zebra: __typename \
        salesOrders(first: 3) { totalCount edges { node { items { skuName } ...F branch { name } } } pageInfo { endCursor } } } \
        fragment F on SalesOrder { orderNumber customer { name } totalAmount }";
    let text = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": document }))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text");
    let at = |key: &str| text.find(&format!("\"{key}\"")).expect(key);
    let order = [
        "viewer",
        "tenantId",
        "scopes",
        "plan",
        "application",
        "zebra",
        "salesOrders",
        "totalCount",
        "edges",
        "items",
        "orderNumber",
        "customer",
        "totalAmount",
        "branch",
        "pageInfo",
    ];
    for pair in order.windows(2) {
        assert!(
            at(pair[0]) < at(pair[1]),
            "{} before {}: {text}",
            pair[0],
            pair[1]
        );
    }
}

/// Typed clients map every custom scalar: each has a description and a `@specifiedBy` URL.
#[tokio::test]
async fn every_custom_scalar_is_described_and_specified() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-no-pii", None).await;
    for name in ["Decimal", "DateTime", "Date", "UUID"] {
        let body = query(
            &app,
            &token,
            &format!("{{ __type(name: \"{name}\") {{ kind description specifiedByURL }} }}"),
        )
        .await;
        let scalar = &body["data"]["__type"];
        assert_eq!(scalar["kind"], "SCALAR", "{name}: {body}");
        assert!(
            scalar["description"].as_str().is_some_and(|d| d.len() > 20),
            "{name}: {body}"
        );
        assert!(
            scalar["specifiedByURL"]
                .as_str()
                .is_some_and(|u| u.starts_with("http")),
            "{name}: {body}"
        );
    }
    // Every amount is a Decimal, the stock value of the inventory summary included.
    let body = query(
        &app,
        &token,
        "{ __type(name: \"StockTotals\") { fields { name type { ofType { name } } } } }",
    )
    .await;
    let stock_value = body["data"]["__type"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["name"] == "stockValue")
        .cloned()
        .expect("stockValue");
    assert_eq!(stock_value["type"]["ofType"]["name"], "Decimal");

    // Filter and report days are Dates, and a malformed one is still the client's mistake,
    // named as on REST.
    for filter in [
        "SalesOrderFilter",
        "InventoryMovementFilter",
        "PurchaseOrderFilter",
    ] {
        let body = query(
            &app,
            &token,
            &format!(
                "{{ __type(name: \"{filter}\") {{ inputFields {{ name type {{ name }} }} }} }}"
            ),
        )
        .await;
        let fields = body["data"]["__type"]["inputFields"]
            .as_array()
            .unwrap_or_else(|| panic!("{filter}: {body}"))
            .clone();
        for day in ["from", "to"] {
            let field = fields.iter().find(|f| f["name"] == day).expect(day);
            assert_eq!(field["type"]["name"], "Date", "{filter}.{day}");
        }
    }
    let body = query(
        &app,
        &token,
        "{ salesOrders(filter: {from: \"2026-6-1\"}) { totalCount } salesSummary(to: \"yesterday\") { currency } }",
    )
    .await;
    let errors = body["errors"].as_array().expect("errors");
    let named: Vec<&str> = errors
        .iter()
        .map(|e| {
            assert_eq!(e["extensions"]["code"], "invalid_request", "{body}");
            // GraphQL's own words (the code is REST's).
            assert_eq!(e["message"], "Argument validation failed", "{body}");
            e["extensions"]["details"][0]["field"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    assert!(
        named.contains(&"filter.from") && named.contains(&"to"),
        "{body}"
    );
}

/// A relation that always exists for a caller allowed to see its parent is non-null; root
/// fields stay nullable, so an error in one does not null the others.
#[tokio::test]
async fn nullability_tells_the_truth() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let kind_of = |body: &Value, field: &str| -> String {
        body["data"]["__type"]["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .find(|f| f["name"] == field)
            .map(|f| f["type"]["kind"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_else(|| panic!("{field}"))
    };
    for (type_name, field, kind) in [
        ("SalesOrder", "branch", "NON_NULL"),
        ("Warehouse", "branch", "NON_NULL"),
        ("Sku", "product", "NON_NULL"),
        ("InventoryLevel", "warehouse", "NON_NULL"),
        ("InventoryMovement", "warehouse", "NON_NULL"),
        // Needs read:customers beside read:sales: null with an error without it.
        ("SalesOrder", "customer", "OBJECT"),
        ("Query", "salesOrders", "OBJECT"),
        ("Query", "customers", "OBJECT"),
    ] {
        let body = query(
            &app,
            &token,
            &format!("{{ __type(name: \"{type_name}\") {{ fields {{ name type {{ kind }} }} }} }}"),
        )
        .await;
        assert_eq!(kind_of(&body, field), kind, "{type_name}.{field}");
    }
    // And the data agrees: every order of a page has its branch.
    let body = query(
        &app,
        &token,
        "{ salesOrders(first: 50) { edges { node { branch { name } } } } }",
    )
    .await;
    for edge in body["data"]["salesOrders"]["edges"]
        .as_array()
        .expect("edges")
    {
        assert!(edge["node"]["branch"]["name"].is_string());
    }
}

/// `__schema { description }` describes this API, not the `__Schema` introspection type.
#[tokio::test]
async fn the_schema_has_its_own_description() {
    let app = TestApp::spawn().await;
    app.seed().await;
    let token = app.token("demo-full-access", None).await;
    let body = query(
        &app,
        &token,
        "{ __schema { description queryType { name } } s: __schema { d: description } }",
    )
    .await;
    for (schema, description) in [("__schema", "description"), ("s", "d")] {
        let text = body["data"][schema][description].as_str().expect("text");
        assert!(text.contains("partner-gateway"), "{body}");
        assert!(!text.contains("capabilities of a GraphQL server"), "{body}");
    }
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
}
