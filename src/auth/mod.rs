//! Authentication and authorisation: access tokens, the per-request
//! caller check and rate limits.

pub mod brake;
pub mod caller;
pub mod jwt;
pub mod operator;
pub mod pace;
pub mod rate_limit;
pub mod token;

/// What the gate and the token endpoint depend on (and nothing else of the server): the
/// database, the signing keys, the clock and the limiters.
#[derive(Clone, Copy)]
pub struct Auth<'a> {
    pub db: &'a sea_orm::DatabaseConnection,
    pub jwt: &'a jwt::JwtKeys,
    pub clock: &'a dyn crate::clock::Clock,
    pub rate_limits: &'a rate_limit::RateLimits,
    /// Failed token requests, per client id and per client address.
    pub failures: &'a brake::LoginBrake,
}
