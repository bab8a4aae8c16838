//! Tenant and branch scoping. Every domain query starts from a [`TenantScope`]: the only way
//! to a `Select` over tenant-owned rows is through it, so forgetting the tenant filter cannot be
//! written.

use std::collections::BTreeSet;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::entities::{
    api_applications, asn_lines, asns, branches, customers, goods_receipt_lines, goods_receipts,
    inventory_levels, inventory_movements, product_skus, products, purchase_order_items,
    purchase_orders, sales_order_items, sales_orders, stock_allocations, stock_balances,
    storage_locations, suppliers, warehouses, webhook_deliveries, webhook_delivery_attempts,
    webhook_events, webhook_subscriptions,
};

/// Rows that belong to exactly one tenant.
pub trait TenantOwned: EntityTrait {
    fn tenant_column() -> Self::Column;
    /// The row's id (every tenant-owned table has one).
    fn id_column() -> Self::Column;
}

/// Rows that also belong to one branch (and so follow branch scoping).
pub trait BranchOwned: TenantOwned {
    fn branch_column() -> Self::Column;
}

macro_rules! tenant_owned {
    ($($module:ident),+ $(,)?) => {
        $(impl TenantOwned for $module::Entity {
            fn tenant_column() -> Self::Column {
                $module::Column::TenantId
            }
            fn id_column() -> Self::Column {
                $module::Column::Id
            }
        })+
    };
}

tenant_owned!(
    api_applications,
    branches,
    warehouses,
    products,
    product_skus,
    inventory_levels,
    inventory_movements,
    suppliers,
    purchase_orders,
    purchase_order_items,
    customers,
    sales_orders,
    sales_order_items,
    webhook_subscriptions,
    webhook_events,
    webhook_deliveries,
    webhook_delivery_attempts,
    storage_locations,
    stock_balances,
    stock_allocations,
    asns,
    asn_lines,
    goods_receipts,
    goods_receipt_lines,
);

macro_rules! branch_owned {
    ($($module:ident . $column:ident),+ $(,)?) => {
        $(impl BranchOwned for $module::Entity {
            fn branch_column() -> Self::Column {
                $module::Column::$column
            }
        })+
    };
}

branch_owned!(
    branches.Id,
    warehouses.BranchId,
    sales_orders.BranchId,
    purchase_orders.BranchId
);

/// The branches a query may touch after intersecting with what the caller asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchFilter {
    /// Every branch of the tenant.
    All,
    /// Only these (possibly none: then the query returns no rows).
    Only(BTreeSet<Uuid>),
}

impl BranchFilter {
    pub fn allows(&self, branch_id: Uuid) -> bool {
        match self {
            BranchFilter::All => true,
            BranchFilter::Only(set) => set.contains(&branch_id),
        }
    }
}

/// The caller's tenant and allowed branches (`None` = all branches), from the access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantScope {
    tenant_id: Uuid,
    allowed_branches: Option<BTreeSet<Uuid>>,
}

impl TenantScope {
    pub fn new(tenant_id: Uuid, allowed_branches: Option<Vec<Uuid>>) -> Self {
        Self {
            tenant_id,
            allowed_branches: allowed_branches.map(|ids| ids.into_iter().collect()),
        }
    }

    /// Every branch of the tenant (for trusted operator tools such as the CLI).
    pub fn whole_tenant(tenant_id: Uuid) -> Self {
        Self::new(tenant_id, None)
    }

    pub fn tenant_id(&self) -> Uuid {
        self.tenant_id
    }

    pub fn allowed_branches(&self) -> Option<&BTreeSet<Uuid>> {
        self.allowed_branches.as_ref()
    }

    /// The seed-001 rule: requested ∩ allowed; nothing requested ⇒ everything allowed;
    /// unrestricted token ⇒ the request as is. Disallowed branches silently drop out.
    pub fn effective_branches(&self, requested: &[Uuid]) -> BranchFilter {
        match (&self.allowed_branches, requested.is_empty()) {
            (None, true) => BranchFilter::All,
            (None, false) => BranchFilter::Only(requested.iter().copied().collect()),
            (Some(allowed), true) => BranchFilter::Only(allowed.clone()),
            (Some(allowed), false) => BranchFilter::Only(
                requested
                    .iter()
                    .copied()
                    .filter(|id| allowed.contains(id))
                    .collect(),
            ),
        }
    }

    /// All rows of `E` belonging to this tenant.
    pub fn select<E: TenantOwned>(&self) -> Select<E> {
        E::find().filter(E::tenant_column().eq(self.tenant_id))
    }

    /// The row of `E` with `id`, if it is this tenant's.
    pub fn select_id<E: TenantOwned>(&self, id: Uuid) -> Select<E> {
        self.select::<E>().filter(E::id_column().eq(id))
    }

    /// Rows of `E` in this tenant and in the effective branches for `requested`.
    pub fn select_in_branches<E: BranchOwned>(&self, requested: &[Uuid]) -> Select<E> {
        let query = self.select::<E>();
        match self.effective_branches(requested) {
            BranchFilter::All => query,
            BranchFilter::Only(ids) => query.filter(E::branch_column().is_in(ids)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u8) -> Vec<Uuid> {
        (1..=n).map(|i| Uuid::from_bytes([i; 16])).collect()
    }

    #[test]
    fn seed_001_branch_intersection_table() {
        let [a, b, c]: [Uuid; 3] = ids(3).try_into().expect("three ids");
        let unrestricted = TenantScope::new(Uuid::nil(), None);
        let restricted = TenantScope::new(Uuid::nil(), Some(vec![a, b]));

        // Unrestricted token + requested branch: used as is.
        assert_eq!(
            unrestricted.effective_branches(&[c]),
            BranchFilter::Only([c].into())
        );
        // Restricted token + allowed branch: that branch.
        assert_eq!(
            restricted.effective_branches(&[b]),
            BranchFilter::Only([b].into())
        );
        // Restricted token + disallowed branch: dropped without error (B ∩ {B, C} = {B}).
        assert_eq!(
            restricted.effective_branches(&[b, c]),
            BranchFilter::Only([b].into())
        );
        assert_eq!(
            restricted.effective_branches(&[c]),
            BranchFilter::Only([].into())
        );
        // Nothing requested: everything the token allows.
        assert_eq!(unrestricted.effective_branches(&[]), BranchFilter::All);
        assert_eq!(
            restricted.effective_branches(&[]),
            BranchFilter::Only([a, b].into())
        );
    }
}
