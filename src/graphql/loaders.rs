//! Per-request, tenant-scoped dataloaders (the `dataloader` crate). Its `load` panics on a
//! missing key and its batch function cannot fail, so every value is a `Result` and callers
//! use `try_load`.

use std::collections::HashMap;
use std::sync::Arc;

use dataloader::BatchFn;
use dataloader::cached::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Select};
use uuid::Uuid;

use crate::domain::scope::TenantScope;
use crate::entities::{branches, customers, sales_order_items};
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

/// Loads rows by id through a scoped query (`select` starts from the caller's scope).
pub struct ByIdBatch<E: EntityTrait> {
    db: DatabaseConnection,
    scope: TenantScope,
    select: fn(&TenantScope) -> Select<E>,
    id: E::Column,
    key: fn(&E::Model) -> Uuid,
}

impl<E> BatchFn<Uuid, Loaded<Option<E::Model>>> for ByIdBatch<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync,
{
    async fn load(&mut self, keys: &[Uuid]) -> HashMap<Uuid, Loaded<Option<E::Model>>> {
        let result = (self.select)(&self.scope)
            .filter(self.id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await;
        match result {
            Ok(rows) => {
                let mut found: HashMap<Uuid, Loaded<Option<E::Model>>> =
                    keys.iter().map(|k| (*k, Ok(None))).collect();
                for row in rows {
                    found.insert((self.key)(&row), Ok(Some(row)));
                }
                found
            }
            Err(err) => {
                let shared = Arc::new(AppError::from(err));
                keys.iter().map(|k| (*k, Err(shared.clone()))).collect()
            }
        }
    }
}

type ById<E> = Loader<Uuid, Loaded<Option<<E as EntityTrait>::Model>>, ByIdBatch<E>>;

/// The loaders of one request.
pub struct Loaders {
    pub order_items: Loader<Uuid, Loaded<Vec<sales_order_items::Model>>, OrderItemsBatch>,
    pub customers: ById<customers::Entity>,
    pub branches: ById<branches::Entity>,
}

impl Loaders {
    pub fn new(db: DatabaseConnection, scope: TenantScope) -> Self {
        Self {
            order_items: Loader::new(OrderItemsBatch {
                db: db.clone(),
                scope: scope.clone(),
            })
            .with_max_batch_size(500),
            customers: Loader::new(ByIdBatch {
                db: db.clone(),
                scope: scope.clone(),
                select: |s| s.select::<customers::Entity>(),
                id: customers::Column::Id,
                key: |c| c.id,
            })
            .with_max_batch_size(500),
            branches: Loader::new(ByIdBatch {
                db,
                scope,
                select: |s| s.select_in_branches::<branches::Entity>(&[]),
                id: branches::Column::Id,
                key: |b| b.id,
            })
            .with_max_batch_size(500),
        }
    }
}
