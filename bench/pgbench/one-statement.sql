-- SQL floor, one statement: the same 50 orders with their items, customer name and branch name,
-- built as one JSON document inside PostgreSQL (the shape PostGraphile's planner aims at),
-- selecting only the fields the GraphQL query asks for.
SELECT json_agg(o ORDER BY o.order_date DESC, o.id DESC) FROM (
  SELECT so.id, so.order_date, so.order_number, so.total_amount,
         (SELECT json_agg(json_build_object('sku_name', i.sku_name, 'quantity', i.quantity,
                                            'line_total', i.line_total) ORDER BY i.line_no)
            FROM sales_order_items i WHERE i.sales_order_id = so.id) AS items,
         (SELECT c.name FROM customers c WHERE c.id = so.customer_id) AS customer_name,
         (SELECT b.name FROM branches b WHERE b.id = so.branch_id) AS branch_name
    FROM sales_orders so
   WHERE so.tenant_id = :tenant AND so.order_date >= :win_from AND so.order_date < :win_to
   ORDER BY so.order_date DESC, so.id DESC
   LIMIT 50) o;
