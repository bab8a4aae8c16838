//! API applications: the OAuth clients partners authenticate as.

use std::collections::BTreeSet;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use crate::clock::Timestamp;
use crate::domain::scopes::{Scope, ScopeSet};
use crate::domain::secrets;
use crate::entities::enums::AppStatus;
use crate::entities::{api_applications, branches, tenants};

/// What is needed to register an application.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub tenant_id: Uuid,
    pub name: String,
    pub scopes: ScopeSet,
    /// `None` = every branch of the tenant.
    pub allowed_branch_ids: Option<Vec<Uuid>>,
}

/// A freshly registered application with its secret, which is never retrievable again.
#[derive(Debug, Clone)]
pub struct CreatedApplication {
    pub application: api_applications::Model,
    pub client_secret: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplicationError {
    #[error("tenant {0} does not exist")]
    UnknownTenant(Uuid),
    #[error("application name must not be empty")]
    EmptyName,
    #[error("at least one scope is required")]
    NoScopes,
    #[error("read:customers:pii is only valid together with read:customers")]
    PiiWithoutCustomers,
    #[error("branch {0} does not belong to the tenant")]
    ForeignBranch(Uuid),
    #[error("allowed branch list must not be empty (omit it to allow every branch)")]
    EmptyBranchList,
    #[error("no application with client id {0:?}")]
    UnknownClient(String),
    #[error("application {0:?} is revoked; revocation is final (create a new application)")]
    Revoked(String),
    #[error("{0:?} is not a browser origin: {1}")]
    BadOrigin(String, &'static str),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl api_applications::Model {
    pub fn scope_set(&self) -> ScopeSet {
        // Stored scopes were validated on write; an unknown name (e.g. from a newer version)
        // is dropped rather than granted.
        self.scopes
            .split_whitespace()
            .filter_map(|s| s.parse::<Scope>().ok())
            .collect()
    }

    pub fn allowed_branches(&self) -> Result<Option<Vec<Uuid>>, serde_json::Error> {
        self.allowed_branch_ids
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
    }

    /// The browser origins whose pages may call with this application's tokens.
    pub fn allowed_origins(&self) -> Result<Vec<String>, serde_json::Error> {
        serde_json::from_str(&self.allowed_origins)
    }
}

/// A browser origin in the form browsers send it: `scheme://host[:port]`, lower case, without
/// the scheme's default port, path, query or credentials.
pub fn normalize_origin(text: &str) -> Result<String, ApplicationError> {
    let bad = |why| ApplicationError::BadOrigin(text.to_owned(), why);
    let uri: http::Uri = text.trim().parse().map_err(|_| bad("not a URL"))?;
    let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
    let default_port = match scheme.as_deref() {
        Some("http") => 80,
        Some("https") => 443,
        _ => return Err(bad("the scheme must be http or https")),
    };
    let authority = uri.authority().ok_or_else(|| bad("a host is required"))?;
    if authority.as_str().contains('@') {
        return Err(bad("credentials are not part of an origin"));
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() || text.trim().ends_with('/') {
        return Err(bad("an origin has no path, query or trailing slash"));
    }
    let host = authority.host().to_ascii_lowercase();
    let valid_host = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !v6.is_empty()
            && v6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        !host.is_empty()
            && !host.starts_with(['.', '-'])
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    };
    if !valid_host {
        return Err(bad(
            "the host must be a DNS name or an IP address (no wildcards)",
        ));
    }
    // What follows the host: nothing, or `:` and a port number.
    let port = match &authority.as_str()[authority.host().len()..] {
        "" => None,
        rest => match rest.strip_prefix(':').map(str::parse::<u16>) {
            Some(Ok(port)) if port > 0 => Some(port),
            _ => return Err(bad("the port must be a number from 1 to 65535")),
        },
    };
    let scheme = scheme.unwrap_or_default();
    Ok(match port {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// Replaces an application's allowed browser origins (none = no browser access).
pub async fn set_origins(
    db: &impl ConnectionTrait,
    now: Timestamp,
    client_id: &str,
    origins: &[String],
) -> Result<api_applications::Model, ApplicationError> {
    let origins: BTreeSet<String> = origins
        .iter()
        .map(|o| normalize_origin(o))
        .collect::<Result<_, _>>()?;
    let app = find_by_client_id(db, client_id)
        .await?
        .ok_or_else(|| ApplicationError::UnknownClient(client_id.to_owned()))?;
    if app.status == AppStatus::Revoked {
        return Err(ApplicationError::Revoked(client_id.to_owned()));
    }
    let mut active: api_applications::ActiveModel = app.into();
    active.allowed_origins = Set(serde_json::to_string(&origins).map_err(anyhow::Error::from)?);
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

/// Every origin allowed for some active application (what a preflight, which carries no
/// token, is checked against).
pub async fn active_origins(db: &impl ConnectionTrait) -> Result<BTreeSet<String>, sea_orm::DbErr> {
    let apps = api_applications::Entity::find()
        .filter(api_applications::Column::Status.eq(AppStatus::Active))
        .filter(api_applications::Column::AllowedOrigins.ne("[]"))
        .all(db)
        .await?;
    Ok(apps
        .iter()
        .filter_map(|app| app.allowed_origins().ok())
        .flatten()
        .collect())
}

/// Registers an application with freshly generated credentials.
pub async fn create(
    db: &impl ConnectionTrait,
    now: Timestamp,
    new: NewApplication,
) -> Result<CreatedApplication, ApplicationError> {
    let client_id = secrets::generate_client_id()?;
    let client_secret = secrets::generate_client_secret()?;
    create_with_credentials(db, now, Uuid::new_v4(), new, &client_id, &client_secret).await
}

/// Registers an application with the given credentials (demo data uses fixed ones).
pub async fn create_with_credentials(
    db: &impl ConnectionTrait,
    now: Timestamp,
    id: Uuid,
    new: NewApplication,
    client_id: &str,
    client_secret: &str,
) -> Result<CreatedApplication, ApplicationError> {
    let name = new.name.trim();
    if name.is_empty() {
        return Err(ApplicationError::EmptyName);
    }
    if new.scopes.is_empty() {
        return Err(ApplicationError::NoScopes);
    }
    if !new.scopes.pairs_pii_with_customers() {
        return Err(ApplicationError::PiiWithoutCustomers);
    }
    if tenants::Entity::find_by_id(new.tenant_id)
        .one(db)
        .await?
        .is_none()
    {
        return Err(ApplicationError::UnknownTenant(new.tenant_id));
    }
    let allowed = match new.allowed_branch_ids {
        None => None,
        Some(ids) if ids.is_empty() => return Err(ApplicationError::EmptyBranchList),
        Some(ids) => {
            let ids: BTreeSet<Uuid> = ids.into_iter().collect();
            for id in &ids {
                let owned = branches::Entity::find_by_id(*id)
                    .filter(branches::Column::TenantId.eq(new.tenant_id))
                    .count(db)
                    .await?;
                if owned == 0 {
                    return Err(ApplicationError::ForeignBranch(*id));
                }
            }
            Some(serde_json::to_string(&ids).map_err(anyhow::Error::from)?)
        }
    };
    let application = api_applications::ActiveModel {
        id: Set(id),
        tenant_id: Set(new.tenant_id),
        name: Set(name.to_owned()),
        client_id: Set(client_id.to_owned()),
        client_secret_hash: Set(secrets::hash_secret(client_secret)),
        scopes: Set(new.scopes.to_string()),
        allowed_branch_ids: Set(allowed),
        status: Set(AppStatus::Active),
        token_generation: Set(0),
        allowed_origins: Set("[]".to_owned()),
        last_used_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(CreatedApplication {
        application,
        client_secret: client_secret.to_owned(),
    })
}

/// Applications, oldest first; optionally of one tenant.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: Option<Uuid>,
) -> Result<Vec<api_applications::Model>, sea_orm::DbErr> {
    let mut query = api_applications::Entity::find();
    if let Some(tenant_id) = tenant_id {
        query = query.filter(api_applications::Column::TenantId.eq(tenant_id));
    }
    query
        .order_by_asc(api_applications::Column::CreatedAt)
        .order_by_asc(api_applications::Column::Id)
        .all(db)
        .await
}

/// An application with its tenant (`None` when either is unknown).
pub async fn find_with_tenant(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<(api_applications::Model, tenants::Model)>, sea_orm::DbErr> {
    Ok(api_applications::Entity::find_by_id(id)
        .find_also_related(tenants::Entity)
        .one(db)
        .await?
        .and_then(|(app, tenant)| Some((app, tenant?))))
}

pub async fn find_by_client_id(
    db: &impl ConnectionTrait,
    client_id: &str,
) -> Result<Option<api_applications::Model>, sea_orm::DbErr> {
    api_applications::Entity::find()
        .filter(api_applications::Column::ClientId.eq(client_id))
        .one(db)
        .await
}

/// Changes an application's status. Suspending or revoking raises its token generation, so
/// every token issued before stops working on its next request and stays refused after a
/// reactivation. Revocation is final: a revoked application is never activated again.
pub async fn set_status(
    db: &impl ConnectionTrait,
    now: Timestamp,
    client_id: &str,
    status: AppStatus,
) -> Result<api_applications::Model, ApplicationError> {
    let app = find_by_client_id(db, client_id)
        .await?
        .ok_or_else(|| ApplicationError::UnknownClient(client_id.to_owned()))?;
    if app.status == AppStatus::Revoked {
        if status == AppStatus::Revoked {
            return Ok(app);
        }
        return Err(ApplicationError::Revoked(client_id.to_owned()));
    }
    let generation = app.token_generation;
    let ends_tokens = status != AppStatus::Active && app.status != status;
    let mut active: api_applications::ActiveModel = app.into();
    active.status = Set(status);
    if ends_tokens {
        active.token_generation = Set(generation.saturating_add(1));
    }
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalized_as_browsers_send_them() {
        for (given, want) in [
            ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
            ("HTTPS://App.Example.COM", "https://app.example.com"),
            ("https://app.example.com:443", "https://app.example.com"),
            ("http://localhost:80", "http://localhost"),
            (
                "https://app.example.com:8443",
                "https://app.example.com:8443",
            ),
        ] {
            assert_eq!(normalize_origin(given).expect(given), want);
        }
        for bad in [
            "app.example.com",
            "ftp://app.example.com",
            "https://app.example.com/",
            "https://app.example.com/path",
            "https://app.example.com?x=1",
            "https://user:pw@app.example.com",
            "*",
            "null",
            "",
            "https://*.example.com",
            "https://app.example.com:99999",
            "https://app.example.com:8o80",
            "https://app.example.com:0",
            "https://app.example.com:",
            "https://app_example.com",
        ] {
            assert!(normalize_origin(bad).is_err(), "{bad:?} must be refused");
        }
    }
}
