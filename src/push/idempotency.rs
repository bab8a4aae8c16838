//! Every POST of the integration routes runs in one transaction (a [`WriteUnit`]): its
//! records are written in it (each in a savepoint of its own, so a failed bulk entry rolls back
//! alone), and with an `Idempotency-Key` (seed 003 §2) the answer is kept in the same
//! transaction, so the work and its kept answer are committed together or not at all.
//!
//! The key is looked at when the answer is kept, not before the work: the first request to
//! keep an answer under a key commits; a repeat (within 24 hours) runs in a transaction of its
//! own, finds the key taken when it comes to keep its answer, is rolled back and answers with
//! the kept copy and `Idempotent-Replay: true` — or, with another body, 409
//! `IDEMPOTENCY_KEY_MISMATCH`. A first request so pays one statement for its key (on
//! PostgreSQL sent with the `COMMIT`, in the same round trip), and a
//! repeat costs what its first run cost. A repeat that comes while the first still runs waits
//! for it (at the unique key on PostgreSQL, for at most the request time limit; for the write
//! turn on SQLite, at most the pool's acquire timeout, then 503) and is then replayed: of concurrent requests with one key exactly one commits. A 5xx
//! answer, a request cut by the time limit or a process that stops mid-request leave nothing
//! behind: the transaction rolls back, the key stays free. Expired keys are purged by a
//! background task.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::envelope::{PushError, VALIDATION_FAILED};
use super::guard::KeyCaller;
use crate::background::StopSignal;
use crate::clock::Timestamp;
use crate::db::BudgetedTransaction;
use crate::domain::context::Ctx;
use crate::entities::idempotency_records as record;
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;

/// How long a key is remembered.
pub const TTL: Duration = Duration::from_secs(24 * 3600);
/// The header that marks a replayed answer.
pub const REPLAY_HEADER: &str = "idempotent-replay";
/// The longest key accepted.
const MAX_KEY_CHARS: usize = 255;
/// The largest answer kept for replay.
const MAX_KEPT_BYTES: usize = 4 * 1024 * 1024;
/// What a kept answer's `state` says (the column predates keeping answers in the work's own
/// transaction, when a claim was visible while its request ran).
const DONE: &str = "DONE";

/// A request's fingerprint: method, path and body — JSON canonically (object keys sorted,
/// insignificant blanks dropped, strings in one escaping, numbers exactly as written: two
/// quantities that differ in their last digit never share a fingerprint), anything else as its
/// bytes.
pub fn request_hash(method: &Method, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_str().as_bytes());
    hasher.update(b"\0");
    hasher.update(path.as_bytes());
    hasher.update(b"\0");
    let mut text = String::new();
    match serde_json::from_slice::<Box<RawValue>>(body)
        .and_then(|raw| canonical(&raw, 0, &mut text))
    {
        Ok(()) => hasher.update(text.as_bytes()),
        Err(_) => hasher.update(body),
    }
    hex::encode(hasher.finalize())
}

/// An object's fields as written, repeats included.
struct Fields(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Fields, A::Error> {
                let mut fields = Vec::new();
                while let Some(field) = map.next_entry::<String, Box<RawValue>>()? {
                    fields.push(field);
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

/// Nesting beyond which values are kept as written (each level is read again, so the work
/// stays a small multiple of the body's size; real documents are three levels deep).
const CANONICAL_DEPTH: usize = 16;

fn canonical(raw: &RawValue, depth: usize, out: &mut String) -> Result<(), serde_json::Error> {
    let text = raw.get().trim();
    if depth >= CANONICAL_DEPTH {
        out.push_str(text);
        return Ok(());
    }
    match text.as_bytes().first() {
        Some(b'{') => {
            let Fields(listed) = serde_json::from_str(text)?;
            let count = listed.len();
            let fields: BTreeMap<String, Box<RawValue>> = listed.into_iter().collect();
            if fields.len() != count {
                // A name given twice has no one meaning: such a body is fingerprinted as its
                // bytes (so `{"a":1,"a":2}` and `{"a":2}` never share one).
                return Err(serde::de::Error::custom("a repeated field name"));
            }
            out.push('{');
            for (i, (name, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(name)?);
                out.push(':');
                canonical(value, depth + 1, out)?;
            }
            out.push('}');
        }
        Some(b'[') => {
            let items: Vec<Box<RawValue>> = serde_json::from_str(text)?;
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, depth + 1, out)?;
            }
            out.push(']');
        }
        Some(b'"') => {
            let string: String = serde_json::from_str(text)?;
            out.push_str(&serde_json::to_string(&string)?);
        }
        // Numbers, true, false, null: as written.
        _ => out.push_str(text),
    }
    Ok(())
}

fn invalid_key(message: &str) -> PushError {
    PushError::Invalid {
        message: VALIDATION_FAILED.to_owned(),
        details: vec![FieldError::new("Idempotency-Key", message)],
    }
}

/// The key of a request, if it sent one.
fn presented(headers: &HeaderMap) -> Result<Option<String>, PushError> {
    let mut values = headers.get_all("idempotency-key").iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(invalid_key("must be sent once"));
    }
    let text = value
        .to_str()
        .map_err(|_| invalid_key("must be visible ASCII"))?
        .trim();
    if text.is_empty() || text.len() > MAX_KEY_CHARS {
        return Err(invalid_key("must be 1 to 255 characters"));
    }
    Ok(Some(text.to_owned()))
}

