//! Forgotten passwords (request a link, reset with it), changing the password, and logging out
//! of every device.

use crate::{api::client::AuthClient, error::AppError, i18n::Msg};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::context::{client_ip, current_confirmed_user, current_user, device, state},
    server::services::{password, reset},
};

/// Mails a reset link if the address has an account; the answer is the same either way.
#[server(prefix = "/api/fn", endpoint = "reset-password-request", client = AuthClient)]
pub async fn request_password_reset(email: String) -> Result<Msg, AppError> {
    reset::request_reset(&state(), client_ip(), &email).await?;
    Ok(Msg::ResetRequested)
}

/// Sets a new password with the token of an emailed link.
#[server(prefix = "/api/fn", endpoint = "reset-password", client = AuthClient)]
pub async fn reset_password(token: String, password: String) -> Result<Msg, AppError> {
    reset::reset(&state(), &device(), &token, password).await?;
    Ok(Msg::ResetDone)
}

/// Sets a new password with the code from a reset mail and the account's address.
#[server(prefix = "/api/fn", endpoint = "reset-password-code", client = AuthClient)]
pub async fn reset_password_with_code(email: String, code: String, password: String) -> Result<Msg, AppError> {
    reset::reset_with_code(&state(), &device(), &email, &code, password).await?;
    Ok(Msg::ResetDone)
}

/// Changes the password; returns a fresh session token (every other session ends).
#[server(prefix = "/api/fn", endpoint = "update-password", client = AuthClient)]
pub async fn update_password(old_password: String, new_password: String) -> Result<String, AppError> {
    let user = current_confirmed_user().await?;
    Ok(password::update(&state(), &user, &old_password, new_password).await?)
}

/// Ends every session of the account, this one included.
#[server(prefix = "/api/fn", endpoint = "logout-all", client = AuthClient)]
pub async fn log_out_everywhere() -> Result<Msg, AppError> {
    let user = current_user().await?;
    crate::server::services::devices::log_out_everywhere(&state(), &user).await?;
    Ok(Msg::LoggedOutEverywhere)
}
