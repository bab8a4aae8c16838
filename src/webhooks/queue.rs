//! The delivery queue in the database: events fanned out to the subscriptions that want them,
//! deliveries claimed by one worker at a time, attempts recorded. Every step is one short
//! transaction; on PostgreSQL rows are taken with `FOR UPDATE SKIP LOCKED`, so several server
//! processes share the work and never take the same event or attempt twice. A claim is a lease
//! (`locked_until`): a process that stops mid-attempt leaves its deliveries to be taken again
//! when the lease runs out, so nothing queued is lost (a receiver may then see a message twice,
//! with the same `webhook-id`).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait, Func, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::clock::Timestamp;
use crate::db::DbBudgets;
use crate::domain::outbox::{Catalogue, Event};
use crate::domain::webhooks::{event_names, queued};
use crate::entities::enums::{AppStatus, DeliveryStatus, WebhookStatus};
use crate::entities::{
    api_applications, tenants, webhook_deliveries, webhook_delivery_attempts, webhook_events,
    webhook_subscriptions,
};

/// Events fanned out per transaction.
pub const FAN_OUT_BATCH: u64 = 500;

/// How long the oldest delivery that may be attempted now has waited (zero when none is due;
/// a disabled subscription's deliveries, which wait for it, are not counted).
pub async fn oldest_due(db: &DatabaseConnection, now: Timestamp) -> Result<Duration, DbErr> {
    let oldest = due(now)
        .select_only()
        .column(webhook_deliveries::Column::NextAttemptAt)
        .order_by_asc(webhook_deliveries::Column::NextAttemptAt)
        .limit(1)
        .into_tuple::<Option<Timestamp>>()
        .one(db)
        .await?
        .flatten();
    Ok(oldest.map_or(Duration::ZERO, |at| {
        Duration::from_millis(u64::try_from(now.millis() - at.millis()).unwrap_or(0))
    }))
}

/// What one fan-out did.
#[derive(Debug, Default)]
pub struct FannedOut {
    /// Events taken from the outbox.
    pub events: usize,
    /// The subscriptions that deliveries were queued for.
    pub subscriptions: std::collections::BTreeSet<Uuid>,
}

