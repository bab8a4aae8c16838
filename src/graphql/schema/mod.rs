//! The GraphQL schema: translation to and from the domain, nothing else.
//!
//! Every list is a Relay connection over the domain's keyset pages; every related object comes
//! through a per-request loader; every field that needs a scope says so in the SDL with
//! `@requiresScopes` and is refused (null plus an `insufficient_scope` error) without it.

mod catalog;
mod customers;
pub mod enums;
pub use customers::asks_for_pii;
mod inventory;
mod node;
mod purchasing;
mod reports;
mod sales;
mod viewer;
mod webhooks;

use async_graphql::{
    Context, EmptySubscription, Guard, ID, MergedObject, Result, SimpleObject, TypeDirective,
};
use serde::{Deserialize, Serialize};

use super::errors::gql;
use super::loaders::{Loaded, Loaders};
use crate::auth::caller::Caller;
use crate::clock::Timestamp;
use crate::domain::input::{Field, Input, NOT_A_DAY, NOT_A_UUID};
use crate::domain::pagination::{Page, PageRequest, Walk};
use crate::domain::scopes::Scope;
use crate::error::{AppError, FieldError};
use crate::money::Amount;
use crate::state::AppState;

pub use self::node::Node;

async_graphql::scalar!(
    Amount,
    "Decimal",
    "An exact decimal number as a string in its shortest plain form (no exponent, no trailing \
     zeros), e.g. \"12510.4\", \"120\" or \"-3.25\". Money and quantities: parse it with a \
     decimal library, never as a binary float. In TypeScript a `string`.",
    "https://speleotrove.com/decimal/decarith.html"
);
async_graphql::scalar!(
    Timestamp,
    "DateTime",
    "A UTC instant as an RFC 3339 string with milliseconds and `Z`, e.g. \
     \"2026-06-15T03:22:16.709Z\". In TypeScript a `string`.",
    "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
);

/// A calendar day, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Date(pub chrono::NaiveDate);

async_graphql::scalar!(
    Date,
    "Date",
    "A calendar day as an RFC 3339 full-date, `YYYY-MM-DD`, e.g. \"2026-06-15\". In \
     TypeScript a `string`.",
    "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
);

/// A `UUID` argument as the client sent it. The schema type is the one `UUID` scalar; a
/// malformed value is an `invalid_request` error naming the argument (the field is null),
/// not an execution failure.
pub struct UuidArg(std::result::Result<uuid::Uuid, ()>);

impl async_graphql::InputType for UuidArg {
    type RawValueType = Self;

    fn type_name() -> std::borrow::Cow<'static, str> {
        <uuid::Uuid as async_graphql::InputType>::type_name()
    }

    fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
        <uuid::Uuid as async_graphql::InputType>::create_type_info(registry)
    }

    fn parse(value: Option<async_graphql::Value>) -> async_graphql::InputValueResult<Self> {
        match value {
            Some(async_graphql::Value::String(text)) => {
                Ok(Self(uuid::Uuid::parse_str(&text).map_err(|_| ())))
            }
            // A number, list or object where an id belongs: the resolver names the argument.
            Some(_) => Ok(Self(Err(()))),
            None => <uuid::Uuid as async_graphql::InputType>::parse(None)
                .map(|id| Self(Ok(id)))
                .map_err(async_graphql::InputValueError::propagate),
        }
    }

    fn to_value(&self) -> async_graphql::Value {
        match &self.0 {
            Ok(id) => async_graphql::Value::String(id.to_string()),
            Err(()) => async_graphql::Value::Null,
        }
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }
}

impl UuidArg {
    /// The id, or `invalid_request` naming `argument`.
    pub fn get(&self, argument: &str) -> Result<uuid::Uuid> {
        self.0
            .map_err(|()| gql(AppError::invalid_field(argument, "must be a UUID")))
    }
}

