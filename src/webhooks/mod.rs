//! Webhook delivery: the worker that runs in every server process, fanning events out of the
//! outbox ([`queue::fan_out`]), taking due deliveries ([`queue::claim`]) and POSTing each,
//! signed ([`sign`]), to its subscription's URL ([`target`] decides which URLs may be
//! reached), then recording the attempt ([`queue::finish`]).
//!
//! It wakes when a write of this process commits an event ([`Wake`]) and otherwise looks every
//! [`POLL`] (events written by another process, retries coming due). Attempts run side by
//! side, at most [`WebhookConfig::concurrency`] at once and [`PER_SUBSCRIPTION`] per
//! subscription, so a receiver that hangs (each attempt ends at the timeout) delays only its
//! own deliveries; and the queue is read one subscription at a time, only as many rows as it
//! has room for (at each sweep every subscription with work due, in between those with new
//! deliveries or a finished attempt), so claims never walk its backlog (the sweep's list of
//! subscriptions with work due, once a second, groups every due row).

pub mod queue;
pub mod retention;
pub mod sign;
pub mod target;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use tokio::sync::{Notify, Semaphore};
use uuid::Uuid;

use crate::background::StopSignal;
use crate::clock::SharedClock;
use crate::db::DbBudgets;
use queue::{Claimed, Outcome};
use target::TargetPolicy;

/// How often the worker looks for work when nothing woke it.
pub const POLL: Duration = Duration::from_secs(1);
/// Attempts in flight for one subscription, in one process.
pub const PER_SUBSCRIPTION: usize = 4;
/// How much of a receiver's answer is read and kept.
pub const MAX_RESPONSE_BYTES: usize = 1024;

/// The worker's settings (from the configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Where deliveries may go.
    pub targets: TargetPolicy,
    /// One attempt's limit, connecting and reading the answer included.
    pub timeout: Duration,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: i32,
    /// Attempts in flight in this process.
    pub concurrency: usize,
    /// How long finished deliveries (with their events and attempts) are kept.
    pub retention: Duration,
}

impl WebhookConfig {
    /// How long a claim holds: an attempt's timeout and then some, so it never runs out while
    /// its attempt still runs.
    pub fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(30)
    }
}

/// The worker's doorbell: rung after a commit that wrote events (then the worker fans them
/// out), or that queued a delivery for a subscription itself (a ping: it names the
/// subscription, so the worker reads its deliveries at once rather than at its next sweep).
#[derive(Debug, Default)]
pub struct Wake {
    bell: Notify,
    named: Mutex<BTreeSet<Uuid>>,
}

impl Wake {
    pub fn ring(&self) {
        self.bell.notify_one();
    }

    /// Rings for a delivery queued for `subscription`.
    pub fn ring_for(&self, subscription: Uuid) {
        if let Ok(mut named) = self.named.lock() {
            named.insert(subscription);
        }
        self.ring();
    }

    async fn rung(&self) {
        self.bell.notified().await;
    }

    /// The subscriptions named since the last call.
    fn take_named(&self) -> BTreeSet<Uuid> {
        self.named
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default()
    }
}

/// What the worker needs of the server.
#[derive(Clone)]
pub struct Worker {
    pub db: DatabaseConnection,
    pub budgets: Arc<DbBudgets>,
    pub clock: SharedClock,
    pub config: WebhookConfig,
    pub wake: Arc<Wake>,
}

/// Builds the HTTP client deliveries go through: no redirects, no proxy, the attempt's
/// timeout, connections only to addresses the policy allows.
pub fn client(config: &WebhookConfig) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(config.timeout)
        .connect_timeout(config.timeout.min(Duration::from_secs(5)))
        .user_agent(concat!(
            "partner-gateway-webhooks/",
            env!("CARGO_PKG_VERSION")
        ))
        .dns_resolver(target::resolver(config.targets))
        .build()?)
}

