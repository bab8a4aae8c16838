//! Inbound documents the Push Integration API receives (seed 003 §4): advance shipping notices
//! (ASN) — goods a supplier says are coming to a warehouse — and goods receipts (GRN) that put
//! goods into stock, against an ASN or not.
//!
//! A GRN posts one receipt movement per line through [`stock::post`] (location and lot
//! included). Against an ASN it adds to each line's received quantity and moves the ASN to
//! `RECEIVING`, or to `COMPLETED` once every line is received in full. Receiving more than an
//! ASN line still expects is refused (the whole GRN, 400): a delivery larger than announced
//! needs a corrected ASN or a GRN of its own. When the ASN's reference is one of the tenant's
//! open purchase orders, its receipts are that order's receipts in the partner API (movements
//! referencing the order, the order lines' received quantities and status).
//!
//! Units: stock is kept in each SKU's base unit and no conversions are known, so a line's
//! `uomCode`, when given, must be the SKU's base unit.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use super::context::Ctx;
use super::locations::unknown_warehouse;
use super::numbering::{self, Series};
use super::outbox::{self, Event};
use super::stock::{self, Place, Posting, Reference, ReferenceKind};
use crate::clock::Timestamp;
use crate::entities::enums::{AsnStatus, MovementType, PurchaseOrderStatus, Tracking};
use crate::entities::{
    asn_lines, asns, goods_receipt_lines, goods_receipts, inventory_movements, product_skus,
    purchase_order_items, purchase_orders, storage_locations, suppliers, warehouses,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::money::{Amount, json_number};

/// Most lines one document may carry.
pub const MAX_LINES: usize = 500;
/// The message of a document that fails its checks (its details say where).
pub const VALIDATION_FAILED: &str = "Validation failed";
const MAX_CODE: usize = 64;

/// One line of an ASN to create.
#[derive(Debug, Clone)]
pub struct AsnLineInput {
    pub line_no: i64,
    pub sku: String,
    pub uom_code: Option<String>,
    pub expected_qty: Amount,
    pub lot_no: Option<String>,
    pub expiry_date: Option<NaiveDate>,
}

/// An ASN to create.
#[derive(Debug, Clone)]
pub struct AsnInput {
    pub warehouse_code: String,
    pub supplier_code: String,
    pub expected_date: Option<NaiveDate>,
    /// The sender's reference; when it is one of the tenant's open purchase order numbers,
    /// the ASN answers to that order.
    pub reference_no: Option<String>,
    pub lines: Vec<AsnLineInput>,
}

/// One line of a GRN to post.
#[derive(Debug, Clone)]
pub struct GrnLineInput {
    /// The ASN line it receives (with `asnNo` only).
    pub asn_line_no: Option<i64>,
    pub sku: String,
    pub uom_code: Option<String>,
    pub qty: Amount,
    pub location_code: Option<String>,
    /// Defaults to the ASN line's lot.
    pub lot_no: Option<String>,
    /// Defaults to the ASN line's expiry.
    pub expiry_date: Option<NaiveDate>,
}

/// A GRN to post.
#[derive(Debug, Clone)]
pub struct GrnInput {
    pub warehouse_code: String,
    pub asn_no: Option<String>,
    pub lines: Vec<GrnLineInput>,
}

/// An ASN line with its SKU.
#[derive(Debug, Clone)]
pub struct AsnLine {
    pub line: asn_lines::Model,
    pub sku: product_skus::Model,
}

/// An ASN as stored, with what it names and the receipts against it.
#[derive(Debug, Clone)]
pub struct Asn {
    pub asn: asns::Model,
    pub warehouse: warehouses::Model,
    pub supplier: suppliers::Model,
    pub purchase_order: Option<purchase_orders::Model>,
    pub lines: Vec<AsnLine>,
    pub receipts: Vec<goods_receipts::Model>,
}

/// A GRN line as posted.
#[derive(Debug, Clone)]
pub struct GrnLine {
    pub line: goods_receipt_lines::Model,
    pub sku: product_skus::Model,
    pub location_code: Option<String>,
    pub asn_line_no: Option<i32>,
}

/// A posted GRN.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub grn: goods_receipts::Model,
    pub warehouse: warehouses::Model,
    /// The ASN after the receipt.
    pub asn: Option<asns::Model>,
    pub lines: Vec<GrnLine>,
}

/// The most one line may carry (a billion units, or a billion baht a unit): far beyond any real
/// document, so that amounts and sums stay within exact range.
pub fn max_line_quantity() -> Amount {
    Amount::from_scaled(1_000_000_000 * 10_000)
}

/// What is wrong with a line's quantity, if anything.
pub fn quantity_problem(quantity: Amount) -> Option<String> {
    if quantity <= Amount::ZERO {
        Some("must be greater than zero".to_owned())
    } else if quantity > max_line_quantity() {
        Some(format!("must be at most {}", max_line_quantity()))
    } else {
        None
    }
}

