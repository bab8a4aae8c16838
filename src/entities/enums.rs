//! Enumerations stored as short strings (portable across SQLite and PostgreSQL).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Declares a string-backed enum with the wire/storage spelling in SCREAMING_SNAKE_CASE,
/// plus `as_str`, `ALL`, `Display` and `FromStr` (exact, case-sensitive match).
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
        #[derive(Serialize, Deserialize, utoipa::ToSchema, async_graphql::Enum)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $(
                #[sea_orm(string_value = $text)]
                $variant,
            )+
        }

        impl $name {
            /// Every variant, in declaration order. Their serde spelling (SCREAMING_SNAKE_CASE
            /// of the variant) equals `as_str`, which a unit test checks.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::entities::enums::UnknownVariant;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(crate::entities::enums::UnknownVariant {
                        allowed: &[$($text),+],
                    }),
                }
            }
        }
    };
}

/// A string that names no variant; carries the allowed spellings for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariant {
    pub allowed: &'static [&'static str],
}

impl std::fmt::Display for UnknownVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "must be one of {}", self.allowed.join(", "))
    }
}

impl std::error::Error for UnknownVariant {}

string_enum!(
    /// Subscription plan of a tenant; FREE and BASIC have no partner API access.
    Plan { Free => "FREE", Basic => "BASIC", Pro => "PRO", Enterprise => "ENTERPRISE" }
);

string_enum!(
    AppStatus { Active => "ACTIVE", Suspended => "SUSPENDED", Revoked => "REVOKED" }
);

string_enum!(
    /// Status of a branch, warehouse, supplier or SKU.
    RecordStatus { Active => "ACTIVE", Inactive => "INACTIVE" }
);

string_enum!(
    WarehouseKind { Store => "STORE", Kitchen => "KITCHEN", Central => "CENTRAL" }
);

string_enum!(
    ProductStatus { Active => "ACTIVE", Inactive => "INACTIVE", Discontinued => "DISCONTINUED" }
);

string_enum!(
    MovementType {
        Receive => "RECEIVE",
        Sale => "SALE",
        Return => "RETURN",
        Adjustment => "ADJUSTMENT",
        TransferIn => "TRANSFER_IN",
        TransferOut => "TRANSFER_OUT",
        Waste => "WASTE",
    }
);

string_enum!(
    PurchaseOrderStatus {
        Draft => "DRAFT",
        Ordered => "ORDERED",
        PartiallyReceived => "PARTIALLY_RECEIVED",
        Received => "RECEIVED",
        Cancelled => "CANCELLED",
    }
);

string_enum!(
    MemberTier { Regular => "REGULAR", Silver => "SILVER", Gold => "GOLD", Platinum => "PLATINUM" }
);

string_enum!(
    /// Sales order status (seed 002).
    SalesStatus {
        Draft => "DRAFT",
        Held => "HELD",
        Active => "ACTIVE",
        ReadyForPayment => "READY_FOR_PAYMENT",
        Completed => "COMPLETED",
        Refunded => "REFUNDED",
        PartialRefunded => "PARTIAL_REFUNDED",
        Cancelled => "CANCELLED",
        Exchanged => "EXCHANGED",
        Voided => "VOIDED",
    }
);

string_enum!(
    OrderType { DineIn => "DINE_IN", Takeaway => "TAKEAWAY", Delivery => "DELIVERY" }
);

string_enum!(
    PaymentStatus { Unpaid => "UNPAID", Partial => "PARTIAL", Paid => "PAID", Refunded => "REFUNDED" }
);

string_enum!(
    /// Where a document came from: the POS itself or the push integration API.
    DocumentSource { Pos => "POS", Integration => "INTEGRATION" }
);

string_enum!(
    WebhookStatus { Active => "ACTIVE", Disabled => "DISABLED" }
);

string_enum!(
    DeliveryStatus { Pending => "PENDING", Succeeded => "SUCCEEDED", Failed => "FAILED" }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: Serialize + Copy + std::fmt::Display>(all: &[T]) {
        for value in all {
            let json = serde_json::to_string(value).expect("serializes");
            assert_eq!(json, format!("\"{value}\""));
        }
    }

    #[test]
    fn serde_spelling_equals_storage_spelling() {
        check(Plan::ALL);
        check(AppStatus::ALL);
        check(RecordStatus::ALL);
        check(WarehouseKind::ALL);
        check(ProductStatus::ALL);
        check(MovementType::ALL);
        check(PurchaseOrderStatus::ALL);
        check(MemberTier::ALL);
        check(SalesStatus::ALL);
        check(OrderType::ALL);
        check(PaymentStatus::ALL);
        check(DocumentSource::ALL);
        check(WebhookStatus::ALL);
        check(DeliveryStatus::ALL);
    }
}
