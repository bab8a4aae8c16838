//! Customers. Personal data (PII) leaves the domain only for callers allowed to read it.

use sea_orm::sea_query::{Alias, Expr, Func};
use sea_orm::{ConnectionTrait, Iterable, QuerySelect, Select};

use super::context::Ctx;
use super::input::Problems;
use super::pagination::{CursorCodec, Fingerprint, Listing, Page, PageRequest, Position};
use super::scope::TenantScope;
use crate::entities::customers;
use crate::error::AppResult;

#[derive(Debug, Default, Clone)]
pub struct CustomerListParams<'a> {
    pub page: PageRequest<'a>,
    /// Whether the personal-data columns are read at all.
    pub pii: PiiColumns,
}

/// Whether a query reads the customers' personal-data columns. `Withheld` (the default) reads
/// them as NULL, so for callers without `read:customers:pii` — or requests that do not ask for
/// them — personal data never leaves the database.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum PiiColumns {
    Read,
    #[default]
    Withheld,
}

impl PiiColumns {
    /// The one rule of both doors: read only for a caller who may see personal data
    /// (`read:customers` and `read:customers:pii`) and whose request asks for it.
    pub fn for_caller(may_read: bool, asked: bool) -> Self {
        if may_read && asked {
            Self::Read
        } else {
            Self::Withheld
        }
    }
}

/// The personal-data columns and the SQL type their NULL stands in for.
const PII: [(customers::Column, &str); 9] = [
    (customers::Column::Phone, "TEXT"),
    (customers::Column::Email, "TEXT"),
    (customers::Column::DateOfBirth, "DATE"),
    (customers::Column::Address, "TEXT"),
    (customers::Column::City, "TEXT"),
    (customers::Column::State, "TEXT"),
    (customers::Column::PostalCode, "TEXT"),
    (customers::Column::Country, "TEXT"),
    (customers::Column::TaxId, "TEXT"),
];

/// The names of the personal-data columns (what `read:customers:pii` guards).
pub fn personal_data_columns() -> impl Iterator<Item = &'static str> {
    PII.iter()
        .map(|(column, _)| sea_orm::IdenStatic::as_str(column))
}

/// The tenant's customers, with or without their personal data.
pub fn select(scope: &TenantScope, pii: PiiColumns) -> Select<customers::Entity> {
    let query = scope.select::<customers::Entity>();
    if pii == PiiColumns::Read {
        return query;
    }
    let personal = |column: &customers::Column| {
        let name = sea_orm::IdenStatic::as_str(column);
        personal_data_columns().any(|pii| pii == name)
    };
    let mut query = query
        .select_only()
        .columns(customers::Column::iter().filter(|c| !personal(c)));
    for (column, sql_type) in PII {
        query = query.expr_as(
            Func::cast_as(Expr::cust("NULL"), Alias::new(sql_type)),
            sea_orm::IdenStatic::as_str(&column),
        );
    }
    query
}

fn listing(
    codec: &CursorCodec,
    scope: &TenantScope,
    params: &CustomerListParams<'_>,
) -> AppResult<Listing<customers::Entity>> {
    let mut problems = Problems::default();
    let fingerprint = Fingerprint::new("customers", scope.tenant_id());
    let plan = params.page.plan(codec, &fingerprint, &mut problems);
    problems.check()?;
    Ok(Listing {
        query: select(scope, params.pii),
        fingerprint,
        plan,
        window: None,
        order: (customers::Column::CreatedAt, customers::Column::Id),
        key: |c| Position {
            at: c.created_at.millis(),
            id: c.id,
        },
    })
}

/// Customers of the caller's tenant, newest first (`created_at`, then id).
pub async fn list(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &CustomerListParams<'_>,
) -> AppResult<Page<customers::Model>> {
    let Ctx {
        db,
        cursors: codec,
        scope,
        ..
    } = *ctx;
    Ok(listing(codec, scope, params)?.page(db, codec).await?)
}

/// How many customers the tenant has.
pub async fn count(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &CustomerListParams<'_>,
) -> AppResult<u64> {
    let Ctx {
        db,
        cursors: codec,
        scope,
        ..
    } = *ctx;
    Ok(listing(codec, scope, params)?.count(db).await?)
}
