//! A deep page costs what the first one does: the statement of every list's page after a
//! cursor, in both walking directions, is answered by a range of its (…, at, id) index — on
//! SQLite `EXPLAIN QUERY PLAN` shows the index searched with a bound on the sort column and no
//! sort step; on PostgreSQL `EXPLAIN ANALYZE` shows an index scan whose index condition bounds
//! the sort column and whose filter drops no more rows than the page holds. (On SQLite a
//! date-windowed list such as sales shows a bound from its window alone; the plan there cannot
//! tell the cursor's bound apart, PostgreSQL's row counts can.)

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait};
use serde_json::Value;

use crate::captured::CapturingApp;

/// Rows per page in the walks below.
const LIMIT: usize = 2;

/// Fails unless `statement` reads `table` through an index range bounded on `column`.
async fn assert_index_range(
    app: &CapturingApp,
    what: &str,
    statement: &Statement,
    table: &str,
    column: &str,
) {
    match app.db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let explain = Statement {
                sql: format!("EXPLAIN QUERY PLAN {}", statement.sql),
                ..statement.clone()
            };
            let rows = app.db.query_all_raw(explain).await.expect("explain");
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
            let txn = app.db.begin().await.expect("transaction");
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
    let app = CapturingApp::start().await;
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
        assert_index_range(&app, path, &statement, table, column).await;
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
    assert_index_range(
        &app,
        "salesOrders(last:, before:)",
        &statement,
        "sales_orders",
        "order_date",
    )
    .await;
}

/// The values a statement binds, as text.
fn bound(statement: &Statement) -> Vec<String> {
    statement
        .values
        .iter()
        .flat_map(|values| values.0.iter().map(|v| format!("{v:?}")))
        .collect()
}

/// A date-windowed list leaves out the window's bound on the side a cursor bounds more
/// tightly: SQLite ranges an index on one bound per side, and would start a deep page at the
/// window's end. So the page after a cursor binds no value the first page bound that it has no
/// use for: the first page's values minus the page's own must not be empty.
#[tokio::test]
async fn a_cursor_replaces_the_windows_bound_on_its_side() {
    let app = CapturingApp::start().await;
    // Forward: the first page, then the page after its cursor.
    app.forget();
    let first = app
        .get(&format!("/api/partner/v1/sales?limit={LIMIT}"))
        .await;
    let first_statement = app.page_statement("sales_orders");
    let cursor = first["pagination"]["next_cursor"]
        .as_str()
        .expect("more pages");
    app.forget();
    app.get(&format!(
        "/api/partner/v1/sales?limit={LIMIT}&cursor={cursor}"
    ))
    .await;
    let next = bound(&app.page_statement("sales_orders"));
    let first_values = bound(&first_statement);
    let dropped: Vec<&String> = first_values.iter().filter(|v| !next.contains(v)).collect();
    assert_eq!(
        dropped.len(),
        1,
        "the page after a cursor drops exactly the window's end: {dropped:?}"
    );

    // Backward: `last` alone, then `last` before a cursor, drops the window's start.
    app.forget();
    let page = app
        .graphql(&format!(
            "{{ salesOrders(last: {LIMIT}) {{ pageInfo {{ startCursor }} }} }}"
        ))
        .await;
    let last_statement = app.page_statement("sales_orders");
    let start = page["data"]["salesOrders"]["pageInfo"]["startCursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    app.forget();
    app.graphql(&format!(
        "{{ salesOrders(last: {LIMIT}, before: \"{start}\") {{ edges {{ node {{ id }} }} }} }}"
    ))
    .await;
    let before = bound(&app.page_statement("sales_orders"));
    let dropped = bound(&last_statement)
        .into_iter()
        .filter(|v| !before.contains(v))
        .count();
    assert_eq!(
        dropped, 1,
        "the page before a cursor drops exactly the window's start"
    );
}
