//! Who is calling, and the branches they may see.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use uuid::Uuid;

use super::UuidArg;
use super::enums::Plan;
use super::node::global_id;
use super::{caller, loaded, loaders};
use crate::entities::branches;

/// The calling application's request quota, counted over a sliding 15-minute window.
#[derive(SimpleObject, Debug)]
pub struct RateLimit {
    /// Requests allowed per 15 minutes.
    pub limit: i32,
    /// Requests still allowed in the current window, this request already counted.
    pub remaining: i32,
}

/// The calling application and what its token may read.
#[derive(SimpleObject, Debug)]
pub struct Viewer {
    /// The REST id of the calling API application.
    pub application_id: Uuid,
    /// The name of the calling API application.
    pub application: String,
    /// The REST id of the tenant whose data the token reads.
    pub tenant_id: Uuid,
    /// The tenant's subscription plan.
    pub plan: Plan,
    /// The OAuth scopes the token holds, e.g. `read:sales`.
    pub scopes: Vec<String>,
    /// REST ids of the branches the token may see; `null` means every branch of the tenant.
    pub allowed_branches: Option<Vec<ID>>,
    /// The request quota and what is left of it.
    pub rate_limit: RateLimit,
}

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// Who is calling: application, tenant, plan, scopes, branches and rate limit. No scope.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let caller = caller(ctx)?;
        Ok(Viewer {
            application_id: caller.application_id,
            application: caller.application_name.clone(),
            tenant_id: caller.tenant_id,
            plan: caller.plan.into(),
            scopes: caller
                .scopes
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            allowed_branches: caller
                .tenancy
                .allowed_branches()
                .map(|set| set.iter().map(|id| ID(id.to_string())).collect()),
            rate_limit: RateLimit {
                limit: caller.rate.limit as i32,
                remaining: caller.rate.remaining as i32,
            },
        })
    }

    /// A branch by its REST id (null when unknown or outside the token's branches). No scope.
    async fn branch(&self, ctx: &Context<'_>, uuid: UuidArg) -> Result<Option<Branch>> {
        let uuid = uuid.get("uuid")?;
        Ok(loaded(loaders(ctx)?.branches.try_load(uuid).await)?.map(Branch))
    }
}

pub struct Branch(pub branches::Model);

/// A branch (site) of the tenant; sales orders, warehouses and purchase orders belong to one.
#[Object]
impl Branch {
    /// Opaque global id (for `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id("Branch", self.0.id)
    }
    /// The REST id of the branch.
    async fn uuid(&self) -> Uuid {
        self.0.id
    }
    /// The branch code, unique within the tenant.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// The branch name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The city the branch is in, if recorded.
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    /// The branch's time zone name, e.g. `Asia/Bangkok` (times in this API are UTC).
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }
}
