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

/// The events this system writes, and the catalogue each belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    SalesOrderCreated,
    SalesOrderCancelled,
    InventoryMovementCreated,
    PurchaseOrderReceived,
    AsnReceived,
    AsnCompleted,
    OrderAllocated,
    OrderCancelled,
}

impl Event {
    pub fn name(self) -> &'static str {
        match self {
            Event::SalesOrderCreated => "sales.order.created",
            Event::SalesOrderCancelled => "sales.order.cancelled",
            Event::InventoryMovementCreated => "inventory.movement.created",
            Event::PurchaseOrderReceived => "purchase_order.received",
            Event::AsnReceived => "asn.received",
            Event::AsnCompleted => "asn.completed",
            Event::OrderAllocated => "order.allocated",
            Event::OrderCancelled => "order.cancelled",
        }
    }

    pub fn catalogue(self) -> Catalogue {
        match self {
            Event::SalesOrderCreated
            | Event::SalesOrderCancelled
            | Event::InventoryMovementCreated
            | Event::PurchaseOrderReceived => Catalogue::Partner,
            Event::AsnReceived
            | Event::AsnCompleted
            | Event::OrderAllocated
            | Event::OrderCancelled => Catalogue::Wms,
        }
    }
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
    Ok(())
}
