//! The key guard in front of every `/api/v1/integration/v1/*` request, in seed 003's order:
//! the key (`X-API-Key` or `Authorization: ApiKey …`; 401) → the key's IP allow-list (403) →
//! its allowed origins (403) → its per-minute rate limit (429) → the scope the method needs
//! (401). Every request that names a known key is then written to the request log after its
//! response, refused or not.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;

use super::PushState;
use super::envelope::{INVALID_KEY, MISSING_KEY, MISSING_SCOPE, PushError};
use super::request_log::Entry;
use crate::auth::rate_limit::RateStatus;
use crate::domain::api_keys::{self, KeyRules, KeyScope};
use crate::domain::scope::TenantScope;
use crate::entities::api_keys as entity;
use crate::error::{RATE_LIMIT_LIMIT, RATE_LIMIT_REMAINING};
use crate::state::AppState;

/// The caller of a guarded request: its key and the tenant it acts for.
#[derive(Debug, Clone)]
pub struct KeyCaller {
    pub key: entity::Model,
    pub tenancy: TenantScope,
}

impl KeyCaller {
    /// A connection for one request of the key's tenant, within its connection budgets.
    pub fn db(&self, state: &AppState) -> crate::db::BudgetedDb {
        state.db_budgets.for_request(&state.db, self.key.tenant_id)
    }

    /// The context of a domain call as this caller, on `db`.
    pub fn ctx<'a, C: sea_orm::ConnectionTrait>(
        &'a self,
        state: &'a AppState,
        db: &'a C,
    ) -> crate::domain::context::Ctx<'a, C> {
        crate::domain::context::Ctx::new(db, &self.tenancy, state.clock.now(), &state.cursors)
    }
}

/// A key that cannot be told: more than one (a header repeated, or both forms: which is meant
/// is anyone's guess), or an `X-API-Key` that is not text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UnreadableKey;

/// The raw key of a request: `X-API-Key`, or `Authorization: ApiKey <key>` (an authorization
/// of another scheme, such as a bearer token, is no key).
fn presented_key(headers: &HeaderMap) -> Result<Option<&str>, UnreadableKey> {
    let mut keys = Vec::with_capacity(1);
    for value in headers.get_all("x-api-key") {
        keys.push(value.to_str().map_err(|_| UnreadableKey)?.trim());
    }
    for value in headers.get_all(header::AUTHORIZATION) {
        let Some((scheme, key)) = value.to_str().ok().and_then(|text| text.split_once(' ')) else {
            continue;
        };
        if scheme.eq_ignore_ascii_case("apikey") {
            keys.push(key.trim());
        }
    }
    match keys.as_slice() {
        [] => Ok(None),
        [key] => Ok(Some(*key).filter(|key| !key.is_empty())),
        _ => Err(UnreadableKey),
    }
}

/// Where a request came from, as far as the guard can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAddress {
    Known(IpAddr),
    /// Served in-process, or a trusted proxy forwarded something that names no address.
    Unknown,
}

/// The client's address: the peer's, or — when the peer is a trusted proxy — the address that
/// proxy saw, read from `X-Forwarded-For` right to left past the trusted proxies. When the
/// proxy writes the header afresh that is its first entry (seed 003); when it appends to a
/// header the client sent, the client's own entries are never believed. Any other peer's
/// header is ignored: a client can send it, so believing it would let anyone claim an
/// allowed address.
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> ClientAddress {
    let Some(peer) = peer.map(|p| p.to_canonical()) else {
        return ClientAddress::Unknown;
    };
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(address));
    if !is_trusted(&peer) {
        return ClientAddress::Known(peer);
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
    if entries.is_empty() {
        // The proxy's own request.
        return ClientAddress::Known(peer);
    }
    for entry in entries.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(address) if is_trusted(&address.to_canonical()) => continue,
            Ok(address) => return ClientAddress::Known(address.to_canonical()),
            Err(_) => return ClientAddress::Unknown,
        }
    }
    // Every entry a trusted proxy: the first of them.
    entries
        .first()
        .and_then(|entry| entry.parse::<IpAddr>().ok())
        .map_or(ClientAddress::Unknown, |a| {
            ClientAddress::Known(a.to_canonical())
        })
}

