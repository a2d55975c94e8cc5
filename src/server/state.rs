//! `AppState`: what every request handler and server function shares.

use crate::server::{
    auth::password::PasswordHasher, auth::tokens::TokenKeys, config::Settings, db::Pool, db::event_writer::EventWriter,
    email::worker::Wakeup, limits::Limiter,
};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

#[derive(Clone, FromRef)]
pub struct AppState {
    /// Behind an `Arc`: axum clones the state for every handler and middleware a request passes,
    /// and these options are a dozen strings (2 % of confirm's time under `perf`, cloning and
    /// dropping them).
    #[from_ref(skip)]
    pub leptos_options: Arc<LeptosOptions>,
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub tokens: Arc<TokenKeys>,
    pub hasher: PasswordHasher,
    /// The rate limits, held in the database so every server shares them.
    pub limits: Limiter,
    /// Wakes the outbox worker after a mail is queued.
    pub mail: Wakeup,
    /// Writes the security log's hot-path events in batches.
    pub events: EventWriter,
    /// Work a request starts and doesn't wait for (queueing a reset mail after the answer): a
    /// clean stop waits for it, so an answered request never loses its mail to a SIGTERM.
    pub background: TaskTracker,
    /// Fired on SIGTERM/SIGINT: `/readyz` turns 503 while the requests in flight drain.
    pub shutdown: CancellationToken,
}

/// leptos's routes take their options by value.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        LeptosOptions::clone(&state.leptos_options)
    }
}