/// Runs until told to stop; attempts under way then get a few seconds to finish (one cut
/// short is taken again when its claim runs out).
pub async fn work_forever(worker: Worker, mut stop: StopSignal) {
    let client = match client(&worker.config) {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(error = %err, "the webhook worker cannot build its HTTP client");
            return stop.stopped().await;
        }
    };
    let slots = Arc::new(Semaphore::new(worker.config.concurrency.max(1)));
    let mut queue = Queue::default();
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.try_join_next().is_some() {}
        let found = match round(&worker, &client, &slots, &mut queue, &mut running).await {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!(error = %err, "webhook queue not reachable; trying again");
                false
            }
        };
        if found {
            continue;
        }
        tokio::select! {
            _ = worker.wake.rung() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.stopped() => break,
        }
    }
    let grace = tokio::time::sleep(Duration::from_secs(3));
    tokio::pin!(grace);
    loop {
        tokio::select! {
            next = running.join_next() => if next.is_none() { break },
            _ = &mut grace => break,
        }
    }
}

/// What the worker knows of its queue between looks.
#[derive(Default)]
struct Queue {
    /// Attempts in flight, by subscription.
    busy: Arc<Mutex<HashMap<Uuid, usize>>>,
    /// Subscriptions with an attempt finished since the last look (a slot free for them).
    freed: Arc<Mutex<BTreeSet<Uuid>>>,
    /// Subscriptions to look at next: new deliveries queued for them, a slot freed, or not
    /// read by the last look for lack of room.
    targets: BTreeSet<Uuid>,
    /// When the whole queue was last looked at.
    swept: Option<Instant>,
}

/// One look at the queue: fans out new events and starts what is due and has room. Whether it
/// found anything (then the worker looks again at once).
///
/// Every [`POLL`] the look sweeps the whole queue (retries coming due, other processes' work);
/// in between it reads only the subscriptions it has reason to: those that new deliveries were
/// queued for and those whose attempts finished.
async fn round(
    worker: &Worker,
    client: &reqwest::Client,
    slots: &Arc<Semaphore>,
    queue: &mut Queue,
    running: &mut tokio::task::JoinSet<()>,
) -> Result<bool, sea_orm::DbErr> {
    let fanned = queue::fan_out(&worker.db, &worker.budgets, worker.clock.now()).await?;
    queue.targets.extend(fanned.subscriptions);
    queue.targets.append(&mut worker.wake.take_named());
    if let Ok(mut freed) = queue.freed.lock() {
        queue.targets.append(&mut freed);
    }
    let room = slots.available_permits();
    if room == 0 {
        // Every slot is taken: the next finished attempt rings the bell.
        return Ok(fanned.events > 0);
    }
    let sweep = queue.swept.is_none_or(|at| at.elapsed() >= POLL);
    if !sweep && queue.targets.is_empty() {
        return Ok(fanned.events > 0);
    }
    let targets: Vec<Uuid> = queue.targets.iter().copied().collect();
    let look = if sweep {
        queue::Look::Sweep
    } else {
        queue::Look::Only(&targets)
    };
    let snapshot = queue.busy.lock().map(|b| b.clone()).unwrap_or_default();
    let queue::Claim { claimed, unread } = queue::claim(
        &worker.db,
        &worker.budgets,
        worker.clock.now(),
        worker.config.lease(),
        room,
        PER_SUBSCRIPTION,
        &snapshot,
        look,
    )
    .await?;
    if sweep {
        queue.swept = Some(Instant::now());
    }
    // Those it read took what their room allowed (a finished attempt names them again); those
    // it did not get to are read next time.
    queue.targets = unread.into_iter().collect();
    let started = claimed.len();
    for claim in claimed {
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            break;
        };
        let subscription = claim.delivery.subscription_id;
        if let Ok(mut busy) = queue.busy.lock() {
            *busy.entry(subscription).or_default() += 1;
        }
        let worker = worker.clone();
        let client = client.clone();
        let busy = queue.busy.clone();
        let freed = queue.freed.clone();
        running.spawn(async move {
            attempt(&worker, &client, &claim).await;
            if let Ok(mut busy) = busy.lock()
                && let Some(count) = busy.get_mut(&subscription)
            {
                *count -= 1;
                if *count == 0 {
                    busy.remove(&subscription);
                }
            }
            if let Ok(mut freed) = freed.lock() {
                freed.insert(subscription);
            }
            drop(permit);
            worker.wake.ring();
        });
    }
    Ok(fanned.events > 0 || started > 0)
}