/// Problems of a document's body, each at its JSON path.
#[derive(Debug, Default)]
struct Details(Vec<FieldError>);

impl Details {
    fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(path, message));
    }

    fn code(&mut self, path: &str, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            self.add(path, "must not be blank");
        } else if text.chars().count() > MAX_CODE {
            self.add(path, format!("must be at most {MAX_CODE} characters"));
        } else if text.chars().any(char::is_control) {
            self.add(path, "must not contain control characters");
        }
    }

    fn optional_code(&mut self, path: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.code(path, text);
        }
    }

    fn lines(&mut self, count: usize) {
        if count == 0 {
            self.add("lines", "must hold at least one line");
        } else if count > MAX_LINES {
            self.add("lines", format!("must hold at most {MAX_LINES} lines"));
        }
    }

    fn check(self) -> AppResult<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(AppError::Unprocessable {
            message: VALIDATION_FAILED.to_owned(),
            details: self.0,
        })
    }
}

/// A refusal naming one thing the tenant does not have, in the seed's words.
fn unknown(message: String, path: String, what: &str) -> AppError {
    AppError::Unprocessable {
        message,
        details: vec![FieldError::new(
            path,
            format!("no {what} of the tenant has this code"),
        )],
    }
}

/// The seed's answer for a SKU the tenant does not have.
pub fn unknown_sku(sku: &str, path: String) -> AppError {
    AppError::Unprocessable {
        message: format!("Item SKU \"{sku}\" not found."),
        details: vec![FieldError::new(path, "no item of the tenant has this SKU")],
    }
}

/// A lot number as stored: trimmed, empty for none.
fn lot(text: Option<&str>) -> String {
    text.map(str::trim).unwrap_or_default().to_owned()
}

/// The tenant's warehouse with `code`.
pub async fn warehouse_by_code(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    code: &str,
) -> AppResult<warehouses::Model> {
    let code = code.trim();
    ctx.scope
        .select::<warehouses::Entity>()
        .filter(warehouses::Column::Code.eq(code))
        .one(ctx.db)
        .await?
        .ok_or_else(|| unknown_warehouse(code))
}

/// The tenant's SKUs with the codes at `paths` (code → path of its first mention), each code
/// once; the first unknown one refused in the seed's words.
pub async fn skus_by_code(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    codes: &[(String, String)],
) -> AppResult<HashMap<String, product_skus::Model>> {
    let wanted: HashSet<&str> = codes.iter().map(|(code, _)| code.as_str()).collect();
    let found: HashMap<String, product_skus::Model> = ctx
        .scope
        .select::<product_skus::Entity>()
        .filter(product_skus::Column::SkuCode.is_in(wanted.iter().copied()))
        .all(ctx.db)
        .await?
        .into_iter()
        .map(|sku| (sku.sku_code.clone(), sku))
        .collect();
    if let Some((code, path)) = codes.iter().find(|(code, _)| !found.contains_key(code)) {
        return Err(unknown_sku(code, path.clone()));
    }
    Ok(found)
}

/// A line's unit must be its SKU's base unit; a lot-tracked SKU needs a lot.
fn check_unit_and_lot(
    details: &mut Details,
    index: usize,
    sku: &product_skus::Model,
    uom_code: Option<&str>,
    lot_no: &str,
) {
    if let Some(uom) = uom_code.map(str::trim)
        && !uom.eq_ignore_ascii_case(&sku.unit)
    {
        details.add(
            format!("lines[{index}].uomCode"),
            format!(
                "must be the item's base unit ({}): quantities are kept in it and no unit \
                 conversions are known",
                sku.unit
            ),
        );
    }
    if matches!(sku.tracking, Tracking::Lot) && lot_no.is_empty() {
        details.add(
            format!("lines[{index}].lotNo"),
            "is required: the item is tracked by lot",
        );
    }
}

