//! Demo data: a deterministic, realistic retail back office relative to "now".
//!
//! The same seed and the same `now` always produce the same rows. Orders fill the last
//! `days` days (business hours, Asia/Bangkok), so every 30-day window of the API is full.

mod generate;
mod names;
mod rng;
pub mod simulate;

use std::time::Duration;

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::domain::scopes::{Scope, ScopeSet};
use crate::entities::tenants;

pub use generate::SeedSummary;
pub use rng::DemoRng;

/// Sizes and seed of a demo data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedOptions {
    pub seed: u64,
    pub branches: usize,
    pub warehouses_per_branch: usize,
    pub products: usize,
    pub skus: usize,
    pub customers: usize,
    pub orders: usize,
    pub days: u32,
    pub suppliers: usize,
    pub purchase_orders: usize,
    /// Draw a progress bar on stderr (only when stderr is a terminal).
    pub progress: bool,
    /// Register the demo applications, whose secrets are public: demo mode (and tests) only.
    pub credentials: bool,
}

impl Default for SeedOptions {
    fn default() -> Self {
        Self {
            seed: 42,
            branches: 3,
            warehouses_per_branch: 2,
            products: 200,
            skus: 400,
            customers: 2_000,
            orders: 20_000,
            days: 45,
            suppliers: 12,
            purchase_orders: 250,
            progress: true,
            credentials: true,
        }
    }
}