/// A write's work, given the context of its transaction.
pub type Work<'a, T> = Pin<Box<dyn Future<Output = AppResult<T>> + Send + 'a>>;

/// The transaction a POST of the integration routes runs in; its handler writes through
/// [`WriteUnit::run`]. Taken from the request by its handler (the middleware puts it there).
#[derive(Clone)]
pub struct WriteUnit(Arc<BudgetedTransaction>);

impl std::fmt::Debug for WriteUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriteUnit")
    }
}

impl WriteUnit {
    /// Runs `work` in a savepoint of the request's transaction, within the key's tenant: kept
    /// when it succeeds, rolled back alone when it fails. A write that lost a race to create
    /// the same record (a unique key, PostgreSQL) runs once more, now as an update.
    pub async fn run<T>(
        &self,
        state: &AppState,
        caller: &KeyCaller,
        work: impl for<'a> Fn(&'a Ctx<'a, DatabaseTransaction>) -> Work<'a, T>,
    ) -> AppResult<T> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let savepoint = sea_orm::TransactionTrait::begin(&**self.0).await?;
            let here = caller.ctx(state, &savepoint);
            let outcome = work(&here).await;
            match outcome {
                Ok(done) => {
                    savepoint.commit().await?;
                    return Ok(done);
                }
                Err(AppError::Conflict { .. }) if attempt == 1 => savepoint.rollback().await?,
                Err(err) => {
                    savepoint.rollback().await?;
                    return Err(err);
                }
            }
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for WriteUnit {
    type Rejection = PushError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, PushError> {
        parts.extensions.get::<WriteUnit>().cloned().ok_or_else(|| {
            PushError::App(AppError::internal(anyhow::anyhow!(
                "a write route without its transaction"
            )))
        })
    }
}

/// The kept answer of `key`, if any (expired or not).
async fn kept(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    key: &str,
) -> Result<Option<record::Model>, sea_orm::DbErr> {
    record::Entity::find()
        .filter(record::Column::TenantId.eq(tenant))
        .filter(record::Column::IdempotencyKey.eq(key))
        .one(db)
        .await
}

/// The answer to a repeat: the kept one, or a mismatch.
fn repeat(found: record::Model, hash: &str) -> Result<Response, PushError> {
    if found.request_hash != hash {
        return Err(AppError::IdempotencyKeyMismatch.into());
    }
    Ok(replay(found))
}

fn replay(found: record::Model) -> Response {
    crate::metrics::idempotent_replay();
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

/// The middleware: runs every POST in a [`WriteUnit`], keeping its answer when it carries
/// `Idempotency-Key`.
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    match run(&state, request, next, true).await {
        Ok(response) => response,
        Err(refusal) => refusal.into_response(),
    }
}

/// Benchmark builds only: the same transaction per POST, keys ignored.
#[cfg(feature = "bench")]
pub async fn without_keys(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    match run(&state, request, next, false).await {
        Ok(response) => response,
        Err(refusal) => refusal.into_response(),
    }
}

/// A key and what it stands for.
struct Keyed {
    key: String,
    hash: String,
}

async fn run(
    state: &AppState,
    request: Request,
    next: Next,
    honour_keys: bool,
) -> Result<Response, PushError> {
    let key = if honour_keys {
        presented(request.headers())?
    } else {
        None
    };
    let caller = request
        .extensions()
        .get::<KeyCaller>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("a write without the guard")))?;
    let (mut parts, body) = request.into_parts();
    // All of the body before the transaction: a slow client holds no connection (and, on
    // SQLite, not the write lock) while it sends.
    let bytes = crate::web::json::read_body(
        body,
        crate::startup::MAX_BODY_BYTES,
        state.config.http.body_timeout,
    )
    .await?;
    let tenant = caller.key.tenant_id;
    let now = state.clock.now();
    let keyed = key.map(|key| Keyed {
        hash: request_hash(&parts.method, parts.uri.path(), &bytes),
        key,
    });
    let txn = caller.db(state).begin().await?;
    let unit = WriteUnit(Arc::new(txn));
    parts.extensions.insert(unit.clone());
    let (response, wrote_events) =
        crate::domain::outbox::written_by(next.run(Request::from_parts(parts, Body::from(bytes))))
            .await;
    let txn = Arc::try_unwrap(unit.0).map_err(|_| {
        AppError::internal(anyhow::anyhow!(
            "a write's transaction outlived its handler"
        ))
    })?;
    let answer = finish(txn, caller.db(state), keyed, now, tenant, response).await;
    // Events committed: the webhook worker looks now (a replay committed nothing new, and
    // rings for nothing).
    if wrote_events && answer.as_ref().is_ok_and(|r| r.status().is_success()) {
        state.webhook_wake.ring();
    }
    answer
}