/// The scope a request needs: reading for GET and HEAD, writing for the rest.
fn needed_scope(method: &Method) -> KeyScope {
    if method == Method::GET || method == Method::HEAD {
        KeyScope::Read
    } else {
        KeyScope::Write
    }
}

/// What the guard knows of a request, for its log entry.
struct Seen {
    ip: ClientAddress,
    origin: Option<String>,
}

async fn identify(
    state: &AppState,
    raw_key: Result<Option<String>, UnreadableKey>,
) -> Result<entity::Model, PushError> {
    let raw = raw_key
        .map_err(|UnreadableKey| PushError::Unauthorized(INVALID_KEY))?
        .ok_or(PushError::Unauthorized(MISSING_KEY))?;
    let now = state.clock.now();
    let hash = crate::domain::secrets::hash_secret(&raw);
    if let Some(key) = state.push.known_keys.get(&hash)
        && key.is_usable(now)
    {
        return Ok(key);
    }
    let key = api_keys::authenticate(&state.db, &raw, now)
        .await?
        .ok_or(PushError::Unauthorized(INVALID_KEY))?;
    state.push.known_keys.keep(hash, key.clone());
    Ok(key)
}

/// Keys recently found, by the hash of their raw text: a busy key costs one lookup a second,
/// not one per request. Only keys that exist are kept (a flood of made-up keys fills
/// nothing), each for [`KnownKeys::TTL`]; a key revoked through this server is forgotten at
/// once, one revoked elsewhere (the CLI, another server) within the TTL. Expiry is checked on
/// every use.
#[derive(Debug, Default)]
pub struct KnownKeys(std::sync::Mutex<std::collections::HashMap<String, (Instant, entity::Model)>>);

impl KnownKeys {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(1);
    /// Beyond this many, the cache starts over.
    const MAX: usize = 10_000;

