//! Keyset pagination, newest first, with opaque signed cursors bound to the query.
//!
//! A cursor is `base64url(json payload) . base64url(HMAC-SHA256)`; the payload names the
//! resource, a fingerprint of the tenant and filters, the last position returned and the date
//! window resolved on the first page (so a walk keeps one window even as the clock moves).
//! A tampered, forged or foreign cursor is a 400 `invalid_request` naming the cursor's input
//! (`cursor` on REST, `after`/`before` on GraphQL).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::context::Ctx;
use super::dates::{DateWindow, resolve_window, shown};
use super::input::{Field, Input, Problems};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;
/// What a page size must be (a `limit`, `first` or `last` that is not).
pub const LIMIT_RULE: &str = "must be an integer between 1 and 200";
const MAX_CURSOR_LEN: usize = 1024;

/// Where a newest-first walk stands: the sort key (epoch ms) and id of the last row returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub at: i64,
    pub id: Uuid,
}

/// A decoded cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    pub position: Position,
    pub window: Option<DateWindow>,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    v: u8,
    r: String,
    f: String,
    p: Position,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    w: Option<(i64, i64)>,
}

/// Identifies a query: resource, tenant and every filter, in a fixed order.
#[derive(Debug, Clone)]
pub struct Fingerprint {
    resource: &'static str,
    hasher: Sha256,
}

impl Fingerprint {
    pub fn new(resource: &'static str, tenant_id: Uuid) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(resource.as_bytes());
        hasher.update(tenant_id.as_bytes());
        Self { resource, hasher }
    }

    pub fn with(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        let text = format!("\u{1f}{name}\u{1e}{value}");
        self.hasher.update(text.as_bytes());
        self
    }

    /// Adds an optional filter (empty when absent).
    pub fn optional(self, name: &str, value: Option<impl std::fmt::Display>) -> Self {
        match value {
            Some(value) => self.with(name, value),
            None => self.with(name, ""),
        }
    }

    /// Adds a set of ids (sorted, comma-separated).
    pub fn ids(self, name: &str, ids: &[Uuid]) -> Self {
        let joined = ids
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(",");
        self.with(name, joined)
    }

    /// Adds the days a date window was asked for (empty when absent).
    pub fn days(self, from: &Input<NaiveDate>, to: &Input<NaiveDate>) -> Self {
        self.with("from", shown(from)).with("to", shown(to))
    }

    fn finish(&self) -> String {
        hex::encode(&self.hasher.clone().finalize()[..12])
    }
}

pub struct CursorCodec {
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec")
    }
}

/// What is wrong with a cursor that cannot resume a walk of this query.
const FORGED: &str = "is not a valid cursor issued by this API";
const OTHER_QUERY: &str =
    "was issued for a different query; repeat the first request without cursor";

impl CursorCodec {
    /// Derives the cursor key from the service secret (a separate key per purpose).
    pub fn new(secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"partner-gateway cursor key v1\0");
        hasher.update(secret);
        Self {
            key: hasher.finalize().to_vec(),
        }
    }

    fn mac(&self, data: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(data);
        mac
    }

    /// Signs the cursors of one page: the query's fingerprint and the keyed MAC state are made
    /// once, each cursor then costs one MAC of its own text.
    pub fn signer(&self, fingerprint: &Fingerprint, window: Option<DateWindow>) -> CursorSigner {
        CursorSigner {
            resource: fingerprint.resource,
            fingerprint: fingerprint.finish(),
            window: window.map(|w| (w.from.millis(), w.to.millis())),
            mac: self.mac(&[]),
        }
    }

    /// The position and window `text` resumes, or what is wrong with it.
    pub fn decode(&self, text: &str, fingerprint: &Fingerprint) -> Result<Resume, &'static str> {
        if text.is_empty() || text.len() > MAX_CURSOR_LEN {
            return Err(FORGED);
        }
        let (body, tag) = text.split_once('.').ok_or(FORGED)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| FORGED)?;
        self.mac(body.as_bytes())
            .verify_slice(&tag)
            .map_err(|_| FORGED)?;
        let json = URL_SAFE_NO_PAD.decode(body).map_err(|_| FORGED)?;
        let payload: Payload = serde_json::from_slice(&json).map_err(|_| FORGED)?;
        if payload.v != 1 || payload.r != fingerprint.resource || payload.f != fingerprint.finish()
        {
            return Err(OTHER_QUERY);
        }
        let window = match payload.w {
            Some((from, to)) => Some(DateWindow::from_millis(from, to).ok_or(FORGED)?),
            None => None,
        };
        Ok(Resume {
            position: payload.p,
            window,
        })
    }
}

