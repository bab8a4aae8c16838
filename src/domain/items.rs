//! Items — SKUs and their products — as the Push Integration API upserts them, by SKU code
//! within the tenant. What is written here is what the partner doors read (`/products`,
//! GraphQL `products`): one catalogue.

use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter};
use uuid::Uuid;

use super::context::Ctx;
use super::input::{Field, Problems};
use crate::entities::enums::{ProductStatus, RecordStatus, Tracking};
use crate::entities::{product_skus, products};
use crate::error::AppResult;
use crate::money::Amount;

/// The category of an item pushed without one.
pub const DEFAULT_CATEGORY: &str = "Uncategorized";
/// The longest shelf life accepted (a hundred years).
pub const MAX_SHELF_LIFE_DAYS: i64 = 36_500;

/// An item as pushed. Fields left out of an update keep their value.
#[derive(Debug, Clone, Default)]
pub struct ItemInput {
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
    pub base_uom: String,
    pub category: Option<String>,
    pub tracking: Option<Tracking>,
    pub shelf_life_days: Option<i64>,
    pub weight_kg: Option<Amount>,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Created,
    Updated,
}

impl Upsert {
    pub fn as_str(self) -> &'static str {
        match self {
            Upsert::Created => "created",
            Upsert::Updated => "updated",
        }
    }
}

/// A SKU with its product.
#[derive(Debug, Clone)]
pub struct Item {
    pub sku: product_skus::Model,
    pub product: products::Model,
}

/// The item's own rules, all problems at once.
pub fn validate(item: &ItemInput) -> AppResult<()> {
    let mut problems = Problems::default();
    problems.text(Field::Sku, &item.sku, 64);
    if item.sku.chars().any(char::is_whitespace) {
        problems.add(Field::Sku, "must not contain blanks");
    }
    problems.text(Field::Name, &item.name, 200);
    problems.optional_text(Field::Barcode, item.barcode.as_deref(), 64);
    problems.text(Field::BaseUom, &item.base_uom, 16);
    problems.optional_text(Field::Category, item.category.as_deref(), 100);
    if item
        .shelf_life_days
        .is_some_and(|days| !(0..=MAX_SHELF_LIFE_DAYS).contains(&days))
    {
        problems.add(
            Field::ShelfLife,
            format!("must be between 0 and {MAX_SHELF_LIFE_DAYS}"),
        );
    }
    if item.weight_kg.is_some_and(|w| w < Amount::ZERO) {
        problems.add(Field::Weight, "must not be negative");
    }
    problems.check()
}

/// The tenant's item with SKU code `sku`.
pub async fn find(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    sku: &str,
) -> Result<Option<Item>, sea_orm::DbErr> {
    let Ctx { db, scope, .. } = *ctx;
    let Some(found) = scope
        .select::<product_skus::Entity>()
        .filter(product_skus::Column::SkuCode.eq(sku))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let product = scope
        .select_id::<products::Entity>(found.product_id)
        .one(db)
        .await?;
    Ok(product.map(|product| Item {
        sku: found,
        product,
    }))
}

/// Creates the item or updates the tenant's item with its SKU code. Run it in a transaction:
/// a SKU and its product change together.
pub async fn upsert(
    ctx: &Ctx<'_, impl ConnectionTrait>,
    item: &ItemInput,
) -> AppResult<(Upsert, Item)> {
    validate(item)?;
    let Ctx { db, scope, now, .. } = *ctx;
    let sku_code = item.sku.trim();
    if let Some(existing) = find(ctx, sku_code).await? {
        let mut sku: product_skus::ActiveModel = existing.sku.into();
        sku.name = Set(item.name.trim().to_owned());
        sku.unit = Set(item.base_uom.trim().to_owned());
        if let Some(barcode) = &item.barcode {
            sku.barcode = Set(Some(barcode.trim().to_owned()));
        }
        if let Some(tracking) = item.tracking {
            sku.tracking = Set(tracking);
        }
        if let Some(days) = item.shelf_life_days {
            sku.shelf_life_days = Set(Some(i32::try_from(days).unwrap_or(i32::MAX)));
        }
        if let Some(weight) = item.weight_kg {
            sku.weight_kg = Set(Some(weight));
        }
        sku.updated_at = Set(now);
        let sku = sku.update(db).await?;
        let product = match &item.category {
            Some(category) if category.trim() != existing.product.category => {
                let mut product: products::ActiveModel = existing.product.into();
                product.category = Set(category.trim().to_owned());
                product.updated_at = Set(now);
                product.update(db).await?
            }
            _ => existing.product,
        };
        return Ok((Upsert::Updated, Item { sku, product }));
    }
    // A new SKU: its product is the tenant's product with the same code, or a new one.
    let product = match scope
        .select::<products::Entity>()
        .filter(products::Column::Code.eq(sku_code))
        .one(db)
        .await?
    {
        Some(product) => product,
        None => {
            products::ActiveModel {
                id: Set(Uuid::new_v4()),
                tenant_id: Set(scope.tenant_id()),
                code: Set(sku_code.to_owned()),
                name: Set(item.name.trim().to_owned()),
                category: Set(item
                    .category
                    .as_deref()
                    .map_or(DEFAULT_CATEGORY, str::trim)
                    .to_owned()),
                status: Set(ProductStatus::Active),
                description: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?
        }
    };
    let sku = product_skus::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(scope.tenant_id()),
        product_id: Set(product.id),
        sku_code: Set(sku_code.to_owned()),
        name: Set(item.name.trim().to_owned()),
        barcode: Set(item.barcode.as_deref().map(|b| b.trim().to_owned())),
        unit: Set(item.base_uom.trim().to_owned()),
        price: Set(Amount::ZERO),
        cost: Set(Amount::ZERO),
        status: Set(RecordStatus::Active),
        tracking: Set(item.tracking.unwrap_or(Tracking::None)),
        shelf_life_days: Set(item
            .shelf_life_days
            .map(|d| i32::try_from(d).unwrap_or(i32::MAX))),
        weight_kg: Set(item.weight_kg),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok((Upsert::Created, Item { sku, product }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> ItemInput {
        ItemInput {
            sku: "SKU-001".into(),
            name: "Water 750ml".into(),
            base_uom: "EA".into(),
            ..Default::default()
        }
    }

    #[test]
    fn an_item_needs_its_code_name_and_unit_and_sane_numbers() {
        assert!(validate(&item()).is_ok());
        let bad = ItemInput {
            sku: "SKU 001".into(),
            name: String::new(),
            base_uom: "x".repeat(17),
            shelf_life_days: Some(-1),
            weight_kg: Some("-0.5".parse().expect("amount")),
            ..Default::default()
        };
        let Err(crate::error::AppError::Invalid(problems)) = validate(&bad) else {
            panic!("refused");
        };
        let fields: Vec<Field> = problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                Field::Sku,
                Field::Name,
                Field::BaseUom,
                Field::ShelfLife,
                Field::Weight
            ]
        );
    }
}
