//! The calling application's webhook subscriptions: a connection with their deliveries, and
//! the mutations that manage them — through the same domain functions as REST `/webhooks`.
//! All of it requires `read:webhooks` (the seed's one scope for every webhook method).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use uuid::Uuid;

use super::enums::{DeliveryStatus, WebhookStatus};
use super::node::global_id;
use super::{
    Paging, ScopeGuard, UuidArg, caller, connection, db, domain_ctx, page_cost, requires_scopes,
    scopes, state,
};
use crate::clock::Timestamp;
use crate::domain::context::Ctx;
use crate::domain::scopes::Scope;
use crate::domain::webhooks::{self, Changes, Delivery, NewSubscription, Owner, Subscription};
use crate::error::{AppError, AppResult};

connection!(
    WebhookSubscriptionConnection,
    WebhookSubscriptionEdge,
    WebhookSubscription,
    "The application's subscriptions (computed only when selected)."
);

connection!(
    WebhookDeliveryConnection,
    WebhookDeliveryEdge,
    WebhookDelivery,
    "The subscription's deliveries (computed only when selected)."
);

/// A webhook subscription of the calling application (never its secret, which is shown once,
/// by `createWebhookSubscription`).
pub struct WebhookSubscription(pub Subscription);

/// A webhook subscription of the calling application (its secret is shown only by
/// `createWebhookSubscription`).
#[Object]
impl WebhookSubscription {
    /// Opaque global id (for `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id("WebhookSubscription", self.0.id)
    }
    /// The REST id of the subscription.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// Where deliveries are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// The event names it receives.
    async fn events(&self) -> &[String] {
        &self.0.events
    }
    /// What the subscription is for, as its owner wrote it.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// `DISABLED` subscriptions are sent nothing; what is queued for them waits.
    async fn status(&self) -> WebhookStatus {
        self.0.status.into()
    }
    /// When it was created.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> Timestamp {
        self.0.updated_at
    }
    /// Its deliveries, newest first, each with every attempt.
    #[graphql(complexity = "page_cost(first, last, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<WebhookDeliveryConnection> {
        let paging = Paging::new(first, after, last, before)?;
        let here = domain_ctx(ctx)?;
        let owner = owner(ctx)?;
        let (page, total) = paging
            .page_and_total(
                ctx,
                webhooks::deliveries(&here, owner, self.0.id, &paging.request()),
                webhooks::count_deliveries(&here, owner, self.0.id),
            )
            .await?;
        Ok(WebhookDeliveryConnection::new(
            page,
            &paging,
            total,
            WebhookDelivery,
        ))
    }
}

/// One event's delivery to a subscription.
pub struct WebhookDelivery(pub Delivery);

/// One event's delivery to a subscription, with every attempt.
#[Object]
impl WebhookDelivery {
    /// The REST id of the delivery.
    async fn uuid(&self) -> Uuid {
        self.0.delivery.id
    }
    /// The event's id: the `webhook-id` header of every attempt.
    async fn event_id(&self) -> Uuid {
        self.0.delivery.event_id
    }
    /// The event's name, e.g. `sales.order.created`.
    async fn event_type(&self) -> &str {
        &self.0.delivery.event_type
    }
    /// Where the delivery stands.
    async fn status(&self) -> DeliveryStatus {
        self.0.delivery.status.into()
    }
    /// Attempts started so far.
    async fn attempt_count(&self) -> i32 {
        self.0.delivery.attempts
    }
    /// When the next attempt is due (pending deliveries).
    async fn next_attempt_at(&self) -> Option<Timestamp> {
        self.0.delivery.next_attempt_at
    }
    /// When it succeeded or was given up.
    async fn completed_at(&self) -> Option<Timestamp> {
        self.0.delivery.completed_at
    }
    /// When the event was queued for this subscription.
    async fn created_at(&self) -> Timestamp {
        self.0.delivery.created_at
    }
    /// Every attempt, first first.
    async fn attempts(&self) -> Vec<WebhookDeliveryAttempt> {
        self.0
            .attempts
            .iter()
            .map(|a| WebhookDeliveryAttempt {
                attempt: a.attempt,
                started_at: a.started_at,
                duration_ms: a.duration_ms,
                outcome: a.outcome.clone(),
                response_status: a.response_status,
                response_body: a.response_body.clone(),
                error: a.error.clone(),
            })
            .collect()
    }
}

