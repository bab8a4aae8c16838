use sea_orm::entity::prelude::*;

use super::enums::MemberTier;
use crate::clock::Timestamp;
use crate::money::Amount;

/// A customer. `phone` through `tax_id` are personal data (PII): read only with
/// `read:customers:pii`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub code: String,
    pub name: String,
    pub member_tier: MemberTier,
    pub points: i64,
    pub total_spent: Amount,
    pub visit_count: i32,
    pub last_visit_at: Option<Timestamp>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub date_of_birth: Option<Date>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub tax_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
