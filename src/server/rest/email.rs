//! REST adapters for changing the address: asking, confirming, and reverting.

use super::success;
use crate::{
    error::AppError,
    i18n::Msg,
    server::{
        http::{ApiJson, Confirmed},
        services::{devices, email_change},
        state::AppState,
    },
};
use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangeEmailForm {
    password: Option<String>,
    new_email: Option<String>,
}

/// `POST /api/change-email {password, new_email}` (Bearer, confirmed) → 202, the same whether or
/// not the new address is taken; the address changes when the link mailed to it is used.
pub(super) async fn change_email(
    Confirmed(user): Confirmed,
    State(state): State<AppState>,
    ApiJson(form): ApiJson<ChangeEmailForm>,
) -> Result<Response, AppError> {
    let (password, new_email) = (form.password.unwrap_or_default(), form.new_email.unwrap_or_default());
    email_change::request(&state, &user, &password, &new_email).await?;
    Ok((StatusCode::ACCEPTED, success(Msg::EmailChangeRequested)).into_response())
}

/// `POST /api/confirm-email-change/<token>` (Bearer, the account the link was made for) → 200.
pub(super) async fn confirm_email_change(
    Confirmed(user): Confirmed,
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Value>, AppError> {
    email_change::confirm(&state, &user, &token).await?;
    Ok(success(Msg::EmailChanged))
}

/// `POST /api/revert-email-change/<token>` (no login) → 200: the old address is back, every
/// session has ended, and a reset link is on its way to it.
pub(super) async fn revert_email_change(
    State(state): State<AppState>,
    device: devices::Device,
    Path(token): Path<String>,
) -> Result<Json<Value>, AppError> {
    email_change::revert(&state, &device, &token).await?;
    Ok(success(Msg::EmailChangeReverted))
}
