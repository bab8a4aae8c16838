use sea_orm::entity::prelude::*;

use crate::clock::Timestamp;

/// A key of the Push Integration API. The raw key is never stored: `key_hash` is its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// The first characters of the raw key, to recognise it by (`wms_AbCd…`).
    pub key_prefix: String,
    pub key_hash: String,
    /// Space-separated: `read`, `write`, `admin`.
    pub scopes: String,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    /// JSON array of addresses and CIDR networks; empty allows every address.
    pub ip_allowlist: String,
    /// JSON array of browser origins; empty allows no browser page.
    pub allowed_origins: String,
    /// Requests per sliding minute; `None` or 0: no limit.
    pub rate_limit_per_minute: Option<i32>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::tenants::Entity",
        from = "Column::TenantId",
        to = "super::tenants::Column::Id"
    )]
    Tenant,
}

impl Related<super::tenants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
