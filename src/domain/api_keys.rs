//! Keys of the Push Integration API: created for a tenant with scopes (`read`, `write`,
//! `admin` — admin passes every check), optionally expiring, revocable, with an IP allow-list
//! (addresses and CIDR networks), the browser origins allowed to use them and a per-minute
//! rate limit. The raw key (`wms_…`) is shown once; only its SHA-256 is stored.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::applications::normalize_origin;
use super::secrets;
use crate::clock::Timestamp;
use crate::entities::{api_keys, tenants};

/// Characters of the raw key kept to recognise it by (`wms_` and eight more).
const PREFIX_CHARS: usize = 12;
/// Longest key name.
const MAX_NAME_CHARS: usize = 100;
/// Most entries of an allow-list or origin list.
const MAX_LIST_ENTRIES: usize = 100;
/// Highest per-minute rate limit.
pub const MAX_RATE_LIMIT: u32 = 1_000_000;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyScope {
    /// The inquiry endpoints (GET).
    Read,
    /// The writes (POST): master data, documents.
    Write,
    /// Every check passes.
    Admin,
}

impl KeyScope {
    pub const ALL: [KeyScope; 3] = [KeyScope::Read, KeyScope::Write, KeyScope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyScope::Read => "read",
            KeyScope::Write => "write",
            KeyScope::Admin => "admin",
        }
    }
}

impl FromStr for KeyScope {
    type Err = ApiKeyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        KeyScope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == text)
            .ok_or_else(|| ApiKeyError::UnknownScope(text.to_owned()))
    }
}

/// The scopes of a key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyScopes(BTreeSet<KeyScope>);

impl KeyScopes {
    /// Scopes separated by spaces or commas.
    pub fn parse(text: &str) -> Result<Self, ApiKeyError> {
        text.split([' ', ','])
            .filter(|part| !part.is_empty())
            .map(KeyScope::from_str)
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Self)
    }

    pub fn from_list(scopes: &[KeyScope]) -> Self {
        Self(scopes.iter().copied().collect())
    }

    /// Whether a check needing `scope` passes (`admin` passes every check).
    pub fn allows(&self, scope: KeyScope) -> bool {
        self.0.contains(&KeyScope::Admin) || self.0.contains(&scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = KeyScope> + '_ {
        self.0.iter().copied()
    }
}

impl std::fmt::Display for KeyScopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.iter().map(KeyScope::as_str).collect();
        f.write_str(&names.join(" "))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("name must be 1 to {MAX_NAME_CHARS} characters, no control characters")]
    BadName,
    #[error("at least one scope is required (read, write, admin)")]
    NoScopes,
    #[error("unknown scope {0:?}: the scopes are read, write and admin")]
    UnknownScope(String),
    #[error("expiresAt must be in the future")]
    ExpiresInPast,
    #[error("{0:?} is neither an IP address nor a CIDR network")]
    BadAddress(String),
    #[error("origin {0:?}: {1}")]
    BadOrigin(String, &'static str),
    #[error("at most {MAX_LIST_ENTRIES} entries per list")]
    TooManyEntries,
    #[error("the rate limit must be between 0 (no limit) and {MAX_RATE_LIMIT} per minute")]
    BadRateLimit,
    #[error("tenant {0} does not exist")]
    UnknownTenant(Uuid),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// A key to create.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub tenant_id: Uuid,
    pub name: String,
    pub scopes: KeyScopes,
    pub expires_at: Option<Timestamp>,
    /// Addresses (`203.0.113.5`) and networks (`203.0.113.0/24`); empty allows every address.
    pub ip_allowlist: Vec<String>,
    /// Browser origins whose pages may use the key; empty allows none.
    pub allowed_origins: Vec<String>,
    /// Requests per sliding minute; `None` or 0: no limit.
    pub rate_limit_per_minute: Option<u32>,
}

/// A created key and its raw text, which is never shown again.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub key: api_keys::Model,
    pub raw_key: String,
}

