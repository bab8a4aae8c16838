//! `POST /orders`, `POST /orders/bulk` (at most 100), `POST /orders/{orderNo}/cancel` and
//! `GET /orders/{orderNo}`: sales orders pushed in, with stock allocated to them (seed 003 §4
//! Outbound and Inquiry). The rules are the domain's ([`crate::domain::outbound`]).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::PushJson;
use super::bulk::{self, BulkAnswer, check_bulk_size};
use super::decimal;
use super::envelope::{PushError, PushResult, Success};
use super::guard::KeyCaller;
use super::idempotency::WriteUnit;
use crate::clock::Timestamp;
use crate::domain::items::Upsert;
use crate::domain::outbound::{self, Order, OrderInput, OrderLineInput, ShipTo, wire_status};
use crate::error::AppError;
use crate::money::Amount;
use crate::state::AppState;

/// Most orders one bulk request may carry.
pub const MAX_BULK_ORDERS: usize = 100;

/// Where the order goes.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShipToBody {
    pub name: Option<String>,
    pub address: Option<String>,
}

/// One line of an order.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderLineBody {
    /// The line's number within the order (positive, unique).
    pub line_no: i64,
    pub sku: String,
    /// Must be the item's base unit when given.
    pub uom_code: Option<String>,
    /// A JSON number greater than zero, at most 4 decimal places.
    #[serde(deserialize_with = "decimal::required")]
    #[schema(value_type = f64)]
    pub qty_ordered: Amount,
    /// Price per unit, VAT included (a JSON number); the item's current price when left out.
    #[serde(default, deserialize_with = "decimal::optional")]
    #[schema(value_type = Option<f64>)]
    pub unit_price: Option<Amount>,
}

/// A sales order to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderBody {
    /// The warehouse it is served from (and its stock allocated in).
    pub warehouse_code: String,
    pub customer_code: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub required_date: Option<NaiveDate>,
    pub priority: Option<i64>,
    pub ship_to: Option<ShipToBody>,
    /// Your order number: one order per reference (a second is 409 `CONFLICT`).
    pub reference_no: String,
    /// 1 to 500 lines.
    pub lines: Vec<OrderLineBody>,
}

impl From<OrderBody> for OrderInput {
    fn from(body: OrderBody) -> Self {
        Self {
            warehouse_code: body.warehouse_code,
            customer_code: body.customer_code,
            required_date: body.required_date,
            priority: body.priority,
            ship_to: body.ship_to.map(|s| ShipTo {
                name: s.name,
                address: s.address,
            }),
            reference_no: body.reference_no,
            lines: body
                .lines
                .into_iter()
                .map(|l| OrderLineInput {
                    line_no: l.line_no,
                    sku: l.sku,
                    uom_code: l.uom_code,
                    qty_ordered: l.qty_ordered,
                    unit_price: l.unit_price,
                })
                .collect(),
        }
    }
}

/// Stock set aside for a line.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AllocationView {
    pub location_code: Option<String>,
    pub lot_no: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub expiry_date: Option<NaiveDate>,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub qty: Amount,
    /// When it was given back (a cancelled order's allocations).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub released_at: Option<Timestamp>,
}

/// An order line.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderLineView {
    pub line_no: i32,
    pub sku: String,
    pub item_name: String,
    pub uom_code: String,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub qty_ordered: Amount,
    /// Allocated now (released allocations not counted).
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub qty_allocated: Amount,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub qty_picked: Amount,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub qty_shipped: Amount,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub unit_price: Amount,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub line_total: Amount,
    pub allocations: Vec<AllocationView>,
}

/// An order's totals.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderSummary {
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub total_ordered: Amount,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub total_allocated: Amount,
    /// Always 0: nothing is picked in this system.
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub total_picked: Amount,
    /// Always 0: nothing ships in this system.
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub total_shipped: Amount,
}

