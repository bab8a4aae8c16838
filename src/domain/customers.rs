//! Customers. Personal data (PII) leaves the domain only for callers allowed to read it.

use sea_orm::ConnectionTrait;

use super::pagination::{CursorCodec, Fingerprint, Listing, Page, PageRequest, Position};
use super::scope::TenantScope;
use crate::entities::customers;
use crate::error::{AppError, AppResult};

#[derive(Debug, Default, Clone)]
pub struct CustomerListParams<'a> {
    pub page: PageRequest<'a>,
}

fn listing(
    codec: &CursorCodec,
    scope: &TenantScope,
    params: &CustomerListParams<'_>,
) -> AppResult<Listing<customers::Entity>> {
    let mut errors = Vec::new();
    let fingerprint = Fingerprint::new("customers", scope.tenant_id());
    let plan = params.page.plan(codec, &fingerprint, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    Ok(Listing {
        query: scope.select::<customers::Entity>(),
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
    db: &impl ConnectionTrait,
    codec: &CursorCodec,
    scope: &TenantScope,
    params: &CustomerListParams<'_>,
) -> AppResult<Page<customers::Model>> {
    Ok(listing(codec, scope, params)?.page(db, codec).await?)
}

/// How many customers the tenant has.
pub async fn count(
    db: &impl ConnectionTrait,
    codec: &CursorCodec,
    scope: &TenantScope,
    params: &CustomerListParams<'_>,
) -> AppResult<u64> {
    Ok(listing(codec, scope, params)?.count(db).await?)
}