/// Creates an ASN (`PENDING`) numbered `ASN-YYYYMMDD-NNNN`.
pub async fn create_asn(ctx: &Ctx<'_, impl ConnectionTrait>, input: &AsnInput) -> AppResult<Asn> {
    let mut details = Details::default();
    details.code("warehouseCode", &input.warehouse_code);
    details.code("supplierCode", &input.supplier_code);
    details.optional_code("referenceNo", input.reference_no.as_deref());
    details.lines(input.lines.len());
    let mut line_numbers = HashSet::new();
    for (i, line) in input.lines.iter().enumerate() {
        if !(1..=i64::from(i32::MAX)).contains(&line.line_no) {
            details.add(
                format!("lines[{i}].lineNo"),
                "must be a positive whole number",
            );
        } else if !line_numbers.insert(line.line_no) {
            details.add(format!("lines[{i}].lineNo"), "is used by another line");
        }
        details.code(&format!("lines[{i}].sku"), &line.sku);
        details.optional_code(&format!("lines[{i}].uomCode"), line.uom_code.as_deref());
        details.optional_code(&format!("lines[{i}].lotNo"), line.lot_no.as_deref());
        if let Some(problem) = quantity_problem(line.expected_qty) {
            details.add(format!("lines[{i}].expectedQty"), problem);
        }
    }
    details.check()?;

    let Ctx { db, scope, now, .. } = *ctx;
    let warehouse = warehouse_by_code(ctx, &input.warehouse_code).await?;
    let supplier_code = input.supplier_code.trim();
    let supplier = scope
        .select::<suppliers::Entity>()
        .filter(suppliers::Column::Code.eq(supplier_code))
        .one(db)
        .await?
        .ok_or_else(|| {
            unknown(
                format!("Supplier code \"{supplier_code}\" not found."),
                "supplierCode".into(),
                "supplier",
            )
        })?;
    let codes: Vec<(String, String)> = input
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.sku.trim().to_owned(), format!("lines[{i}].sku")))
        .collect();
    let skus = skus_by_code(ctx, &codes).await?;
    let mut details = Details::default();
    for (i, line) in input.lines.iter().enumerate() {
        let sku = &skus[line.sku.trim()];
        check_unit_and_lot(
            &mut details,
            i,
            sku,
            line.uom_code.as_deref(),
            &lot(line.lot_no.as_deref()),
        );
    }
    let reference = input
        .reference_no
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let purchase_order = match reference {
        None => None,
        Some(number) => {
            purchase_order_for(
                ctx,
                number,
                &warehouse,
                &supplier,
                input,
                &skus,
                &mut details,
            )
            .await?
        }
    };
    details.check()?;

    let asn_no = numbering::next(ctx, Series::Asn).await?;
    let asn = asns::Entity::insert(asns::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(scope.tenant_id()),
        asn_no: Set(asn_no),
        warehouse_id: Set(warehouse.id),
        supplier_id: Set(supplier.id),
        purchase_order_id: Set(purchase_order.as_ref().map(|po| po.id)),
        reference_no: Set(reference.map(str::to_owned)),
        expected_date: Set(input.expected_date),
        status: Set(AsnStatus::Pending),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(db)
    .await?;
    let mut lines = Vec::with_capacity(input.lines.len());
    for line in &input.lines {
        let sku = skus[line.sku.trim()].clone();
        let row = asn_lines::Entity::insert(asn_lines::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(scope.tenant_id()),
            asn_id: Set(asn.id),
            line_no: Set(i32::try_from(line.line_no).unwrap_or(i32::MAX)),
            product_sku_id: Set(sku.id),
            uom_code: Set(sku.unit.clone()),
            expected_quantity: Set(line.expected_qty),
            received_quantity: Set(Amount::ZERO),
            lot_no: Set(lot(line.lot_no.as_deref())),
            expiry_date: Set(line.expiry_date),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_with_returning(db)
        .await?;
        lines.push(AsnLine { line: row, sku });
    }
    lines.sort_by_key(|l| l.line.line_no);
    Ok(Asn {
        asn,
        warehouse,
        supplier,
        purchase_order,
        lines,
        receipts: Vec::new(),
    })
}

/// The purchase order an ASN's reference names, if it names one: it must be open, for the
/// same supplier and warehouse, and order every SKU the ASN brings.
async fn purchase_order_for(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    number: &str,
    warehouse: &warehouses::Model,
    supplier: &suppliers::Model,
    input: &AsnInput,
    skus: &HashMap<String, product_skus::Model>,
    details: &mut Details,
) -> AppResult<Option<purchase_orders::Model>> {
    let Some(order) = ctx
        .scope
        .select::<purchase_orders::Entity>()
        .filter(purchase_orders::Column::PoNumber.eq(number))
        .one(ctx.db)
        .await?
    else {
        return Ok(None);
    };
    let path = "referenceNo";
    if order.supplier_id != supplier.id {
        details.add(
            path,
            format!("purchase order {number} is another supplier's"),
        );
    } else if order.warehouse_id != warehouse.id {
        details.add(
            path,
            format!("purchase order {number} is for another warehouse"),
        );
    } else if !matches!(
        order.status,
        PurchaseOrderStatus::Ordered | PurchaseOrderStatus::PartiallyReceived
    ) {
        details.add(
            path,
            format!(
                "purchase order {number} is {} and takes no receipts",
                order.status
            ),
        );
    } else {
        let ordered: HashSet<Uuid> = ctx
            .scope
            .select::<purchase_order_items::Entity>()
            .filter(purchase_order_items::Column::PurchaseOrderId.eq(order.id))
            .all(ctx.db)
            .await?
            .into_iter()
            .map(|item| item.product_sku_id)
            .collect();
        for (i, line) in input.lines.iter().enumerate() {
            if !ordered.contains(&skus[line.sku.trim()].id) {
                details.add(
                    format!("lines[{i}].sku"),
                    format!("is not on purchase order {number}"),
                );
            }
        }
    }
    Ok(Some(order))
}

/// The tenant's ASN numbered `asn_no`, with its lines and receipts.
pub async fn find_asn(ctx: &Ctx<'_, impl ConnectionTrait>, asn_no: &str) -> AppResult<Option<Asn>> {
    let Some(asn) = ctx
        .scope
        .select::<asns::Entity>()
        .filter(asns::Column::AsnNo.eq(asn_no))
        .one(ctx.db)
        .await?
    else {
        return Ok(None);
    };
    assemble(ctx, asn).await.map(Some)
}

async fn assemble(ctx: &Ctx<'_, impl ConnectionTrait>, asn: asns::Model) -> AppResult<Asn> {
    let Ctx { db, scope, .. } = *ctx;
    let missing = |what: &str| AppError::internal(anyhow::anyhow!("an ASN without its {what}"));
    let warehouse = scope
        .select_id::<warehouses::Entity>(asn.warehouse_id)
        .one(db)
        .await?
        .ok_or_else(|| missing("warehouse"))?;
    let supplier = scope
        .select_id::<suppliers::Entity>(asn.supplier_id)
        .one(db)
        .await?
        .ok_or_else(|| missing("supplier"))?;
    let purchase_order = match asn.purchase_order_id {
        None => None,
        Some(id) => {
            scope
                .select_id::<purchase_orders::Entity>(id)
                .one(db)
                .await?
        }
    };
    let rows = scope
        .select::<asn_lines::Entity>()
        .filter(asn_lines::Column::AsnId.eq(asn.id))
        .order_by_asc(asn_lines::Column::LineNo)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|l| l.product_sku_id).collect();
    let skus: HashMap<Uuid, product_skus::Model> = scope
        .select::<product_skus::Entity>()
        .filter(product_skus::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut lines = Vec::with_capacity(rows.len());
    for line in rows {
        let sku = skus
            .get(&line.product_sku_id)
            .cloned()
            .ok_or_else(|| missing("SKU"))?;
        lines.push(AsnLine { line, sku });
    }
    let receipts = scope
        .select::<goods_receipts::Entity>()
        .filter(goods_receipts::Column::AsnId.eq(asn.id))
        .order_by_asc(goods_receipts::Column::CreatedAt)
        .order_by_asc(goods_receipts::Column::GrnNo)
        .all(db)
        .await?;
    Ok(Asn {
        asn,
        warehouse,
        supplier,
        purchase_order,
        lines,
        receipts,
    })
}

/// What a WMS subscriber hears of a receipt against an ASN.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AsnEvent<'a> {
    asn_no: &'a str,
    grn_no: &'a str,
    warehouse_code: &'a str,
    status: &'static str,
    lines: Vec<AsnEventLine<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AsnEventLine<'a> {
    line_no: i32,
    sku: &'a str,
    #[serde(serialize_with = "json_number")]
    expected_qty: Amount,
    #[serde(serialize_with = "json_number")]
    received_qty: Amount,
}

