//! Events written into the outbox (`webhook_events`) inside the transaction of the change
//! that causes them: committed with it or not at all. Two catalogues — the partner API's
//! (seed 000/002) and the push API's WMS events (seed 003 §6) — each event in its seed's
//! payload form; one change writes at most one event of each catalogue. Delivering them is the
//! webhook worker's business.

use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::Serialize;
use uuid::Uuid;

use super::context::Ctx;
use crate::clock::Timestamp;
use crate::entities::webhook_events;
use crate::error::{AppError, AppResult};

/// Which subscribers an event is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Catalogue {
    /// Partner applications (seed 000/002 events).
    Partner,
    /// Operators' WMS subscriptions (seed 003 §6 events).
    Wms,
}

/// Every event of the two catalogues, whether this system emits it today or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    SalesOrderCreated,
    SalesOrderCompleted,
    SalesOrderRefunded,
    SalesOrderCancelled,
    InventoryMovementCreated,
    PurchaseOrderCreated,
    PurchaseOrderReceived,
    Ping,
    AsnReceived,
    AsnCompleted,
    OrderAllocated,
    OrderReleased,
    OrderShipped,
    OrderCancelled,
    StockAdjusted,
    CyclecountVariance,
}

impl Event {
    pub const ALL: [Event; 16] = [
        Event::SalesOrderCreated,
        Event::SalesOrderCompleted,
        Event::SalesOrderRefunded,
        Event::SalesOrderCancelled,
        Event::InventoryMovementCreated,
        Event::PurchaseOrderCreated,
        Event::PurchaseOrderReceived,
        Event::Ping,
        Event::AsnReceived,
        Event::AsnCompleted,
        Event::OrderAllocated,
        Event::OrderReleased,
        Event::OrderShipped,
        Event::OrderCancelled,
        Event::StockAdjusted,
        Event::CyclecountVariance,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Event::SalesOrderCreated => "sales.order.created",
            Event::SalesOrderCompleted => "sales.order.completed",
            Event::SalesOrderRefunded => "sales.order.refunded",
            Event::SalesOrderCancelled => "sales.order.cancelled",
            Event::InventoryMovementCreated => "inventory.movement.created",
            Event::PurchaseOrderCreated => "purchase_order.created",
            Event::PurchaseOrderReceived => "purchase_order.received",
            Event::Ping => "ping",
            Event::AsnReceived => "asn.received",
            Event::AsnCompleted => "asn.completed",
            Event::OrderAllocated => "order.allocated",
            Event::OrderReleased => "order.released",
            Event::OrderShipped => "order.shipped",
            Event::OrderCancelled => "order.cancelled",
            Event::StockAdjusted => "stock.adjusted",
            Event::CyclecountVariance => "cyclecount.variance",
        }
    }

    /// The event of this name, in any catalogue.
    pub fn parse(name: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.name() == name)
    }

    pub fn catalogue(self) -> Catalogue {
        match self {
            Event::SalesOrderCreated
            | Event::SalesOrderCompleted
            | Event::SalesOrderRefunded
            | Event::SalesOrderCancelled
            | Event::InventoryMovementCreated
            | Event::PurchaseOrderCreated
            | Event::PurchaseOrderReceived
            | Event::Ping => Catalogue::Partner,
            Event::AsnReceived
            | Event::AsnCompleted
            | Event::OrderAllocated
            | Event::OrderReleased
            | Event::OrderShipped
            | Event::OrderCancelled
            | Event::StockAdjusted
            | Event::CyclecountVariance => Catalogue::Wms,
        }
    }

    /// Whether something in this system produces it today (the rest are in the catalogues
    /// because the seeds name them: no endpoint or task here refunds, creates purchase
    /// orders, picks, ships, adjusts or counts).
    pub fn emitted(self) -> bool {
        match self {
            Event::SalesOrderCreated
            | Event::SalesOrderCompleted
            | Event::SalesOrderCancelled
            | Event::InventoryMovementCreated
            | Event::PurchaseOrderReceived
            | Event::Ping
            | Event::AsnReceived
            | Event::AsnCompleted
            | Event::OrderAllocated
            | Event::OrderCancelled => true,
            Event::SalesOrderRefunded
            | Event::PurchaseOrderCreated
            | Event::OrderReleased
            | Event::OrderShipped
            | Event::StockAdjusted
            | Event::CyclecountVariance => false,
        }
    }

    /// What produces it, or why nothing does (the catalogues in the README and the OpenAPI
    /// document say the same).
    pub fn source(self) -> &'static str {
        match self {
            Event::SalesOrderCreated => {
                "orders pushed through the Push Integration API; `serve --simulate`"
            }
            Event::SalesOrderCompleted => "`serve --simulate`",
            Event::SalesOrderRefunded => "not emitted: nothing here refunds",
            Event::SalesOrderCancelled => "orders cancelled through the Push Integration API",
            Event::InventoryMovementCreated => {
                "GRNs without a purchase order; allocations of pushed orders are not movements"
            }
            Event::PurchaseOrderCreated => "not emitted: purchase orders are not created here",
            Event::PurchaseOrderReceived => "GRNs against an ASN of a purchase order",
            Event::Ping => {
                "`POST /webhooks/{id}/ping` (a WMS subscription: `POST /api/v1/webhook-subscriptions/{id}/ping`), to that subscription only"
            }
            Event::AsnReceived => "every GRN against an ASN",
            Event::AsnCompleted => "the GRN that completes an ASN",
            Event::OrderAllocated => "pushed orders that got stock",
            Event::OrderReleased => "not emitted: no picking here",
            Event::OrderShipped => "not emitted: no shipping here",
            Event::OrderCancelled => "orders cancelled through the Push Integration API",
            Event::StockAdjusted => "not emitted: no adjustment endpoint",
            Event::CyclecountVariance => "not emitted: no counting here",
        }
    }

    /// The scope an application needs for this event's deliveries (partner events).
    pub fn scope(self) -> Option<crate::domain::scopes::Scope> {
        use crate::domain::scopes::Scope;
        match self {
            Event::SalesOrderCreated
            | Event::SalesOrderCompleted
            | Event::SalesOrderRefunded
            | Event::SalesOrderCancelled => Some(Scope::ReadSales),
            Event::InventoryMovementCreated => Some(Scope::ReadInventory),
            Event::PurchaseOrderCreated | Event::PurchaseOrderReceived => {
                Some(Scope::ReadPurchasing)
            }
            _ => None,
        }
    }
}

