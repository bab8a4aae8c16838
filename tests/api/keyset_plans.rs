//! A deep page costs what the first one does: the statement of every list's page after a
//! cursor, in both walking directions, is answered by a range of its (…, at, id) index — on
//! SQLite `EXPLAIN QUERY PLAN` shows the index searched with a bound on the sort column and no
//! sort step; on PostgreSQL `EXPLAIN ANALYZE` shows an index scan whose index condition bounds
//! the sort column and whose filter drops no more rows than the page holds. (On SQLite a
//! date-windowed list such as sales shows a bound from its window alone; the plan there cannot
//! tell the cursor's bound apart, PostgreSQL's row counts can.)

use std::sync::{Arc, Mutex};

use partner_gateway::clock::Clock;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait};
use serde_json::Value;

/// Rows per page in the walks below.
const LIMIT: usize = 2;

struct PlannedApp {
    base: String,
    client: reqwest::Client,
    token: String,
    db: sea_orm::DatabaseConnection,
    captured: Arc<Mutex<Vec<Statement>>>,
    _db: crate::helpers::TestDb,
}

impl PlannedApp {
    async fn start() -> Self {
        let test_db = crate::helpers::TestDb::new().await;
        let config = test_db.config();
        let mut db = partner_gateway::db::connect(&config.database)
            .await
            .expect("connect");
        let captured = Arc::new(Mutex::new(Vec::new()));
        let sink = captured.clone();
        db.set_metric_callback(move |info| {
            if let Ok(mut all) = sink.lock() {
                all.push(info.statement.clone());
            }
        });
        let clock: Arc<dyn Clock> = Arc::new(partner_gateway::clock::FixedClock::new(
            crate::helpers::fixed_now(),
        ));
        let state = partner_gateway::startup::build_state_with(config, clock.clone(), db)
            .await
            .expect("state");
        partner_gateway::demo::seed(
            &state.db,
            clock.now(),
            &partner_gateway::demo::SeedOptions::small(7),
        )
        .await
        .expect("seed");
        let app = partner_gateway::startup::Application::bind(state.clone())
            .await
            .expect("bind");
        let base = format!("http://{}", app.local_addr().expect("address"));
        tokio::spawn(app.run_until(std::future::pending()));
        let client = reqwest::Client::new();
        let token: Value = client
            .post(format!("{base}/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "demo-full-access"),
                ("client_secret", "pgs_demo_full_access_secret"),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        Self {
            base,
            client,
            token: token["access_token"].as_str().expect("token").to_owned(),
            db: state.db.clone(),
            captured,
            _db: test_db,
        }
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.expect("json")
    }

    async fn graphql(&self, query: &str) -> Value {
        let body: Value = self
            .client
            .post(format!("{}/graphql", self.base))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({ "query": query }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        assert!(body.get("errors").is_none(), "{body}");
        body
    }

    /// The page statement on `table` among those run since the last call.
    fn page_statement(&self, table: &str) -> Statement {
        let mut all = self.captured.lock().expect("statements");
        let found = all
            .iter()
            .rev()
            .find(|s| {
                s.sql.contains(&format!("FROM \"{table}\""))
                    && s.sql.contains("ORDER BY")
                    && s.sql.contains("LIMIT")
            })
            .cloned();
        all.clear();
        found.unwrap_or_else(|| panic!("no page statement on {table}"))
    }

    fn forget(&self) {
        self.captured.lock().expect("statements").clear();
    }

    /// Fails unless `statement` reads `table` through an index range bounded on `column`.
    async fn assert_index_range(
        &self,
        what: &str,
        statement: &Statement,
        table: &str,
        column: &str,
    ) {
        match self.db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let explain = Statement {
                    sql: format!("EXPLAIN QUERY PLAN {}", statement.sql),
                    ..statement.clone()
                };
                let rows = self.db.query_all_raw(explain).await.expect("explain");
                let details: Vec<String> = rows
                    .iter()
                    .map(|r| r.try_get::<String>("", "detail").expect("detail"))
                    .collect();
                let search = details
                    .iter()
                    .find(|d| d.starts_with(&format!("SEARCH {table} USING")))
                    .unwrap_or_else(|| panic!("{what}: {table} is not searched: {details:?}"));
                assert!(
                    search.contains("INDEX")
                        && (search.contains(&format!("{column}<"))
                            || search.contains(&format!("{column}>"))),
                    "{what}: the index is not bounded on {column}: {details:?}"
                );
                assert!(
                    !details.iter().any(|d| d.contains("TEMP B-TREE")),
                    "{what}: the rows are sorted instead of read in index order: {details:?}"
                );
            }
            DatabaseBackend::Postgres => {
                let txn = self.db.begin().await.expect("transaction");
                // The demo data is small; make the planner show what it would do at scale.
                txn.execute_unprepared("SET LOCAL enable_seqscan = off")
                    .await
                    .expect("set");
                let explain = Statement {
                    sql: format!("EXPLAIN (ANALYZE, FORMAT JSON) {}", statement.sql),
                    ..statement.clone()
                };
                let row = txn
                    .query_one_raw(explain)
                    .await
                    .expect("explain")
                    .expect("a plan");
                let plan: Value = row.try_get("", "QUERY PLAN").expect("json plan");
                txn.rollback().await.expect("rollback");
                let mut scans = Vec::new();
                collect_scans(&plan[0]["Plan"], table, &mut scans);
                let scan = scans
                    .first()
                    .unwrap_or_else(|| panic!("{what}: no index scan of {table}: {plan}"));
                let cond = scan["Index Cond"].as_str().unwrap_or_default();
                assert!(
                    cond.contains(column),
                    "{what}: the index condition does not bound {column}: {cond}"
                );
                let removed = scan["Rows Removed by Filter"].as_u64().unwrap_or(0);
                assert!(
                    removed as usize <= LIMIT + 1,
                    "{what}: {removed} rows read and dropped for a page of {LIMIT}: {plan}"
                );
            }
            other => panic!("unexpected backend {other:?}"),
        }
    }
}

fn collect_scans<'a>(node: &'a Value, table: &str, out: &mut Vec<&'a Value>) {
    if node["Relation Name"] == table
        && matches!(
            node["Node Type"].as_str(),
            Some("Index Scan" | "Index Only Scan")
        )
    {
        out.push(node);
    }
    for child in node["Plans"].as_array().into_iter().flatten() {
        collect_scans(child, table, out);
    }
}