/// What a partner subscriber hears of receipts: the order received against, or the movements.
#[derive(Debug, Serialize)]
struct PurchaseOrderReceived<'a> {
    purchase_order_id: Uuid,
    po_number: &'a str,
    status: PurchaseOrderStatus,
    warehouse_id: Uuid,
    receipts: Vec<MovementEvent<'a>>,
}

/// A movement as the partner API's events show it (quantities as strings, like the API).
#[derive(Debug, Serialize)]
pub struct MovementEvent<'a> {
    pub id: Uuid,
    pub warehouse_id: Uuid,
    pub product_sku_id: Uuid,
    pub sku_code: &'a str,
    pub movement_type: MovementType,
    pub quantity: Amount,
    pub balance_after: Amount,
    pub reference_type: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub created_at: Timestamp,
}

#[derive(Debug, Serialize)]
struct MovementsCreated<'a> {
    movements: Vec<MovementEvent<'a>>,
}

/// Checks what a GRN line receives against its ASN line (if any); its place.
struct PlannedLine<'a> {
    input: &'a GrnLineInput,
    sku: product_skus::Model,
    asn_line: Option<asn_lines::Model>,
    location: Option<storage_locations::Model>,
    lot_no: String,
    expiry_date: Option<NaiveDate>,
}