/// The catalogue as a Markdown table (the OpenAPI documents' tag descriptions carry it):
/// each event, what emits it or why nothing does, and for partner events the scope an
/// application needs.
pub fn catalogue_table(catalogue: Catalogue) -> String {
    let mut table = String::from("| event | emitted | by | scope |\n|---|---|---|---|\n");
    for event in Event::ALL.iter().filter(|e| e.catalogue() == catalogue) {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            event.name(),
            if event.emitted() { "yes" } else { "not yet" },
            event.source(),
            event.scope().map_or("—", |s| s.as_str()),
        ));
    }
    table
}

tokio::task_local! {
    /// Set when the current task wrote an event: a door that commits the task's transaction
    /// then wakes the delivery worker (see [`written_by`]).
    static WROTE_EVENTS: std::cell::Cell<bool>;
}

/// Runs `work`, answering with whether it wrote any event into the outbox (what decides
/// whether its commit should wake the delivery worker).
pub async fn written_by<T>(work: impl std::future::Future<Output = T>) -> (T, bool) {
    WROTE_EVENTS
        .scope(std::cell::Cell::new(false), async move {
            let done = work.await;
            (done, WROTE_EVENTS.with(|w| w.get()))
        })
        .await
}

/// Writes `event` with `data` into the outbox, in the seed's payload form
/// (`{event, timestamp, data}`); `branch_id` lets partner subscriptions limited to branches
/// see only their own.
pub async fn record(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    event: Event,
    branch_id: Option<Uuid>,
    data: &impl Serialize,
) -> AppResult<()> {
    let Ctx { db, scope, now, .. } = *ctx;
    #[derive(Serialize)]
    struct Payload<'a, T: Serialize> {
        event: &'static str,
        timestamp: Timestamp,
        data: &'a T,
    }
    let payload = serde_json::to_string(&Payload {
        event: event.name(),
        timestamp: now,
        data,
    })
    .map_err(|err| AppError::internal(anyhow::anyhow!("an event's payload: {err}")))?;
    webhook_events::Entity::insert(webhook_events::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(scope.tenant_id()),
        event_type: Set(event.name().to_owned()),
        branch_id: Set(branch_id),
        payload: Set(payload),
        created_at: Set(now),
        dispatched_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    // Outside `written_by` (a test, a background task) there is no one to tell.
    let _ = WROTE_EVENTS.try_with(|w| w.set(true));
    Ok(())
}
