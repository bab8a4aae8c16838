//! Customers. The nine personal-data fields are nullable, guarded by `read:customers:pii`
//! and absent from introspection for tokens without it.

use async_graphql::{Context, ID, Object, Result};
use uuid::Uuid;

use super::UuidArg;
use super::enums::MemberTier;
use super::node::global_id;
use super::{
    Date, Paging, ScopeGuard, connection, domain_ctx, loaded, loaders, page_cost, requires_scopes,
    scopes,
};
use crate::clock::Timestamp;
use crate::domain::customers::{self as domain, CustomerListParams, PiiColumns};
use crate::domain::scopes::Scope;
use crate::money::Amount;

connection!(
    CustomerConnection,
    CustomerEdge,
    Customer,
    "Customers of the tenant (computed only when selected)."
);

#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    /// Customers of the tenant, newest first. Requires `read:customers` (PII: see `Customer`).
    #[graphql(
        guard = "ScopeGuard(Scope::ReadCustomers)",
        directive = requires_scopes::apply(scopes(Scope::ReadCustomers)),
        complexity = "page_cost(first, last, child_complexity)"
    )]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<CustomerConnection>> {
        let paging = Paging::new(first, after, last, before)?;
        let params = CustomerListParams {
            page: paging.request(),
            pii: ctx.data_opt::<PiiColumns>().copied().unwrap_or_default(),
        };
        let here = domain_ctx(ctx)?;
        let (page, total) = paging
            .page_and_total(
                ctx,
                domain::list(&here, &params),
                domain::count(&here, &params),
            )
            .await?;
        Ok(Some(CustomerConnection::new(
            page, &paging, total, Customer,
        )))
    }

    /// A customer by REST id (null when unknown). Requires `read:customers` (PII: see `Customer`).
    #[graphql(
        guard = "ScopeGuard(Scope::ReadCustomers)",
        directive = requires_scopes::apply(scopes(Scope::ReadCustomers))
    )]
    async fn customer(&self, ctx: &Context<'_>, uuid: UuidArg) -> Result<Option<Customer>> {
        let uuid = uuid.get("uuid")?;
        Ok(loaded(loaders(ctx)?.customers.try_load(uuid).await)?.map(Customer))
    }
}

pub struct Customer(pub domain::Customer);

impl Customer {
    /// The personal data the domain let through (none unless the caller may read it and the
    /// request asks for it); the guards below shape the refusal, not the rule.
    fn personal(&self) -> Option<&domain::PersonalData> {
        self.0.personal.as_ref()
    }
}

