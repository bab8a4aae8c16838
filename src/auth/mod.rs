//! Authentication and authorisation: scopes, client secrets, access tokens, the per-request
//! caller check and rate limits.

pub mod brake;
pub mod caller;
pub mod jwt;
pub mod rate_limit;
pub mod scopes;
pub mod secrets;
pub mod token;
