//! Customers. Personal data (PII) leaves the domain only for callers allowed to read it.

use sea_orm::sea_query::{Alias, Expr, Func};
use sea_orm::{ConnectionTrait, Iterable, QuerySelect, Select};

use chrono::NaiveDate;
use uuid::Uuid;

use super::context::Ctx;
use super::input::Problems;
use super::pagination::{Fingerprint, Listing, Page, PageRequest, Position};
use super::scope::TenantScope;
use crate::clock::Timestamp;
use crate::entities::customers;
use crate::entities::enums::MemberTier;
use crate::error::AppResult;
use crate::money::Amount;

/// A customer as the caller may see them: `personal` is present only when personal data was
/// read ([`PiiColumns::Read`]); every door renders this, never the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub member_tier: MemberTier,
    pub points: i64,
    pub total_spent: Amount,
    pub visit_count: i32,
    pub last_visit_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub personal: Option<PersonalData>,
}

/// A customer's personal data (PII): what `read:customers:pii` guards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalData {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub tax_id: Option<String>,
}

impl Customer {
    /// The view of a row read with `pii` (its personal columns are NULL unless `Read`).
    pub fn new(row: customers::Model, pii: PiiColumns) -> Self {
        let personal = (pii == PiiColumns::Read).then_some(PersonalData {
            phone: row.phone,
            email: row.email,
            date_of_birth: row.date_of_birth,
            address: row.address,
            city: row.city,
            state: row.state,
            postal_code: row.postal_code,
            country: row.country,
            tax_id: row.tax_id,
        });
        Self {
            id: row.id,
            code: row.code,
            name: row.name,
            member_tier: row.member_tier,
            points: row.points,
            total_spent: row.total_spent,
            visit_count: row.visit_count,
            last_visit_at: row.last_visit_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            personal,
        }
    }
}

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
pub(super) fn select(scope: &TenantScope, pii: PiiColumns) -> Select<customers::Entity> {
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
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &CustomerListParams<'_>,
) -> AppResult<Listing<customers::Entity>> {
    let Ctx {
        cursors: codec,
        scope,
        ..
    } = *ctx;
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

/// Customers of the caller's tenant, newest first (`created_at`, then id), with personal data
/// as `params.pii` allows.
pub async fn list(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &CustomerListParams<'_>,
) -> AppResult<Page<Customer>> {
    let page = listing(ctx, params)?.page(ctx).await?;
    Ok(page.map(|row| Customer::new(row, params.pii)))
}

/// How many customers the tenant has.
pub async fn count(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    params: &CustomerListParams<'_>,
) -> AppResult<u64> {
    Ok(listing(ctx, params)?.count(ctx).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_carries_personal_data_only_when_it_was_read() {
        let at = Timestamp::from_millis(1_781_493_736_709).expect("in range");
        let row = customers::Model {
            id: Uuid::from_bytes([1; 16]),
            tenant_id: Uuid::from_bytes([2; 16]),
            code: "C-1".into(),
            name: "Somchai".into(),
            member_tier: MemberTier::Gold,
            points: 10,
            total_spent: Amount::ZERO,
            visit_count: 1,
            last_visit_at: None,
            phone: Some("+66 81 234 5678".into()),
            email: Some("somchai@example.com".into()),
            date_of_birth: None,
            address: None,
            city: None,
            state: None,
            postal_code: None,
            country: Some("TH".into()),
            tax_id: None,
            created_at: at,
            updated_at: at,
        };
        // Even a row that somehow carries personal data gives none without `Read`.
        assert_eq!(
            Customer::new(row.clone(), PiiColumns::Withheld).personal,
            None
        );
        let read = Customer::new(row, PiiColumns::Read);
        let personal = read.personal.expect("read");
        assert_eq!(personal.phone.as_deref(), Some("+66 81 234 5678"));
        assert_eq!(personal.country.as_deref(), Some("TH"));
        assert_eq!(read.name, "Somchai");
    }
}
