//! Partners — suppliers and customers — as the Push Integration API upserts them, by code and
//! type within the tenant. A customer's contact details are personal data: the partner doors
//! show them only to callers allowed to read it.

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use super::context::Ctx;
use super::input::{Field, Problems};
use super::items::Upsert;
use crate::entities::enums::{MemberTier, RecordStatus};
use crate::entities::{customers, suppliers};
use crate::error::AppResult;
use crate::money::Amount;

/// A new supplier's payment terms when none are known.
pub const DEFAULT_PAYMENT_TERMS_DAYS: i32 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerKind {
    Supplier,
    Customer,
}

/// A partner as pushed. Contact fields left out of an update keep their value.
#[derive(Debug, Clone)]
pub struct PartnerInput {
    pub kind: PartnerKind,
    pub code: String,
    pub name: String,
    pub contact_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub tax_id: Option<String>,
}

/// The partner written: its id and code.
#[derive(Debug, Clone)]
pub struct Partner {
    pub id: Uuid,
    pub code: String,
    pub kind: PartnerKind,
}

pub fn validate(partner: &PartnerInput) -> AppResult<()> {
    let mut problems = Problems::default();
    problems.text(Field::Code, &partner.code, 64);
    problems.text(Field::Name, &partner.name, 200);
    problems.optional_text(Field::ContactName, partner.contact_name.as_deref(), 200);
    problems.optional_text(Field::Phone, partner.phone.as_deref(), 64);
    problems.optional_text(Field::Email, partner.email.as_deref(), 254);
    problems.optional_text(Field::Address, partner.address.as_deref(), 500);
    problems.optional_text(Field::TaxId, partner.tax_id.as_deref(), 64);
    problems.check()
}

fn trimmed(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Creates the partner or updates the tenant's partner of the same type and code.
pub async fn upsert(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    input: &PartnerInput,
) -> AppResult<(Upsert, Partner)> {
    validate(input)?;
    let Ctx { db, scope, now, .. } = *ctx;
    let code = input.code.trim();
    let name = input.name.trim().to_owned();
    let written = |id: Uuid| Partner {
        id,
        code: code.to_owned(),
        kind: input.kind,
    };
    match input.kind {
        PartnerKind::Supplier => {
            let found = scope
                .select::<suppliers::Entity>()
                .filter(suppliers::Column::Code.eq(code))
                .one(db)
                .await?;
            if let Some(found) = found {
                let id = found.id;
                let mut row: suppliers::ActiveModel = found.into();
                row.name = Set(name);
                for (slot, value) in [
                    (&mut row.contact_name, &input.contact_name),
                    (&mut row.phone, &input.phone),
                    (&mut row.email, &input.email),
                    (&mut row.address, &input.address),
                    (&mut row.tax_id, &input.tax_id),
                ] {
                    if let Some(value) = trimmed(value) {
                        *slot = Set(Some(value));
                    }
                }
                row.updated_at = Set(now);
                row.update(db).await?;
                return Ok((Upsert::Updated, written(id)));
            }
            let row = suppliers::ActiveModel {
                id: Set(Uuid::new_v4()),
                tenant_id: Set(scope.tenant_id()),
                code: Set(code.to_owned()),
                name: Set(name),
                contact_name: Set(trimmed(&input.contact_name)),
                phone: Set(trimmed(&input.phone)),
                email: Set(trimmed(&input.email)),
                address: Set(trimmed(&input.address)),
                tax_id: Set(trimmed(&input.tax_id)),
                payment_terms_days: Set(DEFAULT_PAYMENT_TERMS_DAYS),
                status: Set(RecordStatus::Active),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
            Ok((Upsert::Created, written(row.id)))
        }
        PartnerKind::Customer => {
            let found = scope
                .select::<customers::Entity>()
                .filter(customers::Column::Code.eq(code))
                .one(db)
                .await?;
            if let Some(found) = found {
                let id = found.id;
                let mut row: customers::ActiveModel = found.into();
                row.name = Set(name);
                for (slot, value) in [
                    (&mut row.phone, &input.phone),
                    (&mut row.email, &input.email),
                    (&mut row.address, &input.address),
                    (&mut row.tax_id, &input.tax_id),
                ] {
                    if let Some(value) = trimmed(value) {
                        *slot = Set(Some(value));
                    }
                }
                row.updated_at = Set(now);
                row.update(db).await?;
                return Ok((Upsert::Updated, written(id)));
            }
            let row = customers::ActiveModel {
                id: Set(Uuid::new_v4()),
                tenant_id: Set(scope.tenant_id()),
                code: Set(code.to_owned()),
                name: Set(name),
                member_tier: Set(MemberTier::Regular),
                points: Set(0),
                total_spent: Set(Amount::ZERO),
                visit_count: Set(0),
                last_visit_at: Set(None),
                phone: Set(trimmed(&input.phone)),
                email: Set(trimmed(&input.email)),
                date_of_birth: Set(None),
                address: Set(trimmed(&input.address)),
                city: Set(None),
                state: Set(None),
                postal_code: Set(None),
                country: Set(None),
                tax_id: Set(trimmed(&input.tax_id)),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
            Ok((Upsert::Created, written(row.id)))
        }
    }
}
