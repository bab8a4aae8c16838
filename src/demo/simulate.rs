//! `serve --simulate` (demo mode): a shop that sells by itself. Every few seconds it places a
//! sales order in the demo tenant through the domain layer — as the Push Integration API
//! would, one unit of a SKU with stock, allocated — and completes the one placed before, so a
//! newcomer sees lists grow and webhook events (`sales.order.created`,
//! `sales.order.completed`, `order.allocated`) arrive.

use std::time::Duration;

use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::background::StopSignal;
use crate::domain::context::Ctx;
use crate::domain::outbound::{self, OrderInput, OrderLineInput};
use crate::domain::scope::TenantScope;
use crate::entities::{api_applications, product_skus, stock_balances, warehouses};
use crate::money::Amount;
use crate::state::AppState;

fn one() -> Amount {
    Amount::from_scaled(10_000)
}

/// Time between two simulated sales.
pub const EVERY: Duration = Duration::from_secs(5);

/// Runs until told to stop.
pub async fn simulate_forever(state: AppState, mut stop: StopSignal) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut placed: Option<(Uuid, String)> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.stopped() => return,
        }
        match step(&state, placed.take()).await {
            Ok(next) => placed = next,
            // The demo keeps going; a failed step is reported and the next one tried.
            Err(err) => tracing::warn!(error = %err, "a simulated sale failed"),
        }
        state.webhook_wake.ring();
    }
}

/// Completes the order placed last time (if any) and places a new one; the new one's tenant
/// and number (none when there is no demo tenant or nothing in stock).
pub async fn step(
    state: &AppState,
    previous: Option<(Uuid, String)>,
) -> anyhow::Result<Option<(Uuid, String)>> {
    if let Some((tenant, number)) = previous {
        in_tenant(state, tenant, async |ctx| {
            outbound::complete_order(ctx, &number).await.map(|_| ())
        })
        .await?;
        tracing::info!(order = %number, "simulated sale completed");
    }
    let Some(tenant) = demo_tenant(state).await? else {
        return Ok(None);
    };
    let Some((warehouse, sku)) = something_to_sell(state, tenant).await? else {
        tracing::info!("nothing in stock to sell; the simulation waits");
        return Ok(None);
    };
    let reference = format!("SIM-{}", Uuid::new_v4().simple());
    let order = in_tenant(state, tenant, async |ctx| {
        outbound::create_order(
            ctx,
            &OrderInput {
                warehouse_code: warehouse.clone(),
                reference_no: reference.clone(),
                lines: vec![OrderLineInput {
                    line_no: 1,
                    sku: sku.clone(),
                    uom_code: None,
                    qty_ordered: one(),
                    unit_price: None,
                }],
                customer_code: None,
                required_date: None,
                priority: None,
                ship_to: None,
            },
        )
        .await
    })
    .await?;
    let number = order.order.order_number.clone();
    tracing::info!(order = %number, %sku, %warehouse, "simulated sale placed");
    Ok(Some((tenant, number)))
}

async fn in_tenant<T>(
    state: &AppState,
    tenant: Uuid,
    work: impl AsyncFnOnce(&Ctx<'_, sea_orm::DatabaseTransaction>) -> crate::error::AppResult<T>,
) -> anyhow::Result<T> {
    let scope = TenantScope::whole_tenant(tenant);
    let txn = state.db_budgets.begin_background(&state.db).await?;
    let ctx = Ctx::new(&*txn, &scope, state.clock.now(), &state.cursors);
    let done = work(&ctx)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    txn.commit().await?;
    Ok(done)
}

/// The tenant of the demo applications.
async fn demo_tenant(state: &AppState) -> anyhow::Result<Option<Uuid>> {
    Ok(api_applications::Entity::find()
        .filter(api_applications::Column::ClientId.eq(super::DEMO_APPS[0].client_id))
        .one(&state.db)
        .await?
        .map(|a| a.tenant_id))
}

/// A warehouse code and SKU code with a unit available, picked at random among a few.
async fn something_to_sell(
    state: &AppState,
    tenant: Uuid,
) -> anyhow::Result<Option<(String, String)>> {
    let candidates = stock_balances::Entity::find()
        .filter(stock_balances::Column::TenantId.eq(tenant))
        .filter(
            sea_orm::sea_query::Expr::col(stock_balances::Column::OnHand)
                .sub(sea_orm::sea_query::Expr::col(
                    stock_balances::Column::Allocated,
                ))
                .gte(one().scaled()),
        )
        .order_by_asc(stock_balances::Column::Id)
        .limit(20)
        .all(&state.db)
        .await?;
    let mut pick = [0u8; 1];
    getrandom::fill(&mut pick).map_err(|e| anyhow::anyhow!("{e}"))?;
    let Some(balance) = candidates.get(usize::from(pick[0]) % candidates.len().max(1)) else {
        return Ok(None);
    };
    let warehouse = warehouses::Entity::find_by_id(balance.warehouse_id)
        .one(&state.db)
        .await?;
    let sku = product_skus::Entity::find_by_id(balance.product_sku_id)
        .one(&state.db)
        .await?;
    Ok(warehouse.zip(sku).map(|(w, s)| (w.code, s.sku_code)))
}