    fn entries(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (Instant, entity::Model)>>
    {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn get(&self, hash: &str) -> Option<entity::Model> {
        let entries = self.entries();
        let (found_at, key) = entries.get(hash)?;
        (found_at.elapsed() < Self::TTL).then(|| key.clone())
    }

    fn keep(&self, hash: String, key: entity::Model) {
        let mut entries = self.entries();
        if entries.len() >= Self::MAX {
            entries.clear();
        }
        entries.insert(hash, (Instant::now(), key));
    }

    /// Forgets the key `id` (revoked).
    pub fn forget(&self, id: uuid::Uuid) {
        self.entries().retain(|_, (_, key)| key.id != id);
    }
}

/// The checks after the key, in the seed's order.
fn admit(
    state: &AppState,
    push: &PushState,
    key: &entity::Model,
    method: &Method,
    seen: &Seen,
) -> Result<Option<RateStatus>, PushError> {
    let refused = |shown: &str| {
        Err(PushError::Refused(format!(
            "Client IP \"{shown}\" is not in this API key's whitelist."
        )))
    };
    let Ok(networks) = key.allowed_networks() else {
        tracing::error!(key = %key.id, "stored IP allow-list cannot be read: refusing");
        return refused("unknown");
    };
    match seen.ip {
        ClientAddress::Known(address) if !api_keys::address_allowed(&networks, address) => {
            return refused(&address.to_string());
        }
        // No address to check passes only an open list.
        ClientAddress::Unknown if !networks.is_empty() => return refused("unknown"),
        _ => {}
    }
    if let Some(origin) = &seen.origin
        && !key.allowed_origin_list().iter().any(|o| o == origin)
    {
        return Err(PushError::Refused(format!(
            "Origin \"{origin}\" is not allowed for this API key."
        )));
    }
    let rate = match key.rate_limit() {
        None => None,
        Some(limit) => match push
            .key_limits
            .try_count(&key.id, limit, 1, state.clock.now())
        {
            Ok(status) => Some(status),
            Err(exceeded) => {
                return Err(PushError::RateLimited {
                    limit,
                    retry_after_secs: exceeded.retry_after_secs.max(1),
                });
            }
        },
    };
    if !key.scope_set().allows(needed_scope(method)) {
        let mut refusal = PushError::Unauthorized(MISSING_SCOPE).into_response();
        if let Some(rate) = rate {
            rate_headers(refusal.headers_mut(), rate.limit, u64::from(rate.remaining));
        }
        return Err(PushError::Answered(Box::new(refusal)));
    }
    Ok(rate)
}

fn rate_headers(headers: &mut HeaderMap, limit: u32, remaining: u64) {
    headers.insert(RATE_LIMIT_LIMIT, HeaderValue::from(limit));
    headers.insert(RATE_LIMIT_REMAINING, HeaderValue::from(remaining));
}

/// The guard middleware of the integration routes.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let push = state.push.clone();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let seen = Seen {
        ip: client_address(peer, request.headers(), &push.trusted_proxies),
        origin: crate::web::cors::cross_origin(request.headers()).map(str::to_owned),
    };
    let method = request.method().to_string();
    let endpoint = request
        .uri()
        .path()
        .strip_prefix(super::INTEGRATION)
        .unwrap_or(request.uri().path())
        .to_owned();
    let request_id = crate::startup::request_id(request.headers());
    let raw_key = presented_key(request.headers()).map(|key| key.map(str::to_owned));
    let verb = request.method().clone();
    let (key, response) = match identify(&state, raw_key).await {
        Err(refusal) => (None, refusal.into_response()),
        Ok(key) => match admit(&state, &push, &key, &verb, &seen) {
            Err(refusal) => (Some(key), refusal.into_response()),
            Ok(rate) => {
                request.extensions_mut().insert(KeyCaller {
                    tenancy: TenantScope::whole_tenant(key.tenant_id),
                    key: key.clone(),
                });
                let mut response = next.run(request).await;
                if let Some(rate) = rate {
                    rate_headers(
                        response.headers_mut(),
                        rate.limit,
                        u64::from(rate.remaining),
                    );
                }
                (Some(key), response)
            }
        },
    };
    let mut response = response;
    // Every answer to a key with a limit says where it stands, refusals before the count
    // included (they were not counted).
    if let Some(limit) = key.as_ref().and_then(|k| k.rate_limit())
        && !response.headers().contains_key(RATE_LIMIT_LIMIT)
    {
        let used = key
            .as_ref()
            .map_or(0, |k| push.key_limits.used(&k.id, state.clock.now()));
        rate_headers(
            response.headers_mut(),
            limit,
            u64::from(limit).saturating_sub(used),
        );
    }
    if let Some(key) = key {
        push.request_log.record(Entry {
            tenant_id: key.tenant_id,
            api_key_id: key.id,
            method,
            endpoint,
            ip: match seen.ip {
                ClientAddress::Known(ip) => Some(ip.to_string()),
                ClientAddress::Unknown => None,
            },
            origin: seen.origin,
            status: response.status().as_u16(),
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            request_id,
            at: state.clock.now(),
        });
    }
    response
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for KeyCaller {
    type Rejection = PushError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, PushError> {
        parts.extensions.get::<KeyCaller>().cloned().ok_or_else(|| {
            PushError::App(crate::error::AppError::internal(anyhow::anyhow!(
                "an integration route without the key guard"
            )))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("ascii"));
        }
        map
    }

    #[test]
    fn the_key_comes_from_x_api_key_or_an_apikey_authorization() {
        let key = |pairs: &[(&'static str, &str)]| {
            presented_key(&headers(pairs)).map(|k| k.map(str::to_owned))
        };
        assert_eq!(key(&[("x-api-key", "wms_a")]), Ok(Some("wms_a".into())));
        assert_eq!(
            key(&[("authorization", "ApiKey wms_b")]),
            Ok(Some("wms_b".into()))
        );
        assert_eq!(
            key(&[("authorization", "apikey  wms_c ")]),
            Ok(Some("wms_c".into()))
        );
        assert_eq!(key(&[("authorization", "Bearer wms_d")]), Ok(None));
        assert_eq!(key(&[("x-api-key", "  ")]), Ok(None));
        assert_eq!(key(&[]), Ok(None));
        // A bearer token beside the key is not a second key.
        assert_eq!(
            key(&[("x-api-key", "wms_e"), ("authorization", "Bearer x")]),
            Ok(Some("wms_e".into()))
        );
        assert_eq!(
            key(&[
                ("authorization", "Bearer x"),
                ("authorization", "ApiKey wms_h")
            ]),
            Ok(Some("wms_h".into()))
        );
        // Two keys, in one form or both, are none; so is a key that is not text.
        let mut odd = HeaderMap::new();
        odd.insert(
            "x-api-key",
            HeaderValue::from_bytes(b"wms_\xe0\xb8\x81").expect("bytes"),
        );
        assert_eq!(presented_key(&odd), Err(UnreadableKey));
        assert_eq!(
            key(&[("x-api-key", "wms_f"), ("x-api-key", "wms_g")]),
            Err(UnreadableKey)
        );
        assert_eq!(
            key(&[("x-api-key", "wms_f"), ("x-api-key", "wms_f")]),
            Err(UnreadableKey)
        );
        assert_eq!(
            key(&[("x-api-key", "wms_f"), ("authorization", "ApiKey wms_g")]),
            Err(UnreadableKey)
        );
        assert_eq!(
            key(&[
                ("authorization", "ApiKey wms_f"),
                ("authorization", "ApiKey wms_g")
            ]),
            Err(UnreadableKey)
        );
    }

    #[test]
    fn forwarded_addresses_count_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().expect("ip");
        let client: IpAddr = "203.0.113.5".parse().expect("ip");
        let trusted: Vec<IpNet> = vec!["10.0.0.0/24".parse().expect("net")];
        let known = ClientAddress::Known;
        // The proxy wrote the header: its (first) entry, past a chain of trusted proxies too.
        let xff = headers(&[("x-forwarded-for", "203.0.113.5, 10.0.0.9")]);
        assert_eq!(client_address(Some(proxy), &xff, &trusted), known(client));
        // An untrusted peer's header is ignored.
        let outsider: IpAddr = "198.51.100.7".parse().expect("ip");
        assert_eq!(
            client_address(Some(outsider), &xff, &trusted),
            known(outsider)
        );
        assert_eq!(client_address(Some(proxy), &xff, &[]), known(proxy));
        // The proxy appended to a header the client forged: the forgery is not believed.
        let forged = headers(&[("x-forwarded-for", "203.0.113.5, 198.51.100.7")]);
        assert_eq!(
            client_address(Some(proxy), &forged, &trusted),
            known(outsider)
        );
        // Forwarding something that names no address: unknown, never the proxy's address.
        for junk in ["not-an-ip", "203.0.113.5:443"] {
            let junk = headers(&[("x-forwarded-for", junk)]);
            assert_eq!(
                client_address(Some(proxy), &junk, &trusted),
                ClientAddress::Unknown
            );
        }
        // The proxy's own request; a request without a peer.
        assert_eq!(
            client_address(Some(proxy), &HeaderMap::new(), &trusted),
            known(proxy)
        );
        assert_eq!(client_address(None, &xff, &trusted), ClientAddress::Unknown);
        // Several headers are one list.
        let two = headers(&[
            ("x-forwarded-for", "192.0.2.1"),
            ("x-forwarded-for", "203.0.113.5"),
        ]);
        assert_eq!(client_address(Some(proxy), &two, &trusted), known(client));
    }
}