/// An allow-list entry as stored: an address, or a network in its truncated form.
pub fn normalize_address(text: &str) -> Result<String, ApiKeyError> {
    let text = text.trim();
    if let Ok(address) = text.parse::<IpAddr>() {
        return Ok(address.to_canonical().to_string());
    }
    let net = text
        .parse::<IpNet>()
        .map_err(|_| ApiKeyError::BadAddress(text.to_owned()))?;
    // An IPv4 network written in IPv6's mapped form matches IPv4 clients as IPv4.
    let net = match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                .map(IpNet::V4)
                .unwrap_or(net),
            None => net,
        },
        _ => net,
    };
    Ok(net.trunc().to_string())
}

/// Creates a key with a fresh raw key.
pub async fn create(
    db: &impl ConnectionTrait,
    now: Timestamp,
    new: NewApiKey,
) -> Result<CreatedKey, ApiKeyError> {
    let raw_key = secrets::generate_api_key()?;
    create_with_raw_key(db, now, new, &raw_key).await
}

/// Creates a key whose raw text is given (the documented demo key).
pub async fn create_with_raw_key(
    db: &impl ConnectionTrait,
    now: Timestamp,
    new: NewApiKey,
    raw_key: &str,
) -> Result<CreatedKey, ApiKeyError> {
    let name = new.name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiKeyError::BadName);
    }
    if new.scopes.is_empty() {
        return Err(ApiKeyError::NoScopes);
    }
    if new.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiKeyError::ExpiresInPast);
    }
    if new.ip_allowlist.len() > MAX_LIST_ENTRIES || new.allowed_origins.len() > MAX_LIST_ENTRIES {
        return Err(ApiKeyError::TooManyEntries);
    }
    let limit = match new.rate_limit_per_minute {
        None | Some(0) => None,
        Some(n) if n <= MAX_RATE_LIMIT => Some(i32::try_from(n).map_err(anyhow::Error::from)?),
        Some(_) => return Err(ApiKeyError::BadRateLimit),
    };
    let addresses = new
        .ip_allowlist
        .iter()
        .map(|a| normalize_address(a))
        .collect::<Result<BTreeSet<_>, _>>()?;
    let origins = new
        .allowed_origins
        .iter()
        .map(|o| normalize_origin(o))
        .collect::<Result<BTreeSet<_>, _>>()
        .map_err(|err| match err {
            super::applications::ApplicationError::BadOrigin(origin, why) => {
                ApiKeyError::BadOrigin(origin, why)
            }
            other => ApiKeyError::Other(anyhow::anyhow!("{other}")),
        })?;
    if tenants::Entity::find_by_id(new.tenant_id)
        .one(db)
        .await?
        .is_none()
    {
        return Err(ApiKeyError::UnknownTenant(new.tenant_id));
    }
    let key = api_keys::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(new.tenant_id),
        name: Set(name.to_owned()),
        key_prefix: Set(raw_key.chars().take(PREFIX_CHARS).collect()),
        key_hash: Set(secrets::hash_secret(raw_key)),
        scopes: Set(new.scopes.to_string()),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
        ip_allowlist: Set(json_list(&addresses)?),
        allowed_origins: Set(json_list(&origins)?),
        rate_limit_per_minute: Set(limit),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(CreatedKey {
        key,
        raw_key: raw_key.to_owned(),
    })
}

fn json_list(items: &BTreeSet<String>) -> Result<String, ApiKeyError> {
    Ok(serde_json::to_string(items).map_err(anyhow::Error::from)?)
}

/// Keys, newest first; of one tenant when given.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: Option<Uuid>,
) -> Result<Vec<api_keys::Model>, sea_orm::DbErr> {
    let mut query = api_keys::Entity::find();
    if let Some(tenant) = tenant {
        query = query.filter(api_keys::Column::TenantId.eq(tenant));
    }
    query
        .order_by_desc(api_keys::Column::CreatedAt)
        .order_by_desc(api_keys::Column::Id)
        .all(db)
        .await
}

/// The origins some usable key allows (what a preflight, which carries no key, is checked
/// against).
pub async fn active_origins(
    db: &impl ConnectionTrait,
    now: Timestamp,
) -> Result<BTreeSet<String>, sea_orm::DbErr> {
    let keys = api_keys::Entity::find()
        .filter(api_keys::Column::RevokedAt.is_null())
        .filter(api_keys::Column::AllowedOrigins.ne("[]"))
        .all(db)
        .await?;
    Ok(keys
        .iter()
        .filter(|key| key.is_usable(now))
        .flat_map(|key| key.allowed_origin_list())
        .collect())
}

