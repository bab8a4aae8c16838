//! The push API's request log: one row per guarded request in `api_key_requests`, written
//! after the response and off the request path. A request hands its entry to a bounded queue
//! without waiting (a full queue drops the entry and counts it); a background task gathers
//! entries for up to a second (at most 500, looking at the queue ten times a second), then
//! writes them and each key's last use in one transaction — one write a second up to 500
//! requests a second, not one per request. A slow or failing
//! database slows no request: entries wait in the queue, then are dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::background::StopSignal;
use crate::clock::Timestamp;
use crate::db::DbBudgets;
use crate::entities::{api_key_requests, api_keys};

/// Rows written by one statement at most.
const BATCH: usize = 500;
/// Longest text kept of an endpoint or origin.
const MAX_TEXT: usize = 200;

/// One guarded request.
#[derive(Debug, Clone)]
pub struct Entry {
    pub tenant_id: Uuid,
    pub api_key_id: Uuid,
    pub method: String,
    pub endpoint: String,
    pub ip: Option<String>,
    pub origin: Option<String>,
    pub status: u16,
    pub duration_ms: u64,
    pub request_id: String,
    pub at: Timestamp,
}

/// The sending side, shared by the requests.
#[derive(Debug, Clone)]
pub struct RequestLog {
    queue: mpsc::Sender<Entry>,
    dropped: Arc<AtomicU64>,
}

/// The receiving side, for the writer task.
#[derive(Debug)]
pub struct Pending(mpsc::Receiver<Entry>, Arc<AtomicU64>);

impl RequestLog {
    pub fn new(capacity: usize) -> (Self, Pending) {
        let (queue, receiver) = mpsc::channel(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        (
            Self {
                queue,
                dropped: dropped.clone(),
            },
            Pending(receiver, dropped),
        )
    }

    /// Queues `entry` without waiting; a full (or closed) queue drops it and counts it.
    pub fn record(&self, entry: Entry) {
        if self.queue.try_send(entry).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "request log full: entries dropped");
            }
        }
    }

    /// Entries dropped since start (a full queue, or a batch the database refused).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

fn clip(text: String) -> String {
    if text.len() <= MAX_TEXT {
        return text;
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// How long the writer gathers entries after the first of a batch: one write a second under
/// load rather than one per request (on SQLite every write takes the database's one write turn).
pub const LINGER: Duration = Duration::from_secs(1);

/// How often the writer looks at the queue while it gathers a batch.
const GATHER_TICK: Duration = Duration::from_millis(100);

/// Writes queued entries until told to stop; then writes what is queued and returns.
pub async fn write_forever(
    db: DatabaseConnection,
    budgets: Arc<DbBudgets>,
    pending: Pending,
    mut stop: StopSignal,
) {
    let Pending(mut queue, dropped) = pending;
    let mut batch = Vec::with_capacity(BATCH);
    let mut stopping = false;
    while !stopping {
        tokio::select! {
            received = queue.recv_many(&mut batch, BATCH) => {
                if received == 0 {
                    return;
                }
            }
            _ = stop.stopped() => stopping = true,
        }
        if !stopping {
            // Gathered by looking at the queue every GATHER_TICK, not by waiting on it: a
            // writer woken by every entry costs each request a wake-up of another thread.
            let deadline = Instant::now() + LINGER;
            loop {
                while batch.len() < BATCH {
                    match queue.try_recv() {
                        Ok(entry) => batch.push(entry),
                        Err(_) => break,
                    }
                }
                if batch.len() >= BATCH || Instant::now() >= deadline {
                    break;
                }
                tokio::select! {
                    _ = tokio::time::sleep(GATHER_TICK) => {}
                    _ = stop.stopped() => {
                        stopping = true;
                        break;
                    }
                }
            }
        }
        write(&db, &budgets, &mut batch, &dropped).await;
    }
    queue.close();
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        write(&db, &budgets, &mut batch, &dropped).await;
    }
}

/// How long one batch may take before it is given up (and its entries counted dropped):
/// short enough that a drain at shutdown finishes within the background tasks' grace.
const WRITE_TIMEOUT: Duration = Duration::from_secs(3);

async fn write(
    db: &DatabaseConnection,
    budgets: &DbBudgets,
    batch: &mut Vec<Entry>,
    dropped: &AtomicU64,
) {
    let entries = std::mem::take(batch);
    let count = entries.len() as u64;
    let written = tokio::time::timeout(WRITE_TIMEOUT, insert(db, budgets, entries)).await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            dropped.fetch_add(count, Ordering::Relaxed);
            tracing::warn!(error = %err, entries = count, "request log batch not written");
        }
        Err(_) => {
            dropped.fetch_add(count, Ordering::Relaxed);
            tracing::warn!(entries = count, "request log batch timed out");
        }
    }
}

async fn insert(
    db: &DatabaseConnection,
    budgets: &DbBudgets,
    entries: Vec<Entry>,
) -> Result<(), sea_orm::DbErr> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut last_use = std::collections::HashMap::<Uuid, Timestamp>::new();
    for entry in &entries {
        let at = last_use.entry(entry.api_key_id).or_insert(entry.at);
        *at = (*at).max(entry.at);
    }
    let rows = entries.into_iter().map(|e| api_key_requests::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(e.tenant_id),
        api_key_id: Set(e.api_key_id),
        method: Set(clip(e.method)),
        endpoint: Set(clip(e.endpoint)),
        ip: Set(e.ip),
        origin: Set(e.origin.map(clip)),
        status: Set(i32::from(e.status)),
        duration_ms: Set(i64::try_from(e.duration_ms).unwrap_or(i64::MAX)),
        request_id: Set(e.request_id),
        created_at: Set(e.at),
    });
    // The entries and the keys' last use together, or neither.
    let txn = budgets.begin_background(db).await?;
    api_key_requests::Entity::insert_many(rows)
        .exec_without_returning(&*txn)
        .await?;
    for (key, at) in last_use {
        api_keys::Entity::update_many()
            .col_expr(api_keys::Column::LastUsedAt, Expr::value(at))
            .filter(api_keys::Column::Id.eq(key))
            .exec(&*txn)
            .await?;
    }
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u16) -> Entry {
        Entry {
            tenant_id: Uuid::nil(),
            api_key_id: Uuid::nil(),
            method: "POST".into(),
            endpoint: "/items".into(),
            ip: None,
            origin: None,
            status: n,
            duration_ms: 1,
            request_id: String::new(),
            at: Timestamp::from_millis(0).expect("epoch"),
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts_without_waiting() {
        let (log, mut pending) = RequestLog::new(2);
        for n in 0..5 {
            log.record(entry(n));
        }
        assert_eq!(log.dropped(), 3);
        assert_eq!(pending.0.try_recv().expect("kept").status, 0);
        assert_eq!(pending.0.try_recv().expect("kept").status, 1);
        assert!(pending.0.try_recv().is_err());
    }

    #[test]
    fn long_texts_are_clipped_on_a_character_boundary() {
        let long = "é".repeat(150);
        let clipped = clip(long);
        assert!(clipped.len() <= MAX_TEXT);
        assert!(clipped.chars().all(|c| c == 'é'));
    }
}
