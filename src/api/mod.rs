//! Server functions: the UI's API. Each is a thin adapter (parse → service → map error) over the
//! same services as the REST API, reachable at the stable path `/api/fn/<name>`.

pub mod account;
pub mod client;
pub mod confirmation;
#[cfg(feature = "ssr")]
mod context;
pub mod devices;
pub mod email_change;
pub mod email_login;
pub mod password;
pub mod security;
pub mod token_store;