/// Fans out up to [`FAN_OUT_BATCH`] events not yet dispatched: one delivery per event and
/// matching active subscription of its tenant.
pub async fn fan_out(
    db: &DatabaseConnection,
    budgets: &DbBudgets,
    now: Timestamp,
) -> Result<FannedOut, DbErr> {
    let txn = budgets.begin_background(db).await?;
    let events = webhook_events::Entity::find()
        .filter(webhook_events::Column::DispatchedAt.is_null())
        .order_by_asc(webhook_events::Column::CreatedAt)
        .order_by_asc(webhook_events::Column::Id)
        .limit(FAN_OUT_BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&*txn)
        .await?;
    if events.is_empty() {
        txn.commit().await?;
        return Ok(FannedOut::default());
    }
    let tenant_ids: Vec<Uuid> = {
        let mut ids: Vec<Uuid> = events.iter().map(|e| e.tenant_id).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let subscriptions = webhook_subscriptions::Entity::find()
        .filter(webhook_subscriptions::Column::TenantId.is_in(tenant_ids.clone()))
        .filter(webhook_subscriptions::Column::Status.eq(WebhookStatus::Active))
        .all(&*txn)
        .await?;
    let app_ids: Vec<Uuid> = subscriptions
        .iter()
        .filter_map(|s| s.api_application_id)
        .collect();
    let applications: HashMap<Uuid, api_applications::Model> = if app_ids.is_empty() {
        HashMap::new()
    } else {
        api_applications::Entity::find()
            .filter(api_applications::Column::Id.is_in(app_ids))
            .all(&*txn)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect()
    };
    let with_access: Vec<Uuid> = tenants::Entity::find()
        .filter(tenants::Column::Id.is_in(tenant_ids))
        .all(&*txn)
        .await?
        .into_iter()
        .filter(|t| t.plan.has_api_access())
        .map(|t| t.id)
        .collect();
    let mut by_tenant: BTreeMap<Uuid, Vec<(&webhook_subscriptions::Model, Vec<String>)>> =
        BTreeMap::new();
    for subscription in &subscriptions {
        // A subscription whose events cannot be read is skipped, not a stop for the rest.
        let Ok(names) = event_names(&subscription.events) else {
            tracing::error!(subscription = %subscription.id, "a subscription's events are not a JSON list");
            continue;
        };
        by_tenant
            .entry(subscription.tenant_id)
            .or_default()
            .push((subscription, names));
    }
    let mut rows = Vec::new();
    let mut queued_for = std::collections::BTreeSet::new();
    for event in &events {
        let Some(kind) = Event::parse(&event.event_type) else {
            continue;
        };
        for (subscription, names) in by_tenant.get(&event.tenant_id).into_iter().flatten() {
            if !names.iter().any(|n| n == &event.event_type) {
                continue;
            }
            let wanted = match subscription.api_application_id {
                None => kind.catalogue() == Catalogue::Wms,
                Some(app) => {
                    kind.catalogue() == Catalogue::Partner
                        && with_access.contains(&event.tenant_id)
                        && applications
                            .get(&app)
                            .is_some_and(|app| may_see(app, kind, event.branch_id))
                }
            };
            if wanted {
                queued_for.insert(subscription.id);
                rows.push(queued(
                    event.tenant_id,
                    subscription.id,
                    event.id,
                    &event.event_type,
                    now,
                ));
            }
        }
    }
    for chunk in rows.chunks(500) {
        webhook_deliveries::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([
                    webhook_deliveries::Column::SubscriptionId,
                    webhook_deliveries::Column::EventId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&*txn)
            .await?;
    }
    webhook_events::Entity::update_many()
        .col_expr(webhook_events::Column::DispatchedAt, Expr::value(now))
        .filter(webhook_events::Column::Id.is_in(events.iter().map(|e| e.id)))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(FannedOut {
        events: events.len(),
        subscriptions: queued_for,
    })
}

/// Whether an application is told of an event: active, holding the event's scope now, and
/// (when limited to branches) the event's branch among its own.
fn may_see(app: &api_applications::Model, event: Event, branch: Option<Uuid>) -> bool {
    if app.status != AppStatus::Active {
        return false;
    }
    if let Some(scope) = event.scope()
        && !app.scope_set().contains(scope)
    {
        return false;
    }
    match app.allowed_branches() {
        Ok(None) => true,
        Ok(Some(allowed)) => branch.is_some_and(|b| allowed.contains(&b)),
        Err(_) => false,
    }
}

/// A delivery taken for one attempt, with what sending it needs.
#[derive(Clone)]
pub struct Claimed {
    pub delivery: webhook_deliveries::Model,
    pub url: String,
    pub secret: String,
    pub payload: String,
    /// The claim's end: the attempt's outcome is recorded only while it holds.
    pub lease: Timestamp,
}

impl std::fmt::Debug for Claimed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claimed")
            .field("delivery", &self.delivery.id)
            .finish_non_exhaustive()
    }
}

/// Which due deliveries a claim looks at.
#[derive(Debug)]
pub enum Look<'a> {
    /// Every subscription with deliveries due, those due longest first: the worker's regular
    /// look, which reaches retries coming due and work of other processes.
    Sweep,
    /// Only these subscriptions: after their attempts finish or new deliveries are queued for
    /// them.
    Only(&'a [Uuid]),
}

/// Subscriptions looked at by one sweep, at most.
const SWEEP_SUBSCRIPTIONS: u64 = 1_000;

/// The deliveries that may be attempted at `now`: pending, due, not claimed, and of an active
/// subscription (a disabled one's wait for it; a ping goes anyway).
fn due(now: Timestamp) -> sea_orm::Select<webhook_deliveries::Entity> {
    let active = sea_orm::sea_query::Query::select()
        .column(webhook_subscriptions::Column::Id)
        .from(webhook_subscriptions::Entity)
        .and_where(webhook_subscriptions::Column::Status.eq(WebhookStatus::Active))
        .to_owned();
    webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::Status.eq(DeliveryStatus::Pending))
        .filter(webhook_deliveries::Column::NextAttemptAt.lte(now))
        .filter(
            webhook_deliveries::Column::LockedUntil
                .is_null()
                .or(webhook_deliveries::Column::LockedUntil.lte(now)),
        )
        .filter(
            sea_orm::Condition::any()
                .add(webhook_deliveries::Column::SubscriptionId.in_subquery(active))
                .add(webhook_deliveries::Column::EventType.eq(Event::Ping.name())),
        )
}