/// Makes the cursors of one page (see [`CursorCodec::signer`]).
#[derive(Clone)]
pub struct CursorSigner {
    resource: &'static str,
    fingerprint: String,
    window: Option<(i64, i64)>,
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for CursorSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorSigner")
    }
}

impl CursorSigner {
    /// The cursor that resumes after `position`.
    pub fn sign(&self, position: Position) -> String {
        let payload = Payload {
            v: 1,
            r: self.resource.to_owned(),
            f: self.fingerprint.clone(),
            p: position,
            w: self.window,
        };
        let json = serde_json::to_vec(&payload).unwrap_or_default();
        let body = URL_SAFE_NO_PAD.encode(&json);
        let mut mac = self.mac.clone();
        mac.update(body.as_bytes());
        let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{body}.{tag}")
    }
}

/// Decodes an optional cursor, recording a problem instead of failing.
fn decode_cursor(
    codec: &CursorCodec,
    cursor: Option<&str>,
    fingerprint: &Fingerprint,
    problems: &mut Problems,
) -> Option<Resume> {
    match codec.decode(cursor?, fingerprint) {
        Ok(resume) => Some(resume),
        Err(message) => {
            problems.add(Field::Cursor, message);
            None
        }
    }
}

/// The page size: 1–200, default 50.
fn page_size(limit: Input<i64>, problems: &mut Problems) -> u64 {
    match problems.take(Field::Limit, limit) {
        None => DEFAULT_LIMIT,
        Some(n) => match u64::try_from(n) {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                problems.add(Field::Limit, LIMIT_RULE);
                DEFAULT_LIMIT
            }
        },
    }
}

/// One page of a newest-first list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The position of each item, from which its cursor is made when asked for
    /// ([`Page::cursor`]): signing a cursor per row costs more than the rest of a small row.
    pub positions: Vec<Position>,
    pub signer: Arc<CursorSigner>,
    pub has_more: bool,
    pub limit: u64,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            positions: self.positions,
            signer: self.signer,
            has_more: self.has_more,
            limit: self.limit,
            next_cursor: self.next_cursor,
        }
    }

    /// The cursor resuming after item `index`, for Relay edges.
    pub fn cursor(&self, index: usize) -> Option<String> {
        self.positions.get(index).map(|p| self.signer.sign(*p))
    }
}

/// Which way a page is taken from the newest-first order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Walk {
    /// Older rows after the cursor (`first`/`after`).
    #[default]
    Forward,
    /// Newer rows before the cursor (`last`/`before`); returned newest first all the same.
    Backward,
}

/// The paging part of a list request: the page size, the cursor (opaque to the doors) and the
/// walking direction.
#[derive(Debug, Default, Clone)]
pub struct PageRequest<'a> {
    pub limit: Input<i64>,
    pub cursor: Option<&'a str>,
    /// `Backward` walks towards newer rows from `cursor` (GraphQL `last`/`before`).
    pub walk: Walk,
}

impl PageRequest<'_> {
    /// Validates the size and the cursor (against the query's fingerprint), collecting problems.
    pub fn plan(
        &self,
        codec: &CursorCodec,
        fingerprint: &Fingerprint,
        problems: &mut Problems,
    ) -> PagePlan {
        PagePlan {
            limit: page_size(self.limit.clone(), problems),
            resume: decode_cursor(codec, self.cursor, fingerprint, problems),
            walk: self.walk,
        }
    }
}

impl PageRequest<'_> {
    /// Plans a page of a dated list: the size and cursor, then the window of `from`/`to` as
    /// of `now` — on later pages the one the cursor carries. `lookback`: the window may reach
    /// back only so far from now, a rule for the request that starts a walk.
    #[allow(clippy::too_many_arguments)]
    pub fn plan_dated(
        &self,
        codec: &CursorCodec,
        fingerprint: &Fingerprint,
        (from, to): (&Input<NaiveDate>, &Input<NaiveDate>),
        now: crate::clock::Timestamp,
        lookback: bool,
        problems: &mut Problems,
    ) -> (PagePlan, Option<DateWindow>) {
        let plan = self.plan(codec, fingerprint, problems);
        let resolved = resolve_window(from, to, now, lookback, problems);
        (plan, plan.window(resolved))
    }
}

