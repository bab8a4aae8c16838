use sea_orm::entity::prelude::*;

use super::enums::AsnStatus;
use crate::clock::Timestamp;

/// An advance shipping notice: goods a supplier says are coming to a warehouse.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "asns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub asn_no: String,
    pub warehouse_id: Uuid,
    pub supplier_id: Uuid,
    /// The purchase order its reference names, when it names one of the tenant's.
    pub purchase_order_id: Option<Uuid>,
    pub reference_no: Option<String>,
    pub expected_date: Option<Date>,
    pub status: AsnStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
