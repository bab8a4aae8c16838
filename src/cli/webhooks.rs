//! `webhooks`: a tenant's own subscriptions to the WMS events (seed 003 §6), as operators
//! manage them over `/api/v1/webhook-subscriptions` — through the same domain functions.

use std::sync::Arc;

use clap::Subcommand;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::clock::Clock;
use crate::config::Config;
use crate::db;
use crate::domain::context::Ctx;
use crate::domain::pagination::{CursorCodec, PageRequest, Walk};
use crate::domain::scope::TenantScope;
use crate::domain::webhooks::{self, NewSubscription, Owner, Subscription};

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Subscribe a tenant to WMS events; prints the signing secret (`whsec_…`) once.
    Create {
        /// Tenant id (see `tenants list`).
        #[arg(long)]
        tenant: Uuid,
        /// Where deliveries are POSTed (http or https; private addresses only when
        /// WEBHOOK_ALLOW_PRIVATE_TARGETS allows them).
        #[arg(long)]
        url: String,
        /// An event to receive (repeatable): asn.received, asn.completed, order.allocated,
        /// order.cancelled (and the catalogue's not-yet-emitted ones).
        #[arg(long = "event", required = true)]
        events: Vec<String>,
        /// What the subscription is for (shown in lists).
        #[arg(long)]
        description: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List a tenant's WMS subscriptions (never their secrets).
    List {
        /// Tenant id (see `tenants list`).
        #[arg(long)]
        tenant: Uuid,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Delete a WMS subscription with its deliveries.
    Delete {
        /// The subscription's id (see `webhooks list`).
        id: Uuid,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn subscription_json(tenant: Uuid, s: &Subscription) -> Value {
    json!({
        "id": s.id,
        "tenantId": tenant,
        "url": s.url,
        "events": s.events,
        "description": s.description,
        "status": s.status,
        "createdAt": s.created_at,
        "updatedAt": s.updated_at,
    })
}

pub async fn run_webhooks(
    config: Config,
    clock: Arc<dyn Clock>,
    command: WebhooksCommand,
) -> anyhow::Result<()> {
    let db = db::connect(&config.database).await?;
    db::migrate(&db).await?;
    // Lists here are never paged by a client: any key signs their (unused) cursors.
    let cursors = CursorCodec::new(b"cli");
    let policy = config.webhooks.targets;
    match command {
        WebhooksCommand::Create {
            tenant,
            url,
            events,
            description,
            json,
        } => {
            crate::domain::tenants::find(&db, tenant)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no tenant {tenant} (see `tenants list`)"))?;
            let scope = TenantScope::whole_tenant(tenant);
            let txn = sea_orm::TransactionTrait::begin(&db).await?;
            let ctx = Ctx::new(&txn, &scope, clock.now(), &cursors);
            let created = webhooks::create(
                &ctx,
                Owner::Tenant,
                policy,
                NewSubscription {
                    url,
                    events,
                    description,
                },
            )
            .await
            .map_err(describe)?;
            txn.commit().await?;
            if json {
                let mut value = subscription_json(tenant, &created.subscription);
                value["secret"] = json!(created.secret);
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                println!(
                    "subscription {} created for {}",
                    created.subscription.id,
                    created.subscription.events.join(", ")
                );
                println!("signing secret (shown once): {}", created.secret);
            }
        }
        WebhooksCommand::List { tenant, json } => {
            let scope = TenantScope::whole_tenant(tenant);
            let ctx = Ctx::new(&db, &scope, clock.now(), &cursors);
            let all = PageRequest {
                limit: crate::domain::input::Input::Given(webhooks::TENANT_QUOTA as i64),
                cursor: None,
                walk: Walk::Forward,
            };
            let page = webhooks::list(&ctx, Owner::Tenant, &all)
                .await
                .map_err(describe)?;
            if json {
                let items: Vec<Value> = page
                    .items
                    .iter()
                    .map(|s| subscription_json(tenant, s))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else if page.items.is_empty() {
                println!("no WMS subscriptions for tenant {tenant}");
            } else {
                for s in &page.items {
                    println!(
                        "{}  {}  {}  {}",
                        s.id,
                        s.status.as_str(),
                        s.url,
                        s.events.join(",")
                    );
                }
            }
        }
        WebhooksCommand::Delete { id, json } => {
            let tenant = webhooks::tenant_of(&db, id)
                .await
                .map_err(|_| anyhow::anyhow!("no WMS subscription {id}"))?;
            let scope = TenantScope::whole_tenant(tenant);
            let txn = sea_orm::TransactionTrait::begin(&db).await?;
            let ctx = Ctx::new(&txn, &scope, clock.now(), &cursors);
            let gone = webhooks::get(&ctx, Owner::Tenant, id)
                .await
                .map_err(describe)?;
            webhooks::delete(&ctx, Owner::Tenant, id)
                .await
                .map_err(describe)?;
            txn.commit().await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&subscription_json(tenant, &gone))?
                );
            } else {
                println!("subscription {id} deleted");
            }
        }
    }
    Ok(())
}

/// A domain refusal as the operator should read it: the message and each field's problem.
fn describe(err: crate::error::AppError) -> anyhow::Error {
    let body = err.body();
    let mut text = if body["error"] == "invalid_request" {
        "invalid input:".to_owned()
    } else {
        body["message"].as_str().unwrap_or("refused").to_owned()
    };
    for detail in body["details"].as_array().into_iter().flatten() {
        text.push_str(&format!(
            "\n  {}: {}",
            detail["field"].as_str().unwrap_or_default(),
            detail["message"].as_str().unwrap_or_default()
        ));
    }
    anyhow::anyhow!(text)
}
