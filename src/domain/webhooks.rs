//! Webhook subscriptions (SPEC §7; seed 000 for partners, seed 003 §6 for WMS events), for
//! every door alike: partner REST and GraphQL (an application's own subscriptions), the
//! operator endpoints and the CLI (a tenant's WMS subscriptions). Delivery is
//! [`crate::webhooks`]'s business; this module keeps the subscriptions and shows deliveries.
//!
//! Functions that write expect to run in a transaction (their caller's): creating one counts
//! the owner's subscriptions against its quota with the owner's row locked, so two at once
//! cannot both take the last place.

use std::collections::BTreeSet;

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use uuid::Uuid;

use super::context::Ctx;
use super::input::Problems;
use super::outbox::{Catalogue, Event};
use super::pagination::{Fingerprint, Listing, Page, PageRequest, Position};
use crate::clock::Timestamp;
use crate::entities::enums::{DeliveryStatus, Plan, WebhookStatus};
use crate::entities::{
    api_applications, tenants, webhook_deliveries, webhook_delivery_attempts, webhook_events,
    webhook_subscriptions,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::webhooks::target::TargetPolicy;

pub const SUBSCRIPTION_NOT_FOUND: AppError = AppError::NotFound("Webhook subscription not found");

/// How many subscriptions a tenant may register for itself (WMS events, through operators).
pub const TENANT_QUOTA: u64 = 25;
/// The most event names one subscription lists (the catalogues hold 16): a longer list is
/// refused whole, not answered with one problem per name.
const MAX_EVENTS: usize = 32;
/// The longest description kept.
const MAX_DESCRIPTION_CHARS: usize = 500;

/// Who owns a subscription, and so which catalogue it draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A partner application: seed 000's events, its tenant's plan's quota.
    Application { id: Uuid, plan: Plan },
    /// The tenant itself, registered by an operator: seed 003 §6's WMS events.
    Tenant,
}

impl Owner {
    pub fn catalogue(self) -> Catalogue {
        match self {
            Owner::Application { .. } => Catalogue::Partner,
            Owner::Tenant => Catalogue::Wms,
        }
    }

    /// Subscriptions it may hold: PRO 5, ENTERPRISE 25 (plans without API access none).
    pub fn quota(self) -> u64 {
        match self {
            Owner::Application { plan, .. } => match plan {
                Plan::Enterprise => 25,
                Plan::Pro => 5,
                Plan::Free | Plan::Basic => 0,
            },
            Owner::Tenant => TENANT_QUOTA,
        }
    }

    fn application_id(self) -> Option<Uuid> {
        match self {
            Owner::Application { id, .. } => Some(id),
            Owner::Tenant => None,
        }
    }

    /// The owner's subscriptions within the context's tenant.
    fn select(self, ctx: &Ctx<'_, impl ConnectionTrait>) -> Select<webhook_subscriptions::Entity> {
        let query = ctx.scope.select::<webhook_subscriptions::Entity>();
        match self.application_id() {
            Some(id) => query.filter(webhook_subscriptions::Column::ApiApplicationId.eq(id)),
            None => query.filter(webhook_subscriptions::Column::ApiApplicationId.is_null()),
        }
    }
}

