//! The demo data generator. Orders are produced in time order and streamed to the database in
//! batches, with stock movements replayed alongside them, so a million orders need no more
//! memory than a thousand and every `balance_after` is the true running balance.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, Iterable,
    TransactionTrait,
};
use uuid::Uuid;

use super::names::{self, CategorySeed};
use super::rng::DemoRng;
use super::{DEMO_APPS, DemoAccess, DemoTenant, SeedOptions};
use crate::clock::Timestamp;
use crate::domain::applications::{self, NewApplication};
use crate::domain::stock::{self, Reference, ReferenceKind};
use crate::entities::enums::{
    AppStatus, DocumentSource, MemberTier, MovementType, OrderType, PaymentStatus, Plan,
    ProductStatus, PurchaseOrderStatus, RecordStatus, SalesStatus, WarehouseKind,
};
use crate::entities::{
    branches, customers, inventory_levels, inventory_movements, product_skus, products,
    purchase_order_items, purchase_orders, sales_order_items, sales_orders, stock_balances,
    suppliers, tenants, warehouses,
};
use crate::money::Amount;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// Business hours in UTC: 10:00–22:00 in Asia/Bangkok.
const OPEN_UTC: i64 = 3 * HOUR;
const CLOSE_UTC: i64 = 15 * HOUR;
/// Orders written per transaction.
const ORDER_BATCH: usize = 2_000;
/// Bind parameters per statement: under SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_PARAMS: usize = 30_000;

/// What was written, for the CLI and the banner.
#[derive(Debug, Clone, Default)]
pub struct SeedSummary {
    pub tenant_id: Uuid,
    pub free_tenant_id: Uuid,
    pub first_branch_id: Uuid,
    pub tenants: usize,
    pub applications: usize,
    pub branches: usize,
    pub warehouses: usize,
    pub products: usize,
    pub skus: usize,
    pub suppliers: usize,
    pub customers: usize,
    pub purchase_orders: usize,
    pub purchase_order_items: usize,
    pub sales_orders: usize,
    pub sales_order_items: usize,
    pub inventory_levels: usize,
    pub inventory_movements: usize,
    pub elapsed: Duration,
}

fn ts(millis: i64) -> Timestamp {
    Timestamp::saturating_from_millis(millis)
}

fn dec(amount: Amount) -> Decimal {
    amount.to_decimal()
}

/// Rounds to satang (two decimal places), half away from zero.
fn money(value: Decimal) -> anyhow::Result<Amount> {
    crate::money::satang(value).context("demo amount out of range")
}

fn units(n: i64) -> anyhow::Result<Amount> {
    Amount::from_int(n).context("demo quantity out of range")
}

/// VAT included in a Thai price: 7/107 of it.
fn included_vat(gross: Amount) -> anyhow::Result<Amount> {
    crate::money::included_vat(gross).context("demo amount out of range")
}

struct Sku {
    id: Uuid,
    code: String,
    name: String,
    product_name: String,
    price: Amount,
    cost: Amount,
    by_weight: bool,
}

impl Sku {
    /// A plausible quantity for one sale line.
    fn sale_quantity(&self, rng: &mut DemoRng) -> anyhow::Result<Amount> {
        if self.by_weight {
            Ok(Amount::from_scaled(rng.range(1, 10) * 2_500))
        } else {
            units([1, 1, 1, 1, 1, 1, 1, 2, 2, 3][rng.below(10) as usize])
        }
    }
}

struct Warehouse {
    id: Uuid,
    branch: usize,
}

/// A change of stock scheduled at a point in time.
#[derive(Debug, Clone)]
enum StockChange {
    Receive {
        warehouse: usize,
        sku: usize,
        quantity: Amount,
        po: Uuid,
        po_number: String,
    },
    Transfer {
        from: usize,
        to: usize,
        sku: usize,
        quantity: Amount,
    },
    Waste {
        warehouse: usize,
        sku: usize,
        quantity: Amount,
    },
    Count {
        warehouse: usize,
        sku: usize,
        delta: Amount,
    },
    Return {
        warehouse: usize,
        sku: usize,
        quantity: Amount,
        order: Uuid,
        order_number: String,
    },
}

#[derive(Debug, Clone)]
struct Scheduled {
    at: i64,
    seq: u64,
    change: StockChange,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Business-hour windows of the period, to place events where a restaurant would have them.
struct Timeline {
    windows: Vec<(i64, i64)>,
    total: i64,
}

impl Timeline {
    fn new(start: i64, end: i64) -> Self {
        let mut windows = Vec::new();
        let mut day = start.div_euclid(DAY) * DAY;
        while day < end {
            let from = (day + OPEN_UTC).max(start);
            let to = (day + CLOSE_UTC).min(end);
            if from < to {
                windows.push((from, to));
            }
            day += DAY;
        }
        if windows.is_empty() {
            windows.push((start, end.max(start + 1)));
        }
        let total = windows.iter().map(|(a, b)| b - a).sum();
        Self { windows, total }
    }

    /// The instant at `offset` business milliseconds into the period.
    fn at(&self, offset: i64) -> i64 {
        let mut rest = offset.clamp(0, self.total - 1);
        for (from, to) in &self.windows {
            let len = to - from;
            if rest < len {
                return from + rest;
            }
            rest -= len;
        }
        self.windows.last().map(|w| w.1 - 1).unwrap_or_default()
    }