/// Posts a GRN numbered `GRN-YYYYMMDD-NNNN`: receipt movements into stock, and, against an
/// ASN, its lines' received quantities, its status and its purchase order's receipts.
pub async fn receive(ctx: &Ctx<'_, impl ConnectionTrait>, input: &GrnInput) -> AppResult<Receipt> {
    let mut details = Details::default();
    details.code("warehouseCode", &input.warehouse_code);
    details.optional_code("asnNo", input.asn_no.as_deref());
    details.lines(input.lines.len());
    for (i, line) in input.lines.iter().enumerate() {
        details.code(&format!("lines[{i}].sku"), &line.sku);
        details.optional_code(&format!("lines[{i}].uomCode"), line.uom_code.as_deref());
        details.optional_code(&format!("lines[{i}].lotNo"), line.lot_no.as_deref());
        details.optional_code(
            &format!("lines[{i}].locationCode"),
            line.location_code.as_deref(),
        );
        if let Some(problem) = quantity_problem(line.qty) {
            details.add(format!("lines[{i}].qty"), problem);
        }
        match (line.asn_line_no, &input.asn_no) {
            (Some(_), None) => {
                details.add(format!("lines[{i}].asnLineNo"), "needs the GRN's asnNo")
            }
            (Some(n), Some(_)) if !(1..=i64::from(i32::MAX)).contains(&n) => details.add(
                format!("lines[{i}].asnLineNo"),
                "must be a positive whole number",
            ),
            _ => {}
        }
    }
    details.check()?;

    let Ctx { db, scope, now, .. } = *ctx;
    let warehouse = warehouse_by_code(ctx, &input.warehouse_code).await?;
    let asn = match input.asn_no.as_deref().map(str::trim) {
        None => None,
        Some(asn_no) => {
            let mut found = scope
                .select::<asns::Entity>()
                .filter(asns::Column::AsnNo.eq(asn_no));
            // Two receipts against one ASN take turns (SQLite's write lock does it there).
            if db.get_database_backend() == DbBackend::Postgres {
                found = found.lock_exclusive();
            }
            let asn = found.one(db).await?.ok_or_else(|| {
                unknown(
                    format!("ASN \"{asn_no}\" not found."),
                    "asnNo".into(),
                    "ASN",
                )
            })?;
            let refuse = |field: &str, message: String| AppError::Unprocessable {
                message: VALIDATION_FAILED.to_owned(),
                details: vec![FieldError::new(field, message)],
            };
            if asn.warehouse_id != warehouse.id {
                return Err(refuse(
                    "warehouseCode",
                    format!("ASN {asn_no} is for another warehouse"),
                ));
            }
            if asn.status == AsnStatus::Completed {
                return Err(refuse(
                    "asnNo",
                    format!("ASN {asn_no} is completed: every line is received in full"),
                ));
            }
            Some(asn)
        }
    };
    let asn_lines_by_no: BTreeMap<i32, asn_lines::Model> = match &asn {
        None => BTreeMap::new(),
        Some(asn) => scope
            .select::<asn_lines::Entity>()
            .filter(asn_lines::Column::AsnId.eq(asn.id))
            .all(db)
            .await?
            .into_iter()
            .map(|l| (l.line_no, l))
            .collect(),
    };
    let codes: Vec<(String, String)> = input
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.sku.trim().to_owned(), format!("lines[{i}].sku")))
        .collect();
    let skus = skus_by_code(ctx, &codes).await?;
    let location_codes: HashSet<&str> = input
        .lines
        .iter()
        .filter_map(|l| l.location_code.as_deref().map(str::trim))
        .collect();
    let locations: HashMap<String, storage_locations::Model> = if location_codes.is_empty() {
        HashMap::new()
    } else {
        scope
            .select::<storage_locations::Entity>()
            .filter(storage_locations::Column::WarehouseId.eq(warehouse.id))
            .filter(storage_locations::Column::Code.is_in(location_codes.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|l| (l.code.clone(), l))
            .collect()
    };

    let mut details = Details::default();
    let mut outstanding: HashMap<i32, Amount> = asn_lines_by_no
        .values()
        .map(|l| (l.line_no, l.expected_quantity - l.received_quantity))
        .collect();
    let mut planned = Vec::with_capacity(input.lines.len());
    for (i, line) in input.lines.iter().enumerate() {
        let sku = skus[line.sku.trim()].clone();
        // Without a line number, a GRN against an ASN receives the first line of the item
        // (and lot, when given) that still expects some.
        let line_no = match (line.asn_line_no, &asn) {
            (Some(n), _) => Some(i32::try_from(n).unwrap_or(i32::MAX)),
            (None, None) => None,
            (None, Some(asn)) => {
                let wanted_lot = line.lot_no.as_deref().map(str::trim);
                let found = asn_lines_by_no.values().find(|l| {
                    l.product_sku_id == sku.id
                        && wanted_lot.is_none_or(|lot| lot == l.lot_no)
                        && outstanding
                            .get(&l.line_no)
                            .is_some_and(|left| *left > Amount::ZERO)
                });
                match found {
                    Some(l) => Some(l.line_no),
                    None => {
                        details.add(
                            format!("lines[{i}].sku"),
                            format!("no line of ASN {} still expects this item", asn.asn_no),
                        );
                        None
                    }
                }
            }
        };
        let asn_line = match line_no {
            None => None,
            Some(n) => match asn_lines_by_no.get(&n) {
                None => {
                    details.add(
                        format!("lines[{i}].asnLineNo"),
                        format!("the ASN has no line {n}"),
                    );
                    None
                }
                Some(asn_line) if asn_line.product_sku_id != sku.id => {
                    details.add(
                        format!("lines[{i}].sku"),
                        format!("ASN line {n} is for another item"),
                    );
                    None
                }
                Some(asn_line) => {
                    let left = outstanding.entry(n).or_insert(Amount::ZERO);
                    if line.qty > *left {
                        details.add(
                            format!("lines[{i}].qty"),
                            format!(
                                "exceeds what ASN line {n} still expects ({}): over-receipt \
                                     is refused",
                                std::cmp::max(*left, Amount::ZERO)
                            ),
                        );
                    }
                    *left = *left - line.qty;
                    Some(asn_line.clone())
                }
            },
        };
        let location = match line.location_code.as_deref().map(str::trim) {
            None => None,
            Some(code) => match locations.get(code) {
                Some(found) => Some(found.clone()),
                None => {
                    details.add(
                        format!("lines[{i}].locationCode"),
                        format!(
                            "Location code \"{code}\" not found in warehouse {}.",
                            warehouse.code
                        ),
                    );
                    None
                }
            },
        };
        let lot_no = match (&line.lot_no, &asn_line) {
            (Some(given), _) => lot(Some(given)),
            (None, Some(asn_line)) => asn_line.lot_no.clone(),
            (None, None) => String::new(),
        };
        let expiry_date = line
            .expiry_date
            .or_else(|| asn_line.as_ref().and_then(|l| l.expiry_date));
        check_unit_and_lot(&mut details, i, &sku, line.uom_code.as_deref(), &lot_no);
        planned.push(PlannedLine {
            input: line,
            sku,
            asn_line,
            location,
            lot_no,
            expiry_date,
        });
    }
    details.check()?;

    // The ASN's purchase order, locked like the ASN: receipts against it take turns.
    let purchase_order = match asn.as_ref().and_then(|a| a.purchase_order_id) {
        None => None,
        Some(id) => {
            let mut found = scope.select_id::<purchase_orders::Entity>(id);
            if db.get_database_backend() == DbBackend::Postgres {
                found = found.lock_exclusive();
            }
            let order = found.one(db).await?;
            if let Some(order) = &order
                && !matches!(
                    order.status,
                    PurchaseOrderStatus::Ordered | PurchaseOrderStatus::PartiallyReceived
                )
            {
                return Err(AppError::Unprocessable {
                    message: VALIDATION_FAILED.to_owned(),
                    details: vec![FieldError::new(
                        "asnNo",
                        format!(
                            "the ASN's purchase order {} is {} and takes no receipts",
                            order.po_number, order.status
                        ),
                    )],
                });
            }
            order
        }
    };
    // Numbered last (below): the tenant's counter row is then held from the numbering to the
    // commit, not while the lines are posted, and receipts of other SKUs run side by side.
    // Until then the GRN (seen by no one else) carries a placeholder.
    let grn_id = Uuid::new_v4();
    let pending = format!("{}-PENDING-{grn_id}", Series::Grn.prefix());
    let grn = goods_receipts::Entity::insert(goods_receipts::ActiveModel {
        id: Set(grn_id),
        tenant_id: Set(scope.tenant_id()),
        grn_no: Set(pending.clone()),
        warehouse_id: Set(warehouse.id),
        asn_id: Set(asn.as_ref().map(|a| a.id)),
        created_at: Set(now),
    })
    .exec_with_returning(db)
    .await?;
    let reference = match &purchase_order {
        Some(order) => Reference {
            kind: ReferenceKind::PurchaseOrder,
            id: order.id,
            number: &order.po_number,
        },
        None => Reference {
            kind: ReferenceKind::GoodsReceipt,
            id: grn.id,
            number: &pending,
        },
    };
    let note = purchase_order.as_ref().map(|_| pending.as_str());
    let mut lines = Vec::with_capacity(planned.len());
    let mut movements: Vec<(usize, inventory_movements::Model, String)> = Vec::new();
    // Posted SKU by SKU in id order: levels are always locked in one order.
    let mut by_sku: Vec<usize> = (0..planned.len()).collect();
    by_sku.sort_by_key(|&i| (planned[i].sku.id, i));
    for i in by_sku {
        let plan = &planned[i];
        let movement = stock::post(
            ctx,
            &Posting {
                id: Uuid::new_v4(),
                tenant_id: scope.tenant_id(),
                warehouse_id: warehouse.id,
                product_sku_id: plan.sku.id,
                place: Place {
                    location_id: plan.location.as_ref().map(|l| l.id),
                    lot_no: &plan.lot_no,
                    expiry_date: plan.expiry_date,
                },
                movement_type: MovementType::Receive,
                quantity: plan.input.qty,
                reference: Some(reference),
                note,
                at: now,
            },
        )
        .await?;
        let row = goods_receipt_lines::Entity::insert(goods_receipt_lines::ActiveModel {
            id: Set(Uuid::new_v4()),
            tenant_id: Set(scope.tenant_id()),
            goods_receipt_id: Set(grn.id),
            line_no: Set(i32::try_from(i + 1).unwrap_or(i32::MAX)),
            asn_line_id: Set(plan.asn_line.as_ref().map(|l| l.id)),
            product_sku_id: Set(plan.sku.id),
            uom_code: Set(plan.sku.unit.clone()),
            quantity: Set(plan.input.qty),
            location_id: Set(plan.location.as_ref().map(|l| l.id)),
            lot_no: Set(plan.lot_no.clone()),
            expiry_date: Set(plan.expiry_date),
            movement_id: Set(movement.id),
            created_at: Set(now),
        })
        .exec_with_returning(db)
        .await?;
        if let Some(asn_line) = &plan.asn_line {
            asn_lines::Entity::update_many()
                .col_expr(
                    asn_lines::Column::ReceivedQuantity,
                    Expr::col(asn_lines::Column::ReceivedQuantity).add(plan.input.qty.scaled()),
                )
                .col_expr(asn_lines::Column::UpdatedAt, Expr::value(now))
                .filter(asn_lines::Column::Id.eq(asn_line.id))
                .exec(db)
                .await?;
        }
        if let Some(order) = &purchase_order {
            receive_on_order(ctx, order.id, plan.sku.id, plan.input.qty).await?;
        }
        movements.push((i, movement, plan.sku.sku_code.clone()));
        lines.push(GrnLine {
            line: row,
            sku: plan.sku.clone(),
            location_code: plan.location.as_ref().map(|l| l.code.clone()),
            asn_line_no: plan.asn_line.as_ref().map(|l| l.line_no),
        });
    }
    lines.sort_by_key(|l| l.line.line_no);
    movements.sort_by_key(|(i, _, _)| *i);

    let grn_no = numbering::next(ctx, Series::Grn).await?;
    let grn = goods_receipts::Entity::update_many()
        .col_expr(goods_receipts::Column::GrnNo, Expr::value(grn_no.clone()))
        .filter(goods_receipts::Column::Id.eq(grn.id))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a GRN vanished")))?;
    // The movements name the GRN: as their reference, or (against a purchase order, their
    // reference) in their note.
    let named = if purchase_order.is_some() {
        inventory_movements::Column::Note
    } else {
        inventory_movements::Column::Reference
    };
    inventory_movements::Entity::update_many()
        .col_expr(named, Expr::value(grn_no.clone()))
        .filter(inventory_movements::Column::Id.is_in(movements.iter().map(|(_, m, _)| m.id)))
        .exec(db)
        .await?;
    for (_, movement, _) in &mut movements {
        let field = if purchase_order.is_some() {
            &mut movement.note
        } else {
            &mut movement.reference
        };
        *field = Some(grn_no.clone());
    }

    // The ASN's status follows what it has received.
    let asn = match asn {
        None => None,
        Some(asn) => {
            let rows = scope
                .select::<asn_lines::Entity>()
                .filter(asn_lines::Column::AsnId.eq(asn.id))
                .order_by_asc(asn_lines::Column::LineNo)
                .all(db)
                .await?;
            let complete = rows
                .iter()
                .all(|l| l.received_quantity >= l.expected_quantity);
            let status = if complete {
                AsnStatus::Completed
            } else {
                AsnStatus::Receiving
            };
            let updated = asns::Entity::update_many()
                .col_expr(asns::Column::Status, Expr::value(status.as_str()))
                .col_expr(asns::Column::UpdatedAt, Expr::value(now))
                .filter(asns::Column::Id.eq(asn.id))
                .exec_with_returning(db)
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("an ASN vanished")))?;
            let skus_by_id: HashMap<Uuid, &str> =
                skus.values().map(|s| (s.id, s.sku_code.as_str())).collect();
            let mut sku_codes = HashMap::new();
            for row in &rows {
                if !skus_by_id.contains_key(&row.product_sku_id)
                    && let Some(sku) = scope
                        .select_id::<product_skus::Entity>(row.product_sku_id)
                        .one(db)
                        .await?
                {
                    sku_codes.insert(row.product_sku_id, sku.sku_code);
                }
            }
            let event = AsnEvent {
                asn_no: &updated.asn_no,
                grn_no: &grn_no,
                warehouse_code: &warehouse.code,
                status: if complete { "completed" } else { "receiving" },
                lines: rows
                    .iter()
                    .map(|l| AsnEventLine {
                        line_no: l.line_no,
                        sku: skus_by_id
                            .get(&l.product_sku_id)
                            .copied()
                            .or_else(|| sku_codes.get(&l.product_sku_id).map(String::as_str))
                            .unwrap_or_default(),
                        expected_qty: l.expected_quantity,
                        received_qty: l.received_quantity,
                    })
                    .collect(),
            };
            // Every receipt against the ASN (seed 003 §6), and its completion once: two facts.
            outbox::record(ctx, Event::AsnReceived, Some(warehouse.branch_id), &event).await?;
            if complete {
                outbox::record(ctx, Event::AsnCompleted, Some(warehouse.branch_id), &event).await?;
            }
            Some(updated)
        }
    };

    let shown: Vec<MovementEvent<'_>> = movements
        .iter()
        .map(|(_, m, code)| movement_event(m, code))
        .collect();
    match &purchase_order {
        Some(order) => {
            let order = refresh_order_status(ctx, order).await?;
            outbox::record(
                ctx,
                Event::PurchaseOrderReceived,
                Some(order.branch_id),
                &PurchaseOrderReceived {
                    purchase_order_id: order.id,
                    po_number: &order.po_number,
                    status: order.status,
                    warehouse_id: order.warehouse_id,
                    receipts: shown,
                },
            )
            .await?;
        }
        None => {
            outbox::record(
                ctx,
                Event::InventoryMovementCreated,
                Some(warehouse.branch_id),
                &MovementsCreated { movements: shown },
            )
            .await?;
        }
    }
    Ok(Receipt {
        grn,
        warehouse,
        asn,
        lines,
    })
}

