//! Sales orders pushed by an integration (seed 003 §4 Outbound): created as the partner API's
//! sales orders (`DELIVERY`, source `INTEGRATION`, the sender's `referenceNo` as external
//! reference, unique per tenant, numbered `SO-YYYYMMDD-NNNN`), in status `ACTIVE`, with the
//! warehouse's available stock allocated to each line at once (first expiring first, see
//! [`stock::allocate`]). An order that can be allocated only in part, or not at all, is
//! accepted all the same, with what was allocated reported.
//!
//! Amounts follow the partner API's money rules: a line's price is its `unitPrice` when
//! given, else the SKU's current price; its amount (quantity × price) is rounded to satang, its
//! tax is the 7% VAT included in it, and the order's subtotal, tax and total are the lines'
//! sums (no discount, no service charge for a delivery).
//!
//! Cancelling releases the order's allocations and sets it `CANCELLED`; an order already
//! `CANCELLED`, `COMPLETED`, `REFUNDED`, `PARTIAL_REFUNDED`, `EXCHANGED` or `VOIDED` is a
//! conflict. Nothing ships in this system, so no order is ever "shipped".

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::context::Ctx;
use super::inbound::{
    MAX_LINES, VALIDATION_FAILED, max_line_quantity, quantity_problem, skus_by_code,
    warehouse_by_code,
};
use super::numbering::{self, Series};
use super::outbox::{self, Event};
use super::stock::{self, Demand};
use crate::clock::Timestamp;
use crate::entities::enums::{DocumentSource, OrderType, PaymentStatus, SalesStatus};
use crate::entities::{
    customers, product_skus, sales_order_items, sales_orders, stock_allocations, stock_balances,
    storage_locations, warehouses,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::money::{Amount, included_vat, json_number, satang};

const MAX_CODE: usize = 64;
const MAX_TEXT: usize = 500;

/// One line of an order to create.
#[derive(Debug, Clone)]
pub struct OrderLineInput {
    pub line_no: i64,
    pub sku: String,
    pub uom_code: Option<String>,
    pub qty_ordered: Amount,
    /// The price per unit, VAT included; the SKU's current price when absent.
    pub unit_price: Option<Amount>,
}

/// Where a pushed order goes.
#[derive(Debug, Clone, Default)]
pub struct ShipTo {
    pub name: Option<String>,
    pub address: Option<String>,
}

/// An order to create.
#[derive(Debug, Clone)]
pub struct OrderInput {
    pub warehouse_code: String,
    pub customer_code: Option<String>,
    pub required_date: Option<NaiveDate>,
    pub priority: Option<i64>,
    pub ship_to: Option<ShipTo>,
    /// The sender's order number: one order per reference and tenant.
    pub reference_no: String,
    pub lines: Vec<OrderLineInput>,
}

/// An allocation of stock to an order line, where it lies.
#[derive(Debug, Clone)]
pub struct LineAllocation {
    pub allocation: stock_allocations::Model,
    pub location_code: Option<String>,
    pub lot_no: String,
    pub expiry_date: Option<NaiveDate>,
}

/// An order line with what is allocated to it.
#[derive(Debug, Clone)]
pub struct OrderLine {
    pub item: sales_order_items::Model,
    pub unit: String,
    pub allocations: Vec<LineAllocation>,
}

impl OrderLine {
    /// What is allocated to the line now (released allocations not counted).
    pub fn allocated(&self) -> Amount {
        self.allocations
            .iter()
            .filter(|a| a.allocation.released_at.is_none())
            .map(|a| a.allocation.quantity)
            .sum()
    }
}

/// An order as the push API shows it.
#[derive(Debug, Clone)]
pub struct Order {
    pub order: sales_orders::Model,
    pub warehouse: Option<warehouses::Model>,
    pub customer: Option<customers::Model>,
    pub lines: Vec<OrderLine>,
}

impl Order {
    pub fn total_ordered(&self) -> Amount {
        self.lines.iter().map(|l| l.item.quantity).sum()
    }

    pub fn total_allocated(&self) -> Amount {
        self.lines.iter().map(OrderLine::allocated).sum()
    }
}

fn invalid(details: Vec<FieldError>) -> AppError {
    AppError::Unprocessable {
        message: VALIDATION_FAILED.to_owned(),
        details,
    }
}

fn check_text(details: &mut Vec<FieldError>, path: &str, text: &str, max: usize, required: bool) {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        if required {
            details.push(FieldError::new(path, "must not be blank"));
        }
    } else if trimmed.chars().count() > max {
        details.push(FieldError::new(
            path,
            format!("must be at most {max} characters"),
        ));
    } else if trimmed.chars().any(char::is_control) {
        details.push(FieldError::new(path, "must not contain control characters"));
    }
}

