//! Per-request, tenant-scoped dataloaders (the `dataloader` crate). Its `load` panics on a
//! missing key and its batch function cannot fail, so every value is a `Result` and callers
//! use `try_load`.

use std::collections::HashMap;
use std::sync::Arc;

use dataloader::BatchFn;
use dataloader::cached::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::domain::scope::TenantScope;
use crate::entities::sales_order_items;
use crate::error::AppError;

pub type Loaded<T> = Result<T, Arc<AppError>>;

pub struct OrderItemsBatch {
    db: DatabaseConnection,
    scope: TenantScope,
}

impl BatchFn<Uuid, Loaded<Vec<sales_order_items::Model>>> for OrderItemsBatch {
    async fn load(
        &mut self,
        keys: &[Uuid],
    ) -> HashMap<Uuid, Loaded<Vec<sales_order_items::Model>>> {
        let result = self
            .scope
            .select::<sales_order_items::Entity>()
            .filter(sales_order_items::Column::SalesOrderId.is_in(keys.iter().copied()))
            .order_by_asc(sales_order_items::Column::SalesOrderId)
            .order_by_asc(sales_order_items::Column::LineNo)
            .all(&self.db)
            .await;
        match result {
            Ok(rows) => {
                let mut by_order: HashMap<Uuid, Loaded<Vec<_>>> =
                    keys.iter().map(|k| (*k, Ok(Vec::new()))).collect();
                for row in rows {
                    if let Some(Ok(items)) = by_order.get_mut(&row.sales_order_id) {
                        items.push(row);
                    }
                }
                by_order
            }
            Err(err) => {
                let shared = Arc::new(AppError::from(err));
                keys.iter().map(|k| (*k, Err(shared.clone()))).collect()
            }
        }
    }
}

/// The loaders of one request.
pub struct Loaders {
    pub order_items: Loader<Uuid, Loaded<Vec<sales_order_items::Model>>, OrderItemsBatch>,
}

impl Loaders {
    pub fn new(db: DatabaseConnection, scope: TenantScope) -> Self {
        Self {
            order_items: Loader::new(OrderItemsBatch { db, scope }).with_max_batch_size(500),
        }
    }
}