/// A movement as the partner events show it.
pub fn movement_event<'a>(
    movement: &'a inventory_movements::Model,
    sku_code: &'a str,
) -> MovementEvent<'a> {
    MovementEvent {
        id: movement.id,
        warehouse_id: movement.warehouse_id,
        product_sku_id: movement.product_sku_id,
        sku_code,
        movement_type: movement.movement_type,
        quantity: movement.quantity,
        balance_after: movement.balance_after,
        reference_type: movement.reference_type.as_deref(),
        reference: movement.reference.as_deref(),
        created_at: movement.created_at,
    }
}

/// Adds `quantity` received of a SKU to the order's lines for it: the first line still
/// expecting some, else (more than ordered) the first line of the SKU.
async fn receive_on_order(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    order_id: Uuid,
    sku_id: Uuid,
    quantity: Amount,
) -> AppResult<()> {
    let Ctx { db, scope, now, .. } = *ctx;
    let items = scope
        .select::<purchase_order_items::Entity>()
        .filter(purchase_order_items::Column::PurchaseOrderId.eq(order_id))
        .filter(purchase_order_items::Column::ProductSkuId.eq(sku_id))
        .order_by_asc(purchase_order_items::Column::LineNo)
        .all(db)
        .await?;
    let Some(item) = items
        .iter()
        .find(|i| i.received_quantity < i.quantity)
        .or_else(|| items.first())
    else {
        return Ok(());
    };
    purchase_order_items::Entity::update_many()
        .col_expr(
            purchase_order_items::Column::ReceivedQuantity,
            Expr::col(purchase_order_items::Column::ReceivedQuantity).add(quantity.scaled()),
        )
        .col_expr(purchase_order_items::Column::UpdatedAt, Expr::value(now))
        .filter(purchase_order_items::Column::Id.eq(item.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets the order's status from its lines: `RECEIVED` (with its time) when every line is
/// received in full, else `PARTIALLY_RECEIVED`.
async fn refresh_order_status(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    order: &purchase_orders::Model,
) -> AppResult<purchase_orders::Model> {
    let Ctx { db, scope, now, .. } = *ctx;
    let items = scope
        .select::<purchase_order_items::Entity>()
        .filter(purchase_order_items::Column::PurchaseOrderId.eq(order.id))
        .all(db)
        .await?;
    let complete = items.iter().all(|i| i.received_quantity >= i.quantity);
    let status = if complete {
        PurchaseOrderStatus::Received
    } else {
        PurchaseOrderStatus::PartiallyReceived
    };
    let mut update = purchase_orders::Entity::update_many()
        .col_expr(
            purchase_orders::Column::Status,
            Expr::value(status.as_str()),
        )
        .col_expr(purchase_orders::Column::UpdatedAt, Expr::value(now))
        .filter(purchase_orders::Column::Id.eq(order.id));
    if complete {
        update = update.col_expr(purchase_orders::Column::ReceivedAt, Expr::value(now));
    }
    update
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a purchase order vanished")))
}
