//! HTTP adapters: translation between HTTP and the domain, nothing else.

pub mod health;
