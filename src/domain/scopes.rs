//! The scope catalogue of seed 000.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    ReadSales,
    ReadProducts,
    ReadInventory,
    ReadPurchasing,
    ReadCustomers,
    ReadCustomersPii,
    ReadReports,
    ReadWebhooks,
}

impl Scope {
    pub const ALL: [Scope; 8] = [
        Scope::ReadSales,
        Scope::ReadProducts,
        Scope::ReadInventory,
        Scope::ReadPurchasing,
        Scope::ReadCustomers,
        Scope::ReadCustomersPii,
        Scope::ReadReports,
        Scope::ReadWebhooks,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadSales => "read:sales",
            Scope::ReadProducts => "read:products",
            Scope::ReadInventory => "read:inventory",
            Scope::ReadPurchasing => "read:purchasing",
            Scope::ReadCustomers => "read:customers",
            Scope::ReadCustomersPii => "read:customers:pii",
            Scope::ReadReports => "read:reports",
            Scope::ReadWebhooks => "read:webhooks",
        }
    }

    /// What the scope lets a token read (the OAuth 2 scope list of the API description).
    pub fn description(self) -> &'static str {
        match self {
            Scope::ReadSales => "Sales orders and their items",
            Scope::ReadProducts => "Products and their SKUs",
            Scope::ReadInventory => "Stock levels and movements",
            Scope::ReadPurchasing => "Purchase orders, their lines and suppliers",
            Scope::ReadCustomers => "Customers, without personal data",
            Scope::ReadCustomersPii => {
                "Customers' personal data (phone, email, birth date, address, tax id); \
                 only together with read:customers"
            }
            Scope::ReadReports => "Sales and inventory summaries",
            Scope::ReadWebhooks => "Webhook subscriptions",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?}: the scopes are {known}", known = Scope::ALL.map(Scope::as_str).join(", "))]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

/// A set of scopes, written space-separated (RFC 6749 §3.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    pub fn all() -> Self {
        Self(Scope::ALL.into_iter().collect())
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Parses a space-separated list; unknown names are an error, duplicates are folded.
    pub fn parse(text: &str) -> Result<Self, UnknownScope> {
        text.split_whitespace()
            .map(str::parse)
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Self)
    }

    /// The one pairing rule of a grant: `read:customers:pii` only with `read:customers`.
    pub fn pairs_pii_with_customers(&self) -> bool {
        !self.contains(Scope::ReadCustomersPii) || self.contains(Scope::ReadCustomers)
    }

    /// Whether PII can actually be read: `read:customers:pii` only counts with `read:customers`.
    pub fn can_read_customer_pii(&self) -> bool {
        self.contains(Scope::ReadCustomers) && self.contains(Scope::ReadCustomersPii)
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Scope::as_str).collect();
        f.write_str(&names.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_space_separated() {
        let set = ScopeSet::parse("read:sales  read:customers read:sales").expect("known scopes");
        assert_eq!(set.to_string(), "read:sales read:customers");
        assert_eq!(
            ScopeSet::parse("read:sales write:all"),
            Err(UnknownScope("write:all".into()))
        );
    }

    #[test]
    fn pii_needs_customers_too() {
        let pii_only = ScopeSet::parse("read:customers:pii").expect("known");
        assert!(!pii_only.can_read_customer_pii());
        let both = ScopeSet::parse("read:customers read:customers:pii").expect("known");
        assert!(both.can_read_customer_pii());
        assert!(!pii_only.pairs_pii_with_customers());
        assert!(both.pairs_pii_with_customers());
        let neither = ScopeSet::parse("read:sales").expect("known");
        assert!(neither.pairs_pii_with_customers());
    }
}