/// Finds a key by its id, or by the start of its raw text as `list` shows it.
pub async fn find(
    db: &impl ConnectionTrait,
    id_or_prefix: &str,
) -> Result<Option<api_keys::Model>, sea_orm::DbErr> {
    let query = match Uuid::parse_str(id_or_prefix.trim()) {
        Ok(id) => api_keys::Entity::find_by_id(id),
        Err(_) => {
            api_keys::Entity::find().filter(api_keys::Column::KeyPrefix.eq(id_or_prefix.trim()))
        }
    };
    let mut found = query.all(db).await?;
    // A prefix shared by two keys names neither.
    Ok(if found.len() == 1 { found.pop() } else { None })
}

/// Revokes a key for good; revoking it again keeps the first revocation time.
pub async fn revoke(
    db: &impl ConnectionTrait,
    now: Timestamp,
    key: api_keys::Model,
) -> Result<api_keys::Model, sea_orm::DbErr> {
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut active: api_keys::ActiveModel = key.into();
    active.revoked_at = Set(Some(now));
    active.updated_at = Set(now);
    active.update(db).await
}

/// The key a raw key names, if it exists, is not revoked and has not expired.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    raw_key: &str,
    now: Timestamp,
) -> Result<Option<api_keys::Model>, sea_orm::DbErr> {
    if !raw_key.starts_with("wms_") || raw_key.len() > 128 {
        return Ok(None);
    }
    let found = api_keys::Entity::find()
        .filter(api_keys::Column::KeyHash.eq(secrets::hash_secret(raw_key)))
        .one(db)
        .await?;
    Ok(found.filter(|key| key.is_usable(now)))
}

/// A summary of a key's request log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestStats {
    pub total: u64,
    pub success: u64,
    pub client_errors: u64,
    pub server_errors: u64,
    pub other: u64,
    pub mean_ms: u64,
    pub max_ms: u64,
    pub first_at: Option<Timestamp>,
    pub last_at: Option<Timestamp>,
}

/// Summarises the request log of the key `id`.
pub async fn request_stats(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<RequestStats, sea_orm::DbErr> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{Alias, Expr, Func};
    let count_where = |condition: &str| {
        Func::cast_as(
            Expr::cust(format!("SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)")),
            Alias::new("BIGINT"),
        )
    };
    type Row = (
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    let row: Option<Row> = crate::entities::api_key_requests::Entity::find()
        .select_only()
        .filter(crate::entities::api_key_requests::Column::ApiKeyId.eq(id))
        .expr(Func::count(Expr::col(
            crate::entities::api_key_requests::Column::Id,
        )))
        .expr(count_where("status >= 200 AND status < 300"))
        .expr(count_where("status >= 400 AND status < 500"))
        .expr(count_where("status >= 500"))
        .expr(Func::cast_as(
            Func::avg(Expr::col(
                crate::entities::api_key_requests::Column::DurationMs,
            )),
            Alias::new("BIGINT"),
        ))
        .expr(Func::max(Expr::col(
            crate::entities::api_key_requests::Column::DurationMs,
        )))
        .expr(Func::min(Expr::col(
            crate::entities::api_key_requests::Column::CreatedAt,
        )))
        .expr(Func::max(Expr::col(
            crate::entities::api_key_requests::Column::CreatedAt,
        )))
        .into_tuple()
        .one(db)
        .await?;
    let Some((total, success, client, server, mean, max, first, last)) = row else {
        return Ok(RequestStats::default());
    };
    let n = |v: Option<i64>| u64::try_from(v.unwrap_or_default()).unwrap_or_default();
    let total = u64::try_from(total).unwrap_or_default();
    let (success, client_errors, server_errors) = (n(success), n(client), n(server));
    Ok(RequestStats {
        total,
        success,
        client_errors,
        server_errors,
        other: total.saturating_sub(success + client_errors + server_errors),
        mean_ms: n(mean),
        max_ms: n(max),
        first_at: first.and_then(Timestamp::from_millis),
        last_at: last.and_then(Timestamp::from_millis),
    })
}

/// What a stored key says about itself.
pub trait KeyRules {
    /// Not revoked and not expired at `now`.
    fn is_usable(&self, now: Timestamp) -> bool;
    fn scope_set(&self) -> KeyScopes;
    /// The allow-list; empty allows every address. A list that cannot be read (or holds an
    /// entry that cannot) is an error, never an open list.
    fn allowed_networks(&self) -> Result<Vec<IpNet>, ApiKeyError>;
    fn allowed_origin_list(&self) -> Vec<String>;
    /// Requests per sliding minute, when limited.
    fn rate_limit(&self) -> Option<u32>;
}

impl KeyRules for api_keys::Model {
    fn is_usable(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }

    fn scope_set(&self) -> KeyScopes {
        // Stored scopes were validated when written; an unknown one grants nothing.
        KeyScopes(
            self.scopes
                .split(' ')
                .filter_map(|s| s.parse().ok())
                .collect(),
        )
    }

    fn allowed_networks(&self) -> Result<Vec<IpNet>, ApiKeyError> {
        let entries: Vec<String> = serde_json::from_str(&self.ip_allowlist)
            .map_err(|_| ApiKeyError::BadAddress(self.ip_allowlist.clone()))?;
        entries
            .iter()
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .ok()
                    .or_else(|| entry.parse::<IpAddr>().ok().map(IpNet::from))
                    .ok_or_else(|| ApiKeyError::BadAddress(entry.clone()))
            })
            .collect()
    }

    fn allowed_origin_list(&self) -> Vec<String> {
        serde_json::from_str(&self.allowed_origins).unwrap_or_default()
    }

    fn rate_limit(&self) -> Option<u32> {
        self.rate_limit_per_minute
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0)
    }
}

