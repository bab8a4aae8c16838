//! `Idempotency-Key` on every POST of the integration routes (seed 003 §2). The first request
//! with a key claims it (one row per tenant and key, inserted only if absent, so of concurrent
//! requests exactly one runs); its answer is kept for 24 hours and replayed to a repeat of the
//! same request with `Idempotent-Replay: true`. The same key with another request is 409
//! `IDEMPOTENCY_KEY_MISMATCH`; while the first still runs, a repeat is 409
//! `IDEMPOTENCY_KEY_IN_PROGRESS` with `Retry-After: 1` — it neither runs twice nor waits. An
//! answer of 5xx is not kept: the key is free again. A claim left behind by a process that
//! stopped mid-request is taken over once it is older than a request may run. Expired keys are
//! purged by a background task.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::envelope::{PushError, VALIDATION_FAILED};
use super::guard::KeyCaller;
use crate::background::StopSignal;
use crate::clock::Timestamp;
use crate::entities::idempotency_records as record;
use crate::error::{AppError, FieldError};
use crate::state::AppState;

/// How long a key is remembered.
pub const TTL: Duration = Duration::from_secs(24 * 3600);
/// The header that marks a replayed answer.
pub const REPLAY_HEADER: &str = "idempotent-replay";
/// The longest key accepted.
const MAX_KEY_CHARS: usize = 255;
/// The largest answer kept for replay (bigger ones are not replayable: the key is freed).
const MAX_KEPT_BYTES: usize = 4 * 1024 * 1024;
const RUNNING: &str = "RUNNING";
const DONE: &str = "DONE";

/// A request's fingerprint: method, path and body — JSON canonically (object keys sorted,
/// insignificant blanks dropped), anything else as its bytes.
pub fn request_hash(method: &Method, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_str().as_bytes());
    hasher.update(b"\0");
    hasher.update(path.as_bytes());
    hasher.update(b"\0");
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => hasher.update(canonical(&value).as_bytes()),
        Err(_) => hasher.update(body),
    }
    hex::encode(hasher.finalize())
}

fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, String> =
                map.iter().map(|(k, v)| (k, canonical(v))).collect();
            let fields: Vec<String> = sorted
                .into_iter()
                .map(|(k, v)| format!("{}:{v}", Value::String(k.clone())))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

fn invalid_key(message: &str) -> PushError {
    PushError::Invalid {
        message: VALIDATION_FAILED.to_owned(),
        details: vec![FieldError::new("Idempotency-Key", message)],
    }
}

/// The key of a request, if it sent one.
fn presented(headers: &HeaderMap) -> Result<Option<String>, PushError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| invalid_key("must be visible ASCII"))?
        .trim();
    if text.is_empty() || text.len() > MAX_KEY_CHARS {
        return Err(invalid_key("must be 1 to 255 characters"));
    }
    Ok(Some(text.to_owned()))
}

/// What the claim found.
enum Claim {
    /// This request runs; the record is `id`.
    Mine(Uuid),
    Replay(record::Model),
    Mismatch,
    InProgress,
}

async fn claim(
    db: &DatabaseConnection,
    tenant: Uuid,
    key: &str,
    hash: &str,
    now: Timestamp,
    stale_after: Duration,
) -> Result<Claim, sea_orm::DbErr> {
    for _ in 0..2 {
        let id = Uuid::new_v4();
        let expires = Timestamp::from_millis(now.millis() + TTL.as_millis() as i64).unwrap_or(now);
        let inserted = record::Entity::insert(record::ActiveModel {
            id: Set(id),
            tenant_id: Set(tenant),
            idempotency_key: Set(key.to_owned()),
            request_hash: Set(hash.to_owned()),
            state: Set(RUNNING.to_owned()),
            status: Set(None),
            headers: Set(None),
            body: Set(None),
            created_at: Set(now),
            expires_at: Set(expires),
        })
        .on_conflict_do_nothing_on([record::Column::TenantId, record::Column::IdempotencyKey])
        .exec_without_returning(db)
        .await?;
        if matches!(inserted, sea_orm::TryInsertResult::Inserted(1)) {
            return Ok(Claim::Mine(id));
        }
        let Some(existing) = record::Entity::find()
            .filter(record::Column::TenantId.eq(tenant))
            .filter(record::Column::IdempotencyKey.eq(key))
            .one(db)
            .await?
        else {
            // Freed in between: claim again.
            continue;
        };
        if existing.expires_at <= now {
            // Forgotten after 24 hours: a new request.
            record::Entity::delete_by_id(existing.id).exec(db).await?;
            continue;
        }
        if existing.request_hash != hash {
            return Ok(Claim::Mismatch);
        }
        if existing.state == DONE {
            return Ok(Claim::Replay(existing));
        }
        let stale = now.millis() - existing.created_at.millis()
            > i64::try_from(stale_after.as_millis()).unwrap_or(i64::MAX);
        if stale {
            // Its request cannot still be running: take the claim over, if no one else has.
            let taken = record::Entity::update_many()
                .col_expr(record::Column::CreatedAt, Expr::value(now))
                .filter(record::Column::Id.eq(existing.id))
                .filter(record::Column::State.eq(RUNNING))
                .filter(record::Column::CreatedAt.eq(existing.created_at))
                .exec(db)
                .await?;
            if taken.rows_affected == 1 {
                return Ok(Claim::Mine(existing.id));
            }
        }
        return Ok(Claim::InProgress);
    }
    Ok(Claim::InProgress)
}