/// A customer of the tenant; its nine personal-data fields also need `read:customers:pii`.
#[Object]
impl Customer {
    /// Opaque global id (for `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id("Customer", self.0.id)
    }
    /// The REST id of the customer.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The customer code, unique within the tenant.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// The customer's display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The loyalty tier.
    async fn member_tier(&self) -> MemberTier {
        self.0.member_tier.into()
    }
    /// Loyalty points held.
    async fn points(&self) -> i64 {
        self.0.points
    }
    /// Total spent by the customer, as recorded by the back office.
    async fn total_spent(&self) -> Amount {
        self.0.total_spent
    }
    /// Number of visits, as recorded by the back office.
    async fn visit_count(&self) -> i32 {
        self.0.visit_count
    }
    /// When the customer last visited (UTC), if ever.
    async fn last_visit_at(&self) -> Option<Timestamp> {
        self.0.last_visit_at
    }
    /// When the customer was registered (UTC); lists sort by it.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at
    }
    /// Personal data: needs scope `read:customers:pii`; without it, null with an
    /// `insufficient_scope` error (the rest of the customer still arrives).
    #[graphql(
        guard = "ScopeGuard(Scope::ReadCustomersPii)",
        directive = requires_scopes::apply(scopes(Scope::ReadCustomersPii))
    )]
    async fn phone(&self) -> Option<&str> {
        self.personal().and_then(|p| p.phone.as_deref())
    }
    /// Personal data: needs scope `read:customers:pii`; without it, null with an
    /// `insufficient_scope` error (the rest of the customer still arrives).
    #[graphql(
        guard = "ScopeGuard(Scope::ReadCustomersPii)",
        directive = requires_scopes::apply(scopes(Scope::ReadCustomersPii))
    )]
    async fn email(&self) -> Option<&str> {
        self.personal().and_then(|p| p.email.as_deref())
    }
    /// Personal data: needs scope `read:customers:pii`; without it, null with an
    /// `insufficient_scope` error (the rest of the customer still arrives).
    #[graphql(
        guard = "ScopeGuard(Scope::ReadCustomersPii)",
        directive = requires_scopes::apply(scopes(Scope::ReadCustomersPii))
    )]
    async fn date_of_birth(&self) -> Option<Date> {
        self.personal().and_then(|p| p.date_of_birth).map(Date)
    }
    /// Personal data: needs scope `read:customers:pii`; without it, null with an
    /// `insufficient_scope` error (the rest of the customer still arrives).
    #[graphql(
        guard = "ScopeGuard(Scope::ReadCustomersPii)",
        directive = requires_scopes::apply(scopes(Scope::ReadCustomersPii))
    )]
    async fn address(&self) -> Option<&str> {
        self.personal().and_then(|p| p.address.as_deref())
    }
    /// Personal data: needs scope `read:customers:pii`; without it, null with an
    /// `insufficient_scope` error (the rest of the customer still arrives).
    #[graphql(
        guard = "ScopeGuard(Scope::ReadCustomersPii)",
        directive = requires_scopes::apply(scopes(Scope::ReadCustomersPii))
    )]
    async fn city(&self) -> Option<&str> {
        self.personal().and_then(|p| p.city.as_deref())
    }
    /// Personal data: needs scope `read:customers:pii`; without it, null with an
    /// `insufficient_scope` error (the rest of the customer still arrives).
    #[graphql(
        guard = "ScopeGuard(Scope::ReadCustomersPii)",
        directive = requires_scopes::apply(scopes(Scope::ReadCustomersPii))
    )]
    async fn state(&self) -> Option<&str> {
        self.personal().and_then(|p| p.state.as_deref())
    }
    /// Personal data: needs scope `read:customers:pii`; without it, null with an
    /// `insufficient_scope` error (the rest of the customer still arrives).
    #[graphql(
        guard = "ScopeGuard(Scope::ReadCustomersPii)",
        directive = requires_scopes::apply(scopes(Scope::ReadCustomersPii))
    )]
    async fn postal_code(&self) -> Option<&str> {
        self.personal().and_then(|p| p.postal_code.as_deref())
    }
    /// Personal data: needs scope `read:customers:pii`; without it, null with an
    /// `insufficient_scope` error (the rest of the customer still arrives).
    #[graphql(
        guard = "ScopeGuard(Scope::ReadCustomersPii)",
        directive = requires_scopes::apply(scopes(Scope::ReadCustomersPii))
    )]
    async fn country(&self) -> Option<&str> {
        self.personal().and_then(|p| p.country.as_deref())
    }
    /// Personal data: needs scope `read:customers:pii`; without it, null with an
    /// `insufficient_scope` error (the rest of the customer still arrives).
    #[graphql(
        guard = "ScopeGuard(Scope::ReadCustomersPii)",
        directive = requires_scopes::apply(scopes(Scope::ReadCustomersPii))
    )]
    async fn tax_id(&self) -> Option<&str> {
        self.personal().and_then(|p| p.tax_id.as_deref())
    }
}

/// The GraphQL names of the personal-data fields of `Customer`: the domain's columns in
/// camelCase, as async-graphql names the fields.
static PII_FIELDS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    crate::domain::customers::personal_data_columns()
        .map(|column| {
            let mut words = column.split('_');
            let first = words.next().unwrap_or_default().to_owned();
            words.fold(first, |mut name, word| {
                let mut chars = word.chars();
                if let Some(c) = chars.next() {
                    name.push(c.to_ascii_uppercase());
                    name.extend(chars);
                }
                name
            })
        })
        .collect()
});

/// Whether a document may select a personal-data field: any name in it that is one of theirs
/// (an over-approximation — a supplier's `phone` counts too — which only costs reading columns
/// the answer then does not use).
pub fn asks_for_pii(document: &str) -> bool {
    document
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|name| PII_FIELDS.iter().any(|field| field == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names `asks_for_pii` looks for are exactly the `Customer` fields the schema guards
    /// with `read:customers:pii`.
    #[test]
    fn the_pii_names_are_the_guarded_customer_fields() {
        let sdl = crate::graphql::sdl();
        let start = sdl
            .find("type Customer implements Node {")
            .expect("Customer");
        let body = &sdl[start..start + sdl[start..].find("\n}").expect("end")];
        let mut guarded: Vec<String> = body
            .lines()
            .filter(|l| l.contains("@requiresScopes(scopes: [[\"read:customers:pii\"]])"))
            .map(|l| l.trim().split(':').next().unwrap_or_default().to_owned())
            .collect();
        let mut names = PII_FIELDS.clone();
        guarded.sort();
        names.sort();
        assert_eq!(names.len(), 9);
        assert_eq!(guarded, names);
        assert!(asks_for_pii(
            "{ customers { edges { node { dateOfBirth } } } }"
        ));
        assert!(!asks_for_pii("{ customers { edges { node { name } } } }"));
    }
}