/// An order as this door shows it (seed 003's inquiry: order, lines, pick tasks, summary).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub id: Uuid,
    pub order_no: String,
    pub reference_no: Option<String>,
    /// `active`, `cancelled`, … (the partner API's sales statuses, in lower case).
    pub status: &'static str,
    pub warehouse_code: Option<String>,
    pub customer_code: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub required_date: Option<NaiveDate>,
    pub priority: Option<i32>,
    pub ship_to: Option<ShipToBody>,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub subtotal: Amount,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub tax_amount: Amount,
    #[serde(serialize_with = "decimal::number")]
    #[schema(value_type = f64)]
    pub total_amount: Amount,
    pub lines: Vec<OrderLineView>,
    /// Always empty: nothing is picked in this system.
    #[schema(value_type = Vec<Object>)]
    pub pick_tasks: Vec<serde_json::Value>,
    pub summary: OrderSummary,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Order> for OrderView {
    fn from(order: Order) -> Self {
        let summary = OrderSummary {
            total_ordered: order.total_ordered(),
            total_allocated: order.total_allocated(),
            total_picked: Amount::ZERO,
            total_shipped: Amount::ZERO,
        };
        let o = order.order;
        let ship_to =
            (o.ship_to_name.is_some() || o.ship_to_address.is_some()).then(|| ShipToBody {
                name: o.ship_to_name.clone(),
                address: o.ship_to_address.clone(),
            });
        Self {
            id: o.id,
            order_no: o.order_number,
            reference_no: o.external_reference,
            status: wire_status(o.status),
            warehouse_code: order.warehouse.map(|w| w.code),
            customer_code: order.customer.map(|c| c.code),
            required_date: o.required_date,
            priority: o.priority,
            ship_to,
            subtotal: o.subtotal,
            tax_amount: o.tax_amount,
            total_amount: o.total_amount,
            lines: order
                .lines
                .into_iter()
                .map(|line| {
                    let allocated = line.allocated();
                    OrderLineView {
                        line_no: line.item.line_no,
                        sku: line.item.sku_code,
                        item_name: line.item.sku_name,
                        uom_code: line.unit,
                        qty_ordered: line.item.quantity,
                        qty_allocated: allocated,
                        qty_picked: Amount::ZERO,
                        qty_shipped: Amount::ZERO,
                        unit_price: line.item.unit_price,
                        line_total: line.item.line_total,
                        allocations: line
                            .allocations
                            .into_iter()
                            .map(|a| AllocationView {
                                location_code: a.location_code,
                                lot_no: Some(a.lot_no).filter(|lot| !lot.is_empty()),
                                expiry_date: a.expiry_date,
                                qty: a.allocation.quantity,
                                released_at: a.allocation.released_at,
                            })
                            .collect(),
                    }
                })
                .collect(),
            pick_tasks: Vec::new(),
            summary,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

async fn create_one(
    state: &AppState,
    unit: &WriteUnit,
    caller: &KeyCaller,
    input: OrderInput,
) -> Result<OrderView, AppError> {
    unit.run(state, caller, |here| {
        let input = input.clone();
        Box::pin(async move { outbound::create_order(here, &input).await })
    })
    .await
    .map(OrderView::from)
}

/// `POST /orders`.
#[utoipa::path(
    post,
    path = "/api/v1/integration/v1/orders",
    operation_id = "createOrder",
    tag = "Push: outbound",
    summary = "Create a sales order and allocate stock to it",
    request_body = OrderBody,
    security(("apiKey" = ["write"])),
    responses(
        (status = 201, description = "Created, numbered SO-YYYYMMDD-NNNN, with what could be allocated", body = super::openapi::SuccessBody<OrderView>),
        (status = 400, description = "VALIDATION_FAILED, or an unknown warehouse, customer or SKU", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: KeyCaller,
    unit: WriteUnit,
    PushJson(body): PushJson<OrderBody>,
) -> PushResult<Success<OrderView>> {
    let view = create_one(&state, &unit, &caller, body.into()).await?;
    Ok(Success(StatusCode::CREATED, view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkOrders {
    orders: Vec<Box<RawValue>>,
}

/// `POST /orders/bulk`: each order created on its own.
#[utoipa::path(
    post,
    path = "/api/v1/integration/v1/orders/bulk",
    operation_id = "createOrdersBulk",
    tag = "Push: outbound",
    summary = "Create sales orders in bulk (at most 100)",
    security(("apiKey" = ["write"])),
    responses(
        (status = 200, description = "Every order was created", body = super::openapi::BulkReport),
        (status = 207, description = "Some orders failed; see `errors`", body = super::openapi::BulkReport),
        (status = 400, description = "VALIDATION_FAILED: not a list of 1 to 100 orders", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn bulk(
    State(state): State<AppState>,
    caller: KeyCaller,
    unit: WriteUnit,
    PushJson(body): PushJson<BulkOrders>,
) -> PushResult<BulkAnswer> {
    check_bulk_size(body.orders.len(), MAX_BULK_ORDERS, "orders")?;
    let (state, unit, caller) = (&state, &unit, &caller);
    bulk::each(&body.orders, "referenceNo", |order: OrderBody| {
        Box::pin(async move {
            let view = create_one(state, unit, caller, order.into()).await?;
            Ok((
                Upsert::Created,
                json!({ "id": view.id, "orderNo": view.order_no, "summary": view.summary }),
            ))
        })
    })
    .await
}

/// `POST /orders/{orderNo}/cancel`.
#[utoipa::path(
    post,
    path = "/api/v1/integration/v1/orders/{orderNo}/cancel",
    operation_id = "cancelOrder",
    tag = "Push: outbound",
    summary = "Cancel a pushed order and release its allocations",
    description = "Releases the order's allocations and sets it `CANCELLED`. An order already \
        `CANCELLED`, `COMPLETED`, `REFUNDED`, `PARTIAL_REFUNDED`, `EXCHANGED` or `VOIDED`, or one \
        taken at a POS, is 409 `CONFLICT` and stays as it was.",
    params(("orderNo" = String, Path, description = "The order's number")),
    security(("apiKey" = ["write"])),
    responses(
        (status = 200, description = "Cancelled", body = super::openapi::SuccessBody<OrderView>),
        (status = 404, description = "NOT_FOUND: `Order \"X\" not found.`", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
        // After the guarded answers: this operation's 409 says more than theirs.
        (status = 409, description = "`CONFLICT`: the order is already `CANCELLED`, `COMPLETED`, \
            `REFUNDED`, `PARTIAL_REFUNDED`, `EXCHANGED` or `VOIDED`, or was taken at a POS rather \
            than pushed through this API (nothing is changed); or `IDEMPOTENCY_KEY_MISMATCH` or \
            `IDEMPOTENCY_KEY_IN_PROGRESS` (with an `Idempotency-Key`).", body = super::envelope::PushErrorBody),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    caller: KeyCaller,
    unit: WriteUnit,
    super::PathText(order_no): super::PathText,
) -> PushResult<Success<OrderView>> {
    let not_found = || PushError::NotFound(format!("Order \"{order_no}\" not found."));
    let number = super::path_code(&order_no)
        .ok_or_else(not_found)?
        .to_owned();
    let cancelled = unit
        .run(&state, &caller, |here| {
            let number = number.clone();
            Box::pin(async move { outbound::cancel_order(here, &number).await })
        })
        .await?
        .ok_or_else(not_found)?;
    Ok(Success(StatusCode::OK, cancelled.into()))
}

/// `GET /orders/{orderNo}`.
#[utoipa::path(
    get,
    path = "/api/v1/integration/v1/orders/{orderNo}",
    operation_id = "getOrder",
    tag = "Push: inquiry",
    summary = "Read an order with its lines, allocations and totals",
    params(("orderNo" = String, Path, description = "The order's number")),
    security(("apiKey" = ["read"])),
    responses(
        (status = 200, description = "The order", body = super::openapi::SuccessBody<OrderView>),
        (status = 404, description = "NOT_FOUND: `Order \"X\" not found.`", body = super::envelope::PushErrorBody),
        super::openapi::GuardedErrors,
    )
)]
pub async fn read(
    State(state): State<AppState>,
    caller: KeyCaller,
    super::PathText(order_no): super::PathText,
) -> PushResult<Success<OrderView>> {
    let db = caller.db(&state);
    let here = caller.ctx(&state, &db);
    let not_found = || PushError::NotFound(format!("Order \"{order_no}\" not found."));
    let code = super::path_code(&order_no).ok_or_else(not_found)?;
    let order = outbound::find_order(&here, code)
        .await?
        .ok_or_else(not_found)?;
    Ok(Success(StatusCode::OK, order.into()))
}
