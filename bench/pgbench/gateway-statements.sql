-- SQL floor, gateway-shaped: the four data statements the gateway runs for the GraphQL page of
-- 50 orders with items, customer and branch, one round trip each (without the statement it runs
-- first on every request, rereading the calling application and its tenant). The page asks for
-- 51 rows (the extra one says whether there is a next page); the ids of the page's orders,
-- customers and branches are passed by bench/lib/measure.py with -D (the data does not change
-- during a run). The gateway binds them as `IN ($2, $3, …)` lists and selects every column,
-- as here (for a document that asks no personal data, the customers' nine PII columns are
-- selected as NULL instead).
SELECT * FROM sales_orders
 WHERE tenant_id = :tenant AND order_date >= :win_from AND order_date < :win_to
 ORDER BY order_date DESC, id DESC
 LIMIT 51;
SELECT * FROM sales_order_items
 WHERE tenant_id = :tenant AND sales_order_id = ANY (CAST(:order_ids AS uuid[]))
 ORDER BY sales_order_id, line_no;
SELECT * FROM customers
 WHERE tenant_id = :tenant AND id = ANY (CAST(:customer_ids AS uuid[]));
SELECT * FROM branches
 WHERE tenant_id = :tenant AND id = ANY (CAST(:branch_ids AS uuid[]));