/// What a new subscription asks for.
#[derive(Clone, Debug)]
pub struct NewSubscription {
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// What a change asks for; `None` leaves a field as it is (`description: Some(None)` clears
/// it).
#[derive(Clone, Debug, Default)]
pub struct Changes {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    pub status: Option<WebhookStatus>,
}

/// A subscription as its owner sees it: never its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub id: Uuid,
    pub application_id: Option<Uuid>,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub status: WebhookStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Subscription {
    fn from_model(model: webhook_subscriptions::Model) -> AppResult<Self> {
        let events = event_names(&model.events)?;
        Ok(Self {
            id: model.id,
            application_id: model.api_application_id,
            url: model.url,
            events,
            description: model.description,
            status: model.status,
            created_at: model.created_at,
            updated_at: model.updated_at,
        })
    }
}

/// A stored subscription's events.
pub fn event_names(stored: &str) -> AppResult<Vec<String>> {
    serde_json::from_str(stored)
        .map_err(|err| AppError::internal(anyhow::anyhow!("a subscription's events: {err}")))
}

/// A new subscription and its signing secret, shown this once.
#[derive(Clone, Debug)]
pub struct Created {
    pub subscription: Subscription,
    pub secret: String,
}

/// Checks events against the owner's catalogue: known names of it, no repeats, at least one.
/// Events not emitted today may be subscribed to (the catalogue says which are).
fn events_for(owner: Owner, names: &[String], problems: &mut Vec<FieldError>) -> Vec<String> {
    if names.is_empty() || names.len() > MAX_EVENTS {
        problems.push(FieldError::new(
            "events",
            format!("must name 1 to {MAX_EVENTS} events"),
        ));
        return Vec::new();
    }
    let mut seen = BTreeSet::new();
    let mut kept = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match Event::parse(name.trim()) {
            Some(event) if event.catalogue() == owner.catalogue() => {
                if seen.insert(event) {
                    kept.push(event.name().to_owned());
                }
            }
            _ => problems.push(FieldError::new(
                format!("events[{i}]"),
                format!(
                    "must be one of: {}",
                    Event::ALL
                        .iter()
                        .filter(|e| e.catalogue() == owner.catalogue() && **e != Event::Ping)
                        .map(|e| e.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
    kept
}

fn description(text: Option<String>, problems: &mut Vec<FieldError>) -> Option<String> {
    let text = text
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())?;
    if text.chars().count() > MAX_DESCRIPTION_CHARS || text.chars().any(char::is_control) {
        problems.push(FieldError::new(
            "description",
            format!(
                "must be at most {MAX_DESCRIPTION_CHARS} characters, without control characters"
            ),
        ));
    }
    Some(text)
}

async fn url(policy: TargetPolicy, text: &str, problems: &mut Vec<FieldError>) -> String {
    match policy.check(text.trim()).await {
        Ok(url) => url.to_string(),
        Err(message) => {
            problems.push(FieldError::new("url", message));
            String::new()
        }
    }
}

fn refuse(problems: Vec<FieldError>) -> AppResult<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(problems))
    }
}

/// Registers a subscription for `owner` within its quota (403 `limit_reached` past it).
pub async fn create(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    owner: Owner,
    policy: TargetPolicy,
    input: NewSubscription,
) -> AppResult<Created> {
    let mut problems = Vec::new();
    let url = url(policy, &input.url, &mut problems).await;
    let events = events_for(owner, &input.events, &mut problems);
    let description = description(input.description, &mut problems);
    refuse(problems)?;

    // The owner's row, locked: creations for one owner take turns at the count.
    let tenant = ctx.scope.tenant_id();
    match owner.application_id() {
        Some(id) => {
            api_applications::Entity::find_by_id(id)
                .filter(api_applications::Column::TenantId.eq(tenant))
                .lock(LockType::Update)
                .one(ctx.db)
                .await?
        }
        .map(|_| ()),
        None => tenants::Entity::find_by_id(tenant)
            .lock(LockType::Update)
            .one(ctx.db)
            .await?
            .map(|_| ()),
    }
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("a subscription's owner is gone")))?;
    let quota = owner.quota();
    if owner.select(ctx).count(ctx.db).await? >= quota {
        return Err(AppError::LimitReached { limit: quota });
    }
    let secret = super::secrets::generate_webhook_secret().map_err(AppError::internal)?;
    let model = webhook_subscriptions::Entity::insert(webhook_subscriptions::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant),
        api_application_id: Set(owner.application_id()),
        url: Set(url),
        events: Set(serde_json::to_string(&events).map_err(AppError::internal)?),
        description: Set(description),
        secret: Set(secret.clone()),
        status: Set(WebhookStatus::Active),
        created_at: Set(ctx.now),
        updated_at: Set(ctx.now),
    })
    .exec_with_returning(ctx.db)
    .await?;
    Ok(Created {
        subscription: Subscription::from_model(model)?,
        secret,
    })
}

