//! Enumerations stored as short strings (portable across SQLite and PostgreSQL).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Declares a string-backed enum with the wire/storage spelling in SCREAMING_SNAKE_CASE,
/// plus `as_str`, `ALL`, `Display` and `FromStr` (exact, case-sensitive match).
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
        #[derive(Serialize, Deserialize)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $(
                $(#[$vmeta])*
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

/// Hands every enumeration of the data model, with its documentation, to the macro `$then`:
/// this layer declares the enums from it (below), and each door derives its own representation
/// from the same list (GraphQL enums, OpenAPI schemas), so no door's framework reaches down here.
macro_rules! with_every_enum {
    ($then:ident) => {
        $then! {
            /// Subscription plan of a tenant; FREE and BASIC have no partner API access.
            Plan {
                /// Free plan: no partner API access.
                Free => "FREE",
                /// Basic plan: no partner API access.
                Basic => "BASIC",
                /// Partner API access with the PRO request quota per application.
                Pro => "PRO",
                /// Partner API access with the ENTERPRISE request quota per application.
                Enterprise => "ENTERPRISE",
            }

            AppStatus { Active => "ACTIVE", Suspended => "SUSPENDED", Revoked => "REVOKED" }

            /// Status of a branch, warehouse, supplier or SKU.
            RecordStatus {
                /// In use.
                Active => "ACTIVE",
                /// Deactivated; still returned by lists and lookups.
                Inactive => "INACTIVE",
            }

            /// What a warehouse holds stock for.
            WarehouseKind {
                /// A branch's store stock, which its sales draw on.
                Store => "STORE",
                /// A kitchen's stock, e.g. ingredients transferred from the store.
                Kitchen => "KITCHEN",
                /// A central warehouse that supplies branches.
                Central => "CENTRAL",
            }

            /// Lifecycle status of a product.
            ProductStatus {
                /// On sale.
                Active => "ACTIVE",
                /// Not on sale for now.
                Inactive => "INACTIVE",
                /// Withdrawn from sale for good.
                Discontinued => "DISCONTINUED",
            }

            /// Why the stock of a SKU in a warehouse changed.
            MovementType {
                /// Goods received into the warehouse (e.g. from a purchase order).
                Receive => "RECEIVE",
                /// Goods sold through a sales order (out of the warehouse).
                Sale => "SALE",
                /// Goods returned from a sale (e.g. a refund), back into the warehouse.
                Return => "RETURN",
                /// A correction, e.g. after a stock count (in or out).
                Adjustment => "ADJUSTMENT",
                /// Goods arriving from another warehouse (the other side is a TRANSFER_OUT).
                TransferIn => "TRANSFER_IN",
                /// Goods leaving for another warehouse (the other side is a TRANSFER_IN).
                TransferOut => "TRANSFER_OUT",
                /// Goods written off as spoiled, damaged or lost (out of the warehouse).
                Waste => "WASTE",
            }

            /// Status of a purchase order.
            PurchaseOrderStatus {
                /// Being prepared; not yet sent to the supplier.
                Draft => "DRAFT",
                /// Sent to the supplier; nothing received yet.
                Ordered => "ORDERED",
                /// Some goods received, some still outstanding.
                PartiallyReceived => "PARTIALLY_RECEIVED",
                /// All goods received.
                Received => "RECEIVED",
                /// Cancelled; no goods expected.
                Cancelled => "CANCELLED",
            }

            /// Loyalty tier of a customer, lowest first.
            MemberTier {
                /// The entry tier.
                Regular => "REGULAR",
                /// The second tier.
                Silver => "SILVER",
                /// The third tier.
                Gold => "GOLD",
                /// The highest tier.
                Platinum => "PLATINUM",
            }

            /// Status of a sales order; COMPLETED, REFUNDED, PARTIAL_REFUNDED and EXCHANGED are sales.
            SalesStatus {
                /// Being entered; not yet a sale.
                Draft => "DRAFT",
                /// Put on hold at the point of sale, to be resumed; not yet a sale.
                Held => "HELD",
                /// Open and still taking items; not yet a sale.
                Active => "ACTIVE",
                /// Closed for items and awaiting payment; not yet a sale.
                ReadyForPayment => "READY_FOR_PAYMENT",
                /// Paid and closed; counts as a sale.
                Completed => "COMPLETED",
                /// Completed, then refunded in full; counts as a sale, its refunds deducted.
                Refunded => "REFUNDED",
                /// Completed, then refunded in part; counts as a sale, its refunds deducted.
                PartialRefunded => "PARTIAL_REFUNDED",
                /// Cancelled before completion; not a sale.
                Cancelled => "CANCELLED",
                /// Completed, then items exchanged; counts as a sale.
                Exchanged => "EXCHANGED",
                /// Voided; not a sale.
                Voided => "VOIDED",
            }

            /// How a sales order is served.
            OrderType {
                /// Eaten on the premises.
                DineIn => "DINE_IN",
                /// Collected by the customer.
                Takeaway => "TAKEAWAY",
                /// Delivered to the customer.
                Delivery => "DELIVERY",
            }

            /// How far a sales order is paid.
            PaymentStatus {
                /// Nothing paid yet.
                Unpaid => "UNPAID",
                /// Part of the total paid.
                Partial => "PARTIAL",
                /// Paid in full.
                Paid => "PAID",
                /// The payment was refunded.
                Refunded => "REFUNDED",
            }

            /// How the stock of a SKU is told apart.
            Tracking {
                /// Not at all: one quantity per place.
                None => "NONE",
                /// By lot (batch), each with its own expiry.
                Lot => "LOT",
                /// By serial number, one unit each.
                Serial => "SERIAL",
            }

            /// Where a document came from: the POS itself or the push integration API.
            DocumentSource { Pos => "POS", Integration => "INTEGRATION" }

            /// Whether a webhook subscription is sent events.
            WebhookStatus {
                /// Events are delivered to it.
                Active => "ACTIVE",
                /// Nothing is sent; what is queued for it waits until it is active again.
                Disabled => "DISABLED",
            }

            /// Where a webhook delivery stands.
            DeliveryStatus {
                /// Not yet delivered: an attempt is due or under way.
                Pending => "PENDING",
                /// The receiver answered 2xx.
                Succeeded => "SUCCEEDED",
                /// Every attempt failed; no more are made.
                Failed => "FAILED",
            }
        }
    };
}
pub(crate) use with_every_enum;

/// Declares each enumeration of [`with_every_enum`] with [`string_enum`].
macro_rules! declare_enums {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident { $($(#[doc = $vdoc:literal])* $variant:ident => $text:literal),+ $(,)? }
    )+) => {
        $(
            string_enum! {
                $(#[doc = $doc])*
                $name { $($(#[doc = $vdoc])* $variant => $text),+ }
            }
        )+
    };
}

with_every_enum!(declare_enums);

string_enum! {
    /// Where an advance shipping notice stands (the push API's; the partner doors do not show
    /// ASNs).
    AsnStatus {
        /// Expected; nothing received yet.
        Pending => "PENDING",
        /// Some lines received, not all in full.
        Receiving => "RECEIVING",
        /// Every line received in full.
        Completed => "COMPLETED",
    }
}

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
        check(Tracking::ALL);
    }
}