/// Commits the request's work, with its answer under its key; or, for a 5xx answer, rolls it
/// all back (the key stays free for a retry).
async fn finish(
    txn: BudgetedTransaction,
    db: crate::db::BudgetedDb,
    keyed: Option<Keyed>,
    now: Timestamp,
    tenant: Uuid,
    response: Response,
) -> Result<Response, PushError> {
    if response.status().is_server_error() {
        txn.rollback().await?;
        return Ok(response);
    }
    let Some(keyed) = keyed else {
        txn.commit().await?;
        return Ok(response);
    };
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_KEPT_BYTES).await {
        Ok(bytes) => bytes,
        Err(err) => {
            txn.rollback().await?;
            return Err(AppError::internal(anyhow::anyhow!("an answer not kept: {err}")).into());
        }
    };
    let headers: BTreeMap<String, String> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = parts.headers.get(name)?.to_str().ok()?;
            Some((name.as_str().to_owned(), value.to_owned()))
        })
        .collect();
    let expires = Timestamp::from_millis(now.millis() + TTL.as_millis() as i64).unwrap_or(now);
    let headers = serde_json::to_string(&headers).unwrap_or_default();
    let body = String::from_utf8_lossy(&bytes);
    let kept_answer = Kept {
        tenant,
        keyed: &keyed,
        status: parts.status.as_u16(),
        headers: &headers,
        body: &body,
        now,
        expires,
    };
    let statements = kept_answer.statements(txn.get_database_backend());
    match txn.commit_after(&statements).await {
        Ok(()) => Ok(Response::from_parts(parts, Body::from(bytes))),
        // Taken by a request that committed first: this one's work is undone, and its answer
        // is the kept one (or a mismatch).
        Err(err)
            if matches!(
                err.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            match kept(&db, tenant, &keyed.key).await? {
                Some(found) => repeat(found, &keyed.hash),
                None => Err(PushError::InProgress),
            }
        }
        Err(err) => Err(AppError::from(err).into()),
    }
}

/// An answer to keep, in the same round trip as the commit.
struct Kept<'a> {
    tenant: Uuid,
    keyed: &'a Keyed,
    status: u16,
    headers: &'a str,
    body: &'a str,
    now: Timestamp,
    expires: Timestamp,
}