/// Sends one claimed delivery and records how it went.
async fn attempt(worker: &Worker, client: &reqwest::Client, claim: &Claimed) {
    let started_at = worker.clock.now();
    let clock = Instant::now();
    let mut outcome = send(client, worker.config.targets, claim, started_at).await;
    outcome.duration = clock.elapsed();
    match queue::finish(
        &worker.db,
        &worker.budgets,
        claim,
        &outcome,
        worker.clock.now(),
        worker.config.max_attempts,
    )
    .await
    {
        Ok(true) if outcome.succeeded() => crate::metrics::webhook_attempt("succeeded"),
        Ok(true) if claim.delivery.attempts >= worker.config.max_attempts => {
            crate::metrics::webhook_attempt("failed");
        }
        Ok(true) => crate::metrics::webhook_attempt("retrying"),
        Ok(false) => {
            crate::metrics::webhook_attempt("not_recorded");
            tracing::warn!(
                delivery = %claim.delivery.id,
                "a webhook attempt outlived its claim; its outcome was not recorded"
            );
        }
        Err(err) => {
            crate::metrics::webhook_attempt("not_recorded");
            tracing::warn!(
                delivery = %claim.delivery.id,
                error = %err,
                "a webhook attempt's outcome was not recorded (it is taken again when its claim runs out)"
            );
        }
    }
}

/// POSTs the delivery's payload, signed. Never panics on what a receiver does.
async fn send(
    client: &reqwest::Client,
    policy: TargetPolicy,
    claim: &Claimed,
    started_at: crate::clock::Timestamp,
) -> Outcome {
    let mut outcome = Outcome {
        started_at,
        duration: Duration::ZERO,
        response_status: None,
        response_body: None,
        error: None,
    };
    let url = match policy.parse(&claim.url) {
        Ok(url) => url,
        Err(message) => {
            outcome.error = Some(format!("the URL {message}"));
            return outcome;
        }
    };
    // An address written in the URL is never looked up, so the resolver cannot refuse it.
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
        _ => None,
    };
    if literal.is_some_and(|ip| !policy.allows(ip)) {
        outcome.error =
            Some("refused: the URL names a private, loopback or link-local address".to_owned());
        return outcome;
    }
    let id = claim.delivery.event_id.to_string();
    let timestamp = started_at.millis() / 1000;
    let Some(signature) = sign::sign(&claim.secret, &id, timestamp, claim.payload.as_bytes())
    else {
        outcome.error = Some("the subscription's secret cannot sign".to_owned());
        return outcome;
    };
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(claim.payload.clone())
        .send()
        .await;
    let mut response = match sent {
        Ok(response) => response,
        Err(err) => {
            outcome.error = Some(describe(&err));
            return outcome;
        }
    };
    outcome.response_status = Some(response.status().as_u16());
    // The start of the answer, then the connection is dropped: a receiver that streams
    // forever costs at most the timeout and this much memory.
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_RESPONSE_BYTES - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= MAX_RESPONSE_BYTES {
                    break;
                }
            }
            Ok(None) => break,
            Err(err) => {
                outcome.error = Some(describe(&err));
                break;
            }
        }
    }
    outcome.response_body = Some(String::from_utf8_lossy(&body).into_owned());
    outcome
}

/// An error in words a subscriber can act on (never the payload or the secret).
fn describe(err: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(current) = source {
        if let Some(refused) = current.downcast_ref::<target::Refused>() {
            return format!("refused: {refused}");
        }
        source = current.source();
    }
    if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else if err.is_redirect() {
        "redirects are not followed".to_owned()
    } else {
        format!("request failed: {err}")
    }
}
