use sea_orm::entity::prelude::*;

use crate::clock::Timestamp;

/// The first use of an Idempotency-Key within a tenant, and the answer to replay.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub idempotency_key: String,
    /// SHA-256 of the method, path and canonical JSON body of the first request.
    pub request_hash: String,
    /// Always `DONE`: an answer is kept in the transaction that produced it, so no other
    /// state is ever visible (the column dates from the first design).
    pub state: String,
    pub status: Option<i32>,
    /// JSON object of the headers to replay.
    pub headers: Option<String>,
    pub body: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
