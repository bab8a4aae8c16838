//! Who is calling, and the branches they may see.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use uuid::Uuid;

use super::UuidArg;
use super::node::global_id;
use super::{caller, loaded, loaders};
use crate::entities::branches;
use crate::entities::enums::Plan;

#[derive(SimpleObject, Debug)]
pub struct RateLimit {
    /// Requests allowed per 15 minutes.
    pub limit: i32,
    pub remaining: i32,
}

#[derive(SimpleObject, Debug)]
pub struct Viewer {
    pub application_id: Uuid,
    pub application: String,
    pub tenant_id: Uuid,
    pub plan: Plan,
    pub scopes: Vec<String>,
    /// `null` means every branch of the tenant.
    pub allowed_branches: Option<Vec<ID>>,
    pub rate_limit: RateLimit,
}

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// Who is calling: application, tenant, plan, scopes, branches and rate limit.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let caller = caller(ctx)?;
        Ok(Viewer {
            application_id: caller.application_id,
            application: caller.application_name.clone(),
            tenant_id: caller.tenant_id,
            plan: caller.plan,
            scopes: caller
                .scopes
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            allowed_branches: caller
                .scope
                .allowed_branches()
                .map(|set| set.iter().map(|id| ID(id.to_string())).collect()),
            rate_limit: RateLimit {
                limit: caller.rate.limit as i32,
                remaining: caller.rate.remaining as i32,
            },
        })
    }

    /// A branch by its REST id (null when unknown or outside the token's branches).
    async fn branch(&self, ctx: &Context<'_>, uuid: UuidArg) -> Result<Option<Branch>> {
        let uuid = uuid.get("uuid")?;
        Ok(loaded(loaders(ctx)?.branches.try_load(uuid).await)?.map(Branch))
    }
}

pub struct Branch(pub branches::Model);

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
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }
}