/// Whether `address` may use a key with `allowed` networks (an empty list allows all).
pub fn address_allowed(allowed: &[IpNet], address: IpAddr) -> bool {
    let address = address.to_canonical();
    allowed.is_empty() || allowed.iter().any(|net| net.contains(&address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_admin_passes_every_check() {
        let rw = KeyScopes::parse("read, write").expect("known");
        assert!(rw.allows(KeyScope::Read) && rw.allows(KeyScope::Write));
        assert!(!rw.allows(KeyScope::Admin));
        assert_eq!(rw.to_string(), "read write");
        let admin = KeyScopes::parse("admin").expect("known");
        assert!(KeyScope::ALL.iter().all(|s| admin.allows(*s)));
        assert!(matches!(
            KeyScopes::parse("read delete"),
            Err(ApiKeyError::UnknownScope(s)) if s == "delete"
        ));
        let read = KeyScopes::parse("read").expect("known");
        assert!(!read.allows(KeyScope::Write));
    }

    #[test]
    fn allow_lists_take_addresses_and_networks() {
        assert_eq!(
            normalize_address(" 203.0.113.5 ").expect("ip"),
            "203.0.113.5"
        );
        assert_eq!(
            normalize_address("203.0.113.77/24").expect("cidr"),
            "203.0.113.0/24"
        );
        assert_eq!(
            normalize_address("2001:db8::1/32").expect("v6"),
            "2001:db8::/32"
        );
        assert_eq!(
            normalize_address("::ffff:10.0.0.1").expect("mapped"),
            "10.0.0.1"
        );
        assert_eq!(
            normalize_address("::ffff:203.0.113.0/120").expect("mapped net"),
            "203.0.113.0/24"
        );
        for bad in [
            "",
            "203.0.113",
            "203.0.113.0/33",
            "example.com",
            "10.0.0.1/x",
        ] {
            assert!(normalize_address(bad).is_err(), "{bad}");
        }
        let nets: Vec<IpNet> = ["203.0.113.0/24", "198.51.100.7/32"]
            .iter()
            .map(|n| n.parse().expect("net"))
            .collect();
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        assert!(address_allowed(&nets, ip("203.0.113.200")));
        assert!(address_allowed(&nets, ip("198.51.100.7")));
        assert!(address_allowed(&nets, ip("::ffff:203.0.113.9")));
        assert!(!address_allowed(&nets, ip("198.51.100.8")));
        assert!(address_allowed(&[], ip("192.0.2.1")));
    }
}
