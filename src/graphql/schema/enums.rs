//! The data model's enumerations as GraphQL enums: declared here from the entity layer's one
//! list ([`crate::entities::enums`]), with the same names, values and descriptions, and
//! converted at the edge of each resolver.

use crate::entities::enums as entity;

macro_rules! graphql_enums {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident { $($(#[doc = $vdoc:literal])* $variant:ident => $text:literal),+ $(,)? }
    )+) => {
        $(
            $(#[doc = $doc])*
            #[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
            pub enum $name {
                $($(#[doc = $vdoc])* $variant,)+
            }

            impl From<entity::$name> for $name {
                fn from(value: entity::$name) -> Self {
                    match value {
                        $(entity::$name::$variant => Self::$variant,)+
                    }
                }
            }

            impl From<$name> for entity::$name {
                fn from(value: $name) -> Self {
                    match value {
                        $($name::$variant => Self::$variant,)+
                    }
                }
            }
        )+
    };
}

entity::with_every_enum!(graphql_enums);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_and_keeps_its_wire_name() {
        use async_graphql::{InputType, Value};
        for status in entity::SalesStatus::ALL {
            let mirrored = SalesStatus::from(*status);
            assert_eq!(entity::SalesStatus::from(mirrored), *status);
            assert_eq!(
                mirrored.to_value(),
                Value::Enum(async_graphql::Name::new(status.as_str()))
            );
        }
        for kind in entity::MovementType::ALL {
            let mirrored = MovementType::from(*kind);
            assert_eq!(
                mirrored.to_value(),
                Value::Enum(async_graphql::Name::new(kind.as_str()))
            );
        }
    }
}