impl Kept<'_> {
    /// The statements that keep this answer, values inlined (a batch of statements takes no
    /// parameters): numbers as written, UUIDs and text as each database reads them
    /// ([`pg_text`], [`sqlite_text`]). A key forgotten but not yet purged is taken over; a
    /// key kept by a request that committed first fails the insert.
    fn statements(&self, backend: sea_orm::DbBackend) -> String {
        let postgres = backend == sea_orm::DbBackend::Postgres;
        let text = |value: &str| {
            if postgres {
                pg_text(value)
            } else {
                sqlite_text(value)
            }
        };
        // sea-orm keeps UUIDs in SQLite as their 16 bytes.
        let uuid = |id: Uuid| {
            if postgres {
                format!("'{id}'")
            } else {
                format!("X'{}'", id.simple())
            }
        };
        let tenant = uuid(self.tenant);
        let key = text(&self.keyed.key);
        let now = self.now.millis();
        format!(
            "DELETE FROM idempotency_records WHERE tenant_id = {tenant} \
             AND idempotency_key = {key} AND expires_at <= {now};\n\
             INSERT INTO idempotency_records (id, tenant_id, idempotency_key, request_hash, \
             state, status, headers, body, created_at, expires_at) VALUES ({id}, {tenant}, \
             {key}, {hash}, '{DONE}', {status}, {headers}, {body}, {now}, {expires})",
            id = uuid(Uuid::new_v4()),
            hash = text(&self.keyed.hash),
            status = self.status,
            headers = text(self.headers),
            body = text(self.body),
            expires = self.expires.millis(),
        )
    }
}

/// `text` as an SQLite expression: its UTF-8 bytes as a blob literal (hexadecimal digits
/// only, so nothing in `text` can end it), read back as text.
fn sqlite_text(text: &str) -> String {
    use std::fmt::Write;
    let mut literal = String::with_capacity(text.len() * 2 + 20);
    literal.push_str("CAST(X'");
    for byte in text.as_bytes() {
        let _ = write!(literal, "{byte:02X}");
    }
    literal.push_str("' AS TEXT)");
    literal
}

/// `text` as a PostgreSQL escape string constant (`E'…'`): backslashes and quotes doubled, so
/// whatever `text` holds ends only where this literal ends (`E` makes backslashes escapes
/// whatever `standard_conforming_strings` says). A NUL, which no PostgreSQL text can hold,
/// is written as the escape `\0`, which the server refuses (an error, never another statement).
fn pg_text(text: &str) -> String {
    let mut literal = String::with_capacity(text.len() + 8);
    literal.push_str("E'");
    for c in text.chars() {
        match c {
            '\\' => literal.push_str("\\\\"),
            '\'' => literal.push_str("''"),
            '\0' => literal.push_str("\\0"),
            c => literal.push(c),
        }
    }
    literal.push('\'');
    literal
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
        // Numbers exactly as written, beyond what a float holds.
        assert_ne!(
            request_hash(&Method::POST, "/p", br#"{"qty":12345678901234.5678}"#),
            request_hash(&Method::POST, "/p", br#"{"qty":12345678901234.5679}"#)
        );
        // One string, two escapings.
        assert_eq!(
            request_hash(&Method::POST, "/p", br#"{"sku":"A\u0042"}"#),
            request_hash(&Method::POST, "/p", br#"{"sku":"AB"}"#)
        );
        // A field named twice: its bytes, so never the same as the field named once.
        assert_ne!(
            request_hash(&Method::POST, "/p", br#"{"sku":"A","sku":"B"}"#),
            request_hash(&Method::POST, "/p", br#"{"sku":"B"}"#)
        );
        // Not JSON: its bytes.
        assert_ne!(
            request_hash(&Method::POST, "/p", b"not json"),
            request_hash(&Method::POST, "/p", b"not  json")
        );
    }

    #[test]
    fn text_for_postgresql_ends_only_where_its_literal_ends() {
        assert_eq!(pg_text("plain ข้าว"), "E'plain ข้าว'");
        assert_eq!(pg_text(r"it's \'; --"), r"E'it''s \\''; --'");
        // Raw NUL never reaches the query text (it would end the message's string early).
        assert_eq!(pg_text("a\0b"), r"E'a\0b'");
    }

    #[test]
    fn text_for_sqlite_is_hexadecimal_digits_read_as_text() {
        assert_eq!(sqlite_text("it's"), "CAST(X'69742773' AS TEXT)");
        assert_eq!(sqlite_text("ข"), "CAST(X'E0B882' AS TEXT)");
        assert_eq!(sqlite_text(""), "CAST(X'' AS TEXT)");
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
