//! REST adapters for passwords: the reset request, resetting by link or by code, and changing it.

use super::answer::{success, with_token};
use crate::{
    error::AppError,
    i18n::Msg,
    server::{
        http::extract::{ApiJson, ClientIp, Confirmed},
        identity::Device,
        services::{password, reset, set_password},
        state::AppState,
    },
};
use axum::{
    Json,
    extract::{Path, State},
};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResetRequestForm {
    email: Option<String>,
    /// The seed's front end sends its link base here too. Accepted so it keeps working, and
    /// ignored: reset links come from `APP_URL` only (a client-chosen base would let anyone mail
    /// a victim a live reset link to their own site).
    #[serde(default, rename = "confirm_email_base_url")]
    _link_base: Option<serde::de::IgnoredAny>,
}

/// `POST /api/reset-password-request {email}` → the same 200 whether or not the address has an
/// account.
pub(super) async fn reset_password_request(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(form): ApiJson<ResetRequestForm>,
) -> Result<Json<Value>, AppError> {
    reset::request_reset(&state, client, form.email.as_deref().unwrap_or_default()).await?;
    Ok(success(Msg::ResetRequested))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResetForm {
    password: Option<String>,
}

/// `POST /api/reset-password/<token> {password}` → 200; no login follows.
pub(super) async fn reset_password(
    State(state): State<AppState>,
    device: Device,
    Path(token): Path<String>,
    ApiJson(form): ApiJson<ResetForm>,
) -> Result<Json<Value>, AppError> {
    reset::reset(&state, &device, &token, form.password.unwrap_or_default()).await?;
    Ok(success(Msg::ResetDone))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResetCodeForm {
    email: Option<String>,
    code: Option<String>,
    password: Option<String>,
}

/// `POST /api/reset-password-code {email, code, password}` → 200, as the reset link; a wrong code
/// and an address without an account get the same 400.
pub(super) async fn reset_password_code(
    State(state): State<AppState>,
    device: Device,
    ApiJson(form): ApiJson<ResetCodeForm>,
) -> Result<Json<Value>, AppError> {
    let (email, code) = (form.email.unwrap_or_default(), form.code.unwrap_or_default());
    reset::reset_with_code(&state, &device, &email, &code, form.password.unwrap_or_default()).await?;
    Ok(success(Msg::ResetDone))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UpdateForm {
    old_password: Option<String>,
    new_password: Option<String>,
}

/// `POST /api/update-password {old_password, new_password}` (Bearer, confirmed) → 200 with a fresh
/// session token; every other session ends.
pub(super) async fn update_password(
    Confirmed(user): Confirmed,
    State(state): State<AppState>,
    ApiJson(form): ApiJson<UpdateForm>,
) -> Result<Json<Value>, AppError> {
    let old = form.old_password.unwrap_or_default();
    let token = password::update(&state, &user, &old, form.new_password.unwrap_or_default()).await?;
    Ok(with_token(Msg::PasswordUpdated, &token))
}

/// `POST /api/set-password/code` (Bearer, confirmed, no password) → 200; the code is mailed to the
/// account's address.
pub(super) async fn set_password_code(
    Confirmed(user): Confirmed,
    State(state): State<AppState>,
) -> Result<Json<Value>, AppError> {
    set_password::send_code(&state, &user).await?;
    Ok(success(Msg::SetPasswordCodeSent))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SetForm {
    code: Option<String>,
    password: Option<String>,
}

/// `POST /api/set-password {code, password}` (Bearer, confirmed, no password) → 200 with a fresh
/// session token; every other session ends.
pub(super) async fn set_password(
    Confirmed(user): Confirmed,
    State(state): State<AppState>,
    ApiJson(form): ApiJson<SetForm>,
) -> Result<Json<Value>, AppError> {
    let code = form.code.unwrap_or_default();
    let token = set_password::set(&state, &user, &code, form.password.unwrap_or_default()).await?;
    Ok(with_token(Msg::PasswordSet, &token))
}