fn replay(found: record::Model) -> Response {
    let status = found
        .status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
        .unwrap_or(axum::http::StatusCode::OK);
    let mut response = (status, found.body.unwrap_or_default()).into_response();
    let headers: BTreeMap<String, String> = found
        .headers
        .as_deref()
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::try_from(name),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
        .headers_mut()
        .insert(REPLAY_HEADER, HeaderValue::from_static("true"));
    response
}

/// Headers kept with an answer for its replays.
const KEPT_HEADERS: [header::HeaderName; 2] = [header::CONTENT_TYPE, header::LOCATION];

/// The middleware: keys POSTs that carry `Idempotency-Key`.
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    match run(&state, request, next).await {
        Ok(response) => response,
        Err(refusal) => refusal.into_response(),
    }
}

async fn run(state: &AppState, request: Request, next: Next) -> Result<Response, PushError> {
    let Some(key) = presented(request.headers())? else {
        return Ok(next.run(request).await);
    };
    let caller = request
        .extensions()
        .get::<KeyCaller>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("idempotency without the guard")))?;
    let (parts, body) = request.into_parts();
    let bytes = crate::web::json::read_body(
        body,
        crate::startup::MAX_BODY_BYTES,
        state.config.http.body_timeout,
    )
    .await?;
    let hash = request_hash(&parts.method, parts.uri.path(), &bytes);
    let tenant = caller.key.tenant_id;
    let now = state.clock.now();
    let stale_after = state.config.http.request_timeout + Duration::from_secs(30);
    let id = match claim(&state.db, tenant, &key, &hash, now, stale_after).await? {
        Claim::Mine(id) => id,
        Claim::Replay(found) => return Ok(replay(found)),
        Claim::Mismatch => return Err(AppError::IdempotencyKeyMismatch.into()),
        Claim::InProgress => return Err(PushError::InProgress),
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    Ok(settle(&state.db, id, response).await)
}

/// Keeps the answer for replays, or frees the key when the answer is a 5xx (or too large to
/// keep). A failure to keep it frees the key as well, so a retry runs rather than stalls.
pub async fn settle(db: &DatabaseConnection, id: Uuid, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_KEPT_BYTES).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::warn!(error = %err, "an answer too large to keep for replay");
            free(db, id).await;
            return AppError::internal(anyhow::anyhow!("answer not readable: {err}"))
                .into_response();
        }
    };
    if parts.status.is_server_error() {
        free(db, id).await;
        return Response::from_parts(parts, Body::from(bytes));
    }
    let kept: BTreeMap<String, String> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = parts.headers.get(name)?.to_str().ok()?;
            Some((name.as_str().to_owned(), value.to_owned()))
        })
        .collect();
    let stored = record::Entity::update_many()
        .col_expr(record::Column::State, Expr::value(DONE))
        .col_expr(
            record::Column::Status,
            Expr::value(i32::from(parts.status.as_u16())),
        )
        .col_expr(
            record::Column::Headers,
            Expr::value(serde_json::to_string(&kept).unwrap_or_default()),
        )
        .col_expr(
            record::Column::Body,
            Expr::value(String::from_utf8_lossy(&bytes).into_owned()),
        )
        .filter(record::Column::Id.eq(id))
        .exec(db)
        .await;
    if let Err(err) = stored {
        tracing::warn!(error = %err, "an answer could not be kept for replay: key freed");
        free(db, id).await;
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn free(db: &DatabaseConnection, id: Uuid) {
    if let Err(err) = record::Entity::delete_by_id(id).exec(db).await {
        tracing::warn!(error = %err, "an idempotency key could not be freed");
    }
}

/// Deletes expired keys every ten minutes until told to stop.
pub async fn purge_forever(state: AppState, mut stop: StopSignal) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.stopped() => return,
        }
        if let Err(err) = purge(&state.db, state.clock.now()).await {
            tracing::warn!(error = %err, "expired idempotency keys could not be purged");
        }
    }
}

/// Deletes the keys expired at `now`; how many.
pub async fn purge(db: &impl ConnectionTrait, now: Timestamp) -> Result<u64, sea_orm::DbErr> {
    Ok(record::Entity::delete_many()
        .filter(record::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_json_hashes_the_same_whatever_its_key_order_and_blanks() {
        let a = request_hash(
            &Method::POST,
            "/items",
            br#"{"sku":"A","qty":1,"x":{"b":1,"a":2}}"#,
        );
        let b = request_hash(
            &Method::POST,
            "/items",
            br#" { "x": {"a": 2, "b": 1}, "qty": 1, "sku": "A" } "#,
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            request_hash(&Method::POST, "/items", br#"{"sku":"B","qty":1}"#)
        );
        assert_ne!(
            a,
            request_hash(
                &Method::POST,
                "/items/bulk",
                br#"{"sku":"A","qty":1,"x":{"b":1,"a":2}}"#
            )
        );
        // Order matters in arrays.
        assert_ne!(
            request_hash(&Method::POST, "/p", b"[1,2]"),
            request_hash(&Method::POST, "/p", b"[2,1]")
        );
        // Not JSON: its bytes.
        assert_ne!(
            request_hash(&Method::POST, "/p", b"not json"),
            request_hash(&Method::POST, "/p", b"not  json")
        );
    }

    #[test]
    fn keys_are_visible_ascii_of_a_sane_length() {
        let headers = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert("idempotency-key", HeaderValue::from_str(v).expect("header"));
            h
        };
        assert_eq!(presented(&HeaderMap::new()).ok(), Some(None));
        assert_eq!(
            presented(&headers("order-2026-06-15-abc123")).ok(),
            Some(Some("order-2026-06-15-abc123".to_owned()))
        );
        assert!(presented(&headers("")).is_err());
        assert!(presented(&headers(&"k".repeat(256))).is_err());
    }
}
