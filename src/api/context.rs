//! What a server function needs from the request it runs in: the app state and the session.
//! (Error statuses are set in one place for all server functions: `server::http::server_fn_status`.)

use crate::{
    error::AppError,
    server::{
        http::{ClientIp, Renewal},
        identity::{CurrentUser, Device},
        services::session,
        state::AppState,
    },
};
use leptos::prelude::*;

pub fn state() -> AppState {
    expect_context::<AppState>()
}

/// The account behind the call's `Authorization: Bearer` header.
///
/// # Errors
/// `Unauthorized` without a valid, current session.
pub async fn current_user() -> Result<CurrentUser, AppError> {
    let parts = use_context::<axum::http::request::Parts>().ok_or(AppError::Internal)?;
    let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let user = session::authenticate(&state(), header, device()).await?;
    Renewal::offer(&parts.extensions, &user);
    Ok(user)
}

/// The account behind the call, which must be confirmed (403 otherwise, as for the REST API).
///
/// # Errors
/// `Unauthorized` without a valid session, `Forbidden` for an unconfirmed account.
pub async fn current_confirmed_user() -> Result<CurrentUser, AppError> {
    Ok(current_user().await?.require_confirmed()?)
}

/// The caller's device (address and user agent), for a new session row.
pub fn device() -> Device {
    let parts = use_context::<axum::http::request::Parts>();
    let agent =
        parts.as_ref().and_then(|p| p.headers.get(axum::http::header::USER_AGENT)).and_then(|v| v.to_str().ok());
    Device::new(client_ip(), agent)
}

/// The caller's address, for rate limits: the same [`ClientIp`] the REST API uses, so
/// `TRUSTED_PROXIES` applies alike.
pub fn client_ip() -> std::net::IpAddr {
    use_context::<axum::http::request::Parts>().map_or(ClientIp::UNKNOWN, |parts| ClientIp::of(&parts.extensions)).0
}