/// A `Date` argument as the client sent it: the schema type is the `Date` scalar, while a
/// malformed day is the same `invalid_request` naming the argument as on REST (not an execution
/// failure).
#[derive(Debug, Clone)]
pub struct DateArg(Input<chrono::NaiveDate>);

impl async_graphql::InputType for DateArg {
    type RawValueType = Self;

    fn type_name() -> std::borrow::Cow<'static, str> {
        <Date as async_graphql::InputType>::type_name()
    }

    fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
        <Date as async_graphql::InputType>::create_type_info(registry)
    }

    fn parse(value: Option<async_graphql::Value>) -> async_graphql::InputValueResult<Self> {
        match value {
            Some(async_graphql::Value::String(text)) => Ok(Self(Input::day(Some(&text)))),
            // Any other value is not a day; the domain reports it among the other problems.
            Some(_) => Ok(Self(Input::Malformed(NOT_A_DAY.into()))),
            None => Err(async_graphql::InputValueError::expected_type(
                async_graphql::Value::Null,
            )),
        }
    }

    fn to_value(&self) -> async_graphql::Value {
        match &self.0 {
            Input::Given(day) => async_graphql::Value::String(day.to_string()),
            _ => async_graphql::Value::Null,
        }
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }
}

/// An optional `Date` argument as a domain input.
fn day(arg: Option<DateArg>) -> Input<chrono::NaiveDate> {
    arg.map_or(Input::Absent, |arg| arg.0)
}

/// Marks a field that needs OAuth scopes: any one of the inner lists, all of its scopes.
/// Without them the field resolves to null with an `insufficient_scope` error.
#[TypeDirective(name = "requiresScopes", location = "FieldDefinition")]
fn requires_scopes(scopes: Vec<Vec<String>>) {}

/// The `@requiresScopes` argument for a single scope.
fn scopes(scope: Scope) -> Vec<Vec<String>> {
    vec![vec![scope.as_str().to_owned()]]
}

/// The entry points of the partner API that read.
#[derive(MergedObject, Default)]
pub struct Query(
    viewer::ViewerQuery,
    node::NodeQuery,
    sales::SalesQuery,
    customers::CustomerQuery,
    catalog::CatalogQuery,
    inventory::InventoryQuery,
    purchasing::PurchasingQuery,
    reports::ReportQuery,
    webhooks::WebhookQuery,
);

/// What the partner API changes: the application's webhook subscriptions.
#[derive(MergedObject, Default)]
pub struct Mutation(webhooks::WebhookMutation);

pub type PartnerSchema = async_graphql::Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema with its limits.
pub fn build(limits: &super::limits::GraphqlLimits) -> PartnerSchema {
    async_graphql::Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .extension(super::limits::CostLimit {
            max_complexity: limits.max_complexity,
            max_depth: limits.max_depth,
        })
        .limit_recursive_depth(limits.max_nesting)
        .limit_directives(super::limits::MAX_ARGUMENTS)
        .extension(async_graphql::extensions::Analyzer)
        .finish()
}

fn internal(what: &str) -> async_graphql::Error {
    gql(AppError::internal(anyhow::anyhow!("{what}")))
}

fn caller<'a>(ctx: &Context<'a>) -> Result<&'a Caller> {
    ctx.data::<Caller>()
        .map_err(|_| internal("GraphQL request without caller"))
}

fn state<'a>(ctx: &Context<'a>) -> Result<&'a AppState> {
    ctx.data::<AppState>()
        .map_err(|_| internal("GraphQL request without state"))
}

/// The request's database handle: every statement within the request's and the tenant's
/// connection budget.
fn db<'a>(ctx: &Context<'a>) -> Result<&'a crate::db::BudgetedDb> {
    ctx.data::<crate::db::BudgetedDb>()
        .map_err(|_| internal("GraphQL request without a database handle"))
}