fn listing(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    owner: Owner,
    page: &PageRequest<'_>,
) -> AppResult<Listing<webhook_subscriptions::Entity>> {
    let mut problems = Problems::default();
    let fingerprint = Fingerprint::new("webhook_subscriptions", ctx.scope.tenant_id())
        .optional("application", owner.application_id());
    let plan = page.plan(ctx.cursors, &fingerprint, &mut problems);
    problems.check()?;
    Ok(Listing {
        query: owner.select(ctx),
        fingerprint,
        plan,
        window: None,
        order: (
            webhook_subscriptions::Column::CreatedAt,
            webhook_subscriptions::Column::Id,
        ),
        key: |s| Position {
            at: s.created_at.millis(),
            id: s.id,
        },
    })
}

/// The owner's subscriptions, newest first.
pub async fn list(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    owner: Owner,
    page: &PageRequest<'_>,
) -> AppResult<Page<Subscription>> {
    let Page {
        items,
        positions,
        signer,
        has_more,
        limit,
        next_cursor,
    } = listing(ctx, owner, page)?.page(ctx).await?;
    Ok(Page {
        items: items
            .into_iter()
            .map(Subscription::from_model)
            .collect::<AppResult<_>>()?,
        positions,
        signer,
        has_more,
        limit,
        next_cursor,
    })
}

async fn find(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    owner: Owner,
    id: Uuid,
) -> AppResult<webhook_subscriptions::Model> {
    owner
        .select(ctx)
        .filter(webhook_subscriptions::Column::Id.eq(id))
        .one(ctx.db)
        .await?
        .ok_or(SUBSCRIPTION_NOT_FOUND)
}

/// One of the owner's subscriptions (another owner's: 404, as if it did not exist).
pub async fn get(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    owner: Owner,
    id: Uuid,
) -> AppResult<Subscription> {
    Subscription::from_model(find(ctx, owner, id).await?)
}

/// Changes a subscription; deliveries already queued keep going to it (to its new URL).
pub async fn update(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    owner: Owner,
    policy: TargetPolicy,
    id: Uuid,
    changes: Changes,
) -> AppResult<Subscription> {
    let found = find(ctx, owner, id).await?;
    let mut problems = Vec::new();
    let mut row = webhook_subscriptions::ActiveModel {
        id: Set(found.id),
        updated_at: Set(ctx.now),
        ..Default::default()
    };
    if let Some(text) = changes.url {
        row.url = Set(url(policy, &text, &mut problems).await);
    }
    if let Some(names) = changes.events {
        let events = events_for(owner, &names, &mut problems);
        row.events = Set(serde_json::to_string(&events).map_err(AppError::internal)?);
    }
    if let Some(text) = changes.description {
        row.description = Set(description(text, &mut problems));
    }
    if let Some(status) = changes.status {
        row.status = Set(status);
    }
    refuse(problems)?;
    // `found` came from the owner's own subscriptions: the id is the tenant's.
    let model = webhook_subscriptions::Entity::update(row)
        .exec(ctx.db)
        .await?;
    Subscription::from_model(model)
}

/// Deletes a subscription with its deliveries and their attempts.
pub async fn delete(ctx: &Ctx<'_, impl ConnectionTrait>, owner: Owner, id: Uuid) -> AppResult<()> {
    let found = find(ctx, owner, id).await?;
    webhook_subscriptions::Entity::delete_by_id(found.id)
        .exec(ctx.db)
        .await?;
    Ok(())
}

/// A delivery as its subscription's owner sees it, with every attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub delivery: webhook_deliveries::Model,
    pub attempts: Vec<webhook_delivery_attempts::Model>,
}

