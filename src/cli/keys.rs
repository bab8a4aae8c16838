//! `keys` (the Push Integration API's keys) and `admin-token` (an operator token for
//! `/api/v1/api-keys`).

use std::sync::Arc;

use clap::Subcommand;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::clock::{Clock, Timestamp};
use crate::config::Config;
use crate::db;
use crate::domain::api_keys::{self, KeyRules, KeyScopes, NewApiKey};
use crate::entities::api_keys as entity;
use crate::push::keys::KeyView;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; prints the raw key (`wms_…`) once.
    Create {
        /// Tenant id (see `tenants list`).
        #[arg(long)]
        tenant: Uuid,
        /// A name people recognise (shown in lists and the request log).
        #[arg(long)]
        name: String,
        /// Space- or comma-separated: read, write, admin.
        #[arg(long, default_value = "read,write")]
        scopes: String,
        /// When the key stops working, e.g. 2027-01-01T00:00:00.000Z.
        #[arg(long)]
        expires_at: Option<String>,
        /// An address or CIDR network the key may be used from (repeatable); none: any.
        #[arg(long = "ip")]
        ips: Vec<String>,
        /// A browser origin whose pages may use the key (repeatable); none: no browser.
        #[arg(long = "origin")]
        origins: Vec<String>,
        /// Requests per sliding minute; 0: no limit.
        #[arg(long, default_value_t = 0)]
        rate_limit: u32,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List keys (never their raw text).
    List {
        /// Only this tenant's keys.
        #[arg(long)]
        tenant: Option<Uuid>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key for good, by id or by the prefix `list` shows.
    Revoke {
        /// The key's id or prefix.
        key: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Summarise a key's request log: requests by status class, latency, last use.
    Stats {
        /// The key's id or prefix.
        key: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// A key as the operators' API shows it.
fn key_json(key: &entity::Model) -> serde_json::Result<Value> {
    serde_json::to_value(KeyView::new(key, None))
}

fn print_key(key: &entity::Model, json: bool, now: Timestamp) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&key_json(key)?)?);
    } else {
        let state = match (key.revoked_at, key.expires_at) {
            (Some(_), _) => "REVOKED",
            (None, Some(at)) if at <= now => "EXPIRED",
            _ => "ACTIVE",
        };
        println!(
            "{}…  {}  {}  {}  {}  [{}]",
            key.key_prefix,
            key.id,
            state,
            key.tenant_id,
            key.name,
            key.scope_set()
        );
    }
    Ok(())
}

async fn find(db: &sea_orm::DatabaseConnection, key: &str) -> anyhow::Result<entity::Model> {
    api_keys::find(db, key.trim_end_matches('…'))
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!("no key {key:?} (give its id, or a prefix that names one key)")
        })
}

pub async fn run_keys(
    config: Config,
    clock: Arc<dyn Clock>,
    command: KeysCommand,
) -> anyhow::Result<()> {
    let db = db::connect(&config.database).await?;
    db::migrate(&db).await?;
    match command {
        KeysCommand::Create {
            tenant,
            name,
            scopes,
            expires_at,
            ips,
            origins,
            rate_limit,
            json,
        } => {
            let expires_at = expires_at
                .map(|text| {
                    serde_json::from_value::<Timestamp>(Value::String(text.clone())).map_err(|_| {
                        anyhow::anyhow!("--expires-at {text:?} is not an ISO 8601 time")
                    })
                })
                .transpose()?;
            let created = api_keys::create(
                &db,
                clock.now(),
                NewApiKey {
                    tenant_id: tenant,
                    name,
                    scopes: KeyScopes::parse(&scopes)?,
                    expires_at,
                    ip_allowlist: ips,
                    allowed_origins: origins,
                    rate_limit_per_minute: Some(rate_limit),
                },
            )
            .await?;
            if json {
                let view = KeyView::new(&created.key, Some(created.raw_key.clone()));
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print_key(&created.key, false, clock.now())?;
                println!("key: {}", created.raw_key);
                eprintln!("store the key now: it is kept hashed and cannot be shown again");
            }
        }
        KeysCommand::List { tenant, json } => {
            let keys = api_keys::list(&db, tenant).await?;
            if json {
                let values = keys.iter().map(key_json).collect::<Result<Vec<_>, _>>()?;
                println!("{}", serde_json::to_string_pretty(&values)?);
            } else {
                for key in &keys {
                    print_key(key, false, clock.now())?;
                }
            }
        }
        KeysCommand::Revoke { key, json } => {
            let key = find(&db, &key).await?;
            let revoked = api_keys::revoke(&db, clock.now(), key).await?;
            print_key(&revoked, json, clock.now())?;
        }
        KeysCommand::Stats { key, json } => {
            let key = find(&db, &key).await?;
            let stats = api_keys::request_stats(&db, key.id).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&stats_json(&key, &stats)?)?
                );
            } else {
                print_key(&key, false, clock.now())?;
                println!(
                    "requests: {}  (2xx {}, 4xx {}, 5xx {}, other {})",
                    stats.total,
                    stats.success,
                    stats.client_errors,
                    stats.server_errors,
                    stats.other
                );
                if stats.total > 0 {
                    println!(
                        "duration: mean {} ms, max {} ms; first {}, last {}",
                        stats.mean_ms,
                        stats.max_ms,
                        stats.first_at.map(|t| t.to_string()).unwrap_or_default(),
                        stats.last_at.map(|t| t.to_string()).unwrap_or_default()
                    );
                }
            }
        }
    }
    Ok(())
}

fn stats_json(key: &entity::Model, stats: &api_keys::RequestStats) -> serde_json::Result<Value> {
    Ok(json!({
        "key": key_json(key)?,
        "requests": stats.total,
        "byStatus": {
            "2xx": stats.success,
            "4xx": stats.client_errors,
            "5xx": stats.server_errors,
            "other": stats.other,
        },
        "meanMs": stats.mean_ms,
        "maxMs": stats.max_ms,
        "firstAt": stats.first_at,
        "lastAt": stats.last_at,
    }))
}

/// Prints an operator token for `/api/v1/api-keys`.
pub fn admin_token(
    config: &Config,
    clock: Arc<dyn Clock>,
    subject: &str,
    ttl_minutes: u64,
) -> anyhow::Result<()> {
    let jwt = config.require_jwt()?;
    let keys = crate::auth::operator::OperatorKeys::new(jwt);
    let token = keys.issue(subject, ttl_minutes.saturating_mul(60), clock.now())?;
    println!("{token}");
    Ok(())
}