    fn random(&self, rng: &mut DemoRng) -> i64 {
        self.at(rng.below(self.total as u64) as i64)
    }
}

/// Running state of stock replay.
struct Stock {
    skus: usize,
    balance: Vec<Amount>,
    reserved: Vec<Amount>,
    last_change: Vec<i64>,
    tenant: Uuid,
    warehouse_ids: Vec<Uuid>,
    sku_ids: Vec<Uuid>,
    pending: Vec<inventory_movements::ActiveModel>,
    written: usize,
}

impl Stock {
    fn slot(&self, warehouse: usize, sku: usize) -> usize {
        warehouse * self.skus + sku
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        rng: &mut DemoRng,
        at: i64,
        warehouse: usize,
        sku: usize,
        movement_type: MovementType,
        quantity: Amount,
        reference: Option<stock::Reference<'_>>,
        note: Option<&str>,
    ) {
        let slot = self.slot(warehouse, sku);
        self.last_change[slot] = self.last_change[slot].max(at);
        let posting = stock::Posting {
            id: rng.uuid_at(at),
            tenant_id: self.tenant,
            warehouse_id: self.warehouse_ids[warehouse],
            product_sku_id: self.sku_ids[sku],
            place: stock::Place::ANYWHERE,
            movement_type,
            quantity,
            reference,
            note,
            at: ts(at),
        };
        let (row, after) = stock::movement(&posting, self.balance[slot]);
        self.balance[slot] = after;
        self.pending.push(row);
    }

    /// Stock leaving a warehouse, topped up first by a stock-count correction if the books
    /// would otherwise go negative (what a store does when the shelf disagrees with them).
    #[allow(clippy::too_many_arguments)]
    fn take(
        &mut self,
        rng: &mut DemoRng,
        at: i64,
        warehouse: usize,
        sku: usize,
        movement_type: MovementType,
        quantity: Amount,
        reference: Option<stock::Reference<'_>>,
    ) -> anyhow::Result<()> {
        let slot = self.slot(warehouse, sku);
        if self.balance[slot] < quantity {
            let top_up = quantity - self.balance[slot] + units(rng.range(20, 60))?;
            self.record(
                rng,
                at - 1,
                warehouse,
                sku,
                MovementType::Adjustment,
                top_up,
                None,
                Some("Stock count correction"),
            );
        }
        self.record(
            rng,
            at,
            warehouse,
            sku,
            movement_type,
            -quantity,
            reference,
            None,
        );
        Ok(())
    }

