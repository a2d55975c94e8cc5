//! REST adapters for the account itself: registering, reading and deleting it, its language,
//! its security log, and confirming its address (link or code).

use super::answer::{success, with_token};
use crate::{
    domain::PublicProfile,
    error::AppError,
    i18n::{Locale, Msg},
    server::{
        http::extract::{ApiJson, Authenticated, ClientIp, Confirmed},
        services::{confirmation, lifecycle, profile, registration, security},
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
use serde_json::{Value, json};

/// The registration form, as it arrives as JSON. Missing fields are `None` and get the same field
/// message as blank ones.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RegistrationForm {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    /// The seed's client-chosen link base (see `services::registration::register`).
    confirm_email_base_url: Option<String>,
}

/// `POST /api/users {username, email, password}` → 201. The account's mail is in the request's
/// language.
pub(super) async fn create_user(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    locale: Locale,
    ApiJson(form): ApiJson<RegistrationForm>,
) -> Result<Response, AppError> {
    let (username, email) = (form.username.unwrap_or_default(), form.email.unwrap_or_default());
    let password = form.password.unwrap_or_default();
    let base_url = form.confirm_email_base_url.as_deref();
    registration::register(&state, client, &username, &email, password, base_url, locale).await?;
    Ok((StatusCode::CREATED, success(Msg::Registered)).into_response())
}

/// `GET /api/users/me` (Bearer) → the account.
pub(super) async fn me(Authenticated(user): Authenticated) -> Json<crate::domain::UserProfile> {
    Json(profile::me(&user))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PasswordForm {
    password: Option<String>,
}

/// `DELETE /api/users/me {password}` (Bearer, confirmed or not) → 204: the account and everything
/// about it are gone, and a goodbye is on its way to the address it had.
pub(super) async fn delete_me(
    Authenticated(user): Authenticated,
    State(state): State<AppState>,
    ApiJson(form): ApiJson<PasswordForm>,
) -> Result<StatusCode, AppError> {
    lifecycle::delete_account(&state, &user, form.password.as_deref().unwrap_or_default()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LanguageForm {
    language: Option<String>,
}

/// `PUT /api/users/me/language {language}` (Bearer, confirmed or not) → 200 with the language
/// stored; 400 for a language we don't speak.
pub(super) async fn set_language(
    Authenticated(user): Authenticated,
    State(state): State<AppState>,
    ApiJson(form): ApiJson<LanguageForm>,
) -> Result<Json<Value>, AppError> {
    let locale = profile::set_language(&state, &user, form.language.as_deref().unwrap_or_default()).await?;
    Ok(Json(json!({ "status": "success", "language": locale.tag() })))
}

/// `GET /api/security-events` (Bearer, confirmed or not) → the account's security log of the last
/// 90 days, newest first.
pub(super) async fn security_events(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<Json<Vec<crate::domain::SecurityEvent>>, AppError> {
    let events = security::recent(&state, &user).await?;
    Ok(Json(events))
}

/// `GET /api/users/<id>` (Bearer, confirmed accounts only): another member's public profile.
pub(super) async fn user(
    Confirmed(_viewer): Confirmed,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PublicProfile>, AppError> {
    Ok(Json(profile::public_profile(&state, &id).await?))
}

/// `GET /api/confirm/<token>` (Bearer, as in the seed: the link's account must be the logged-in one)
/// → a fresh session token with `confirmed: true`.
pub(super) async fn confirm(
    Authenticated(user): Authenticated,
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Value>, AppError> {
    let token = confirmation::confirm(&state, &user, &token).await?;
    Ok(with_token(Msg::Confirmed, &token))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CodeForm {
    code: Option<String>,
}

/// `POST /api/confirm-code {code}` (Bearer, the unconfirmed account) → as `GET /api/confirm/<t>`:
/// a fresh session token with `confirmed: true`.
pub(super) async fn confirm_code(
    Authenticated(user): Authenticated,
    State(state): State<AppState>,
    ApiJson(form): ApiJson<CodeForm>,
) -> Result<Json<Value>, AppError> {
    let token = confirmation::confirm_with_code(&state, &user, form.code.as_deref().unwrap_or_default()).await?;
    Ok(with_token(Msg::Confirmed, &token))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResendForm {
    confirm_email_base_url: Option<String>,
}

/// `POST /api/resend-confirm` (Bearer; a JSON body is optional) → 200, or 429 with `Retry-After`.
pub(super) async fn resend_confirm(
    Authenticated(user): Authenticated,
    State(state): State<AppState>,
    body: Option<ApiJson<ResendForm>>,
) -> Result<Json<Value>, AppError> {
    let form = body.map(|ApiJson(form)| form).unwrap_or_default();
    confirmation::resend(&state, &user, form.confirm_email_base_url.as_deref()).await?;
    Ok(success(Msg::Resent))
}
