//! `AppState`: what every request handler and server function shares.

use crate::server::{
    auth::password::PasswordHasher, auth::tokens::TokenKeys, config::Settings, db::Pool,
};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub tokens: Arc<TokenKeys>,
    pub hasher: PasswordHasher,
}
