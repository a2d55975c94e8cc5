//! Forgotten passwords (request a link, reset with it), changing the password, and logging out
//! of every device.

use crate::{api::client::AuthClient, error::AppError, i18n::Msg};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::context::{client_ip, current_confirmed_user, current_user, device, state},
    server::services::{password, reset, set_password},
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

/// Mails a code to set a password with, for an account that has none (it signs in by email).
#[server(prefix = "/api/fn", endpoint = "set-password-code", client = AuthClient)]
pub async fn send_set_password_code() -> Result<Msg, AppError> {
    let user = current_confirmed_user().await?;
    set_password::send_code(&state(), &user).await?;
    Ok(Msg::SetPasswordCodeSent)
}

/// Sets a password on an account that has none, with the mailed code; returns a fresh session
/// token (every other session ends).
#[server(prefix = "/api/fn", endpoint = "set-password", client = AuthClient)]
pub async fn set_password(code: String, password: String) -> Result<String, AppError> {
    let user = current_confirmed_user().await?;
    Ok(set_password::set(&state(), &user, &code, password).await?)
}

/// Ends every session of the account, this one included.
#[server(prefix = "/api/fn", endpoint = "logout-all", client = AuthClient)]
pub async fn log_out_everywhere() -> Result<Msg, AppError> {
    let user = current_user().await?;
    crate::server::services::devices::log_out_everywhere(&state(), &user).await?;
    Ok(Msg::LoggedOutEverywhere)
}
