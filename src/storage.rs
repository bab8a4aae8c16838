//! Portable storage forms for values SQLite has no native type for.
//!
//! Both [`Amount`](crate::money::Amount) and [`Timestamp`](crate::clock::Timestamp) are
//! stored as `BIGINT`, which both backends order, compare and `SUM` exactly.

/// Implements the SeaORM value traits for a newtype stored as an `i64` column.
///
/// `$to` turns `&Self` into the stored `i64`; `$from` turns the stored `i64` into
/// `Result<Self, String>` (a stored value that cannot be decoded is a type error).
macro_rules! i64_value_type {
    ($name:ty, $to:expr, $from:expr) => {
        impl From<$name> for sea_orm::Value {
            fn from(source: $name) -> Self {
                let to: fn(&$name) -> i64 = $to;
                sea_orm::Value::BigInt(Some(to(&source)))
            }
        }

        impl sea_orm::TryGetable for $name {
            fn try_get_by<I: sea_orm::ColIdx>(
                res: &sea_orm::QueryResult,
                idx: I,
            ) -> Result<Self, sea_orm::TryGetError> {
                let raw = <i64 as sea_orm::TryGetable>::try_get_by(res, idx)?;
                let from: fn(i64) -> Result<$name, String> = $from;
                from(raw).map_err(|e| sea_orm::TryGetError::DbErr(sea_orm::DbErr::Type(e)))
            }
        }

        impl sea_orm::sea_query::ValueType for $name {
            fn try_from(v: sea_orm::Value) -> Result<Self, sea_orm::sea_query::ValueTypeErr> {
                let raw = <i64 as sea_orm::sea_query::ValueType>::try_from(v)?;
                let from: fn(i64) -> Result<$name, String> = $from;
                from(raw).map_err(|_| sea_orm::sea_query::ValueTypeErr)
            }

            fn type_name() -> String {
                stringify!($name).to_owned()
            }

            fn array_type() -> sea_orm::sea_query::ArrayType {
                sea_orm::sea_query::ArrayType::BigInt
            }

            fn column_type() -> sea_orm::sea_query::ColumnType {
                sea_orm::sea_query::ColumnType::BigInteger
            }
        }

        impl sea_orm::sea_query::Nullable for $name {
            fn null() -> sea_orm::Value {
                sea_orm::Value::BigInt(None)
            }
        }

        impl sea_orm::IntoActiveValue<$name> for $name {
            fn into_active_value(self) -> sea_orm::ActiveValue<$name> {
                sea_orm::ActiveValue::Set(self)
            }
        }

        impl sea_orm::sea_query::postgres_array::NotU8 for $name {}
    };
}

pub(crate) use i64_value_type;
