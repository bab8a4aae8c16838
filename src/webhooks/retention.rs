//! The outbox's history is kept for a while, then deleted: an event dispatched longer ago than
//! the retention, whose deliveries are all finished, goes with its deliveries and their
//! attempts (the foreign keys cascade). Waiting work is never deleted, however old.

use std::time::Duration;

use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::background::StopSignal;
use crate::clock::Timestamp;
use crate::entities::enums::DeliveryStatus;
use crate::entities::{webhook_deliveries, webhook_events};
use crate::state::AppState;

/// Events deleted per statement, so that no statement holds its locks for long.
const BATCH: u64 = 1_000;

/// How often the history is trimmed.
const EVERY: Duration = Duration::from_secs(3_600);

/// Trims the history a minute after start, then every hour, until told to stop.
pub async fn trim_forever(state: AppState, mut stop: StopSignal) {
    let first = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut tick = tokio::time::interval_at(first, EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.stopped() => return,
        }
        let retention = state.config.webhooks.retention;
        match trim(&state.db, state.clock.now(), retention).await {
            Ok(0) => {}
            Ok(events) => tracing::info!(events, "webhook history past its retention deleted"),
            Err(err) => tracing::warn!(error = %err, "webhook history could not be trimmed"),
        }
    }
}

/// Deletes the events dispatched before `now - retention` whose deliveries are all finished,
/// with those deliveries and their attempts; how many events.
pub async fn trim(
    db: &impl ConnectionTrait,
    now: Timestamp,
    retention: Duration,
) -> Result<u64, sea_orm::DbErr> {
    let cutoff = now.minus(retention);
    let mut deleted = 0;
    loop {
        let waiting = Query::select()
            .column(webhook_deliveries::Column::EventId)
            .from(webhook_deliveries::Entity)
            .and_where(webhook_deliveries::Column::Status.eq(DeliveryStatus::Pending))
            .to_owned();
        let batch: Vec<uuid::Uuid> = webhook_events::Entity::find()
            .select_only()
            .column(webhook_events::Column::Id)
            .filter(webhook_events::Column::DispatchedAt.lt(cutoff))
            .filter(webhook_events::Column::Id.not_in_subquery(waiting))
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        if batch.is_empty() {
            return Ok(deleted);
        }
        let found = batch.len() as u64;
        deleted += webhook_events::Entity::delete_many()
            .filter(webhook_events::Column::Id.is_in(batch))
            .exec(db)
            .await?
            .rows_affected;
        if found < BATCH {
            return Ok(deleted);
        }
    }
}
