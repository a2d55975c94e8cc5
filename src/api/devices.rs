//! The account's logged-in devices: list them, end one, end all but this one.

use crate::{api::client::AuthClient, domain::DeviceSession, error::AppError};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::context::{current_confirmed_user, state},
    server::services::devices,
};

/// The account's sessions, most recently used first, this one marked `current`.
#[server(prefix = "/api/fn", endpoint = "sessions", client = AuthClient)]
pub async fn sessions() -> Result<Vec<DeviceSession>, AppError> {
    let user = current_confirmed_user().await?;
    Ok(devices::list(&state(), &user).await?)
}

/// Ends one session of the account (404 for an id that isn't one of them).
#[server(prefix = "/api/fn", endpoint = "end-session", client = AuthClient)]
pub async fn end_session(id: String) -> Result<(), AppError> {
    let user = current_confirmed_user().await?;
    Ok(devices::end(&state(), &user, &id).await?)
}

/// Ends every session of the account but this one; returns how many ended.
#[server(prefix = "/api/fn", endpoint = "end-other-sessions", client = AuthClient)]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    let user = current_confirmed_user().await?;
    Ok(devices::end_others(&state(), &user).await?)
}
