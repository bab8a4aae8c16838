//! `apps` and `tenants` subcommands.

use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::clock::Clock;
use crate::config::Config;
use crate::db;
use crate::domain::applications::{self, NewApplication};
use crate::domain::scopes::ScopeSet;
use crate::domain::tenants;
use crate::entities::api_applications;
use crate::entities::enums::{AppStatus, Plan};

#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// Register an application; prints its client secret once.
    Create {
        /// Tenant id (see `tenants list`).
        #[arg(long)]
        tenant: Uuid,
        /// A name people recognise (shown in lists and logs).
        #[arg(long)]
        name: String,
        /// Space- or comma-separated scopes, e.g. "read:sales read:products".
        #[arg(long)]
        scopes: String,
        /// Restrict to a branch (repeatable); omit for every branch.
        #[arg(long = "branch")]
        branches: Vec<Uuid>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List applications (secrets are never shown).
    List {
        /// Only this tenant's applications.
        #[arg(long)]
        tenant: Option<Uuid>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Suspend an application: its tokens stop working on their next request.
    Suspend {
        /// The application's client id (`pgc_…`, see `apps list`).
        client_id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Re-activate a suspended application.
    Activate {
        /// The application's client id (`pgc_…`, see `apps list`).
        client_id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an application for good.
    Revoke {
        /// The application's client id (`pgc_…`, see `apps list`).
        client_id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Set the browser origins (e.g. https://app.example.com) whose pages may call the API
    /// with the application's tokens; replaces the list. No origins: no browser access.
    Origins {
        /// The application's client id (`pgc_…`, see `apps list`).
        client_id: String,
        /// `scheme://host[:port]`, no path; repeat for several.
        origins: Vec<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// Create a tenant.
    Create {
        /// The merchant's name.
        #[arg(long)]
        name: String,
        /// FREE, BASIC, PRO or ENTERPRISE.
        #[arg(long, default_value = "PRO")]
        plan: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List tenants.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn application_json(app: &api_applications::Model) -> anyhow::Result<Value> {
    Ok(json!({
        "application_id": app.id,
        "tenant_id": app.tenant_id,
        "name": app.name,
        "client_id": app.client_id,
        "scopes": app.scope_set().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "allowed_branch_ids": app.allowed_branches().context("stored branch list is corrupt")?,
        "allowed_origins": app.allowed_origins().context("stored origin list is corrupt")?,
        "status": app.status,
        "created_at": app.created_at,
    }))
}

fn print_application(app: &api_applications::Model, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&application_json(app)?)?);
    } else {
        println!(
            "{}  {}  {}  {}  [{}]",
            app.client_id,
            app.status,
            app.tenant_id,
            app.name,
            app.scope_set()
        );
        let origins = app
            .allowed_origins()
            .context("stored origin list is corrupt")?;
        if !origins.is_empty() {
            println!("  browser origins: {}", origins.join(" "));
        }
        if let Some(branches) = app
            .allowed_branches()
            .context("stored branch list is corrupt")?
        {
            let branches: Vec<String> = branches.iter().map(Uuid::to_string).collect();
            println!("  only branches: {}", branches.join(" "));
        }
    }
    Ok(())
}

pub async fn run_apps(
    config: Config,
    clock: Arc<dyn Clock>,
    command: AppsCommand,
) -> anyhow::Result<()> {
    let db = db::connect(&config.database).await?;
    db::migrate(&db).await?;
    match command {
        AppsCommand::Create {
            tenant,
            name,
            scopes,
            branches,
            json,
        } => {
            let scopes = ScopeSet::parse(&scopes.replace(',', " "))?;
            let created = applications::create(
                &db,
                clock.now(),
                NewApplication {
                    tenant_id: tenant,
                    name,
                    scopes,
                    allowed_branch_ids: (!branches.is_empty()).then_some(branches),
                },
            )
            .await?;
            if json {
                let mut value = application_json(&created.application)?;
                value["client_secret"] = json!(created.client_secret);
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                print_application(&created.application, false)?;
                println!("client_secret: {}", created.client_secret);
                eprintln!("store the secret now: it is kept hashed and cannot be shown again");
            }
        }
        AppsCommand::List { tenant, json } => {
            let apps = applications::list(&db, tenant).await?;
            if json {
                let values = apps
                    .iter()
                    .map(application_json)
                    .collect::<anyhow::Result<Vec<_>>>()?;
                println!("{}", serde_json::to_string_pretty(&values)?);
            } else {
                for app in &apps {
                    print_application(app, false)?;
                }
            }
        }
        AppsCommand::Suspend { client_id, json } => {
            let app = applications::set_status(&db, clock.now(), &client_id, AppStatus::Suspended)
                .await?;
            print_application(&app, json)?;
        }
        AppsCommand::Activate { client_id, json } => {
            let app =
                applications::set_status(&db, clock.now(), &client_id, AppStatus::Active).await?;
            print_application(&app, json)?;
        }
        AppsCommand::Revoke { client_id, json } => {
            let app =
                applications::set_status(&db, clock.now(), &client_id, AppStatus::Revoked).await?;
            print_application(&app, json)?;
        }
        AppsCommand::Origins {
            client_id,
            origins,
            json,
        } => {
            let app = applications::set_origins(&db, clock.now(), &client_id, &origins).await?;
            print_application(&app, json)?;
        }
    }
    Ok(())
}

pub async fn run_tenants(
    config: Config,
    clock: Arc<dyn Clock>,
    command: TenantsCommand,
) -> anyhow::Result<()> {
    let db = db::connect(&config.database).await?;
    db::migrate(&db).await?;
    let tenant_json = |t: &crate::entities::tenants::Model| json!({ "tenant_id": t.id, "name": t.name, "plan": t.plan, "created_at": t.created_at });
    match command {
        TenantsCommand::Create { name, plan, json } => {
            let plan: Plan = plan.parse().map_err(|e| anyhow::anyhow!("--plan {e}"))?;
            anyhow::ensure!(!name.trim().is_empty(), "--name must not be empty");
            let tenant = tenants::create(&db, clock.now(), Uuid::new_v4(), &name, plan).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&tenant_json(&tenant))?);
            } else {
                println!("{}  {}  {}", tenant.id, tenant.plan, tenant.name);
            }
        }
        TenantsCommand::List { json } => {
            let all = tenants::list(&db).await?;
            if json {
                let values: Vec<Value> = all.iter().map(tenant_json).collect();
                println!("{}", serde_json::to_string_pretty(&values)?);
            } else {
                for tenant in &all {
                    println!("{}  {}  {}", tenant.id, tenant.plan, tenant.name);
                }
            }
        }
    }
    Ok(())
}