/// What partners hear of an order: the order as `GET /sales` shows it (snake_case, like the
/// rest of the partner API), with its items; no personal data (the delivery details stay out).
#[derive(Debug, Serialize)]
pub(crate) struct SalesOrderEvent<'a> {
    id: Uuid,
    order_number: &'a str,
    branch_id: Uuid,
    customer_id: Option<Uuid>,
    status: SalesStatus,
    order_type: OrderType,
    source: DocumentSource,
    external_reference: Option<&'a str>,
    subtotal: Amount,
    discount_amount: Amount,
    tax_amount: Amount,
    service_charge_amount: Amount,
    total_amount: Amount,
    payment_status: PaymentStatus,
    order_date: Timestamp,
    created_at: Timestamp,
    updated_at: Timestamp,
    items: Vec<SalesOrderEventItem<'a>>,
}

#[derive(Debug, Serialize)]
struct SalesOrderEventItem<'a> {
    line_no: i32,
    product_sku_id: Uuid,
    sku_code: &'a str,
    quantity: Amount,
    unit_price: Amount,
    line_total: Amount,
}

pub(crate) fn sales_order_event(order: &Order) -> SalesOrderEvent<'_> {
    let o = &order.order;
    SalesOrderEvent {
        id: o.id,
        order_number: &o.order_number,
        branch_id: o.branch_id,
        customer_id: o.customer_id,
        status: o.status,
        order_type: o.order_type,
        source: o.source,
        external_reference: o.external_reference.as_deref(),
        subtotal: o.subtotal,
        discount_amount: o.discount_amount,
        tax_amount: o.tax_amount,
        service_charge_amount: o.service_charge_amount,
        total_amount: o.total_amount,
        payment_status: o.payment_status,
        order_date: o.order_date,
        created_at: o.created_at,
        updated_at: o.updated_at,
        items: order
            .lines
            .iter()
            .map(|l| SalesOrderEventItem {
                line_no: l.item.line_no,
                product_sku_id: l.item.product_sku_id,
                sku_code: &l.item.sku_code,
                quantity: l.item.quantity,
                unit_price: l.item.unit_price,
                line_total: l.item.line_total,
            })
            .collect(),
    }
}

/// What a WMS subscriber hears of an order's allocation or cancellation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WmsOrderEvent<'a> {
    order_no: &'a str,
    reference_no: Option<&'a str>,
    warehouse_code: Option<&'a str>,
    status: &'static str,
    lines: Vec<WmsOrderEventLine<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WmsOrderEventLine<'a> {
    line_no: i32,
    sku: &'a str,
    #[serde(serialize_with = "json_number")]
    qty_ordered: Amount,
    #[serde(serialize_with = "json_number")]
    qty_allocated: Amount,
}

fn wms_order_event(order: &Order) -> WmsOrderEvent<'_> {
    WmsOrderEvent {
        order_no: &order.order.order_number,
        reference_no: order.order.external_reference.as_deref(),
        warehouse_code: order.warehouse.as_ref().map(|w| w.code.as_str()),
        status: wire_status(order.order.status),
        lines: order
            .lines
            .iter()
            .map(|l| WmsOrderEventLine {
                line_no: l.item.line_no,
                sku: &l.item.sku_code,
                qty_ordered: l.item.quantity,
                qty_allocated: l.allocated(),
            })
            .collect(),
    }
}

