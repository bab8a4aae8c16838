//! Authentication and authorisation: scopes, client secrets, access tokens.

pub mod jwt;
pub mod scopes;
pub mod secrets;
