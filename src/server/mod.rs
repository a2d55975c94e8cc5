//! Everything that runs only on the server (`ssr`): configuration, the HTTP stack, the database,
//! authentication and the use cases.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod email;
pub mod http;
pub mod identity;
pub mod limits;
pub mod memory;
pub mod metrics;
pub mod network;
pub mod rest;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
