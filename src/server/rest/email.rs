//! REST adapters for changing the address: asking, confirming, and reverting.

use super::answer::success;
use crate::{
    error::AppError,
    i18n::Msg,
    server::{
        http::extract::{ApiJson, Authenticated, Confirmed},
        identity::Device,
        services::{email_change, email_revert},
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

/// `POST /api/change-email {password, new_email}` (Bearer) → 202, the same whether or not the new
/// address is taken: a confirmed account's address changes when the link mailed to it is used, an
/// unconfirmed one's at once (it was never proven), and the new address gets the confirmation.
pub(super) async fn change_email(
    Authenticated(user): Authenticated,
    State(state): State<AppState>,
    ApiJson(form): ApiJson<ChangeEmailForm>,
) -> Result<Response, AppError> {
    let (password, new_email) = (form.password.unwrap_or_default(), form.new_email.unwrap_or_default());
    let requested = email_change::request(&state, &user, &password, &new_email).await?;
    Ok((StatusCode::ACCEPTED, success(requested.message())).into_response())
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RevertForm {
    email: Option<String>,
}

/// `POST /api/revert-email-change/<token> {email}` (no login; `email` is the old address, typed)
/// → 200: the old address is back, every session has ended, and a reset link is on its way to it.
/// No body at all reads as no address: a 400 that says to type it.
pub(super) async fn revert_email_change(
    State(state): State<AppState>,
    device: Device,
    Path(token): Path<String>,
    form: Option<ApiJson<RevertForm>>,
) -> Result<Json<Value>, AppError> {
    let email = form.and_then(|ApiJson(form)| form.email).unwrap_or_default();
    email_revert::revert(&state, &device, &token, &email).await?;
    Ok(success(Msg::EmailChangeReverted))
}
