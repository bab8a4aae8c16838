//! Per-request, tenant-scoped dataloaders (the `dataloader` crate). Its `load` panics on a
//! missing key and its batch function cannot fail, so every value is a `Result` and callers
//! use `try_load`. Every query starts from the caller's scope, so a loader can only ever
//! return rows the caller may see.

use std::collections::HashMap;
use std::sync::Arc;

use dataloader::BatchFn;
use dataloader::cached::Loader;
use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::domain::batch::{self, Lookup};
use crate::domain::customers::{Customer, PiiColumns};
use crate::domain::scope::TenantScope;
use crate::entities::{
    branches, customers, inventory_levels, inventory_movements, product_skus, products,
    purchase_order_items, purchase_orders, sales_order_items, sales_orders, suppliers, warehouses,
};
use crate::error::AppError;

pub type Loaded<T> = Result<T, Arc<AppError>>;

/// Most keys a single batch query carries.
const MAX_BATCH: usize = 500;

/// Where a loader's values come from: a domain lookup run with the request's database handle
/// and the caller's scope.
struct Source<E: EntityTrait, V> {
    db: crate::db::BudgetedDb,
    scope: TenantScope,
    lookup: Lookup<E, V>,
}

impl<E: EntityTrait, V> Source<E, V> {
    async fn rows(&self, keys: &[Uuid]) -> Result<Vec<(Uuid, V)>, Arc<AppError>> {
        self.lookup
            .rows(&self.db, &self.scope, keys)
            .await
            .map_err(|err| Arc::new(AppError::from(err)))
    }
}

/// One value per id (`None` when the caller may not see it).
pub struct ByIdBatch<E: EntityTrait, V>(Source<E, V>);

impl<E, V> BatchFn<Uuid, Loaded<Option<V>>> for ByIdBatch<E, V>
where
    E: EntityTrait,
    V: Clone + Send + Sync,
{
    async fn load(&mut self, keys: &[Uuid]) -> HashMap<Uuid, Loaded<Option<V>>> {
        match self.0.rows(keys).await {
            Ok(rows) => {
                let mut found: HashMap<Uuid, Loaded<Option<V>>> =
                    keys.iter().map(|k| (*k, Ok(None))).collect();
                for (key, value) in rows {
                    found.insert(key, Ok(Some(value)));
                }
                found
            }
            Err(err) => keys.iter().map(|k| (*k, Err(err.clone()))).collect(),
        }
    }
}

/// Every child of each parent id, in the lookup's order.
pub struct ByParentBatch<E: EntityTrait, V>(Source<E, V>);

impl<E, V> BatchFn<Uuid, Loaded<Vec<V>>> for ByParentBatch<E, V>
where
    E: EntityTrait,
    V: Clone + Send + Sync,
{
    async fn load(&mut self, keys: &[Uuid]) -> HashMap<Uuid, Loaded<Vec<V>>> {
        match self.0.rows(keys).await {
            Ok(rows) => {
                let mut by_parent: HashMap<Uuid, Loaded<Vec<V>>> =
                    keys.iter().map(|k| (*k, Ok(Vec::new()))).collect();
                for (key, value) in rows {
                    if let Some(Ok(children)) = by_parent.get_mut(&key) {
                        children.push(value);
                    }
                }
                by_parent
            }
            Err(err) => keys.iter().map(|k| (*k, Err(err.clone()))).collect(),
        }
    }
}

/// A loader's cache: keys are row ids, so a fast hash will do (foldhash, randomly seeded).
type Cache<V> = HashMap<Uuid, V, foldhash::fast::RandomState>;

pub type ById<E, V = <E as EntityTrait>::Model> =
    Loader<Uuid, Loaded<Option<V>>, ByIdBatch<E, V>, Cache<Loaded<Option<V>>>>;
pub type ByParent<E, V = <E as EntityTrait>::Model> =
    Loader<Uuid, Loaded<Vec<V>>, ByParentBatch<E, V>, Cache<Loaded<Vec<V>>>>;

/// The loaders of one request.
pub struct Loaders {
    pub sales_orders: ById<sales_orders::Entity>,
    pub order_items: ByParent<sales_order_items::Entity>,
    pub customers: ById<customers::Entity, Customer>,
    pub branches: ById<branches::Entity>,
    pub products: ById<products::Entity>,
    pub skus: ById<product_skus::Entity>,
    pub product_skus: ByParent<product_skus::Entity>,
    pub warehouses: ById<warehouses::Entity>,
    pub levels: ById<inventory_levels::Entity>,
    pub movements: ById<inventory_movements::Entity>,
    pub purchase_orders: ById<purchase_orders::Entity>,
    pub purchase_order_items: ByParent<purchase_order_items::Entity>,
    /// Stock received against a purchase order, by purchase order.
    pub receipts: ByParent<inventory_movements::Entity>,
    pub suppliers: ById<suppliers::Entity>,
}

impl Loaders {
    /// `pii`: whether customers are read with their personal data (see [`PiiColumns`]).
    pub fn new(db: crate::db::BudgetedDb, scope: TenantScope, pii: PiiColumns) -> Self {
        fn source<E: EntityTrait, V>(
            db: &crate::db::BudgetedDb,
            scope: &TenantScope,
            lookup: Lookup<E, V>,
        ) -> Source<E, V> {
            Source {
                db: db.clone(),
                scope: scope.clone(),
                lookup,
            }
        }
        macro_rules! by_id {
            ($lookup:expr) => {
                Loader::with_cache(ByIdBatch(source(&db, &scope, $lookup)), Cache::default())
                    .with_max_batch_size(MAX_BATCH)
            };
        }
        macro_rules! by_parent {
            ($lookup:expr) => {
                Loader::with_cache(
                    ByParentBatch(source(&db, &scope, $lookup)),
                    Cache::default(),
                )
                .with_max_batch_size(MAX_BATCH)
            };
        }
        Self {
            sales_orders: by_id!(batch::sales_orders()),
            order_items: by_parent!(batch::sales_order_items()),
            customers: by_id!(batch::customers(pii)),
            branches: by_id!(batch::branches()),
            products: by_id!(batch::products()),
            skus: by_id!(batch::skus()),
            product_skus: by_parent!(batch::product_skus()),
            warehouses: by_id!(batch::warehouses()),
            levels: by_id!(batch::inventory_levels()),
            movements: by_id!(batch::inventory_movements()),
            purchase_orders: by_id!(batch::purchase_orders()),
            purchase_order_items: by_parent!(batch::purchase_order_items()),
            receipts: by_parent!(batch::receipts()),
            suppliers: by_id!(batch::suppliers()),
        }
    }
}
