//! Document numbers, per tenant and day: `ASN-20260615-0001`, `GRN-…`, `SO-…`. The counter
//! row of a (tenant, prefix) is taken with an upsert that adds one and returns the new value,
//! inside the document's transaction: it holds the row (PostgreSQL) or the database's write
//! lock (SQLite) until that transaction ends, so two documents never get one number, and a
//! rolled-back document gives its number back.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::context::Ctx;
use crate::entities::document_counters;
use crate::error::{AppError, AppResult};

/// What a document number starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Series {
    /// Advance shipping notices.
    Asn,
    /// Goods receipts.
    Grn,
    /// Sales orders pushed by an integration.
    SalesOrder,
}

impl Series {
    pub fn prefix(self) -> &'static str {
        match self {
            Series::Asn => "ASN",
            Series::Grn => "GRN",
            Series::SalesOrder => "SO",
        }
    }
}

/// The next number of `series` for the context's tenant on the context's day (UTC):
/// `PREFIX-YYYYMMDD-NNNN` (more digits past 9999).
pub async fn next(ctx: &Ctx<'_, impl ConnectionTrait>, series: Series) -> AppResult<String> {
    let Ctx { db, scope, now, .. } = *ctx;
    let day = format!("{}-{}", series.prefix(), now.date().format("%Y%m%d"));
    let counter = document_counters::Entity::insert(document_counters::ActiveModel {
        tenant_id: Set(scope.tenant_id()),
        prefix: Set(day.clone()),
        last_value: Set(1),
    })
    .on_conflict(
        OnConflict::columns([
            document_counters::Column::TenantId,
            document_counters::Column::Prefix,
        ])
        .value(
            document_counters::Column::LastValue,
            Expr::col((
                document_counters::Entity,
                document_counters::Column::LastValue,
            ))
            .add(1),
        )
        .to_owned(),
    )
    .exec_with_returning(db)
    .await?;
    if counter.last_value < 1 {
        return Err(AppError::internal(anyhow::anyhow!(
            "a document counter below one"
        )));
    }
    Ok(format!("{day}-{:04}", counter.last_value))
}
