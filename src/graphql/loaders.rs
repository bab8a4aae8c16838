//! Per-request, tenant-scoped dataloaders (the `dataloader` crate). Its `load` panics on a
//! missing key and its batch function cannot fail, so every value is a `Result` and callers
//! use `try_load`. Every query starts from the caller's scope, so a loader can only ever
//! return rows the caller may see.

use std::collections::HashMap;
use std::sync::Arc;

use dataloader::BatchFn;
use dataloader::cached::Loader;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Select};
use uuid::Uuid;

use crate::domain::customers::{PiiColumns, select as customers_select};
use crate::domain::inventory::{visible_levels, visible_movements};
use crate::domain::scope::TenantScope;
use crate::domain::stock::ReferenceKind;
use crate::entities::{
    branches, customers, inventory_levels, inventory_movements, product_skus, products,
    purchase_order_items, purchase_orders, sales_order_items, sales_orders, suppliers, warehouses,
};
use crate::error::AppError;

pub type Loaded<T> = Result<T, Arc<AppError>>;

/// Most keys a single batch query carries.
const MAX_BATCH: usize = 500;

/// Where a loader's rows come from: a scoped query and the column its keys match.
struct Source<E: EntityTrait> {
    db: crate::db::BudgetedDb,
    scope: TenantScope,
    select: fn(&TenantScope) -> Select<E>,
    column: E::Column,
    key: fn(&E::Model) -> Uuid,
}

impl<E: EntityTrait> Source<E> {
    async fn rows(&self, keys: &[Uuid]) -> Result<Vec<E::Model>, Arc<AppError>> {
        self.rows_ordered(keys, None).await
    }

    async fn rows_ordered(
        &self,
        keys: &[Uuid],
        order: Option<E::Column>,
    ) -> Result<Vec<E::Model>, Arc<AppError>> {
        let mut query = (self.select)(&self.scope).filter(self.column.is_in(keys.iter().copied()));
        if let Some(order) = order {
            query = query.order_by_asc(self.column).order_by_asc(order);
        }
        query
            .all(&self.db)
            .await
            .map_err(|err| Arc::new(AppError::from(err)))
    }
}

/// One row per id (`None` when the caller may not see it).
pub struct ByIdBatch<E: EntityTrait>(Source<E>);

impl<E> BatchFn<Uuid, Loaded<Option<E::Model>>> for ByIdBatch<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync,
{
    async fn load(&mut self, keys: &[Uuid]) -> HashMap<Uuid, Loaded<Option<E::Model>>> {
        match self.0.rows(keys).await {
            Ok(rows) => {
                let mut found: HashMap<Uuid, Loaded<Option<E::Model>>> =
                    keys.iter().map(|k| (*k, Ok(None))).collect();
                for row in rows {
                    found.insert((self.0.key)(&row), Ok(Some(row)));
                }
                found
            }
            Err(err) => keys.iter().map(|k| (*k, Err(err.clone()))).collect(),
        }
    }
}

/// Every child row of each parent id, in `order`.
pub struct ByParentBatch<E: EntityTrait> {
    source: Source<E>,
    order: E::Column,
}

