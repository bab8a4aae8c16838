//! The database work one GraphQL request may hold at once. async-graphql resolves the root
//! fields of a query (and the operations of a batch) concurrently; each root field runs its
//! own SQL and its loaders' batches, so 64 aliased reports would otherwise take every pooled
//! connection and starve every other tenant. Root fields take turns on a per-request budget
//! of permits, shared by the operations of a batch; what one root field resolves below itself
//! (loaders, nested lists) runs under its permit.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use tokio::sync::Semaphore;

/// Permits of one request (cloned into every operation of a batch).
#[derive(Clone, Debug)]
pub struct RequestBudget(Arc<Semaphore>);

impl RequestBudget {
    pub fn new(permits: usize) -> Self {
        Self(Arc::new(Semaphore::new(permits.max(1))))
    }
}

/// The extension that makes root fields take a permit of their request's budget.
pub struct Budget;

impl ExtensionFactory for Budget {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(BudgetExtension)
    }
}

struct BudgetExtension;

#[async_trait::async_trait]
impl Extension for BudgetExtension {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let root = info.path_node.parent.is_none() && !info.is_for_introspection;
        match ctx.data_opt::<RequestBudget>() {
            Some(budget) if root => {
                // The semaphore is never closed, so acquiring only fails if it were.
                let _permit = budget.0.acquire().await.ok();
                next.run(ctx, info).await
            }
            _ => next.run(ctx, info).await,
        }
    }
}