/// One attempt at a delivery.
#[derive(SimpleObject, Debug)]
pub struct WebhookDeliveryAttempt {
    /// 1 for the first.
    pub attempt: i32,
    /// When the attempt began.
    pub started_at: Timestamp,
    /// How long it took, up to the answer or the failure.
    pub duration_ms: i32,
    /// `SUCCEEDED` or `FAILED`.
    pub outcome: String,
    /// The receiver's HTTP status, when it answered.
    pub response_status: Option<i32>,
    /// The start of the receiver's answer (at most 1 KiB).
    pub response_body: Option<String>,
    /// Why the attempt failed without an answer (timed out, refused, …).
    pub error: Option<String>,
}

/// The calling application as an owner of subscriptions.
fn owner(ctx: &Context<'_>) -> Result<Owner> {
    let caller = caller(ctx)?;
    Ok(Owner::Application {
        id: caller.application_id,
        plan: caller.plan,
    })
}

fn gql(err: AppError) -> async_graphql::Error {
    super::gql(err)
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The calling application's webhook subscriptions, newest first. Requires
    /// `read:webhooks`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadWebhooks)",
        directive = requires_scopes::apply(scopes(Scope::ReadWebhooks)),
        complexity = "page_cost(first, last, child_complexity)"
    )]
    async fn webhook_subscriptions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<WebhookSubscriptionConnection>> {
        let paging = Paging::new(first, after, last, before)?;
        let here = domain_ctx(ctx)?;
        let owner = owner(ctx)?;
        let (page, total) = paging
            .page_and_total(
                ctx,
                webhooks::list(&here, owner, &paging.request()),
                webhooks::count(&here, owner),
            )
            .await?;
        Ok(Some(WebhookSubscriptionConnection::new(
            page,
            &paging,
            total,
            WebhookSubscription,
        )))
    }

    /// One of the calling application's subscriptions by its REST id (null when unknown or
    /// another application's). Requires `read:webhooks`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadWebhooks)",
        directive = requires_scopes::apply(scopes(Scope::ReadWebhooks))
    )]
    async fn webhook_subscription(
        &self,
        ctx: &Context<'_>,
        uuid: UuidArg,
    ) -> Result<Option<WebhookSubscription>> {
        let uuid = uuid.get("uuid")?;
        find(ctx, uuid).await
    }
}

/// The subscription, or none when it is not the caller's (what `node(id:)` also uses).
pub async fn find(ctx: &Context<'_>, uuid: Uuid) -> Result<Option<WebhookSubscription>> {
    match webhooks::get(&domain_ctx(ctx)?, owner(ctx)?, uuid).await {
        Ok(found) => Ok(Some(WebhookSubscription(found))),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(err) => Err(gql(err)),
    }
}

/// A new subscription.
#[derive(InputObject, Debug)]
pub struct CreateWebhookSubscriptionInput {
    /// `http` or `https`; a host that resolves to public addresses only.
    pub url: String,
    /// At least one event name of the partner catalogue.
    pub events: Vec<String>,
    /// What the subscription is for.
    pub description: Option<String>,
}

/// Changes to a subscription: fields left out stay; `description: null` clears it.
#[derive(InputObject, Debug, Default)]
pub struct UpdateWebhookSubscriptionInput {
    /// A new URL (checked like a new subscription's).
    pub url: Option<String>,
    /// The new list of events (it replaces the old one).
    pub events: Option<Vec<String>>,
    /// A new description; `null` clears it.
    pub description: MaybeUndefined<String>,
    /// `DISABLED` stops deliveries (what is queued waits); `ACTIVE` resumes them.
    pub status: Option<WebhookStatus>,
}

/// A created subscription and its signing secret, shown this once.
#[derive(SimpleObject)]
pub struct CreateWebhookSubscriptionPayload {
    /// The new subscription.
    pub subscription: WebhookSubscription,
    /// `whsec_` + base64 key: verify `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
}