/// What a claim took, and the subscriptions it did not get to read (no room left).
#[derive(Debug, Default)]
pub struct Claim {
    pub claimed: Vec<Claimed>,
    pub unread: Vec<Uuid>,
}

/// Takes up to `limit` due deliveries for one attempt each, at most `per_subscription` for
/// any subscription counting those `busy` already (this process's attempts in flight): a
/// receiver that hangs holds its own share and no one else's.
///
/// Each subscription's due deliveries are read through their own index range, only as many
/// as it has room for, so the read never walks another subscription's backlog. (The sweep's
/// list of subscriptions with work due groups every due row: once a second, that read grows
/// with the backlog.)
#[allow(clippy::too_many_arguments)]
pub async fn claim(
    db: &DatabaseConnection,
    budgets: &DbBudgets,
    now: Timestamp,
    lease: Duration,
    limit: usize,
    per_subscription: usize,
    busy: &HashMap<Uuid, usize>,
    look: Look<'_>,
) -> Result<Claim, DbErr> {
    if limit == 0 {
        return Ok(Claim::default());
    }
    let in_flight = |subscription: &Uuid| busy.get(subscription).copied().unwrap_or(0);
    let txn = budgets.begin_background(db).await?;
    let swept;
    let subscriptions = match look {
        Look::Only(subscriptions) => subscriptions,
        Look::Sweep => {
            swept = due(now)
                .select_only()
                .column(webhook_deliveries::Column::SubscriptionId)
                .group_by(webhook_deliveries::Column::SubscriptionId)
                .order_by_asc(Func::min(Expr::col(
                    webhook_deliveries::Column::NextAttemptAt,
                )))
                .limit(SWEEP_SUBSCRIPTIONS)
                .into_tuple::<Uuid>()
                .all(&*txn)
                .await?;
            &swept[..]
        }
    };
    let mut chosen = Vec::new();
    let mut unread = Vec::new();
    for subscription in subscriptions {
        if chosen.len() >= limit {
            unread.push(*subscription);
            continue;
        }
        let room = per_subscription.saturating_sub(in_flight(subscription));
        if room == 0 {
            continue;
        }
        chosen.extend(
            due(now)
                .filter(webhook_deliveries::Column::SubscriptionId.eq(*subscription))
                .order_by_asc(webhook_deliveries::Column::NextAttemptAt)
                .limit(room.min(limit - chosen.len()) as u64)
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .all(&*txn)
                .await?,
        );
    }
    if chosen.is_empty() {
        txn.commit().await?;
        return Ok(Claim {
            claimed: Vec::new(),
            unread,
        });
    }
    let subscriptions: HashMap<Uuid, webhook_subscriptions::Model> =
        webhook_subscriptions::Entity::find()
            .filter(
                webhook_subscriptions::Column::Id.is_in(chosen.iter().map(|d| d.subscription_id)),
            )
            .all(&*txn)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
    let until = now.plus(lease);
    webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::LockedUntil, Expr::value(until))
        .col_expr(
            webhook_deliveries::Column::Attempts,
            Expr::col(webhook_deliveries::Column::Attempts).add(1),
        )
        .col_expr(webhook_deliveries::Column::UpdatedAt, Expr::value(now))
        .filter(webhook_deliveries::Column::Id.is_in(chosen.iter().map(|d| d.id)))
        .exec(&*txn)
        .await?;
    let payloads: HashMap<Uuid, String> = webhook_events::Entity::find()
        .filter(webhook_events::Column::Id.is_in(chosen.iter().map(|d| d.event_id)))
        .all(&*txn)
        .await?
        .into_iter()
        .map(|e| (e.id, e.payload))
        .collect();
    txn.commit().await?;
    let claimed = chosen
        .into_iter()
        .filter_map(|mut delivery| {
            let subscription = subscriptions.get(&delivery.subscription_id)?;
            let payload = payloads.get(&delivery.event_id)?.clone();
            delivery.attempts += 1;
            delivery.locked_until = Some(until);
            Some(Claimed {
                url: subscription.url.clone(),
                secret: subscription.secret.clone(),
                payload,
                lease: until,
                delivery,
            })
        })
        .collect();
    Ok(Claim { claimed, unread })
}