/// The domain context of the request: its budgeted database, the caller's tenancy, now.
fn domain_ctx<'a>(
    ctx: &Context<'a>,
) -> Result<crate::domain::context::Ctx<'a, crate::db::BudgetedDb>> {
    let state = state(ctx)?;
    Ok(crate::domain::context::Ctx::new(
        db(ctx)?,
        &caller(ctx)?.tenancy,
        state.clock.now(),
        &state.cursors,
    ))
}

fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a Loaders> {
    ctx.data::<std::sync::Arc<Loaders>>()
        .map(|l| l.as_ref())
        .map_err(|_| internal("GraphQL request without loaders"))
}

/// A loader answer: a busy database is the same 503 `service_unavailable` as anywhere else; any
/// other failed batch (or a loader fault) is an opaque internal error.
fn loaded<T>(answer: std::result::Result<Loaded<T>, std::io::Error>) -> Result<T> {
    match answer {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(gql(match err.as_ref() {
            AppError::Unavailable { retry_after_secs } => AppError::Unavailable {
                retry_after_secs: *retry_after_secs,
            },
            AppError::Timeout { seconds } => AppError::Timeout { seconds: *seconds },
            _ => AppError::internal(anyhow::anyhow!("batch load failed: {err:?}")),
        })),
        Err(err) => Err(gql(AppError::internal(anyhow::anyhow!(
            "dataloader: {err}"
        )))),
    }
}

/// A relation that always exists for a caller allowed to see its parent (same tenant, same
/// branches, no further scope): its absence would be a bug of ours, an opaque internal error.
fn always<T>(found: Option<T>, relation: &str) -> Result<T> {
    found.ok_or_else(|| internal(&format!("{relation} not visible beside its parent")))
}

/// Refuses the field unless the token holds `scope` (the field resolves to null with an
/// `insufficient_scope` error; siblings still resolve).
pub struct ScopeGuard(pub Scope);

impl Guard for ScopeGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let caller = caller(ctx)?;
        let allowed = match self.0 {
            Scope::ReadCustomersPii => caller.can_read_pii(),
            scope => caller.scopes.contains(scope),
        };
        if allowed {
            Ok(())
        } else {
            Err(gql(AppError::InsufficientScope {
                required_scopes: vec![self.0.as_str().to_owned()],
            }))
        }
    }
}

/// The cost of a connection field: the page size times the cost of one node.
fn page_cost(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let size = first.or(last).map_or(50, |n| {
        n.clamp(0, crate::domain::pagination::MAX_LIMIT as i32)
    });
    (size as usize).saturating_mul(child)
}

/// Paging state of a connection page; `first` or `last` takes 1 to 200 rows (default 50).
#[derive(SimpleObject, Debug, Clone)]
pub struct PageInfo {
    /// `first`/`after`: more (older) rows follow; `last`/`before`: a `before` cursor was given.
    pub has_next_page: bool,
    /// `last`/`before`: more (newer) rows precede; `first`/`after`: an `after` cursor was given.
    pub has_previous_page: bool,
    /// Cursor of the first edge: pass it as `before` for the previous (newer) page; null if empty.
    pub start_cursor: Option<String>,
    /// Cursor of the last edge: pass it as `after` for the next (older) page; null if empty.
    pub end_cursor: Option<String>,
}

/// The Relay arguments of a connection field: `first`/`after` walk towards older rows,
/// `last`/`before` towards newer ones; either way edges come newest first.
pub struct Paging {
    limit: Option<i32>,
    cursor: Option<String>,
    walk: Walk,
}

impl Paging {
    fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Self> {
        let mut errors = Vec::new();
        if first.is_some() && last.is_some() {
            errors.push(FieldError::new("last", "cannot be combined with first"));
        }
        if after.is_some() && before.is_some() {
            errors.push(FieldError::new("before", "cannot be combined with after"));
        }
        if !errors.is_empty() {
            return Err(gql(AppError::validation(errors)));
        }
        let walk = if last.is_some() || before.is_some() {
            Walk::Backward
        } else {
            Walk::Forward
        };
        Ok(Self {
            limit: first.or(last),
            cursor: after.or(before),
            walk,
        })
    }

