use sea_orm::entity::prelude::*;

use super::enums::AppStatus;
use crate::clock::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub client_id: String,
    pub client_secret_hash: String,
    /// Space-separated scopes.
    pub scopes: String,
    /// JSON array of branch ids; `None` means every branch.
    pub allowed_branch_ids: Option<String>,
    pub status: AppStatus,
    /// Raised by every suspension or revocation; tokens of an older generation are refused.
    pub token_generation: i32,
    /// JSON array of browser origins allowed to call with this application's tokens.
    pub allowed_origins: String,
    pub last_used_at: Option<Timestamp>,
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
