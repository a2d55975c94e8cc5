//! Integration tests: the real app on port 0 with its own database (SQLite by default, PostgreSQL
//! when `TEST_DATABASE_URL` is set), driven over HTTP.

mod address_fix;
mod assets;
mod attacks;
mod bad_bodies;
mod bounce_reports;
mod bounces;
mod browser_policy;
mod cli;
mod codes;
mod confirmation;
mod deploy;
mod dev_mailbox;
mod device_sessions;
mod dkim;
mod email_change;
mod email_login;
mod hash_limits;
mod helpers;
mod languages;
mod lifecycle;
mod login;
mod mail_delivery;
mod mail_languages;
mod metrics;
mod multi_server;
mod network_limits;
mod password;
mod registration;
mod relay;
mod security_log;
mod server_functions;
mod session_lifetime;
mod sessions;
mod signup_limits;
mod smtp;