#[tokio::test]
async fn every_list_pages_from_a_cursor_through_an_index_range_in_both_directions() {
    let app = PlannedApp::start().await;
    let lists = [
        ("/api/partner/v1/sales", "sales_orders", "order_date"),
        ("/api/partner/v1/customers", "customers", "created_at"),
        ("/api/partner/v1/products", "products", "created_at"),
        (
            "/api/partner/v1/inventory",
            "inventory_levels",
            "updated_at",
        ),
        (
            "/api/partner/v1/inventory/movements",
            "inventory_movements",
            "created_at",
        ),
        (
            "/api/partner/v1/purchase-orders",
            "purchase_orders",
            "order_date",
        ),
        ("/api/partner/v1/suppliers", "suppliers", "created_at"),
    ];
    for (path, table, column) in lists {
        // The second page's statement starts from a cursor.
        let mut cursor: Option<String> = None;
        for walked in 0..2 {
            app.forget();
            let url = match &cursor {
                Some(c) => format!("{path}?limit={LIMIT}&cursor={c}"),
                None => format!("{path}?limit={LIMIT}"),
            };
            let page = app.get(&url).await;
            cursor = page["pagination"]["next_cursor"]
                .as_str()
                .map(str::to_owned);
            assert!(
                walked == 1 || cursor.is_some(),
                "{path}: the demo data has more pages: {page}"
            );
        }
        let statement = app.page_statement(table);
        app.assert_index_range(path, &statement, table, column)
            .await;
    }

    // Backward (`last`/`before`) walks towards newer rows from a cursor.
    let first = app
        .graphql(&format!(
            "{{ salesOrders(first: {LIMIT}) {{ pageInfo {{ endCursor }} }} }}"
        ))
        .await;
    let end = first["data"]["salesOrders"]["pageInfo"]["endCursor"]
        .as_str()
        .expect("cursor");
    let second = app
        .graphql(&format!(
            "{{ salesOrders(first: {LIMIT}, after: \"{end}\") {{ pageInfo {{ endCursor }} }} }}"
        ))
        .await;
    let end = second["data"]["salesOrders"]["pageInfo"]["endCursor"]
        .as_str()
        .expect("cursor");
    app.forget();
    app.graphql(&format!(
        "{{ salesOrders(last: {LIMIT}, before: \"{end}\") {{ edges {{ node {{ orderNumber }} }} }} }}"
    ))
    .await;
    let statement = app.page_statement("sales_orders");
    app.assert_index_range(
        "salesOrders(last:, before:)",
        &statement,
        "sales_orders",
        "order_date",
    )
    .await;
}
