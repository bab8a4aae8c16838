//! The client-credentials grant (RFC 6749 §4.4): checks the client and issues a token.

use super::Auth;
use super::jwt::{Grant, IssuedToken};
use crate::domain::applications;
use crate::domain::scopes::ScopeSet;
use crate::domain::secrets;
use crate::entities::enums::AppStatus;
use crate::error::{AppError, ClientProblem};

/// A token request, however it arrived (form, JSON or HTTP Basic).
#[derive(Debug, Default, Clone)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scope: Option<String>,
    /// The client's address, for the brake on failed attempts.
    pub address: Option<std::net::IpAddr>,
}

pub async fn issue(auth: Auth<'_>, request: TokenRequest) -> Result<IssuedToken, AppError> {
    match request.grant_type.as_deref() {
        None | Some("") => return Err(AppError::invalid_field("grant_type", "is required")),
        Some("client_credentials") => {}
        Some(_) => return Err(AppError::UnsupportedGrantType),
    }
    let now = auth.clock.now();
    let address = request.address;
    auth.failures
        .check(request.client_id.as_deref(), address, now)?;
    let (Some(client_id), Some(client_secret)) = (request.client_id, request.client_secret) else {
        auth.failures.failed(None, address, now);
        return Err(AppError::InvalidClient(ClientProblem::BadCredentials));
    };
    let app = applications::find_by_client_id(auth.db, &client_id).await?;
    // Hash even for unknown clients so timing does not reveal which client ids exist.
    let stored = app
        .as_ref()
        .map(|a| a.client_secret_hash.clone())
        .unwrap_or_else(|| secrets::hash_secret("unknown-client"));
    let valid = secrets::verify_secret(&client_secret, &stored);
    let app = match app {
        Some(app) if valid => app,
        // A wrong secret counts against the client id (and the address); an unknown client id
        // only against the address, so made-up ids cannot grow the brake's memory.
        Some(_) => {
            auth.failures.failed(Some(&client_id), address, now);
            return Err(AppError::InvalidClient(ClientProblem::BadCredentials));
        }
        None => {
            auth.failures.failed(None, address, now);
            return Err(AppError::InvalidClient(ClientProblem::BadCredentials));
        }
    };
    if app.status != AppStatus::Active {
        return Err(AppError::InvalidClient(ClientProblem::Inactive));
    }

    let allowed = app.scope_set();
    let scopes = match request.scope.as_deref().map(str::trim) {
        None | Some("") => allowed,
        Some(text) => {
            let asked = ScopeSet::parse(text).map_err(|e| AppError::InvalidScope {
                message: format!("The requested scope is invalid: {e}"),
            })?;
            if !asked.is_subset(&allowed) {
                let extra: Vec<String> = asked
                    .iter()
                    .filter(|s| !allowed.contains(*s))
                    .map(|s| s.to_string())
                    .collect();
                return Err(AppError::InvalidScope {
                    message: format!(
                        "The requested scope exceeds what the application was granted: {}",
                        extra.join(" ")
                    ),
                });
            }
            if !asked.pairs_pii_with_customers() {
                return Err(AppError::InvalidScope {
                    message: applications::ApplicationError::PiiWithoutCustomers.to_string(),
                });
            }
            asked
        }
    };
    let grant = Grant {
        application_id: app.id,
        tenant_id: app.tenant_id,
        scopes,
        branches: app.allowed_branches().map_err(AppError::internal)?,
        generation: app.token_generation,
    };
    auth.jwt
        .issue(&grant, auth.clock.now())
        .map_err(AppError::internal)
}