/// Queues a `ping` for one subscription: an event of its own, delivered only there (even
/// while the subscription is disabled), through the same queue and worker as every event.
pub async fn ping(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    owner: Owner,
    id: Uuid,
) -> AppResult<Delivery> {
    let found = find(ctx, owner, id).await?;
    let event_id = Uuid::new_v4();
    // In the words of the subscriber's catalogue: seed 003's camelCase, the partner API's
    // snake_case.
    let data = match owner {
        Owner::Tenant => serde_json::json!({ "subscriptionId": found.id }),
        Owner::Application { .. } => serde_json::json!({ "subscription_id": found.id }),
    };
    let payload = serde_json::json!({
        "event": Event::Ping.name(),
        "timestamp": ctx.now,
        "data": data,
    });
    webhook_events::Entity::insert(webhook_events::ActiveModel {
        id: Set(event_id),
        tenant_id: Set(ctx.scope.tenant_id()),
        event_type: Set(Event::Ping.name().to_owned()),
        branch_id: Set(None),
        payload: Set(payload.to_string()),
        created_at: Set(ctx.now),
        // Fanned out here, to this subscription alone.
        dispatched_at: Set(Some(ctx.now)),
    })
    .exec_without_returning(ctx.db)
    .await?;
    let delivery = webhook_deliveries::Entity::insert(queued(
        ctx.scope.tenant_id(),
        found.id,
        event_id,
        Event::Ping.name(),
        ctx.now,
    ))
    .exec_with_returning(ctx.db)
    .await?;
    Ok(Delivery {
        delivery,
        attempts: Vec::new(),
    })
}

/// A delivery waiting for its first attempt.
pub fn queued(
    tenant: Uuid,
    subscription: Uuid,
    event: Uuid,
    event_type: &str,
    now: Timestamp,
) -> webhook_deliveries::ActiveModel {
    webhook_deliveries::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(tenant),
        subscription_id: Set(subscription),
        event_id: Set(event),
        event_type: Set(event_type.to_owned()),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(Some(now)),
        locked_until: Set(None),
        last_response_status: Set(None),
        last_error: Set(None),
        completed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// A subscription's deliveries, newest first, each with its attempts.
pub async fn deliveries(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    owner: Owner,
    id: Uuid,
    page: &PageRequest<'_>,
) -> AppResult<Page<Delivery>> {
    let found = find(ctx, owner, id).await?;
    let mut problems = Problems::default();
    let fingerprint = Fingerprint::new("webhook_deliveries", ctx.scope.tenant_id())
        .with("subscription", found.id);
    let plan = page.plan(ctx.cursors, &fingerprint, &mut problems);
    problems.check()?;
    let page = Listing {
        query: ctx
            .scope
            .select::<webhook_deliveries::Entity>()
            .filter(webhook_deliveries::Column::SubscriptionId.eq(found.id)),
        fingerprint,
        plan,
        window: None,
        order: (
            webhook_deliveries::Column::CreatedAt,
            webhook_deliveries::Column::Id,
        ),
        key: |d: &webhook_deliveries::Model| Position {
            at: d.created_at.millis(),
            id: d.id,
        },
    }
    .page(ctx)
    .await?;
    let ids: Vec<Uuid> = page.items.iter().map(|d| d.id).collect();
    let mut attempts = if ids.is_empty() {
        Vec::new()
    } else {
        ctx.scope
            .select::<webhook_delivery_attempts::Entity>()
            .filter(webhook_delivery_attempts::Column::DeliveryId.is_in(ids))
            .order_by_asc(webhook_delivery_attempts::Column::Attempt)
            .all(ctx.db)
            .await?
    };
    Ok(page.map(|delivery| {
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut attempts)
            .into_iter()
            .partition(|a| a.delivery_id == delivery.id);
        attempts = rest;
        Delivery {
            delivery,
            attempts: mine,
        }
    }))
}

/// The tenant of a tenant-owned (WMS) subscription, for operators, who act for any tenant.
pub async fn tenant_of(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Uuid> {
    webhook_subscriptions::Entity::find_by_id(id)
        .filter(webhook_subscriptions::Column::ApiApplicationId.is_null())
        .one(db)
        .await?
        .map(|s| s.tenant_id)
        .ok_or(SUBSCRIPTION_NOT_FOUND)
}

/// How many subscriptions the owner has.
pub async fn count(ctx: &Ctx<'_, impl ConnectionTrait>, owner: Owner) -> AppResult<u64> {
    Ok(owner.select(ctx).count(ctx.db).await?)
}

/// How many deliveries one of the owner's subscriptions has.
pub async fn count_deliveries(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    owner: Owner,
    id: Uuid,
) -> AppResult<u64> {
    let found = find(ctx, owner, id).await?;
    Ok(ctx
        .scope
        .select::<webhook_deliveries::Entity>()
        .filter(webhook_deliveries::Column::SubscriptionId.eq(found.id))
        .count(ctx.db)
        .await?)
}