    fn request(&self) -> PageRequest<'_> {
        PageRequest {
            limit: Input::from_option(self.limit.map(i64::from)),
            cursor: self.cursor.as_deref(),
            walk: self.walk,
        }
    }

    /// A domain error with its fields named by this connection's arguments: the page size and
    /// cursor by the walk's pair, filters inside `filter`.
    fn error(&self, err: AppError) -> async_graphql::Error {
        gql(err.named(|field| match (field, self.walk) {
            (Field::Limit, Walk::Forward) => "first".into(),
            (Field::Limit, Walk::Backward) => "last".into(),
            (Field::Cursor, Walk::Forward) => "after".into(),
            (Field::Cursor, Walk::Backward) => "before".into(),
            (field, _) => format!("filter.{}", argument(field)).into(),
        }))
    }

    /// The body every connection resolver shares: the page, and the total only when
    /// `totalCount` is selected (it costs a query; `count` is never polled otherwise), with
    /// domain errors named by this field's arguments.
    async fn page_and_total<T>(
        &self,
        ctx: &Context<'_>,
        list: impl Future<Output = Result<Page<T>, AppError>>,
        count: impl Future<Output = Result<u64, AppError>>,
    ) -> Result<(Page<T>, Option<u64>)> {
        let page = list.await.map_err(|e| self.error(e))?;
        let total = if wants_total(ctx) {
            Some(count.await.map_err(|e| self.error(e))?)
        } else {
            None
        };
        Ok((page, total))
    }

    fn page_info<T>(&self, page: &Page<T>) -> PageInfo {
        let resumed = self.cursor.is_some();
        let (has_next_page, has_previous_page) = match self.walk {
            Walk::Forward => (page.has_more, resumed),
            Walk::Backward => (resumed, page.has_more),
        };
        PageInfo {
            has_next_page,
            has_previous_page,
            start_cursor: page.cursor(0),
            end_cursor: page
                .positions
                .len()
                .checked_sub(1)
                .and_then(|i| page.cursor(i)),
        }
    }
}

/// Whether the connection being resolved selects `totalCount` (it costs a query, so it is
/// computed only when asked for).
fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// The argument (or input field) each domain input is read from, as GraphQL spells it.
pub fn argument(field: Field) -> &'static str {
    match field {
        Field::Limit => "first",
        Field::Cursor => "after",
        Field::From => "from",
        Field::To => "to",
        Field::Branches => "branchIds",
        Field::Branch => "branchId",
        Field::Warehouse => "warehouseId",
        Field::ProductSku => "productSkuId",
        Field::LowStock => "lowStock",
        Field::MovementType => "movementType",
        Field::Status => "status",
        Field::Category => "category",
        Field::Supplier => "supplierId",
        // Fields of pushed records: no GraphQL argument names them.
        other => other.name(),
    }
}

/// A filter id: the REST id, or a global id of the expected type (decoded to its REST id).
fn filter_id(id: &ID, kind: &str) -> Input<uuid::Uuid> {
    match node::parse_global_id(id) {
        Some((found, uuid)) if found == kind => Input::Given(uuid),
        _ => uuid::Uuid::parse_str(id.0.trim())
            .map_or(Input::Malformed(NOT_A_UUID.into()), Input::Given),
    }
}

fn filter_ids(ids: &Option<Vec<ID>>, kind: &str) -> Vec<Input<uuid::Uuid>> {
    ids.iter().flatten().map(|id| filter_id(id, kind)).collect()
}

/// An optional id argument as a domain input.
fn optional_id(id: &Option<ID>, kind: &str) -> Input<uuid::Uuid> {
    id.as_ref().map_or(Input::Absent, |id| filter_id(id, kind))
}