impl<E> BatchFn<Uuid, Loaded<Vec<E::Model>>> for ByParentBatch<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync,
{
    async fn load(&mut self, keys: &[Uuid]) -> HashMap<Uuid, Loaded<Vec<E::Model>>> {
        match self.source.rows_ordered(keys, Some(self.order)).await {
            Ok(rows) => {
                let mut by_parent: HashMap<Uuid, Loaded<Vec<E::Model>>> =
                    keys.iter().map(|k| (*k, Ok(Vec::new()))).collect();
                for row in rows {
                    if let Some(Ok(children)) = by_parent.get_mut(&(self.source.key)(&row)) {
                        children.push(row);
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

pub type ById<E> = Loader<
    Uuid,
    Loaded<Option<<E as EntityTrait>::Model>>,
    ByIdBatch<E>,
    Cache<Loaded<Option<<E as EntityTrait>::Model>>>,
>;
pub type ByParent<E> = Loader<
    Uuid,
    Loaded<Vec<<E as EntityTrait>::Model>>,
    ByParentBatch<E>,
    Cache<Loaded<Vec<<E as EntityTrait>::Model>>>,
>;

/// The loaders of one request.
pub struct Loaders {
    pub sales_orders: ById<sales_orders::Entity>,
    pub order_items: ByParent<sales_order_items::Entity>,
    pub customers: ById<customers::Entity>,
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
        fn source<E: EntityTrait>(
            db: &crate::db::BudgetedDb,
            scope: &TenantScope,
            select: fn(&TenantScope) -> Select<E>,
            column: E::Column,
            key: fn(&E::Model) -> Uuid,
        ) -> Source<E> {
            Source {
                db: db.clone(),
                scope: scope.clone(),
                select,
                column,
                key,
            }
        }
        macro_rules! by_id {
            ($select:expr, $column:expr) => {
                Loader::with_cache(
                    ByIdBatch(source(&db, &scope, $select, $column, |row| row.id)),
                    Cache::default(),
                )
                .with_max_batch_size(MAX_BATCH)
            };
        }
        macro_rules! by_parent {
            ($select:expr, $column:expr, $key:expr, $order:expr) => {
                Loader::with_cache(
                    ByParentBatch {
                        source: source(&db, &scope, $select, $column, $key),
                        order: $order,
                    },
                    Cache::default(),
                )
                .with_max_batch_size(MAX_BATCH)
            };
        }
        Self {
            sales_orders: by_id!(
                |s| s.select_in_branches::<sales_orders::Entity>(&[]),
                sales_orders::Column::Id
            ),
            order_items: by_parent!(
                |s| s.select::<sales_order_items::Entity>(),
                sales_order_items::Column::SalesOrderId,
                |row| row.sales_order_id,
                sales_order_items::Column::LineNo
            ),
            customers: match pii {
                PiiColumns::Read => by_id!(
                    |s| customers_select(s, PiiColumns::Read),
                    customers::Column::Id
                ),
                PiiColumns::Withheld => by_id!(
                    |s| customers_select(s, PiiColumns::Withheld),
                    customers::Column::Id
                ),
            },
            branches: by_id!(
                |s| s.select_in_branches::<branches::Entity>(&[]),
                branches::Column::Id
            ),
            products: by_id!(|s| s.select::<products::Entity>(), products::Column::Id),
            skus: by_id!(
                |s| s.select::<product_skus::Entity>(),
                product_skus::Column::Id
            ),
            product_skus: by_parent!(
                |s| s.select::<product_skus::Entity>(),
                product_skus::Column::ProductId,
                |row| row.product_id,
                product_skus::Column::SkuCode
            ),
            warehouses: by_id!(
                |s| s.select_in_branches::<warehouses::Entity>(&[]),
                warehouses::Column::Id
            ),
            levels: by_id!(visible_levels, inventory_levels::Column::Id),
            movements: by_id!(visible_movements, inventory_movements::Column::Id),
            purchase_orders: by_id!(
                |s| s.select_in_branches::<purchase_orders::Entity>(&[]),
                purchase_orders::Column::Id
            ),
            purchase_order_items: by_parent!(
                |s| s.select::<purchase_order_items::Entity>(),
                purchase_order_items::Column::PurchaseOrderId,
                |row| row.purchase_order_id,
                purchase_order_items::Column::LineNo
            ),
            receipts: by_parent!(
                |s| visible_movements(s).filter(
                    inventory_movements::Column::ReferenceType
                        .eq(ReferenceKind::PurchaseOrder.as_str()),
                ),
                inventory_movements::Column::ReferenceId,
                |row| row.reference_id.unwrap_or_default(),
                inventory_movements::Column::CreatedAt
            ),
            suppliers: by_id!(|s| s.select::<suppliers::Entity>(), suppliers::Column::Id),
        }
    }
}