/// How an attempt went.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub started_at: Timestamp,
    pub duration: Duration,
    pub response_status: Option<u16>,
    pub response_body: Option<String>,
    pub error: Option<String>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
            && self
                .response_status
                .is_some_and(|s| (200..300).contains(&s))
    }
}

/// When the attempt after `attempts` failed ones is due: 5 s doubling per attempt up to an
/// hour, plus up to a fifth more at random, so that deliveries failed together do not come
/// back together.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = Ord::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 16);
    let base = Duration::from_secs(5)
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(Duration::from_secs(3600));
    let mut byte = [0u8; 1];
    let jitter = if getrandom::fill(&mut byte).is_ok() {
        base.mul_f64(f64::from(byte[0]) / 255.0 / 5.0)
    } else {
        Duration::ZERO
    };
    base + jitter
}

/// Records an attempt and moves its delivery on: done, failed for good after `max_attempts`,
/// or due again after [`backoff`]. Nothing is changed when the claim ran out first (another
/// worker may have the delivery now); returns whether it was recorded.
pub async fn finish(
    db: &DatabaseConnection,
    budgets: &DbBudgets,
    claimed: &Claimed,
    outcome: &Outcome,
    now: Timestamp,
    max_attempts: i32,
) -> Result<bool, DbErr> {
    let delivery = &claimed.delivery;
    let txn = budgets.begin_background(db).await?;
    let succeeded = outcome.succeeded();
    let done = succeeded || delivery.attempts >= max_attempts;
    let status = match (succeeded, done) {
        (true, _) => DeliveryStatus::Succeeded,
        (false, true) => DeliveryStatus::Failed,
        (false, false) => DeliveryStatus::Pending,
    };
    let next = (!done).then(|| now.plus(backoff(delivery.attempts)));
    let updated = webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::Status, Expr::value(status))
        .col_expr(webhook_deliveries::Column::NextAttemptAt, Expr::value(next))
        .col_expr(
            webhook_deliveries::Column::LockedUntil,
            Expr::value(Option::<Timestamp>::None),
        )
        .col_expr(
            webhook_deliveries::Column::LastResponseStatus,
            Expr::value(outcome.response_status.map(i32::from)),
        )
        .col_expr(
            webhook_deliveries::Column::LastError,
            Expr::value(outcome.error.clone()),
        )
        .col_expr(
            webhook_deliveries::Column::CompletedAt,
            Expr::value(done.then_some(now)),
        )
        .col_expr(webhook_deliveries::Column::UpdatedAt, Expr::value(now))
        .filter(webhook_deliveries::Column::Id.eq(delivery.id))
        .filter(webhook_deliveries::Column::Attempts.eq(delivery.attempts))
        .filter(webhook_deliveries::Column::LockedUntil.eq(claimed.lease))
        .exec(&*txn)
        .await?;
    if updated.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    webhook_delivery_attempts::Entity::insert(webhook_delivery_attempts::ActiveModel {
        id: sea_orm::ActiveValue::Set(Uuid::new_v4()),
        tenant_id: sea_orm::ActiveValue::Set(delivery.tenant_id),
        delivery_id: sea_orm::ActiveValue::Set(delivery.id),
        attempt: sea_orm::ActiveValue::Set(delivery.attempts),
        started_at: sea_orm::ActiveValue::Set(outcome.started_at),
        duration_ms: sea_orm::ActiveValue::Set(
            i32::try_from(outcome.duration.as_millis()).unwrap_or(i32::MAX),
        ),
        outcome: sea_orm::ActiveValue::Set(
            if succeeded { "SUCCEEDED" } else { "FAILED" }.to_owned(),
        ),
        response_status: sea_orm::ActiveValue::Set(outcome.response_status.map(i32::from)),
        response_body: sea_orm::ActiveValue::Set(outcome.response_body.clone()),
        error: sea_orm::ActiveValue::Set(outcome.error.clone()),
    })
    .exec_without_returning(&*txn)
    .await?;
    txn.commit().await?;
    Ok(true)
}