/// A Relay connection type and its edge type, built from a domain page.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $count:literal) => {
        pub struct $connection {
            edges: Vec<$edge>,
            page_info: $crate::graphql::schema::PageInfo,
            total_count: Option<u64>,
        }

        pub struct $edge {
            position: $crate::domain::pagination::Position,
            signer: std::sync::Arc<$crate::domain::pagination::CursorSigner>,
            node: $node,
        }

        #[doc = concat!("One ", stringify!($node), " of a connection page, with its cursor.")]
        #[async_graphql::Object]
        impl $edge {
            /// Opaque cursor of this edge: pass as `after` for older rows, `before` for newer.
            async fn cursor(&self) -> String {
                self.signer.sign(self.position)
            }

            #[doc = concat!("The ", stringify!($node), " at this position.")]
            async fn node(&self) -> &$node {
                &self.node
            }
        }

        impl $connection {
            #[allow(dead_code)]
            fn new<T>(
                page: $crate::domain::pagination::Page<T>,
                paging: &$crate::graphql::schema::Paging,
                total_count: Option<u64>,
                node: impl FnMut(T) -> $node,
            ) -> Self {
                let page_info = paging.page_info(&page);
                let signer = page.signer;
                Self {
                    edges: page
                        .items
                        .into_iter()
                        .map(node)
                        .zip(page.positions)
                        .map(|(node, position)| $edge {
                            position,
                            signer: signer.clone(),
                            node,
                        })
                        .collect(),
                    page_info,
                    total_count,
                }
            }
        }

        #[doc = concat!("A page of ", stringify!($node), " values (Relay connection).")]
        #[async_graphql::Object]
        impl $connection {
            /// The edges of this page, in the order of the list (newest first).
            async fn edges(&self) -> &[$edge] {
                &self.edges
            }

            /// Cursors of this page and whether more rows lie before or after it.
            async fn page_info(&self) -> &$crate::graphql::schema::PageInfo {
                &self.page_info
            }

            #[doc = $count]
            async fn total_count(&self) -> async_graphql::Result<i64> {
                self.total_count
                    .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
                    .ok_or_else(|| $crate::graphql::schema::internal("totalCount not computed"))
            }
        }
    };
}
use connection;

/// What `__schema { description }` answers. async-graphql 7.2 answers the text of the
/// `__Schema` type itself there; the schema gets its own description instead.
pub const SCHEMA_DESCRIPTION: &str = "The partner-gateway GraphQL API: a retail back office's \
    sales, customers, catalogue, stock and purchasing for partner frontends. Lists are Relay \
    connections; amounts are exact Decimal strings; a field that needs an OAuth scope says which \
    in its description and carries @requiresScopes.";

/// Puts [`SCHEMA_DESCRIPTION`] where a document selects `__schema { description }` (aliases
/// followed; the selection is read from the parsed document, never from the answer).
pub fn describe_schema(
    data: &mut async_graphql::Value,
    doc: &async_graphql::parser::types::ExecutableDocument,
) {
    let async_graphql::Value::Object(root) = data else {
        return;
    };
    for (_, operation) in doc.operations.iter() {
        for item in &operation.node.selection_set.node.items {
            let async_graphql::parser::types::Selection::Field(field) = &item.node else {
                continue;
            };
            let field = &field.node;
            if field.name.node.as_str() != "__schema" {
                continue;
            }
            let key = field.alias.as_ref().unwrap_or(&field.name).node.as_str();
            let Some(async_graphql::Value::Object(schema)) = root.get_mut(key) else {
                continue;
            };
            for inner in &field.selection_set.node.items {
                if let async_graphql::parser::types::Selection::Field(inner) = &inner.node
                    && inner.node.name.node.as_str() == "description"
                {
                    let key = inner
                        .node
                        .alias
                        .as_ref()
                        .unwrap_or(&inner.node.name)
                        .node
                        .clone();
                    schema.insert(
                        key,
                        async_graphql::Value::String(SCHEMA_DESCRIPTION.to_owned()),
                    );
                }
            }
        }
    }
}
