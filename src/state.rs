//! Shared application state handed to every handler.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::RateLimits;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::domain::pagination::CursorCodec;
use crate::graphql::Graphql;

impl AppState {
    /// What authentication needs of the state.
    pub fn auth(&self) -> crate::auth::Auth<'_> {
        crate::auth::Auth {
            db: &self.db,
            jwt: &self.jwt,
            clock: self.clock.as_ref(),
            rate_limits: &self.rate_limits,
            failures: &self.oauth_failures,
        }
    }
}

/// The state every handler is given: one pointer (a request clones it once per layer that
/// takes it), to the [`Shared`] parts.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] points to.
#[derive(Debug)]
pub struct Shared {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub clock: SharedClock,
    pub jwt: Arc<JwtKeys>,
    pub rate_limits: Arc<RateLimits>,
    pub cursors: Arc<CursorCodec>,
    pub graphql: Arc<Graphql>,
    /// Connections per request and per tenant.
    pub db_budgets: Arc<crate::db::DbBudgets>,
    /// Failed token requests, per client id and per client address.
    pub oauth_failures: Arc<crate::auth::brake::LoginBrake>,
    /// Token requests per client address, smoothed (see [`crate::auth::pace`]).
    pub token_pace: crate::auth::pace::TokenPace,
    /// Applications with public demo secrets revoked at start (outside demo mode).
    pub revoked_demo_apps: Arc<Vec<String>>,
    /// Origins some active application allows (what preflights are checked against).
    pub allowed_origins: Arc<crate::web::cors::AllowedOrigins>,
    /// Operator tokens (the push API's key management).
    pub operator: Arc<crate::auth::operator::OperatorKeys>,
    /// The Push Integration API's state: key limits, request log, trusted proxies, origins.
    pub push: Arc<crate::push::PushState>,
    /// The server's background tasks (their health is part of `/readyz`).
    pub background: crate::background::Background,
    /// Rung after a commit that wrote webhook events: the delivery worker looks at once.
    pub webhook_wake: Arc<crate::webhooks::Wake>,
}
