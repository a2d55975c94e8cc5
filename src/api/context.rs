//! What a server function needs from the request it runs in: the app state, and what the HTTP
//! edge's extractors take from the request (the session, the device, the client's address), taken
//! by those same extractors. (Error statuses are set in one place for all server functions:
//! `server::http::error::server_fn_status`.)

use crate::{
    error::AppError,
    server::{
        http::extract::{Authenticated, ClientIp, Confirmed, device_of},
        identity::{CurrentUser, Device},
        state::AppState,
    },
};
use axum::{extract::FromRequestParts, http::request::Parts};
use leptos::prelude::*;

pub fn state() -> AppState {
    expect_context::<AppState>()
}

/// The request's parts, as the leptos integration provides them to a server function.
fn parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or(AppError::Internal)
}

/// The account behind the call's `Authorization: Bearer` header.
///
/// # Errors
/// `Unauthorized` without a valid, current session.
pub async fn current_user() -> Result<CurrentUser, AppError> {
    Ok(Authenticated::from_request_parts(&mut parts()?, &state()).await?.0)
}

/// The account behind the call, which must be confirmed (403 otherwise, as for the REST API).
///
/// # Errors
/// `Unauthorized` without a valid session, `Forbidden` for an unconfirmed account.
pub async fn current_confirmed_user() -> Result<CurrentUser, AppError> {
    Ok(Confirmed::from_request_parts(&mut parts()?, &state()).await?.0)
}

/// The caller's device (address and user agent), for a new session row.
pub fn device() -> Device {
    parts().map_or_else(|_| Device::new(ClientIp::UNKNOWN.0, None), |parts| device_of(&parts))
}

/// The caller's address, for rate limits: the same [`ClientIp`] the REST API uses, so
/// `TRUSTED_PROXIES` applies alike.
pub fn client_ip() -> std::net::IpAddr {
    parts().map_or(ClientIp::UNKNOWN, |parts| ClientIp::of(&parts.extensions)).0
}