/// A validated [`PageRequest`].
#[derive(Debug, Clone, Copy)]
pub struct PagePlan {
    pub limit: u64,
    pub resume: Option<Resume>,
    pub walk: Walk,
}

impl PagePlan {
    /// The date window of the walk: the one the cursor carries, else the one resolved now.
    pub fn window(&self, resolved: Option<DateWindow>) -> Option<DateWindow> {
        self.resume.and_then(|r| r.window).or(resolved)
    }
}

/// A validated, filtered list query, ready to be paged or counted.
pub struct Listing<E: EntityTrait> {
    pub query: Select<E>,
    pub fingerprint: Fingerprint,
    pub plan: PagePlan,
    pub window: Option<DateWindow>,
    /// The newest-first sort key: a timestamp column, then the id.
    pub order: (E::Column, E::Column),
    pub key: fn(&E::Model) -> Position,
}

impl<E> Listing<E>
where
    E: EntityTrait,
    E::Model: Sync,
{
    /// The page the plan asks for, with the context's connection and cursor key.
    pub async fn page(
        self,
        ctx: &Ctx<'_, impl ConnectionTrait>,
    ) -> Result<Page<E::Model>, sea_orm::DbErr> {
        fetch_walk(
            ctx.db,
            ctx.cursors,
            &self.fingerprint,
            self.query,
            self.order,
            self.plan.limit,
            self.plan.resume,
            self.window,
            self.plan.walk,
            self.key,
        )
        .await
    }

    /// Rows matching the filters (the cursor's window applies, its position does not).
    pub async fn count(self, ctx: &Ctx<'_, impl ConnectionTrait>) -> Result<u64, sea_orm::DbErr> {
        let mut query = self.query;
        if let Some(window) = self.window {
            query = query
                .filter(self.order.0.gte(window.from))
                .filter(self.order.0.lt(window.to));
        }
        query.count(ctx.db).await
    }
}

