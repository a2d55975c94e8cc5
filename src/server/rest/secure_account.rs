//! REST adapter for the new-device mail's "this wasn't me" link.

use super::answer::success;
use crate::{
    error::AppError,
    i18n::Msg,
    server::{http::extract::ApiJson, identity::Device, services::secure_account, state::AppState},
};
use axum::{
    Json,
    extract::{Path, State},
};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SecureForm {
    email: Option<String>,
}

/// `POST /api/secure-account/<token> {email}` (no login; `email` is the account's address, typed)
/// → 200: every session has ended, the password is locked, and a reset link is on its way. No body
/// at all reads as no address: a 400 that says to type it.
pub(super) async fn secure_account(
    State(state): State<AppState>,
    device: Device,
    Path(token): Path<String>,
    form: Option<ApiJson<SecureForm>>,
) -> Result<Json<Value>, AppError> {
    let email = form.and_then(|ApiJson(form)| form.email).unwrap_or_default();
    secure_account::secure(&state, &device, &token, &email).await?;
    Ok(success(Msg::AccountSecured))
}
