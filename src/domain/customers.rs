//! Customers. Personal data (PII) leaves the domain only for callers allowed to read it.

use sea_orm::ConnectionTrait;

use super::pagination::{
    CursorCodec, Fingerprint, Page, Position, decode_cursor, fetch_page, parse_limit,
};
use super::scope::TenantScope;
use crate::entities::customers;
use crate::error::{AppError, AppResult};

#[derive(Debug, Default, Clone)]
pub struct CustomerListParams<'a> {
    pub limit: Option<&'a str>,
    pub cursor: Option<&'a str>,
}

/// Customers of the caller's tenant, newest first (`created_at`, then id).
pub async fn list(
    db: &impl ConnectionTrait,
    codec: &CursorCodec,
    scope: &TenantScope,
    params: &CustomerListParams<'_>,
) -> AppResult<Page<customers::Model>> {
    let mut errors = Vec::new();
    let limit = parse_limit(params.limit, &mut errors);
    let fingerprint = Fingerprint::new("customers", scope.tenant_id());
    let resume = decode_cursor(codec, params.cursor, &fingerprint, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    Ok(fetch_page(
        db,
        codec,
        &fingerprint,
        scope.select::<customers::Entity>(),
        customers::Column::CreatedAt,
        customers::Column::Id,
        limit,
        resume,
        None,
        |c| Position {
            at: c.created_at.millis(),
            id: c.id,
        },
    )
    .await?)
}
