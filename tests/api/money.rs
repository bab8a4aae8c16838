//! Exact money on both backends: thousands of awkward decimals stored, read back and summed
//! by the database, compared with `rust_decimal` arithmetic.

use partner_gateway::domain::reports::sum_expr;
use partner_gateway::entities::enums::{
    DocumentSource, OrderType, PaymentStatus, Plan, SalesStatus,
};
use partner_gateway::entities::sales_orders;
use partner_gateway::money::Amount;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryOrder, Set, StatementBuilder,
};
use std::str::FromStr;
use uuid::Uuid;

use crate::helpers::{TestDb, fixed_now};

const VALUES: &[&str] = &[
    "0.1",
    "0.2",
    "7.85",
    "12510.40",
    "0.0001",
    "99999.99",
    "3.3333",
    "-0.3",
    "120",
    "818.40",
    "0.07",
    "1234567.8901",
];

#[tokio::test]
async fn amounts_round_trip_and_sum_exactly_in_the_database() {
    let test_db = TestDb::new().await;
    let db = test_db.connect().await;
    let now = fixed_now();
    let tenant =
        partner_gateway::domain::tenants::create(&db, now, Uuid::new_v4(), "Money", Plan::Pro)
            .await
            .expect("tenant");
    let mut branch_ids = Vec::new();
    for code in ["A", "B", "C"] {
        let branch = crate::helpers::branch_row(tenant.id, code, code, now)
            .insert(&db)
            .await
            .expect("branch");
        branch_ids.push(branch.id);
    }

    const ROWS: usize = 3_000;
    let mut expected_total = Decimal::ZERO;
    let mut expected_by_branch = [Decimal::ZERO; 3];
    let mut expected_tax = Decimal::ZERO;
    let mut rows = Vec::with_capacity(ROWS);
    for i in 0..ROWS {
        let total = Decimal::from_str(VALUES[i % VALUES.len()]).expect("decimal");
        let tax = Decimal::from_str(VALUES[(i * 7 + 3) % VALUES.len()]).expect("decimal");
        expected_total += total;
        expected_tax += tax;
        expected_by_branch[i % 3] += total;
        rows.push(sales_orders::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(tenant.id),
            branch_id: Set(branch_ids[i % 3]),
            customer_id: Set(None),
            order_number: Set(format!("ORD{i:06}")),
            order_date: Set(now),
            status: Set(SalesStatus::Completed),
            order_type: Set(OrderType::DineIn),
            subtotal: Set(Amount::try_from_decimal(total).expect("fits")),
            discount_amount: Set(Amount::ZERO),
            tax_amount: Set(Amount::try_from_decimal(tax).expect("fits")),
            service_charge_amount: Set(Amount::ZERO),
            total_amount: Set(Amount::try_from_decimal(total).expect("fits")),
            paid_amount: Set(Amount::ZERO),
            refunded_amount: Set(Amount::ZERO),
            payment_status: Set(PaymentStatus::Paid),
            source: Set(DocumentSource::Pos),
            external_reference: Set(None),
            warehouse_id: Set(None),
            required_date: Set(None),
            priority: Set(None),
            ship_to_name: Set(None),
            ship_to_address: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        });
    }
    for chunk in rows.chunks(500) {
        sales_orders::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&db)
            .await
            .expect("insert");
    }

    // Every value reads back exactly.
    let stored = sales_orders::Entity::find()
        .order_by_asc(sales_orders::Column::OrderNumber)
        .all(&db)
        .await
        .expect("read back");
    assert_eq!(stored.len(), ROWS);
    for (i, order) in stored.iter().enumerate() {
        let want = Decimal::from_str(VALUES[i % VALUES.len()]).expect("decimal");
        assert_eq!(order.total_amount.to_decimal(), want.normalize(), "row {i}");
    }

    // The database's own SUM, total and grouped, equals exact decimal arithmetic.
    let backend = db.get_database_backend();
    let total_stmt = Query::select()
        .expr_as(
            sum_expr(sales_orders::Column::TotalAmount),
            Alias::new("total"),
        )
        .expr_as(sum_expr(sales_orders::Column::TaxAmount), Alias::new("tax"))
        .from(sales_orders::Entity)
        .to_owned();
    let row = db
        .query_one(&total_stmt)
        .await
        .expect("sum query")
        .expect("one row");
    let total = Amount::from_scaled(row.try_get::<i64>("", "total").expect("total"));
    let tax = Amount::from_scaled(row.try_get::<i64>("", "tax").expect("tax"));
    assert_eq!(total.to_decimal(), expected_total.normalize());
    assert_eq!(tax.to_decimal(), expected_tax.normalize());

    let grouped = Query::select()
        .column(sales_orders::Column::BranchId)
        .expr_as(
            sum_expr(sales_orders::Column::TotalAmount),
            Alias::new("total"),
        )
        .from(sales_orders::Entity)
        .group_by_col(sales_orders::Column::BranchId)
        .to_owned();
    let rows = db
        .query_all_raw(StatementBuilder::build(&grouped, &backend))
        .await
        .expect("grouped sums");
    assert_eq!(rows.len(), 3);
    for row in rows {
        let branch: Uuid = row.try_get("", "branch_id").expect("branch");
        let sum = Amount::from_scaled(row.try_get::<i64>("", "total").expect("sum"));
        let index = branch_ids
            .iter()
            .position(|b| *b == branch)
            .expect("known branch");
        assert_eq!(sum.to_decimal(), expected_by_branch[index].normalize());
    }

    // What a floating-point column would have produced is not the same number.
    let float_total: f64 = (0..ROWS)
        .map(|i| VALUES[i % VALUES.len()].parse::<f64>().expect("float"))
        .sum();
    assert_ne!(
        float_total.to_string(),
        expected_total.normalize().to_string()
    );

    // An empty set sums to NULL, not to a wrong zero-typed value.
    let empty = Query::select()
        .expr_as(
            sum_expr(sales_orders::Column::TotalAmount),
            Alias::new("total"),
        )
        .from(sales_orders::Entity)
        .and_where(sales_orders::Column::OrderNumber.eq("none"))
        .to_owned();
    let row = db.query_one(&empty).await.expect("query").expect("row");
    assert_eq!(row.try_get::<Option<i64>>("", "total").expect("null"), None);
}