    fn apply(&mut self, rng: &mut DemoRng, event: Scheduled) -> anyhow::Result<()> {
        let at = event.at;
        match event.change {
            StockChange::Receive {
                warehouse,
                sku,
                quantity,
                po,
                po_number,
            } => self.record(
                rng,
                at,
                warehouse,
                sku,
                MovementType::Receive,
                quantity,
                Some(Reference {
                    kind: ReferenceKind::PurchaseOrder,
                    id: po,
                    number: &po_number,
                }),
                None,
            ),
            StockChange::Transfer {
                from,
                to,
                sku,
                quantity,
            } => {
                let available = self.balance[self.slot(from, sku)];
                let moved = quantity.min(available);
                if moved > Amount::ZERO {
                    let transfer = rng.uuid();
                    let number = format!("TR{}", &transfer.simple().to_string()[..8]);
                    let reference = Some(Reference {
                        kind: ReferenceKind::Transfer,
                        id: transfer,
                        number: number.as_str(),
                    });
                    self.record(
                        rng,
                        at,
                        from,
                        sku,
                        MovementType::TransferOut,
                        -moved,
                        reference,
                        None,
                    );
                    self.record(
                        rng,
                        at,
                        to,
                        sku,
                        MovementType::TransferIn,
                        moved,
                        reference,
                        None,
                    );
                }
            }
            StockChange::Waste {
                warehouse,
                sku,
                quantity,
            } => {
                let wasted = quantity.min(self.balance[self.slot(warehouse, sku)]);
                if wasted > Amount::ZERO {
                    self.record(
                        rng,
                        at,
                        warehouse,
                        sku,
                        MovementType::Waste,
                        -wasted,
                        None,
                        Some("Spoiled or dropped"),
                    );
                }
            }
            StockChange::Count {
                warehouse,
                sku,
                delta,
            } => {
                let balance = self.balance[self.slot(warehouse, sku)];
                let delta = if balance + delta < Amount::ZERO {
                    -balance
                } else {
                    delta
                };
                if !delta.is_zero() {
                    self.record(
                        rng,
                        at,
                        warehouse,
                        sku,
                        MovementType::Adjustment,
                        delta,
                        None,
                        Some("Weekly stock count"),
                    );
                }
            }
            StockChange::Return {
                warehouse,
                sku,
                quantity,
                order,
                order_number,
            } => self.record(
                rng,
                at,
                warehouse,
                sku,
                MovementType::Return,
                quantity,
                Some(Reference {
                    kind: ReferenceKind::SalesOrder,
                    id: order,
                    number: &order_number,
                }),
                Some("Customer refund"),
            ),
        }
        Ok(())
    }
}

/// Inserts rows in statements that stay under the bind-parameter limit.
async fn insert_all<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> anyhow::Result<usize>
where
    A: ActiveModelTrait + Send,
{
    let count = rows.len();
    let columns = <A::Entity as EntityTrait>::Column::iter().count().max(1);
    let per_statement = (MAX_PARAMS / columns).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(count)
}

struct CustomerStats {
    visits: i32,
    spent: Amount,
    last_visit: Option<i64>,
}

pub(super) async fn run(
    db: &DatabaseConnection,
    now: Timestamp,
    options: &SeedOptions,
) -> anyhow::Result<SeedSummary> {
    let started = Instant::now();
    let mut root = DemoRng::new(options.seed);
    let mut summary = SeedSummary::default();
    let now_ms = now.millis();
    let start_ms = now_ms - i64::from(options.days) * DAY;
    let timeline = Timeline::new(start_ms, now_ms);
    let created = ts(start_ms - 400 * DAY);

    // Tenants, branches, warehouses, applications.
    let mut rng = root.fork("tenants");
    let tenant_id = rng.uuid();
    let free_tenant_id = rng.uuid();
    let txn = db.begin().await?;
    insert_all(
        &txn,
        vec![
            tenants::ActiveModel {
                id: Set(tenant_id),
                name: Set("Baan Somtam Group (บ้านส้มตำ)".to_owned()),
                plan: Set(Plan::Pro),
                created_at: Set(created),
                updated_at: Set(created),
            },
            tenants::ActiveModel {
                id: Set(free_tenant_id),
                name: Set("Pa Sri Chicken Rice (ข้าวมันไก่ป้าศรี)".to_owned()),
                plan: Set(Plan::Free),
                created_at: Set(created),
                updated_at: Set(created),
            },
        ],
    )
    .await?;
    summary.tenants = 2;

    let mut branch_rows = Vec::new();
    let mut branch_ids = Vec::new();
    for seed in names::BRANCHES.iter().take(options.branches) {
        let id = rng.uuid();
        branch_ids.push(id);
        branch_rows.push(branch_row(
            id,
            tenant_id,
            seed.code,
            seed.name,
            seed.city,
            seed.address,
            created,
            &mut rng,
        ));
    }
    let free_branch = rng.uuid();
    branch_rows.push(branch_row(
        free_branch,
        free_tenant_id,
        "KMK-01",
        "ข้าวมันไก่ป้าศรี ประตูน้ำ",
        "Bangkok",
        "17 ถ.เพชรบุรี แขวงถนนเพชรบุรี เขตราชเทวี",
        created,
        &mut rng,
    ));
    summary.branches = insert_all(&txn, branch_rows).await? - 1;
    summary.first_branch_id = branch_ids[0];

    let kinds = [
        WarehouseKind::Store,
        WarehouseKind::Kitchen,
        WarehouseKind::Central,
    ];
    let mut warehouse_rows = Vec::new();
    let mut warehouse_list = Vec::new();
    for (b, seed) in names::BRANCHES.iter().take(options.branches).enumerate() {
        for kind in kinds.iter().take(options.warehouses_per_branch) {
            let id = rng.uuid();
            warehouse_list.push(Warehouse { id, branch: b });
            let (suffix, label) = match kind {
                WarehouseKind::Store => ("STORE", "หน้าร้าน"),
                WarehouseKind::Kitchen => ("KITCHEN", "ครัว"),
                WarehouseKind::Central => ("CENTRAL", "คลังกลาง"),
            };
            warehouse_rows.push(warehouses::ActiveModel {
                id: Set(id),
                tenant_id: Set(tenant_id),
                branch_id: Set(branch_ids[b]),
                code: Set(format!("WH-{}-{suffix}", seed.code)),
                name: Set(format!("{} ({label})", seed.name)),
                kind: Set(*kind),
                status: Set(RecordStatus::Active),
                created_at: Set(created),
                updated_at: Set(created),
            });
        }
    }
    warehouse_rows.push(warehouses::ActiveModel {
        id: Set(rng.uuid()),
        tenant_id: Set(free_tenant_id),
        branch_id: Set(free_branch),
        code: Set("WH-KMK-01".to_owned()),
        name: Set("ข้าวมันไก่ป้าศรี (ครัว)".to_owned()),
        kind: Set(WarehouseKind::Kitchen),
        status: Set(RecordStatus::Active),
        created_at: Set(created),
        updated_at: Set(created),
    });
    summary.warehouses = insert_all(&txn, warehouse_rows).await? - 1;
    // The first warehouse of each branch is its store: sales and receipts happen there.
    let store_of_branch: Vec<usize> = (0..options.branches)
        .map(|b| b * options.warehouses_per_branch)
        .collect();

    for app in DEMO_APPS {
        let (tenant, branches) = match (app.tenant, app.access) {
            (DemoTenant::Free, _) => (free_tenant_id, None),
            (DemoTenant::Main, DemoAccess::FirstBranchOnly) => {
                (tenant_id, Some(vec![branch_ids[0]]))
            }
            (DemoTenant::Main, _) => (tenant_id, None),
        };
        let id = rng.uuid();
        if !options.credentials {
            continue;
        }
        let created_app = applications::create_with_credentials(
            &txn,
            created,
            id,
            NewApplication {
                tenant_id: tenant,
                name: app.name.to_owned(),
                scopes: app.scopes(),
                allowed_branch_ids: branches,
            },
            app.client_id,
            app.client_secret,
        )
        .await?;
        if app.access == DemoAccess::Suspended {
            applications::set_status(
                &txn,
                created,
                &created_app.application.client_id,
                AppStatus::Suspended,
            )
            .await?;
        }
        summary.applications += 1;
    }
    if options.credentials {
        crate::domain::api_keys::create_with_raw_key(
            &txn,
            created,
            crate::domain::api_keys::NewApiKey {
                tenant_id,
                name: "Demo ERP integration".to_owned(),
                scopes: crate::domain::api_keys::KeyScopes::from_list(&[
                    crate::domain::api_keys::KeyScope::Read,
                    crate::domain::api_keys::KeyScope::Write,
                ]),
                expires_at: None,
                ip_allowlist: Vec::new(),
                allowed_origins: Vec::new(),
                rate_limit_per_minute: None,
            },
            super::DEMO_API_KEY,
        )
        .await
        .map_err(|err| anyhow::anyhow!("demo API key: {err}"))?;
    }
    txn.commit().await?;

    // Catalogue.
    let mut rng = root.fork("catalogue");
    let (product_rows, sku_rows, skus) = catalogue(&mut rng, tenant_id, options, created)?;
    let txn = db.begin().await?;
    summary.products = insert_all(&txn, product_rows).await?;
    summary.skus = insert_all(&txn, sku_rows).await?;

    // Suppliers.
    let mut rng = root.fork("suppliers");
    let mut supplier_ids = Vec::new();
    let mut supplier_rows = Vec::new();
    for i in 0..options.suppliers {
        let seed = &names::SUPPLIERS[i % names::SUPPLIERS.len()];
        let id = rng.uuid();
        supplier_ids.push(id);
        let code = format!("SUP-{:03}", i + 1);
        let name = if i < names::SUPPLIERS.len() {
            seed.name.to_owned()
        } else {
            format!("{} สาขา {}", seed.name, i / names::SUPPLIERS.len() + 1)
        };
        supplier_rows.push(suppliers::ActiveModel {
            id: Set(id),
            tenant_id: Set(tenant_id),
            email: Set(Some(format!("order@{}.co.th", code.to_lowercase()))),
            code: Set(code),
            name: Set(name),
            contact_name: Set(Some(seed.contact.to_owned())),
            phone: Set(Some(format!("02-{}-{}", rng.digits(3), rng.digits(4)))),
            address: Set(Some(format!(
                "{} {}",
                rng.range(1, 999),
                rng.pick(names::STREETS)
            ))),
            tax_id: Set(Some(format!("0105{}", rng.digits(9)))),
            payment_terms_days: Set(*rng.pick(&[7, 15, 30, 45, 60])),
            status: Set(if rng.chance(50) {
                RecordStatus::Inactive
            } else {
                RecordStatus::Active
            }),
            created_at: Set(ts(created.millis() + rng.range(0, 300) * DAY)),
            updated_at: Set(ts(start_ms - rng.range(1, 60) * DAY)),
        });
    }
    summary.suppliers = insert_all(&txn, supplier_rows).await?;

    // Customers (their visit statistics are filled in after the orders).
    let mut rng = root.fork("customers");
    let mut customer_ids = Vec::with_capacity(options.customers);
    let mut customer_rows = Vec::with_capacity(options.customers);
    for i in 0..options.customers {
        let id = rng.uuid();
        customer_ids.push(id);
        customer_rows.push(customer_row(&mut rng, id, tenant_id, i, start_ms));
    }
    summary.customers = insert_all(&txn, customer_rows).await?;
    txn.commit().await?;

    let mut stock = Stock {
        skus: skus.len(),
        balance: vec![Amount::ZERO; warehouse_list.len() * skus.len()],
        reserved: vec![Amount::ZERO; warehouse_list.len() * skus.len()],
        last_change: vec![created.millis(); warehouse_list.len() * skus.len()],
        tenant: tenant_id,
        warehouse_ids: warehouse_list.iter().map(|w| w.id).collect(),
        sku_ids: skus.iter().map(|s| s.id).collect(),
        pending: Vec::new(),
        written: 0,
    };

    // Opening balances, sized to the expected demand so corrections stay the exception.
    let mut rng = root.fork("opening");
    let demand_per_slot =
        (options.orders as i64 * 5 / (skus.len() as i64 * options.branches as i64).max(1)).max(10);
    let opening_at = start_ms - DAY;
    for (w, warehouse) in warehouse_list.iter().enumerate() {
        let is_store = store_of_branch[warehouse.branch] == w;
        for (s, sku) in skus.iter().enumerate() {
            let base = if is_store {
                demand_per_slot / 2 + rng.range(20, 80)
            } else {
                rng.range(0, 15)
            };
            let quantity = if sku.by_weight {
                units(base / 2)?
            } else {
                units(base)?
            };
            if quantity > Amount::ZERO {
                stock.record(
                    &mut rng,
                    opening_at,
                    w,
                    s,
                    MovementType::Receive,
                    quantity,
                    None,
                    Some("Opening balance"),
                );
            }
        }
    }

    // Purchase orders and their receipts, transfers, waste and stock counts.
    let mut rng = root.fork("purchasing");
    let mut schedule: BinaryHeap<Reverse<Scheduled>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut po_dates: Vec<i64> = (0..options.purchase_orders)
        .map(|_| timeline.random(&mut rng))
        .collect();
    po_dates.sort_unstable();
    let mut po_rows = Vec::new();
    let mut po_item_rows = Vec::new();
    for (n, order_date) in po_dates.into_iter().enumerate() {
        let branch = rng.below(options.branches as u64) as usize;
        let warehouse = store_of_branch[branch];
        let id = rng.uuid();
        let po_number = format!("PO{:06}", 100_001 + n);
        let receipt_at = order_date + rng.range(1, 3) * DAY + rng.range(0, 6) * HOUR;
        let status = if receipt_at <= now_ms {
            [
                PurchaseOrderStatus::Received,
                PurchaseOrderStatus::PartiallyReceived,
                PurchaseOrderStatus::Cancelled,
                PurchaseOrderStatus::Ordered,
            ][rng.weighted(&[78, 10, 6, 6])]
        } else {
            [PurchaseOrderStatus::Ordered, PurchaseOrderStatus::Draft][rng.weighted(&[70, 30])]
        };
        let lines = rng.range(3, 8).min(skus.len() as i64) as usize;
        let mut chosen = HashSet::new();
        let mut subtotal = Amount::ZERO;
        for line in 0..lines {
            let mut s = rng.below(skus.len() as u64) as usize;
            while !chosen.insert(s) {
                s = (s + 1) % skus.len();
            }
            let sku = &skus[s];
            let quantity = if sku.by_weight {
                units(rng.range(5, 50))?
            } else {
                units(rng.range(2, 20) * 10)?
            };
            let received = match status {
                PurchaseOrderStatus::Received => quantity,
                PurchaseOrderStatus::PartiallyReceived => {
                    let part =
                        dec(quantity) * Decimal::from(rng.range(40, 90)) / Decimal::from(100);
                    Amount::try_from_decimal(part.floor()).context("demo quantity out of range")?
                }
                _ => Amount::ZERO,
            };
            let line_total = money(dec(quantity) * dec(sku.cost))?;
            subtotal = subtotal + line_total;
            po_item_rows.push(purchase_order_items::ActiveModel {
                id: Set(rng.uuid()),
                tenant_id: Set(tenant_id),
                purchase_order_id: Set(id),
                product_sku_id: Set(sku.id),
                line_no: Set(line as i32 + 1),
                quantity: Set(quantity),
                received_quantity: Set(received),
                unit_cost: Set(sku.cost),
                line_total: Set(line_total),
                created_at: Set(ts(order_date)),
                updated_at: Set(ts(if received > Amount::ZERO {
                    receipt_at
                } else {
                    order_date
                })),
            });
            if received > Amount::ZERO {
                seq += 1;
                schedule.push(Reverse(Scheduled {
                    at: receipt_at,
                    seq,
                    change: StockChange::Receive {
                        warehouse,
                        sku: s,
                        quantity: received,
                        po: id,
                        po_number: po_number.clone(),
                    },
                }));
            }
        }
        let tax = money(dec(subtotal) * Decimal::from(7) / Decimal::from(100))?;
        let received_at = matches!(
            status,
            PurchaseOrderStatus::Received | PurchaseOrderStatus::PartiallyReceived
        )
        .then(|| ts(receipt_at));
        po_rows.push(purchase_orders::ActiveModel {
            id: Set(id),
            tenant_id: Set(tenant_id),
            branch_id: Set(branch_ids[branch]),
            warehouse_id: Set(warehouse_list[warehouse].id),
            supplier_id: Set(supplier_ids[rng.below(supplier_ids.len() as u64) as usize]),
            po_number: Set(po_number),
            status: Set(status),
            order_date: Set(ts(order_date)),
            expected_date: Set(Some(ts(order_date + rng.range(1, 4) * DAY).date())),
            received_at: Set(received_at),
            subtotal: Set(subtotal),
            tax_amount: Set(tax),
            total_amount: Set(subtotal + tax),
            currency: Set("THB".to_owned()),
            notes: Set(rng.chance(200).then(|| "ส่งก่อน 9 โมงเช้า".to_owned())),
            external_reference: Set(None),
            created_at: Set(ts(order_date)),
            updated_at: Set(ts(received_at.map(Timestamp::millis).unwrap_or(order_date))),
        });
    }
    let txn = db.begin().await?;
    summary.purchase_orders = insert_all(&txn, po_rows).await?;
    summary.purchase_order_items = insert_all(&txn, po_item_rows).await?;
    txn.commit().await?;

    let mut rng = root.fork("housekeeping");
    for day in 0..i64::from(options.days) {
        let day_start = (start_ms + day * DAY).div_euclid(DAY) * DAY;
        for (branch, store) in store_of_branch.iter().enumerate() {
            let kitchen = (options.warehouses_per_branch > 1).then_some(store + 1);
            let mut push = |at: i64, change: StockChange| {
                if at < now_ms && at > start_ms {
                    seq += 1;
                    schedule.push(Reverse(Scheduled { at, seq, change }));
                }
            };
            if let Some(kitchen) = kitchen {
                for _ in 0..2 {
                    let sku = rng.below(skus.len() as u64) as usize;
                    push(
                        day_start + 2 * HOUR + rng.range(0, 50) * MINUTE,
                        StockChange::Transfer {
                            from: *store,
                            to: kitchen,
                            sku,
                            quantity: units(rng.range(2, 10))?,
                        },
                    );
                }
                let sku = rng.below(skus.len() as u64) as usize;
                push(
                    day_start + CLOSE_UTC + 30 * MINUTE,
                    StockChange::Waste {
                        warehouse: kitchen,
                        sku,
                        quantity: units(rng.range(1, 3))?,
                    },
                );
            }
            if (day + branch as i64) % 7 == 0 {
                for _ in 0..3 {
                    let sku = rng.below(skus.len() as u64) as usize;
                    let mut delta = rng.range(-3, 3);
                    if delta == 0 {
                        delta = 1;
                    }
                    push(
                        day_start + CLOSE_UTC + HOUR,
                        StockChange::Count {
                            warehouse: *store,
                            sku,
                            delta: units(delta)?,
                        },
                    );
                }
            }
        }
    }

    // Sales, in time order, with stock replayed as they happen.
    let mut rng = root.fork("sales");
    let progress = if options.progress {
        ProgressBar::with_draw_target(Some(options.orders as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    progress.set_style(
        ProgressStyle::with_template(
            "{spinner} orders {bar:40} {pos}/{len} ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut stats: Vec<CustomerStats> = (0..options.customers)
        .map(|_| CustomerStats {
            visits: 0,
            spent: Amount::ZERO,
            last_visit: None,
        })
        .collect();
    let branch_weights: Vec<u64> = (0..options.branches).map(|b| 6 - b as u64 % 4).collect();
    let mut order_number = 100_000 + rng.range(0, 300_000);
    let mut orders = Vec::with_capacity(ORDER_BATCH);
    let mut items = Vec::with_capacity(ORDER_BATCH * 4);
    let n = options.orders as i64;
    let open_tail = (n / 200).max(n.min(15));
    for i in 0..n {
        let position = ((i128::from(i) * 1_000 + i128::from(rng.range(0, 999)))
            * i128::from(timeline.total)
            / (i128::from(n.max(1)) * 1_000)) as i64;
        let at = timeline.at(position);
        while schedule.peek().is_some_and(|Reverse(e)| e.at <= at) {
            if let Some(Reverse(event)) = schedule.pop() {
                stock.apply(&mut rng, event)?;
            }
        }
        let branch = rng.weighted(&branch_weights);
        let store = store_of_branch[branch];
        // The newest orders are still being served: tables open, bills held or printed.
        let status = pick_status(&mut rng, i >= n - open_tail);
        let order_type = [OrderType::DineIn, OrderType::Takeaway, OrderType::Delivery]
            [rng.weighted(&[55, 30, 15])];
        let customer = rng
            .chance(450)
            .then(|| {
                let bound = rng.below(options.customers as u64).max(1);
                rng.below(bound) as usize
            })
            .filter(|_| options.customers > 0);
        let id = rng.uuid_at(at);
        order_number += rng.range(1, 3);
        let number = format!("ORD{order_number}");

        let line_count = rng.weighted(&[25, 25, 20, 14, 9, 7]) + 1;
        let mut used = HashSet::new();
        let mut gross_total = Amount::ZERO;
        let mut discount_total = Amount::ZERO;
        let mut tax_total = Amount::ZERO;
        let mut refunded_total = Amount::ZERO;
        let mut lines = Vec::with_capacity(line_count);
        for line in 0..line_count {
            let mut s = rng.below(skus.len() as u64) as usize;
            while !used.insert(s) && used.len() < skus.len() {
                s = (s + 1) % skus.len();
            }
            let sku = &skus[s];
            let quantity = sku.sale_quantity(&mut rng)?;
            let gross = money(dec(quantity) * dec(sku.price))?;
            let discount = if rng.chance(120) {
                money(dec(gross) * Decimal::from(*rng.pick(&[5, 10, 15, 20])) / Decimal::from(100))?
            } else {
                Amount::ZERO
            };
            let line_total = gross - discount;
            let tax = included_vat(line_total)?;
            let (refunded_quantity, refunded_amount) = match status {
                SalesStatus::Refunded => (quantity, line_total),
                SalesStatus::PartialRefunded if line == 0 => (quantity, line_total),
                _ => (Amount::ZERO, Amount::ZERO),
            };
            gross_total = gross_total + gross;
            discount_total = discount_total + discount;
            tax_total = tax_total + tax;
            refunded_total = refunded_total + refunded_amount;
            lines.push((s, quantity, refunded_quantity));
            items.push(sales_order_items::ActiveModel {
                id: Set(rng.uuid_at(at)),
                tenant_id: Set(tenant_id),
                sales_order_id: Set(id),
                product_sku_id: Set(sku.id),
                line_no: Set(line as i32 + 1),
                sku_code: Set(sku.code.clone()),
                sku_name: Set(sku.name.clone()),
                product_name: Set(sku.product_name.clone()),
                quantity: Set(quantity),
                unit_price: Set(sku.price),
                discount_amount: Set(discount),
                tax_amount: Set(tax),
                line_total: Set(line_total),
                refunded_quantity: Set(refunded_quantity),
                refunded_amount: Set(refunded_amount),
                is_fully_refunded: Set(!quantity.is_zero() && refunded_quantity == quantity),
                created_at: Set(ts(at)),
            });
        }
        let net = gross_total - discount_total;
        let service_charge = if order_type == OrderType::DineIn && line_count >= 4 {
            money(dec(net) / Decimal::from(10))?
        } else {
            Amount::ZERO
        };
        let total = net + service_charge;
        let tax = tax_total + included_vat(service_charge)?;
        let (payment_status, paid) = match status {
            SalesStatus::Completed | SalesStatus::Exchanged | SalesStatus::PartialRefunded => {
                (PaymentStatus::Paid, total)
            }
            SalesStatus::Refunded => (PaymentStatus::Refunded, total),
            SalesStatus::ReadyForPayment if rng.chance(300) => (
                PaymentStatus::Partial,
                money(dec(total) / Decimal::from(2))?,
            ),
            _ => (PaymentStatus::Unpaid, Amount::ZERO),
        };
        let updated = match status {
            SalesStatus::Draft | SalesStatus::Held | SalesStatus::Active => at,
            _ => (at + rng.range(5, 90) * MINUTE).min(now_ms - 1).max(at),
        };
        orders.push(sales_orders::ActiveModel {
            id: Set(id),
            tenant_id: Set(tenant_id),
            branch_id: Set(branch_ids[branch]),
            customer_id: Set(customer.map(|c| customer_ids[c])),
            order_number: Set(number.clone()),
            order_date: Set(ts(at)),
            status: Set(status),
            order_type: Set(order_type),
            subtotal: Set(gross_total),
            discount_amount: Set(discount_total),
            tax_amount: Set(tax),
            service_charge_amount: Set(service_charge),
            total_amount: Set(total),
            paid_amount: Set(paid),
            refunded_amount: Set(refunded_total),
            payment_status: Set(payment_status),
            source: Set(if order_type == OrderType::Delivery && rng.chance(200) {
                DocumentSource::Integration
            } else {
                DocumentSource::Pos
            }),
            external_reference: Set(None),
            warehouse_id: Set(None),
            required_date: Set(None),
            priority: Set(None),
            ship_to_name: Set(None),
            ship_to_address: Set(None),
            created_at: Set(ts(at)),
            updated_at: Set(ts(updated)),
        });

        // Stock: sold orders leave the store; open orders reserve; refunds come back later.
        let sold = matches!(
            status,
            SalesStatus::Completed
                | SalesStatus::Refunded
                | SalesStatus::PartialRefunded
                | SalesStatus::Exchanged
        );
        let open = matches!(
            status,
            SalesStatus::Draft
                | SalesStatus::Held
                | SalesStatus::Active
                | SalesStatus::ReadyForPayment
        );
        for (s, quantity, refunded_quantity) in lines {
            if sold {
                stock.take(
                    &mut rng,
                    at,
                    store,
                    s,
                    MovementType::Sale,
                    quantity,
                    Some(Reference {
                        kind: ReferenceKind::SalesOrder,
                        id,
                        number: &number,
                    }),
                )?;
            } else if open {
                let slot = stock.slot(store, s);
                stock.reserved[slot] = stock.reserved[slot] + quantity;
            }
            if sold && refunded_quantity > Amount::ZERO {
                seq += 1;
                schedule.push(Reverse(Scheduled {
                    at: (at + rng.range(10, 48 * 60) * MINUTE).min(now_ms - 1),
                    seq,
                    change: StockChange::Return {
                        warehouse: store,
                        sku: s,
                        quantity: refunded_quantity,
                        order: id,
                        order_number: number.clone(),
                    },
                }));
            }
        }
        if let Some(c) = customer
            && matches!(
                status,
                SalesStatus::Completed | SalesStatus::PartialRefunded | SalesStatus::Exchanged
            )
        {
            let stat = &mut stats[c];
            stat.visits += 1;
            stat.spent = stat.spent + total - refunded_total;
            stat.last_visit = Some(at);
        }

        if orders.len() >= ORDER_BATCH {
            flush(db, &mut orders, &mut items, &mut stock, &mut summary).await?;
            progress.set_position(i as u64 + 1);
        }
    }
    while let Some(Reverse(event)) = schedule.pop() {
        stock.apply(&mut rng, event)?;
    }
    flush(db, &mut orders, &mut items, &mut stock, &mut summary).await?;
    progress.finish_and_clear();

    // Final stock levels and customer statistics.
    let mut rng = root.fork("levels");
    let mut level_rows = Vec::with_capacity(stock.balance.len());
    let mut balance_rows = Vec::with_capacity(stock.balance.len());
    for (w, warehouse) in warehouse_list.iter().enumerate() {
        let is_store = store_of_branch[warehouse.branch] == w;
        for (s, sku) in skus.iter().enumerate() {
            let slot = stock.slot(w, s);
            let on_hand = stock.balance[slot];
            let reorder = if is_store {
                rng.range(10, 40)
            } else {
                rng.range(2, 10)
            };
            let id = rng.uuid();
            let reserved = stock.reserved[slot].min(on_hand.max(Amount::ZERO));
            // The level's stock lies nowhere in particular and has no lot: one balance.
            balance_rows.push(stock_balances::ActiveModel {
                id: Set(id),
                tenant_id: Set(tenant_id),
                warehouse_id: Set(warehouse.id),
                product_sku_id: Set(sku.id),
                location_id: Set(None),
                lot_no: Set(String::new()),
                expiry_date: Set(None),
                on_hand: Set(on_hand),
                allocated: Set(reserved),
                created_at: Set(created),
                updated_at: Set(ts(stock.last_change[slot])),
            });
            level_rows.push(inventory_levels::ActiveModel {
                id: Set(id),
                tenant_id: Set(tenant_id),
                warehouse_id: Set(warehouse.id),
                product_sku_id: Set(sku.id),
                on_hand: Set(on_hand),
                reserved: Set(reserved),
                reorder_point: Set(if sku.by_weight {
                    units(reorder / 2)?
                } else {
                    units(reorder)?
                }),
                created_at: Set(created),
                updated_at: Set(ts(stock.last_change[slot])),
            });
        }
    }
    let txn = db.begin().await?;
    summary.inventory_levels = insert_all(&txn, level_rows).await?;
    insert_all(&txn, balance_rows).await?;
    for (c, stat) in stats.iter().enumerate().filter(|(_, s)| s.visits > 0) {
        let spent = stat.spent;
        let tier = match spent.to_decimal() {
            d if d >= Decimal::from(20_000) => MemberTier::Platinum,
            d if d >= Decimal::from(8_000) => MemberTier::Gold,
            d if d >= Decimal::from(2_500) => MemberTier::Silver,
            _ => MemberTier::Regular,
        };
        let points = (spent.to_decimal() / Decimal::from(25)).floor();
        customers::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(customer_ids[c]),
            member_tier: Set(tier),
            points: Set(i64::try_from(points).unwrap_or(0)),
            total_spent: Set(spent),
            visit_count: Set(stat.visits),
            last_visit_at: Set(stat.last_visit.map(ts)),
            updated_at: Set(ts(stat.last_visit.unwrap_or(start_ms))),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    txn.commit().await?;

    summary.tenant_id = tenant_id;
    summary.free_tenant_id = free_tenant_id;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

async fn flush(
    db: &DatabaseConnection,
    orders: &mut Vec<sales_orders::ActiveModel>,
    items: &mut Vec<sales_order_items::ActiveModel>,
    stock: &mut Stock,
    summary: &mut SeedSummary,
) -> anyhow::Result<()> {
    let txn = db.begin().await?;
    summary.sales_orders += insert_all(&txn, std::mem::take(orders)).await?;
    summary.sales_order_items += insert_all(&txn, std::mem::take(items)).await?;
    let movements = std::mem::take(&mut stock.pending);
    stock.written += movements.len();
    summary.inventory_movements += insert_all(&txn, movements).await?;
    txn.commit().await?;
    Ok(())
}

fn pick_status(rng: &mut DemoRng, still_open: bool) -> SalesStatus {
    use SalesStatus::*;
    if still_open {
        [Completed, Active, Held, ReadyForPayment, Draft][rng.weighted(&[50, 20, 10, 15, 5])]
    } else {
        [
            Completed,
            Cancelled,
            Voided,
            Refunded,
            PartialRefunded,
            Exchanged,
            Held,
            Draft,
        ][rng.weighted(&[850, 40, 20, 20, 30, 20, 10, 10])]
    }
}

#[allow(clippy::too_many_arguments)]
fn branch_row(
    id: Uuid,
    tenant_id: Uuid,
    code: &str,
    name: &str,
    city: &str,
    address: &str,
    created: Timestamp,
    rng: &mut DemoRng,
) -> branches::ActiveModel {
    branches::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        code: Set(code.to_owned()),
        name: Set(name.to_owned()),
        status: Set(RecordStatus::Active),
        address: Set(Some(address.to_owned())),
        city: Set(Some(city.to_owned())),
        phone: Set(Some(format!("02-{}-{}", rng.digits(3), rng.digits(4)))),
        timezone: Set("Asia/Bangkok".to_owned()),
        created_at: Set(created),
        updated_at: Set(created),
    }
}

/// An EAN-13 barcode with the Thai GS1 prefix 885 and a correct check digit.
fn ean13(rng: &mut DemoRng) -> String {
    let body = format!("885{}", rng.digits(9));
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

type Catalogue = (
    Vec<products::ActiveModel>,
    Vec<product_skus::ActiveModel>,
    Vec<Sku>,
);

fn catalogue(
    rng: &mut DemoRng,
    tenant_id: Uuid,
    options: &SeedOptions,
    created: Timestamp,
) -> anyhow::Result<Catalogue> {
    // Every product gets one SKU, the remaining SKUs go round-robin as extra variants.
    let extra = options.skus - options.products;
    let mut product_rows = Vec::with_capacity(options.products);
    let mut sku_rows = Vec::with_capacity(options.skus);
    let mut skus = Vec::with_capacity(options.skus);
    for p in 0..options.products {
        let category: &CategorySeed = &names::CATEGORIES[p % names::CATEGORIES.len()];
        let round = p / names::CATEGORIES.len();
        let dish = category.dishes[round % category.dishes.len()];
        let edition = round / category.dishes.len();
        let name = if edition == 0 {
            dish.to_owned()
        } else {
            format!("{dish} สูตร {}", edition + 1)
        };
        let id = rng.uuid();
        let code = format!("{}-{:04}", category.code, p + 1);
        let product_created = ts(created.millis() + rng.range(0, 360) * DAY);
        let status = [
            ProductStatus::Active,
            ProductStatus::Inactive,
            ProductStatus::Discontinued,
        ][rng.weighted(&[92, 5, 3])];
        product_rows.push(products::ActiveModel {
            id: Set(id),
            tenant_id: Set(tenant_id),
            code: Set(code.clone()),
            name: Set(name.clone()),
            category: Set(category.name.to_owned()),
            status: Set(status),
            description: Set(rng.chance(400).then(|| format!("{name} เมนูยอดนิยมของร้าน"))),
            created_at: Set(product_created),
            updated_at: Set(product_created),
        });
        let variants = 1 + usize::from(p < extra) + usize::from(p + options.products < extra);
        let base_price = rng.range(category.price.0, category.price.1);
        for v in 0..variants {
            let variant = category.variants[v % category.variants.len()];
            // Prices end in .00, .50 or .75 baht, larger variants cost more.
            let cents = *rng.pick(&[0, 0, 0, 50, 75]);
            let price = Amount::from_scaled(
                (base_price * (100 + 35 * v as i64) / 100) * 10_000 + cents * 100,
            );
            let cost_pct = rng.range(35, 60);
            let cost = money(dec(price) * Decimal::from(cost_pct) / Decimal::from(100))?;
            let sku_id = rng.uuid();
            let sku_code = format!("{code}-{}", v + 1);
            let sku_name = format!("{name} ({variant})");
            sku_rows.push(product_skus::ActiveModel {
                id: Set(sku_id),
                tenant_id: Set(tenant_id),
                product_id: Set(id),
                sku_code: Set(sku_code.clone()),
                name: Set(sku_name.clone()),
                barcode: Set((category.code.starts_with('R')
                    || category.code == "FR"
                    || rng.chance(200))
                .then(|| ean13(rng))),
                unit: Set(category.unit.to_owned()),
                price: Set(price),
                cost: Set(cost),
                status: Set(if status == ProductStatus::Active {
                    RecordStatus::Active
                } else {
                    RecordStatus::Inactive
                }),
                tracking: Set(crate::entities::enums::Tracking::None),
                shelf_life_days: Set(None),
                weight_kg: Set(None),
                created_at: Set(product_created),
                updated_at: Set(product_created),
            });
            skus.push(Sku {
                id: sku_id,
                code: sku_code,
                name: sku_name,
                product_name: name.clone(),
                price,
                cost,
                by_weight: category.by_weight,
            });
        }
    }
    Ok((product_rows, sku_rows, skus))
}

fn customer_row(
    rng: &mut DemoRng,
    id: Uuid,
    tenant_id: Uuid,
    index: usize,
    start_ms: i64,
) -> customers::ActiveModel {
    let first = rng.pick(names::FIRST_NAMES);
    let last = rng.pick(names::LAST_NAMES);
    let city = rng.pick(names::CITIES);
    let created = ts(start_ms - rng.range(1, 900) * DAY + rng.range(0, 12) * HOUR);
    let birth_year = rng.range(1960, 2006) as i32;
    let dob = chrono::NaiveDate::from_ymd_opt(
        birth_year,
        rng.range(1, 12) as u32,
        rng.range(1, 28) as u32,
    );
    let email = rng.chance(700).then(|| {
        format!(
            "{}{}@{}",
            rng.pick(names::EMAIL_USERS),
            rng.range(1, 9999),
            rng.pick(names::EMAIL_DOMAINS)
        )
    });
    customers::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        code: Set(format!("CUS-{:06}", index + 1)),
        name: Set(format!("{first} {last}")),
        member_tier: Set(MemberTier::Regular),
        points: Set(0),
        total_spent: Set(Amount::ZERO),
        visit_count: Set(0),
        last_visit_at: Set(None),
        phone: Set(Some(format!(
            "08{}-{}-{}",
            rng.range(1, 9),
            rng.digits(3),
            rng.digits(4)
        ))),
        email: Set(email),
        date_of_birth: Set(dob.filter(|_| rng.chance(800))),
        address: Set(Some(format!(
            "{}/{} {}",
            rng.range(1, 999),
            rng.range(1, 99),
            rng.pick(names::STREETS)
        ))),
        city: Set(Some(city.city.to_owned())),
        state: Set(Some(city.state.to_owned())),
        postal_code: Set(Some(city.postal_code.to_owned())),
        country: Set(Some("TH".to_owned())),
        tax_id: Set(rng.chance(400).then(|| format!("1{}", rng.digits(12)))),
        created_at: Set(created),
        updated_at: Set(created),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ean13_check_digit_is_valid() {
        let mut rng = DemoRng::new(1);
        for _ in 0..100 {
            let code = ean13(&mut rng);
            assert_eq!(code.len(), 13);
            let sum: u32 = code
                .bytes()
                .enumerate()
                .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
                .sum();
            assert_eq!(sum % 10, 0, "{code}");
        }
    }

    #[test]
    fn timeline_places_events_in_business_hours_in_order() {
        let start = 1_780_000_000_000;
        let timeline = Timeline::new(start, start + 10 * DAY);
        let mut previous = i64::MIN;
        for step in 0..1_000 {
            let at = timeline.at(step * timeline.total / 1_000);
            assert!(at >= previous);
            previous = at;
            let time_of_day = at.rem_euclid(DAY);
            assert!(
                (OPEN_UTC..CLOSE_UTC).contains(&time_of_day),
                "{time_of_day}"
            );
        }
    }
}
