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
    /// Held while a per-account mail throttle counts recent mails and queues the next one, so two
    /// concurrent requests can't both see "none sent yet" (per process; across several instances a
    /// rare extra mail is possible, never a lost one).
    pub mail_gate: Arc<tokio::sync::Mutex<()>>,
}

/// The in-memory rate limits.
pub struct Limits {
    /// Failed logins per login name (username or email, whether or not it exists, so the limit
    /// reveals nothing): slows guessing one account's password.
    pub login_per_name: Limiter,
    /// Failed logins per client address: slows one client guessing across many accounts.
    pub login_per_ip: Limiter,
    /// Password-reset requests per client address: stops one client flooding inboxes.
    pub reset_request_per_ip: Limiter,
    /// Wrong old passwords on the password-change form, per account: a stolen session can't be
    /// used to guess the password.
    pub password_update_per_account: Limiter,
}

impl Limits {
    pub fn new(settings: &Settings) -> Self {
        let window = Duration::from_secs(15 * 60);
        Self {
            login_per_name: Limiter::new(10, window),
            login_per_ip: Limiter::new(100, window),
            reset_request_per_ip: Limiter::new(settings.reset_requests_per_ip, window),
            password_update_per_account: Limiter::new(5, window),
        }
    }
}