/// An order's status as the push API spells it.
pub fn wire_status(status: SalesStatus) -> &'static str {
    match status {
        SalesStatus::Draft => "draft",
        SalesStatus::Held => "held",
        SalesStatus::Active => "active",
        SalesStatus::ReadyForPayment => "ready_for_payment",
        SalesStatus::Completed => "completed",
        SalesStatus::Refunded => "refunded",
        SalesStatus::PartialRefunded => "partial_refunded",
        SalesStatus::Cancelled => "cancelled",
        SalesStatus::Exchanged => "exchanged",
        SalesStatus::Voided => "voided",
    }
}

/// Creates the order, allocates what stock it can, and writes its events.
pub async fn create_order(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    input: &OrderInput,
) -> AppResult<Order> {
    let mut details = Vec::new();
    check_text(
        &mut details,
        "warehouseCode",
        &input.warehouse_code,
        MAX_CODE,
        true,
    );
    check_text(
        &mut details,
        "referenceNo",
        &input.reference_no,
        MAX_CODE,
        true,
    );
    if let Some(code) = &input.customer_code {
        check_text(&mut details, "customerCode", code, MAX_CODE, true);
    }
    if let Some(ship_to) = &input.ship_to {
        if let Some(name) = &ship_to.name {
            check_text(&mut details, "shipTo.name", name, 200, false);
        }
        if let Some(address) = &ship_to.address {
            check_text(&mut details, "shipTo.address", address, MAX_TEXT, false);
        }
    }
    if input
        .priority
        .is_some_and(|p| !(i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(&p))
    {
        details.push(FieldError::new("priority", "is out of range"));
    }
    if input.lines.is_empty() {
        details.push(FieldError::new("lines", "must hold at least one line"));
    } else if input.lines.len() > MAX_LINES {
        details.push(FieldError::new(
            "lines",
            format!("must hold at most {MAX_LINES} lines"),
        ));
    }
    let mut line_numbers = HashSet::new();
    for (i, line) in input.lines.iter().enumerate() {
        if !(1..=i64::from(i32::MAX)).contains(&line.line_no) {
            details.push(FieldError::new(
                format!("lines[{i}].lineNo"),
                "must be a positive whole number",
            ));
        } else if !line_numbers.insert(line.line_no) {
            details.push(FieldError::new(
                format!("lines[{i}].lineNo"),
                "is used by another line",
            ));
        }
        check_text(
            &mut details,
            &format!("lines[{i}].sku"),
            &line.sku,
            MAX_CODE,
            true,
        );
        if let Some(problem) = quantity_problem(line.qty_ordered) {
            details.push(FieldError::new(format!("lines[{i}].qtyOrdered"), problem));
        }
        if line
            .unit_price
            .is_some_and(|p| p < Amount::ZERO || p > max_line_quantity())
        {
            details.push(FieldError::new(
                format!("lines[{i}].unitPrice"),
                format!("must be between 0 and {}", max_line_quantity()),
            ));
        }
    }
    if !details.is_empty() {
        return Err(invalid(details));
    }

    let Ctx { db, scope, now, .. } = *ctx;
    let warehouse = warehouse_by_code(ctx, &input.warehouse_code).await?;
    let customer = match input.customer_code.as_deref().map(str::trim) {
        None => None,
        Some(code) => Some(
            scope
                .select::<customers::Entity>()
                .filter(customers::Column::Code.eq(code))
                .one(db)
                .await?
                .ok_or_else(|| AppError::Unprocessable {
                    message: format!("Customer code \"{code}\" not found."),
                    details: vec![FieldError::new(
                        "customerCode",
                        "no customer of the tenant has this code",
                    )],
                })?,
        ),
    };
    let codes: Vec<(String, String)> = input
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.sku.trim().to_owned(), format!("lines[{i}].sku")))
        .collect();
    let skus = skus_by_code(ctx, &codes).await?;
    for (i, line) in input.lines.iter().enumerate() {
        let sku = &skus[line.sku.trim()];
        if let Some(uom) = line.uom_code.as_deref().map(str::trim)
            && !uom.eq_ignore_ascii_case(&sku.unit)
        {
            details.push(FieldError::new(
                format!("lines[{i}].uomCode"),
                format!(
                    "must be the item's base unit ({}): quantities are kept in it and no unit \
                     conversions are known",
                    sku.unit
                ),
            ));
        }
    }
    if !details.is_empty() {
        return Err(invalid(details));
    }
    let reference = input.reference_no.trim();
    if let Some(existing) = scope
        .select::<sales_orders::Entity>()
        .filter(sales_orders::Column::Source.eq(DocumentSource::Integration))
        .filter(sales_orders::Column::ExternalReference.eq(reference))
        .one(db)
        .await?
    {
        return Err(AppError::Conflict {
            message: format!(
                "Order with referenceNo \"{reference}\" already exists ({}).",
                existing.order_number
            ),
        });
    }

    // Amounts, line by line.
    let out_of_range = || AppError::Unprocessable {
        message: VALIDATION_FAILED.to_owned(),
        details: vec![FieldError::new("lines", "an amount is out of range")],
    };
    let mut priced = Vec::with_capacity(input.lines.len());
    let (mut subtotal, mut tax) = (Amount::ZERO, Amount::ZERO);
    let mut sorted: Vec<&OrderLineInput> = input.lines.iter().collect();
    sorted.sort_by_key(|l| l.line_no);
    for line in sorted {
        let sku = skus[line.sku.trim()].clone();
        let price = line.unit_price.unwrap_or(sku.price);
        let product = line
            .qty_ordered
            .to_decimal()
            .checked_mul(price.to_decimal())
            .ok_or_else(out_of_range)?;
        let amount = satang(product).map_err(|_| out_of_range())?;
        let line_tax = included_vat(amount).map_err(|_| out_of_range())?;
        subtotal = subtotal.checked_add(amount).ok_or_else(out_of_range)?;
        tax = tax + line_tax;
        priced.push((line, sku, price, amount, line_tax));
    }

    // Numbered last: the tenant's counter row is held from then to the commit, so orders of
    // different SKUs allocate side by side and only take turns for their numbers.
    let id = Uuid::new_v4();
    let ship_to = input.ship_to.clone().unwrap_or_default();
    let clean = |text: Option<String>| text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let order = sales_orders::Entity::insert(sales_orders::ActiveModel {
        id: Set(id),
        tenant_id: Set(scope.tenant_id()),
        branch_id: Set(warehouse.branch_id),
        customer_id: Set(customer.as_ref().map(|c| c.id)),
        // Unique until the number is taken (no number holds a UUID).
        order_number: Set(id.to_string()),
        order_date: Set(now),
        status: Set(SalesStatus::Active),
        order_type: Set(OrderType::Delivery),
        subtotal: Set(subtotal),
        discount_amount: Set(Amount::ZERO),
        tax_amount: Set(tax),
        service_charge_amount: Set(Amount::ZERO),
        total_amount: Set(subtotal),
        paid_amount: Set(Amount::ZERO),
        refunded_amount: Set(Amount::ZERO),
        payment_status: Set(PaymentStatus::Unpaid),
        source: Set(DocumentSource::Integration),
        external_reference: Set(Some(reference.to_owned())),
        warehouse_id: Set(Some(warehouse.id)),
        required_date: Set(input.required_date),
        priority: Set(input.priority.map(|p| i32::try_from(p).unwrap_or(i32::MAX))),
        ship_to_name: Set(clean(ship_to.name)),
        ship_to_address: Set(clean(ship_to.address)),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(db)
    .await?;
    let products = product_names(ctx, skus.values()).await?;
    let mut lines = Vec::with_capacity(priced.len());
    for (line, sku, price, amount, line_tax) in priced {
        let item = sales_order_items::Entity::insert(sales_order_items::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(scope.tenant_id()),
            sales_order_id: Set(order.id),
            product_sku_id: Set(sku.id),
            line_no: Set(i32::try_from(line.line_no).unwrap_or(i32::MAX)),
            sku_code: Set(sku.sku_code.clone()),
            sku_name: Set(sku.name.clone()),
            product_name: Set(products.get(&sku.product_id).cloned().unwrap_or_default()),
            quantity: Set(line.qty_ordered),
            unit_price: Set(price),
            discount_amount: Set(Amount::ZERO),
            tax_amount: Set(line_tax),
            line_total: Set(amount),
            refunded_quantity: Set(Amount::ZERO),
            refunded_amount: Set(Amount::ZERO),
            is_fully_refunded: Set(false),
            created_at: Set(now),
        })
        .exec_with_returning(db)
        .await?;
        lines.push(OrderLine {
            item,
            unit: sku.unit.clone(),
            allocations: Vec::new(),
        });
    }
    // Allocated SKU by SKU in id order: levels are always locked in one order.
    let mut by_sku: Vec<usize> = (0..lines.len()).collect();
    by_sku.sort_by_key(|&i| (lines[i].item.product_sku_id, lines[i].item.line_no));
    for i in by_sku {
        let item = &lines[i].item;
        let taken = stock::allocate(
            ctx,
            &Demand {
                sales_order_id: order.id,
                sales_order_item_id: item.id,
                warehouse_id: warehouse.id,
                product_sku_id: item.product_sku_id,
                quantity: item.quantity,
            },
        )
        .await?;
        let location_codes = location_codes(ctx, taken.iter().map(|t| &t.balance)).await?;
        lines[i].allocations = taken
            .into_iter()
            .map(|t| LineAllocation {
                location_code: t
                    .balance
                    .location_id
                    .and_then(|id| location_codes.get(&id).cloned()),
                lot_no: t.balance.lot_no,
                expiry_date: t.balance.expiry_date,
                allocation: t.allocation,
            })
            .collect();
    }
    let number = numbering::next(ctx, Series::SalesOrder).await?;
    let order = sales_orders::Entity::update_many()
        .col_expr(sales_orders::Column::OrderNumber, Expr::value(number))
        .filter(sales_orders::Column::Id.eq(order.id))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("an order vanished")))?;
    let order = Order {
        order,
        warehouse: Some(warehouse),
        customer,
        lines,
    };
    let branch = Some(order.order.branch_id);
    outbox::record(
        ctx,
        Event::SalesOrderCreated,
        branch,
        &sales_order_event(&order),
    )
    .await?;
    if order.total_allocated() > Amount::ZERO {
        outbox::record(ctx, Event::OrderAllocated, branch, &wms_order_event(&order)).await?;
    }
    Ok(order)
}

