//! Who is calling: established once per request, in the order SPEC §3 fixes —
//! token (401) → plan (403 `access_denied`) → rate limit (429). Scope checks (403
//! `insufficient_scope`) follow per endpoint.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::Auth;
use super::rate_limit::RateStatus;
use crate::domain::applications;
use crate::domain::scope::TenantScope;
use crate::domain::scopes::{Scope, ScopeSet};
use crate::entities::enums::{AppStatus, Plan};
use crate::error::{AppError, ClientProblem, TokenProblem};

#[derive(Debug, Clone)]
pub struct Caller {
    pub application_id: Uuid,
    pub application_name: String,
    pub tenant_id: Uuid,
    pub plan: Plan,
    /// The OAuth scopes its token grants.
    pub scopes: ScopeSet,
    /// The tenant and the branches its data is read from (see [`TenantScope`]).
    pub tenancy: TenantScope,
    pub rate: RateStatus,
}

impl Caller {
    /// 403 `insufficient_scope` naming `scope` unless the token holds it.
    pub fn require(&self, scope: Scope) -> Result<(), AppError> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(AppError::InsufficientScope {
                required_scopes: vec![scope.as_str().to_owned()],
            })
        }
    }

    /// Whether customer PII may be returned (needs `read:customers` too).
    pub fn can_read_pii(&self) -> bool {
        self.scopes.can_read_customer_pii()
    }
}

/// The bearer token of an `Authorization` header value.
pub fn bearer_token(header: Option<&str>) -> Result<&str, AppError> {
    let header = header.ok_or(AppError::InvalidToken(TokenProblem::Missing))?;
    let (scheme, token) = header
        .split_once(' ')
        .ok_or(AppError::InvalidToken(TokenProblem::Invalid))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AppError::InvalidToken(TokenProblem::Invalid));
    }
    Ok(token.trim())
}

/// The one gate of both doors (REST and GraphQL): verifies the token and re-checks the
/// application and its tenant's plan on every request, so suspension and downgrades apply at
/// once; then counts `units` requests against the quota (a GraphQL batch counts each of its
/// operations). A refusal carries its own headers ([`AppError::headers`]); an admitted
/// caller's answers carry [`RateStatus::apply`]. A cross-origin browser request (`origin`)
/// is refused unless the application lists its origin.
pub async fn authenticate(
    auth: Auth<'_>,
    authorization: Option<&str>,
    origin: Option<&str>,
    units: u32,
) -> Result<Caller, AppError> {
    let token = bearer_token(authorization)?;
    let claims = auth
        .jwt
        .verify(token, auth.clock.now())
        .map_err(AppError::InvalidToken)?;
    let (app, tenant) = applications::find_with_tenant(auth.db, claims.sub)
        .await?
        .ok_or(AppError::InvalidToken(TokenProblem::Invalid))?;
    if app.tenant_id != claims.tid {
        return Err(AppError::InvalidToken(TokenProblem::Invalid));
    }
    if app.status != AppStatus::Active {
        return Err(AppError::InvalidClient(ClientProblem::Inactive));
    }
    if claims.generation != app.token_generation {
        return Err(AppError::InvalidToken(TokenProblem::Superseded));
    }
    if !tenant.plan.has_api_access() {
        return Err(AppError::AccessDenied);
    }
    let rate = auth
        .rate_limits
        .check(tenant.plan, app.id, units, auth.clock.now())?;
    // After the count: a refused origin costs its request like any other answer.
    if let Some(origin) = origin {
        let allowed = app.allowed_origins().map_err(AppError::internal)?;
        if !allowed.iter().any(|o| o == origin) {
            return Err(AppError::OriginNotAllowed {
                origin: origin.to_owned(),
                rate: Some(rate),
            });
        }
    }

    // What the token was granted, narrowed by anything the application has lost since.
    let granted = ScopeSet::parse(&claims.scope)
        .map_err(|_| AppError::InvalidToken(TokenProblem::Invalid))?;
    let current = app.scope_set();
    let scopes: ScopeSet = granted.iter().filter(|s| current.contains(*s)).collect();
    let app_branches = app.allowed_branches().map_err(AppError::internal)?;
    let branches = match (claims.branches, app_branches) {
        (None, None) => None,
        (Some(only), None) | (None, Some(only)) => Some(only),
        (Some(token), Some(app)) => {
            let app: BTreeSet<Uuid> = app.into_iter().collect();
            Some(token.into_iter().filter(|b| app.contains(b)).collect())
        }
    };
    Ok(Caller {
        application_id: app.id,
        application_name: app.name,
        tenant_id: tenant.id,
        plan: tenant.plan,
        scopes,
        tenancy: TenantScope::new(tenant.id, branches),
        rate,
    })
}
