//! partner-gateway: one domain layer over a retail back office, served to partners through a
//! REST API, a GraphQL facade and (later) a push integration API.

pub mod auth;
pub mod background;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod entities;
pub mod error;
pub mod graphql;
pub mod metrics;
pub mod money;
pub mod push;
pub mod rest;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
pub mod webhooks;

mod storage;