async fn product_names<'a>(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    skus: impl Iterator<Item = &'a product_skus::Model>,
) -> AppResult<HashMap<Uuid, String>> {
    let ids: HashSet<Uuid> = skus.map(|s| s.product_id).collect();
    Ok(ctx
        .scope
        .select::<crate::entities::products::Entity>()
        .filter(crate::entities::products::Column::Id.is_in(ids))
        .all(ctx.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

async fn location_codes<'a>(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    balances: impl Iterator<Item = &'a stock_balances::Model>,
) -> AppResult<HashMap<Uuid, String>> {
    let ids: HashSet<Uuid> = balances.filter_map(|b| b.location_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(ctx
        .scope
        .select::<storage_locations::Entity>()
        .filter(storage_locations::Column::Id.is_in(ids))
        .all(ctx.db)
        .await?
        .into_iter()
        .map(|l| (l.id, l.code))
        .collect())
}

/// The tenant's order numbered `number`, with its lines and their allocations.
pub async fn find_order(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    number: &str,
) -> AppResult<Option<Order>> {
    let Some(order) = ctx
        .scope
        .select::<sales_orders::Entity>()
        .filter(sales_orders::Column::OrderNumber.eq(number))
        .one(ctx.db)
        .await?
    else {
        return Ok(None);
    };
    assemble(ctx, order).await.map(Some)
}

async fn assemble(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    order: sales_orders::Model,
) -> AppResult<Order> {
    let Ctx { db, scope, .. } = *ctx;
    let warehouse = match order.warehouse_id {
        None => None,
        Some(id) => scope.select_id::<warehouses::Entity>(id).one(db).await?,
    };
    let customer = match order.customer_id {
        None => None,
        Some(id) => scope.select_id::<customers::Entity>(id).one(db).await?,
    };
    let items = scope
        .select::<sales_order_items::Entity>()
        .filter(sales_order_items::Column::SalesOrderId.eq(order.id))
        .order_by_asc(sales_order_items::Column::LineNo)
        .all(db)
        .await?;
    let allocations = scope
        .select::<stock_allocations::Entity>()
        .filter(stock_allocations::Column::SalesOrderId.eq(order.id))
        .order_by_asc(stock_allocations::Column::CreatedAt)
        .order_by_asc(stock_allocations::Column::Id)
        .all(db)
        .await?;
    let balance_ids: HashSet<Uuid> = allocations.iter().map(|a| a.stock_balance_id).collect();
    let balances: HashMap<Uuid, stock_balances::Model> = if balance_ids.is_empty() {
        HashMap::new()
    } else {
        scope
            .select::<stock_balances::Entity>()
            .filter(stock_balances::Column::Id.is_in(balance_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|b| (b.id, b))
            .collect()
    };
    let codes = location_codes(ctx, balances.values()).await?;
    let sku_ids: HashSet<Uuid> = items.iter().map(|i| i.product_sku_id).collect();
    let units: HashMap<Uuid, String> = scope
        .select::<product_skus::Entity>()
        .filter(product_skus::Column::Id.is_in(sku_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.unit))
        .collect();
    let mut by_item: HashMap<Uuid, Vec<LineAllocation>> = HashMap::new();
    for allocation in allocations {
        let balance = balances.get(&allocation.stock_balance_id);
        by_item
            .entry(allocation.sales_order_item_id)
            .or_default()
            .push(LineAllocation {
                location_code: balance
                    .and_then(|b| b.location_id)
                    .and_then(|id| codes.get(&id).cloned()),
                lot_no: balance.map(|b| b.lot_no.clone()).unwrap_or_default(),
                expiry_date: balance.and_then(|b| b.expiry_date),
                allocation,
            });
    }
    let lines = items
        .into_iter()
        .map(|item| OrderLine {
            unit: units.get(&item.product_sku_id).cloned().unwrap_or_default(),
            allocations: by_item.remove(&item.id).unwrap_or_default(),
            item,
        })
        .collect();
    Ok(Order {
        order,
        warehouse,
        customer,
        lines,
    })
}

/// Cancels the tenant's pushed order numbered `number`: releases its allocations, sets it
/// `CANCELLED` and writes its events. `None`: the tenant has no such order.
pub async fn cancel_order(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    number: &str,
) -> AppResult<Option<Order>> {
    let Ctx { db, now, .. } = *ctx;
    let number = number.trim();
    let Some(order) = locked(ctx, number).await? else {
        return Ok(None);
    };
    if order.source != DocumentSource::Integration {
        return Err(AppError::Conflict {
            message: format!(
                "Order \"{number}\" was not pushed through this API; it is cancelled where it \
                 was taken."
            ),
        });
    }
    if matches!(
        order.status,
        SalesStatus::Cancelled
            | SalesStatus::Completed
            | SalesStatus::Refunded
            | SalesStatus::PartialRefunded
            | SalesStatus::Exchanged
            | SalesStatus::Voided
    ) {
        return Err(AppError::Conflict {
            message: format!(
                "Order \"{number}\" is {} and cannot be cancelled.",
                wire_status(order.status)
            ),
        });
    }
    stock::release(ctx, order.id).await?;
    let order = sales_orders::Entity::update_many()
        .col_expr(
            sales_orders::Column::Status,
            Expr::value(SalesStatus::Cancelled.as_str()),
        )
        .col_expr(sales_orders::Column::UpdatedAt, Expr::value(now))
        .filter(sales_orders::Column::Id.eq(order.id))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("an order vanished")))?;
    let order = assemble(ctx, order).await?;
    let branch = Some(order.order.branch_id);
    outbox::record(
        ctx,
        Event::SalesOrderCancelled,
        branch,
        &sales_order_event(&order),
    )
    .await?;
    outbox::record(ctx, Event::OrderCancelled, branch, &wms_order_event(&order)).await?;
    Ok(Some(order))
}

/// The order numbered `number`, locked for a change: two changes of one order take turns
/// (SQLite's write lock does it there).
async fn locked(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    number: &str,
) -> AppResult<Option<sales_orders::Model>> {
    let Ctx { db, scope, .. } = *ctx;
    let mut found = scope
        .select::<sales_orders::Entity>()
        .filter(sales_orders::Column::OrderNumber.eq(number));
    if db.get_database_backend() == DbBackend::Postgres {
        found = found.lock_exclusive();
    }
    Ok(found.one(db).await?)
}

/// Completes an `ACTIVE` order as a sale (what `serve --simulate` does with the orders it
/// places): what was allocated to it leaves the warehouse (a `SALE` movement per place, posted
/// where the allocation lay), it is paid in full and `COMPLETED`; partners hear
/// `sales.order.completed`. `None` when no such order; 409 when it is not `ACTIVE`.
pub async fn complete_order(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    number: &str,
) -> AppResult<Option<Order>> {
    let Ctx { db, scope, now, .. } = *ctx;
    let Some(order) = locked(ctx, number.trim()).await? else {
        return Ok(None);
    };
    if order.status != SalesStatus::Active {
        return Err(AppError::Conflict {
            message: format!(
                "Order \"{}\" is {} and cannot be completed.",
                order.order_number,
                wire_status(order.status)
            ),
        });
    }
    let released = stock::release(ctx, order.id).await?;
    let balances: HashMap<Uuid, stock_balances::Model> = stock_balances::Entity::find()
        .filter(stock_balances::Column::TenantId.eq(scope.tenant_id()))
        .filter(stock_balances::Column::Id.is_in(released.iter().map(|a| a.stock_balance_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    // SKU by SKU in id order, like every posting: levels are always locked in one order.
    let mut sold: Vec<(&stock_allocations::Model, &stock_balances::Model)> = released
        .iter()
        .filter_map(|a| balances.get(&a.stock_balance_id).map(|b| (a, b)))
        .collect();
    sold.sort_by_key(|(a, b)| (b.warehouse_id, b.product_sku_id, a.id));
    for (allocation, balance) in sold {
        stock::post(
            ctx,
            &stock::Posting {
                id: Uuid::new_v4(),
                tenant_id: scope.tenant_id(),
                warehouse_id: balance.warehouse_id,
                product_sku_id: balance.product_sku_id,
                place: stock::Place {
                    location_id: balance.location_id,
                    lot_no: &balance.lot_no,
                    expiry_date: balance.expiry_date,
                },
                movement_type: crate::entities::enums::MovementType::Sale,
                quantity: -allocation.quantity,
                reference: Some(stock::Reference {
                    kind: stock::ReferenceKind::SalesOrder,
                    id: order.id,
                    number: &order.order_number,
                }),
                note: None,
                at: now,
            },
        )
        .await?;
    }
    let order = sales_orders::Entity::update_many()
        .col_expr(
            sales_orders::Column::Status,
            Expr::value(SalesStatus::Completed.as_str()),
        )
        .col_expr(
            sales_orders::Column::PaidAmount,
            Expr::value(order.total_amount),
        )
        .col_expr(
            sales_orders::Column::PaymentStatus,
            Expr::value(PaymentStatus::Paid.as_str()),
        )
        .col_expr(sales_orders::Column::UpdatedAt, Expr::value(now))
        .filter(sales_orders::Column::Id.eq(order.id))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("an order vanished")))?;
    let order = assemble(ctx, order).await?;
    outbox::record(
        ctx,
        Event::SalesOrderCompleted,
        Some(order.order.branch_id),
        &sales_order_event(&order),
    )
    .await?;
    Ok(Some(order))
}
