//! The benchmark build of the server for bench/push/run.sh: the same server as
//! `partner-gateway serve`, with a fresh tenant and a write key, and two switches the product
//! does not have:
//!
//! - `--bare`: the integration routes run as that key without the key guard, the request log
//!   and idempotency (what the machinery costs is the difference);
//! - `--log-sink stalled|failing`: the request log's queue is never read (it fills, then drops)
//!   or its batches go to a database without the table (every write fails).
//!
//! It makes a warehouse `WH-BENCH` for the documents' benchmarks and prints one JSON line
//! (`{"key": …, "port": …, "warehouse": …}`) on stdout once it listens.

use std::sync::Arc;

use clap::{Parser, ValueEnum};
use partner_gateway::clock::{Clock, SystemClock};
use partner_gateway::config::{Config, ConfigArgs};
use partner_gateway::domain::api_keys::{self, KeyScopes, NewApiKey};
use partner_gateway::domain::scope::TenantScope;
use partner_gateway::entities::enums::Plan;
use partner_gateway::push::guard::KeyCaller;
use partner_gateway::startup::{self, Application};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogSink {
    /// The product's: the server's database.
    Database,
    /// Never read: the queue fills and every later entry is dropped.
    Stalled,
    /// A database without the table: every batch fails.
    Failing,
}

#[derive(Debug, Parser)]
struct Args {
    #[command(flatten)]
    config: ConfigArgs,
    /// Run the integration routes without the key guard, request log and idempotency.
    #[arg(long)]
    bare: bool,
    #[arg(long, value_enum, default_value_t = LogSink::Database)]
    log_sink: LogSink,
    /// A receiver URL for a WMS webhook subscription of the tenant to `order.allocated`
    /// (repeatable; the webhook benchmark's). Their secrets are printed with the rest.
    #[arg(long = "webhook")]
    webhooks: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut config = Config::from_args(&args.config)?;
    // Every run starts on a fresh database.
    config.database.create_if_missing = true;
    partner_gateway::telemetry::init(config.log_format);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let state = startup::build_state(config, clock.clone()).await?;
    let now = clock.now();
    let tenant = partner_gateway::domain::tenants::create(
        &state.db,
        now,
        uuid::Uuid::new_v4(),
        "Benchmark",
        Plan::Enterprise,
    )
    .await?;
    warehouse(&state.db, tenant.id, now).await?;
    let mut secrets = Vec::new();
    for url in &args.webhooks {
        let scope = TenantScope::whole_tenant(tenant.id);
        let ctx =
            partner_gateway::domain::context::Ctx::new(&state.db, &scope, now, &state.cursors);
        let created = partner_gateway::domain::webhooks::create(
            &ctx,
            partner_gateway::domain::webhooks::Owner::Tenant,
            partner_gateway::webhooks::target::TargetPolicy {
                allow_private: true,
            },
            partner_gateway::domain::webhooks::NewSubscription {
                url: url.clone(),
                events: vec!["order.allocated".into()],
                description: None,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
        secrets.push(created.secret);
    }
    let created = api_keys::create(
        &state.db,
        now,
        NewApiKey {
            tenant_id: tenant.id,
            name: "Benchmark".into(),
            scopes: KeyScopes::parse("read,write")?,
            expires_at: None,
            ip_allowlist: vec![],
            allowed_origins: vec![],
            rate_limit_per_minute: None,
        },
    )
    .await?;
    if args.bare {
        let caller = KeyCaller {
            tenancy: TenantScope::whole_tenant(tenant.id),
            key: created.key.clone(),
        };
        anyhow::ensure!(state.push.bare.set(caller).is_ok(), "bare caller set twice");
    }
    // Held until the end: a stalled sink is a queue nobody reads.
    let mut stalled = None;
    match args.log_sink {
        LogSink::Database => {}
        LogSink::Stalled => stalled = state.push.take_pending_log(),
        LogSink::Failing => {
            if let Some(pending) = state.push.take_pending_log() {
                let nowhere = sea_orm::Database::connect("sqlite::memory:").await?;
                let budgets = state.db_budgets.clone();
                state.background.spawn("request-log", |stop| {
                    partner_gateway::push::request_log::write_forever(
                        nowhere, budgets, pending, stop,
                    )
                });
            }
        }
    }
    let app = Application::bind(state.clone()).await?;
    println!(
        "{}",
        serde_json::json!({
            "key": created.raw_key,
            "port": app.local_addr()?.port(),
            "warehouse": WAREHOUSE,
            "webhookSecrets": secrets,
        })
    );
    app.run_until(startup::shutdown_signal()).await?;
    drop(stalled);
    Ok(())
}

/// The warehouse the documents' benchmarks receive into and allocate from (the push API has no
/// endpoint for warehouses).
const WAREHOUSE: &str = "WH-BENCH";

async fn warehouse(
    db: &sea_orm::DatabaseConnection,
    tenant: uuid::Uuid,
    now: partner_gateway::clock::Timestamp,
) -> anyhow::Result<()> {
    use partner_gateway::entities::enums::{RecordStatus, WarehouseKind};
    use partner_gateway::entities::{branches, warehouses};
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let branch = uuid::Uuid::new_v4();
    branches::Entity::insert(branches::ActiveModel {
        id: Set(branch),
        tenant_id: Set(tenant),
        code: Set("BR-BENCH".into()),
        name: Set("Benchmark branch".into()),
        status: Set(RecordStatus::Active),
        address: Set(None),
        city: Set(None),
        phone: Set(None),
        timezone: Set("Asia/Bangkok".into()),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    warehouses::Entity::insert(warehouses::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        tenant_id: Set(tenant),
        branch_id: Set(branch),
        code: Set(WAREHOUSE.into()),
        name: Set("Benchmark warehouse".into()),
        kind: Set(WarehouseKind::Central),
        status: Set(RecordStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
