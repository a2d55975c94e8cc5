//! `AppState`: what every request handler and server function shares.

use crate::server::{
    auth::password::PasswordHasher, auth::tokens::TokenKeys, config::Settings, db::Pool, email::worker::Wakeup,
    throttle::Limiter,
};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::{sync::Arc, time::Duration};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub tokens: Arc<TokenKeys>,
    pub hasher: PasswordHasher,
    pub limits: Arc<Limits>,
    /// Wakes the outbox worker after a mail is queued.
    pub mail: Wakeup,
}

/// The in-memory rate limits.
pub struct Limits {
    /// Failed logins per login name (username or email, whether or not it exists, so the limit
    /// reveals nothing): slows guessing one account's password.
    pub login_per_name: Limiter,
    /// Failed logins per client address: slows one client guessing across many accounts.
    pub login_per_ip: Limiter,
}

impl Default for Limits {
    fn default() -> Self {
        let window = Duration::from_secs(15 * 60);
        Self { login_per_name: Limiter::new(10, window), login_per_ip: Limiter::new(100, window) }
    }
}