/// What a deletion removed.
#[derive(SimpleObject, Debug)]
pub struct DeleteWebhookSubscriptionPayload {
    /// The REST id of the deleted subscription.
    pub deleted_uuid: Uuid,
}

/// Runs `work` in a transaction of the request, committed when it succeeds.
async fn in_transaction<T>(
    ctx: &Context<'_>,
    work: impl AsyncFnOnce(&Ctx<'_, sea_orm::DatabaseTransaction>) -> AppResult<T>,
) -> Result<T> {
    let state = state(ctx)?;
    let txn = db(ctx)?.begin().await.map_err(|e| gql(e.into()))?;
    let here = Ctx::new(
        &*txn,
        &caller(ctx)?.tenancy,
        state.clock.now(),
        &state.cursors,
    );
    let done = work(&here).await.map_err(gql)?;
    txn.commit().await.map_err(|e| gql(e.into()))?;
    Ok(done)
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a URL for events of the partner catalogue; answers the secret once. Over the
    /// plan's quota (PRO 5, ENTERPRISE 25): `limit_reached`. Requires `read:webhooks`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadWebhooks)",
        directive = requires_scopes::apply(scopes(Scope::ReadWebhooks))
    )]
    async fn create_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookSubscriptionInput,
    ) -> Result<CreateWebhookSubscriptionPayload> {
        let owner = owner(ctx)?;
        let policy = state(ctx)?.config.webhooks.targets;
        let created = in_transaction(ctx, async |here| {
            webhooks::create(
                here,
                owner,
                policy,
                NewSubscription {
                    url: input.url,
                    events: input.events,
                    description: input.description,
                },
            )
            .await
        })
        .await?;
        Ok(CreateWebhookSubscriptionPayload {
            subscription: WebhookSubscription(created.subscription),
            secret: created.secret,
        })
    }

    /// Changes one of the application's subscriptions. Requires `read:webhooks`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadWebhooks)",
        directive = requires_scopes::apply(scopes(Scope::ReadWebhooks))
    )]
    async fn update_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        uuid: UuidArg,
        input: UpdateWebhookSubscriptionInput,
    ) -> Result<WebhookSubscription> {
        let uuid = uuid.get("uuid")?;
        let owner = owner(ctx)?;
        let policy = state(ctx)?.config.webhooks.targets;
        let description = match input.description {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(text) => Some(Some(text)),
        };
        let changed = in_transaction(ctx, async |here| {
            webhooks::update(
                here,
                owner,
                policy,
                uuid,
                Changes {
                    url: input.url,
                    events: input.events,
                    description,
                    status: input.status.map(Into::into),
                },
            )
            .await
        })
        .await?;
        Ok(WebhookSubscription(changed))
    }

    /// Deletes one of the application's subscriptions with its deliveries. Requires
    /// `read:webhooks`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadWebhooks)",
        directive = requires_scopes::apply(scopes(Scope::ReadWebhooks))
    )]
    async fn delete_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        uuid: UuidArg,
    ) -> Result<DeleteWebhookSubscriptionPayload> {
        let uuid = uuid.get("uuid")?;
        let owner = owner(ctx)?;
        in_transaction(ctx, async |here| webhooks::delete(here, owner, uuid).await).await?;
        Ok(DeleteWebhookSubscriptionPayload { deleted_uuid: uuid })
    }

    /// Queues a `ping` to one of the application's subscriptions; its delivery is answered
    /// (and shows among the subscription's deliveries). Requires `read:webhooks`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReadWebhooks)",
        directive = requires_scopes::apply(scopes(Scope::ReadWebhooks))
    )]
    async fn ping_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        uuid: UuidArg,
    ) -> Result<WebhookDelivery> {
        let uuid = uuid.get("uuid")?;
        let owner = owner(ctx)?;
        let queued =
            in_transaction(ctx, async |here| webhooks::ping(here, owner, uuid).await).await?;
        state(ctx)?
            .webhook_wake
            .ring_for(queued.delivery.subscription_id);
        Ok(WebhookDelivery(queued))
    }
}