/// Fetches `limit` rows of `query` from `resume` in the direction of `walk` (one extra row to
/// learn whether more exist); the page keeps each row's position and signs a cursor only when
/// one is asked for. `has_more` tells whether more rows lie beyond the page in the walking
/// direction.
#[allow(clippy::too_many_arguments)]
async fn fetch_walk<E, C>(
    db: &C,
    codec: &CursorCodec,
    fingerprint: &Fingerprint,
    query: Select<E>,
    (at, id): (E::Column, E::Column),
    limit: u64,
    resume: Option<Resume>,
    window: Option<DateWindow>,
    walk: Walk,
    key: impl Fn(&E::Model) -> Position,
) -> Result<Page<E::Model>, sea_orm::DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut query = query;
    // The date window bounds the sort column; a cursor bounds it more tightly on the side it
    // walks towards (its row lies inside the window), and that side's window bound is left
    // out: SQLite ranges an index on one upper (or lower) bound only, and would otherwise
    // start a deep page at the window's end and step over every row before the cursor.
    if let Some(window) = window {
        let resumed = resume.is_some();
        if !(resumed && walk == Walk::Backward) {
            query = query.filter(at.gte(window.from));
        }
        if !(resumed && walk == Walk::Forward) {
            query = query.filter(at.lt(window.to));
        }
    }
    if let Some(resume) = resume {
        // Rows after the position in (at, id) order. The plain bound on `at` repeats what the
        // OR implies, so that both backends turn it into a range of the (…, at, id) index and
        // a deep page costs what the first one does; the OR then only drops the rows sharing
        // the position's `at`.
        let p = resume.position;
        query = query.filter(match walk {
            Walk::Forward => Condition::all().add(at.lte(p.at)).add(
                Condition::any()
                    .add(at.lt(p.at))
                    .add(Condition::all().add(at.eq(p.at)).add(id.lt(p.id))),
            ),
            Walk::Backward => Condition::all().add(at.gte(p.at)).add(
                Condition::any()
                    .add(at.gt(p.at))
                    .add(Condition::all().add(at.eq(p.at)).add(id.gt(p.id))),
            ),
        });
    }
    query = match walk {
        Walk::Forward => query.order_by_desc(at).order_by_desc(id),
        Walk::Backward => query.order_by_asc(at).order_by_asc(id),
    };
    let mut items = query.limit(limit + 1).all(db).await?;
    let has_more = items.len() as u64 > limit;
    items.truncate(limit as usize);
    if walk == Walk::Backward {
        items.reverse();
    }
    let positions: Vec<Position> = items.iter().map(key).collect();
    let signer = codec.signer(fingerprint, window);
    let next_cursor = match (has_more, walk) {
        (true, Walk::Forward) => positions.last().map(|p| signer.sign(*p)),
        (true, Walk::Backward) => positions.first().map(|p| signer.sign(*p)),
        (false, _) => None,
    };
    Ok(Page {
        items,
        positions,
        signer: Arc::new(signer),
        has_more,
        limit,
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> Position {
        Position {
            at: 1_781_493_736_709,
            id: Uuid::from_bytes([7; 16]),
        }
    }

    #[test]
    fn round_trips_and_refuses_tampering_and_other_queries() {
        let codec = CursorCodec::new(b"secret-one");
        let tenant = Uuid::from_bytes([1; 16]);
        let fp = Fingerprint::new("sales", tenant).with("status", "COMPLETED");
        let resume = Resume {
            position: position(),
            window: None,
        };
        let cursor = codec.signer(&fp, resume.window).sign(resume.position);
        assert_eq!(codec.decode(&cursor, &fp).expect("valid"), resume);

        // Another filter, resource or tenant.
        let other = Fingerprint::new("sales", tenant).with("status", "VOIDED");
        assert!(codec.decode(&cursor, &other).is_err());
        assert!(
            codec
                .decode(&cursor, &Fingerprint::new("customers", tenant))
                .is_err()
        );
        let other_tenant = Fingerprint::new("sales", Uuid::nil()).with("status", "COMPLETED");
        assert!(codec.decode(&cursor, &other_tenant).is_err());

        // Another key (a forged cursor), a flipped byte, garbage.
        assert!(
            CursorCodec::new(b"secret-two")
                .decode(&cursor, &fp)
                .is_err()
        );
        let mut bytes = cursor.clone().into_bytes();
        bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
        assert!(
            codec
                .decode(&String::from_utf8(bytes).expect("ascii"), &fp)
                .is_err()
        );
        for junk in ["", ".", "abc", "eyJ9.AAAA", &"x".repeat(5000)] {
            assert_eq!(codec.decode(junk, &fp), Err(FORGED));
        }
        assert_eq!(codec.decode(&cursor, &other), Err(OTHER_QUERY));
    }

    /// Cursors carry their query's fingerprint; one issued by the running service must still
    /// resume after an upgrade, so the fingerprint's text may not drift: the helpers write
    /// exactly what the explicit text form does, and that form hashes as it always has.
    #[test]
    fn fingerprints_keep_their_text_form() {
        let tenant = Uuid::from_bytes([1; 16]);
        let branch = Uuid::from_bytes([2; 16]);
        let day = NaiveDate::from_ymd_opt(2026, 6, 1).expect("a day");
        let built = Fingerprint::new("sales", tenant)
            .days(&Input::Given(day), &Input::Absent)
            .ids("branch_id", &[branch])
            .optional(
                "status",
                Some(crate::entities::enums::SalesStatus::Completed),
            )
            .optional("supplier_id", None::<Uuid>);
        let explicit = Fingerprint::new("sales", tenant)
            .with("from", "2026-06-01")
            .with("to", "")
            .with("branch_id", "02020202-0202-0202-0202-020202020202")
            .with("status", "COMPLETED")
            .with("supplier_id", "");
        assert_eq!(built.finish(), explicit.finish());
        assert_eq!(explicit.finish(), "5a8a5488b1d375b38f8e72db");
    }

    #[test]
    fn limit_rules() {
        let mut problems = Problems::default();
        assert_eq!(page_size(Input::Absent, &mut problems), 50);
        assert_eq!(page_size(Input::Given(200), &mut problems), 200);
        assert!(problems.is_empty());
        for bad in [
            Input::Given(0),
            Input::Given(201),
            Input::Given(-1),
            Input::Malformed(LIMIT_RULE.into()),
        ] {
            let mut problems = Problems::default();
            page_size(bad.clone(), &mut problems);
            assert_eq!(problems.len(), 1, "{bad:?}");
        }
        assert!(LIMIT_RULE.ends_with(&MAX_LIMIT.to_string()));
    }
}