impl SeedOptions {
    /// A small data set for tests: every table filled, every rule exercised, fast.
    pub fn small(seed: u64) -> Self {
        Self {
            seed,
            branches: 3,
            warehouses_per_branch: 2,
            products: 12,
            skus: 24,
            customers: 40,
            orders: 300,
            days: 45,
            suppliers: 4,
            purchase_orders: 12,
            progress: false,
            credentials: true,
        }
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        if !(1..=names::BRANCHES.len()).contains(&self.branches) {
            problems.push(format!("--branches must be 1 to {}", names::BRANCHES.len()));
        }
        if !(1..=3).contains(&self.warehouses_per_branch) {
            problems.push("--warehouses-per-branch must be 1 to 3".to_owned());
        }
        if self.products == 0 || self.products > 100_000 {
            problems.push("--products must be 1 to 100000".to_owned());
        }
        if self.skus < self.products || self.skus > 3 * self.products {
            problems.push("--skus must be between --products and 3 × --products".to_owned());
        }
        if self.customers > 5_000_000 {
            problems.push("--customers must be at most 5000000".to_owned());
        }
        if self.orders > 20_000_000 {
            problems.push("--orders must be at most 20000000".to_owned());
        }
        if !(1..=365).contains(&self.days) {
            problems.push("--days must be 1 to 365".to_owned());
        }
        if self.suppliers == 0 || self.suppliers > 10_000 {
            problems.push("--suppliers must be 1 to 10000".to_owned());
        }
        if self.purchase_orders > 1_000_000 {
            problems.push("--purchase-orders must be at most 1000000".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            bail!("invalid seed options: {}", problems.join("; "))
        }
    }
}

/// One of the fixed demo applications. Their credentials never change, so the README, the
/// banner and a partner's curl session can rely on them.
#[derive(Debug, Clone, Copy)]
pub struct DemoApp {
    pub name: &'static str,
    pub client_id: &'static str,
    pub client_secret: &'static str,
    pub purpose: &'static str,
    pub tenant: DemoTenant,
    pub access: DemoAccess,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoTenant {
    /// The PRO-plan restaurant group with all the data.
    Main,
    /// A FREE-plan merchant: its tokens get 403 `access_denied`.
    Free,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoAccess {
    AllScopes,
    AllButPii,
    FirstBranchOnly,
    Suspended,
}

/// The demo mode's Push Integration API key (scopes read and write, on the main tenant). Its
/// text is public, so outside demo mode it is revoked at start like the demo secrets.
pub const DEMO_API_KEY: &str = "wms_demo_push_integration_key_0123456789abcdef";

pub const DEMO_APPS: &[DemoApp] = &[
    DemoApp {
        name: "Demo BI sync (full access)",
        client_id: "demo-full-access",
        client_secret: "pgs_demo_full_access_secret",
        purpose: "every scope, PII included, every branch",
        tenant: DemoTenant::Main,
        access: DemoAccess::AllScopes,
    },
    DemoApp {
        name: "Demo partner app (no PII)",
        client_id: "demo-no-pii",
        client_secret: "pgs_demo_no_pii_secret",
        purpose: "every scope but read:customers:pii",
        tenant: DemoTenant::Main,
        access: DemoAccess::AllButPii,
    },
    DemoApp {
        name: "Demo branch kiosk (one branch)",
        client_id: "demo-one-branch",
        client_secret: "pgs_demo_one_branch_secret",
        purpose: "every scope, restricted to the first branch",
        tenant: DemoTenant::Main,
        access: DemoAccess::FirstBranchOnly,
    },
    DemoApp {
        name: "Demo suspended app",
        client_id: "demo-suspended",
        client_secret: "pgs_demo_suspended_secret",
        purpose: "SUSPENDED: its credentials are refused",
        tenant: DemoTenant::Main,
        access: DemoAccess::Suspended,
    },
    DemoApp {
        name: "Free-plan merchant app",
        client_id: "demo-free-plan",
        client_secret: "pgs_demo_free_plan_secret",
        purpose: "a FREE-plan tenant: API access denied",
        tenant: DemoTenant::Free,
        access: DemoAccess::AllScopes,
    },
];

impl DemoApp {
    pub fn scopes(&self) -> ScopeSet {
        match self.access {
            DemoAccess::AllButPii => Scope::ALL
                .into_iter()
                .filter(|s| *s != Scope::ReadCustomersPii)
                .collect(),
            _ => ScopeSet::all(),
        }
    }

    /// The demo application with every scope, whose token the banner prints.
    pub fn full_access() -> &'static DemoApp {
        &DEMO_APPS[0]
    }
}

/// Whether the database holds no tenant yet (a fresh database).
pub async fn is_empty(db: &DatabaseConnection) -> anyhow::Result<bool> {
    Ok(tenants::Entity::find().count(db).await? == 0)
}

/// Deletes every row of every table, children first.
pub async fn reset(db: &DatabaseConnection) -> anyhow::Result<()> {
    const TABLES: &[&str] = &[
        "idempotency_records",
        "api_key_requests",
        "api_keys",
        "webhook_deliveries",
        "webhook_events",
        "webhook_subscriptions",
        "document_counters",
        "goods_receipt_lines",
        "goods_receipts",
        "asn_lines",
        "asns",
        "stock_allocations",
        "stock_balances",
        "sales_order_items",
        "sales_orders",
        "customers",
        "purchase_order_items",
        "purchase_orders",
        "suppliers",
        "inventory_movements",
        "inventory_levels",
        "product_skus",
        "products",
        "storage_locations",
        "warehouses",
        "api_applications",
        "branches",
        "tenants",
    ];
    for table in TABLES {
        db.execute_unprepared(&format!("DELETE FROM {table}"))
            .await
            .with_context(|| format!("cannot empty {table}"))?;
    }
    Ok(())
}

/// Writes a demo data set into an empty database.
pub async fn seed(
    db: &DatabaseConnection,
    now: crate::clock::Timestamp,
    options: &SeedOptions,
) -> anyhow::Result<SeedSummary> {
    options.validate()?;
    if !is_empty(db).await? {
        bail!(
            "the database already holds data; seed only fills an empty database (use --reset to empty it first)"
        );
    }
    generate::run(db, now, options).await
}

/// Formats a duration as seconds with one decimal.
pub fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

/// A ready access token for a demo application, if it exists in this database and is active.
pub async fn access_token(
    state: &crate::state::AppState,
    app: &DemoApp,
) -> anyhow::Result<Option<String>> {
    let Some(row) =
        crate::domain::applications::find_by_client_id(&state.db, app.client_id).await?
    else {
        return Ok(None);
    };
    if row.status != crate::entities::enums::AppStatus::Active {
        return Ok(None);
    }
    let grant = crate::auth::jwt::Grant {
        application_id: row.id,
        tenant_id: row.tenant_id,
        scopes: row.scope_set(),
        branches: row.allowed_branches()?,
        generation: row.token_generation,
    };
    Ok(Some(
        state.jwt.issue(&grant, state.clock.now())?.access_token,
    ))
}

/// Outside demo mode no credential whose text is public may authenticate: every application
/// still holding one of the demo secrets (whatever its client id), and the demo API key, are
/// revoked — revocation is final, and an application's tokens end with it. Returns what was
/// revoked now.
pub async fn revoke_public_credentials(
    db: &impl ConnectionTrait,
    now: crate::clock::Timestamp,
) -> anyhow::Result<Vec<String>> {
    use sea_orm::{ColumnTrait, QueryFilter};

    use crate::entities::api_applications;
    use crate::entities::enums::AppStatus;

    let public: Vec<String> = DEMO_APPS
        .iter()
        .map(|app| crate::domain::secrets::hash_secret(app.client_secret))
        .collect();
    let exposed = api_applications::Entity::find()
        .filter(api_applications::Column::ClientSecretHash.is_in(public))
        .filter(api_applications::Column::Status.ne(AppStatus::Revoked))
        .all(db)
        .await?;
    let mut revoked = Vec::new();
    for app in exposed {
        crate::domain::applications::set_status(db, now, &app.client_id, AppStatus::Revoked)
            .await?;
        revoked.push(app.client_id);
    }
    if let Some(key) = crate::domain::api_keys::authenticate(db, DEMO_API_KEY, now).await? {
        let key = crate::domain::api_keys::revoke(db, now, key).await?;
        revoked.push(format!("API key {}", key.key_prefix));
    }
    Ok(revoked)
}
