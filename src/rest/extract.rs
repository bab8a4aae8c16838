//! Extractors that own the input rules: the authenticated caller with a required scope, and the
//! query string, parsed into the domain's typed inputs (whose rules the domain checks after the
//! scope check, as SPEC §3 orders).

use std::marker::PhantomData;
use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::caller::Caller;
use crate::domain::input::{Field, Input};
use crate::domain::pagination::{LIMIT_RULE, PageRequest, Walk};
use crate::domain::scopes::Scope;
use crate::error::AppError;

/// The query parameter each domain input is read from (and named by in validation details):
/// the contract's own names, which the domain keeps as its fields' names.
pub fn parameter(field: Field) -> &'static str {
    field.name()
}

/// A scope an endpoint requires, as a type.
pub trait RequiredScope {
    const SCOPE: Scope;
}

macro_rules! scope_markers {
    ($($name:ident => $scope:ident),+ $(,)?) => {
        $(
            #[derive(Debug)]
            pub struct $name;
            impl RequiredScope for $name {
                const SCOPE: Scope = Scope::$scope;
            }
        )+
    };
}

scope_markers!(
    ReadSales => ReadSales,
    ReadProducts => ReadProducts,
    ReadInventory => ReadInventory,
    ReadPurchasing => ReadPurchasing,
    ReadCustomers => ReadCustomers,
    ReadReports => ReadReports,
    ReadWebhooks => ReadWebhooks,
);

/// The caller, admitted by the partner middleware and holding scope `S`.
#[derive(Debug)]
pub struct Authorized<S> {
    pub caller: Caller,
    /// The database, within the request's and the tenant's connection budget.
    pub db: crate::db::BudgetedDb,
    _scope: PhantomData<S>,
}

impl<S> Authorized<S> {
    /// The domain context of this request: its budgeted database, the caller's tenancy, now.
    pub fn ctx<'a>(
        &'a self,
        state: &'a crate::state::AppState,
    ) -> crate::domain::context::Ctx<'a, crate::db::BudgetedDb> {
        crate::domain::context::Ctx::new(
            &self.db,
            &self.caller.tenancy,
            state.clock.now(),
            &state.cursors,
        )
    }
}

impl<S, State> FromRequestParts<State> for Authorized<S>
where
    S: RequiredScope + Send,
    State: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &State,
    ) -> Result<Self, Self::Rejection> {
        let caller = parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("partner route without authentication"))
        })?;
        caller.require(S::SCOPE)?;
        let db = parts
            .extensions
            .get::<crate::db::BudgetedDb>()
            .cloned()
            .ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("partner route without a database handle"))
            })?;
        Ok(Self {
            caller,
            db,
            _scope: PhantomData,
        })
    }
}

/// The query string as decoded name/value pairs; repeated names are kept (`branch_id`).
#[derive(Debug, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of the parameter of `field`.
    fn of(&self, field: Field) -> Option<&str> {
        self.get(parameter(field))
    }

    /// `limit` (an integer) and `cursor`, walking forward.
    pub fn page(&self) -> PageRequest<'_> {
        PageRequest {
            limit: Input::parse_with(self.of(Field::Limit), |text| {
                text.parse::<i64>().map_err(|_| LIMIT_RULE)
            }),
            cursor: self.of(Field::Cursor),
            walk: Walk::Forward,
        }
    }

    /// A UUID parameter.
    pub fn uuid(&self, field: Field) -> Input<uuid::Uuid> {
        Input::uuid(self.of(field))
    }

    /// Every value of a repeatable UUID parameter (`branch_id=…&branch_id=…`).
    pub fn uuids(&self, field: Field) -> Vec<Input<uuid::Uuid>> {
        let name = parameter(field);
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| Input::uuid(Some(v)))
            .collect()
    }

    /// A `YYYY-MM-DD` parameter.
    pub fn day(&self, field: Field) -> Input<chrono::NaiveDate> {
        Input::day(self.of(field))
    }

    /// `true`/`false` (or `1`/`0`).
    pub fn boolean(&self, field: Field) -> Input<bool> {
        Input::boolean(self.of(field))
    }

    /// An enumeration spelled as on the wire.
    pub fn word<T: FromStr>(&self, field: Field) -> Input<T>
    where
        T::Err: std::fmt::Display,
    {
        Input::word(self.of(field))
    }

    /// The text of a parameter as sent.
    pub fn text(&self, field: Field) -> Option<&str> {
        self.of(field)
    }
}

impl<State: Send + Sync> FromRequestParts<State> for QueryPairs {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &State,
    ) -> Result<Self, Self::Rejection> {
        let pairs = parts
            .uri
            .query()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self(pairs))
    }
}

/// The single `{id}` of a path as a UUID: `None` when it is not one (not even UTF-8), which
/// the endpoint answers like an unknown id — a 404, never the framework's plain-text 400.
#[derive(Debug)]
pub struct PathUuid(pub Option<uuid::Uuid>);

impl<State: Send + Sync> FromRequestParts<State> for PathUuid {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let params = axum::extract::RawPathParams::from_request_parts(parts, state).await;
        Ok(Self(params.ok().and_then(|params| {
            params
                .iter()
                .next()
                .and_then(|(_, value)| uuid::Uuid::parse_str(value).ok())
        })))
    }
}
