//! The seed's REST API, as thin adapters: parse the request, call a service, map the error.

use crate::{
    error::AppError,
    i18n::{Locale, Msg},
    server::{
        db::users,
        http::{ApiJson, Authenticated, ClientIp, Confirmed},
        locale,
        services::{
            self, confirmation, devices, email_change, lifecycle, password, profile,
            registration::{self, RegistrationForm},
            security, session,
        },
        state::AppState,
    },
};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/users", post(create_user))
        .route("/api/users/me", get(me).delete(delete_me))
        .route("/api/users/me/language", put(set_language))
        .route("/api/users/{id}", get(user))
        .route("/api/tokens", post(create_token).delete(delete_token))
        .route("/api/sessions", get(list_sessions))
        .route("/api/sessions/revoke-others", post(revoke_other_sessions))
        .route("/api/sessions/{id}", axum::routing::delete(revoke_session))
        .route("/api/security-events", get(security_events))
        .route("/api/confirm/{token}", get(confirm))
        .route("/api/resend-confirm", post(resend_confirm))
        .route("/api/confirm-code", post(confirm_code))
        .route("/api/reset-password-code", post(reset_password_code))
        .route("/api/reset-password-request", post(reset_password_request))
        .route("/api/reset-password/{token}", post(reset_password))
        .route("/api/update-password", post(update_password))
        .route("/api/logout-all", post(logout_all))
        .route("/api/change-email", post(change_email))
        .route("/api/confirm-email-change/{token}", post(confirm_email_change))
        .route("/api/revert-email-change/{token}", post(revert_email_change))
}

/// `POST /api/users {username, email, password}` → 201. The account's mail is in the request's
/// language.
async fn create_user(
    State(state): State<AppState>,
    locale: Locale,
    ApiJson(form): ApiJson<RegistrationForm>,
) -> Result<Response, AppError> {
    registration::register(&state, form, locale).await?;
    Ok((StatusCode::CREATED, success(Msg::Registered)).into_response())
}

/// `POST /api/tokens` with HTTP Basic (username or email, password) → `{"token": …}`.
async fn create_token(
    State(state): State<AppState>,
    device: devices::Device,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let unauthorized = || {
        let mut response = AppError::Unauthorized.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Basic realm="Authentication Required", charset="UTF-8""#),
        );
        response
    };
    let (login, password) = basic_credentials(&headers).ok_or_else(unauthorized)?;
    match session::login(&state, &device, &login, &password).await {
        Ok(token) => Ok(Json(json!({ "token": token })).into_response()),
        Err(session::LoginError::InvalidCredentials) => Err(unauthorized()),
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

/// `DELETE /api/tokens` (Bearer) → 204: logs out the session the token belongs to.
async fn delete_token(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<StatusCode, AppError> {
    devices::log_out(&state, &user).await.map_err(|e| services::internal_error("logging out", &e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/sessions` (Bearer, confirmed) → the account's sessions, this one marked `current`.
async fn list_sessions(
    State(state): State<AppState>,
    Confirmed(user): Confirmed,
) -> Result<Json<Vec<crate::domain::DeviceSession>>, AppError> {
    Ok(Json(devices::list(&state, &user).await.map_err(|e| services::internal_error("listing sessions", &e))?))
}

/// `DELETE /api/sessions/<id>` (Bearer, confirmed) → 204, or 404 for an id that is not one of the
/// account's sessions.
async fn revoke_session(
    State(state): State<AppState>,
    Confirmed(user): Confirmed,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    devices::end(&state, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/sessions/revoke-others` (Bearer, confirmed) → `{"ended": n}`: every session but this
/// one ends.
async fn revoke_other_sessions(
    State(state): State<AppState>,
    Confirmed(user): Confirmed,
) -> Result<Json<Value>, AppError> {
    let ended =
        devices::end_others(&state, &user).await.map_err(|e| services::internal_error("revoking sessions", &e))?;
    Ok(Json(json!({ "ended": ended })))
}

/// `GET /api/security-events` (Bearer, confirmed or not) → the account's security log of the last
/// 90 days, newest first.
async fn security_events(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<Json<Vec<crate::domain::SecurityEvent>>, AppError> {
    let events = security::recent(&state, &user).await.map_err(|e| services::internal_error("reading the log", &e))?;
    Ok(Json(events))
}

/// `GET /api/users/me` (Bearer) → the account.
async fn me(Authenticated(user): Authenticated) -> Json<crate::domain::UserProfile> {
    Json(session::profile(&user))
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    password: Option<String>,
}

/// `DELETE /api/users/me {password}` (Bearer, confirmed or not) → 204: the account and everything
/// about it are gone, and a goodbye is on its way to the address it had.
async fn delete_me(
    Authenticated(user): Authenticated,
    State(state): State<AppState>,
    ApiJson(form): ApiJson<PasswordForm>,
) -> Result<StatusCode, AppError> {
    lifecycle::delete_account(&state, &user, form.password.as_deref().unwrap_or_default()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct LanguageForm {
    language: Option<String>,
}

/// `PUT /api/users/me/language {language}` (Bearer, confirmed or not) → 200 with the language
/// stored; 400 for a language we don't speak.
async fn set_language(
    Authenticated(user): Authenticated,
    State(state): State<AppState>,
    ApiJson(form): ApiJson<LanguageForm>,
) -> Result<Json<Value>, AppError> {
    let locale = profile::set_language(&state, &user, form.language.as_deref().unwrap_or_default()).await?;
    Ok(Json(json!({ "status": "success", "language": locale.tag() })))
}

/// `GET /api/confirm/<token>` (Bearer, as in the seed: the link's account must be the logged-in one)
/// → a fresh session token with `confirmed: true`.
async fn confirm(
    Authenticated(user): Authenticated,
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Value>, AppError> {
    let token = confirmation::confirm(&state, &user, &token).await?;
    Ok(Json(json!({ "status": "success", "message": words(Msg::Confirmed), "token": token })))
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    code: Option<String>,
}

/// `POST /api/confirm-code {code}` (Bearer, the unconfirmed account) → as `GET /api/confirm/<t>`:
/// a fresh session token with `confirmed: true`.
async fn confirm_code(
    Authenticated(user): Authenticated,
    State(state): State<AppState>,
    ApiJson(form): ApiJson<CodeForm>,
) -> Result<Json<Value>, AppError> {
    let token = confirmation::confirm_with_code(&state, &user, form.code.as_deref().unwrap_or_default()).await?;
    Ok(Json(json!({ "status": "success", "message": words(Msg::Confirmed), "token": token })))
}

#[derive(Debug, Deserialize)]
struct ResetCodeForm {
    email: Option<String>,
    code: Option<String>,
    password: Option<String>,
}

/// `POST /api/reset-password-code {email, code, password}` → 200, as the reset link; a wrong code
/// and an address without an account get the same 400.
async fn reset_password_code(
    State(state): State<AppState>,
    device: devices::Device,
    ApiJson(form): ApiJson<ResetCodeForm>,
) -> Result<Json<Value>, AppError> {
    let (email, code) = (form.email.unwrap_or_default(), form.code.unwrap_or_default());
    password::reset_with_code(&state, &device, &email, &code, form.password.unwrap_or_default()).await?;
    Ok(success(Msg::ResetDone))
}

#[derive(Debug, Default, Deserialize)]
struct ResendForm {
    confirm_email_base_url: Option<String>,
}

/// `POST /api/resend-confirm` (Bearer; a JSON body is optional) → 200, or 429 with `Retry-After`.
async fn resend_confirm(
    Authenticated(user): Authenticated,
    State(state): State<AppState>,
    body: Option<ApiJson<ResendForm>>,
) -> Result<Json<Value>, AppError> {
    let form = body.map(|ApiJson(form)| form).unwrap_or_default();
    confirmation::resend(&state, &user, form.confirm_email_base_url.as_deref()).await?;
    Ok(success(Msg::Resent))
}

/// `GET /api/users/<id>` (Bearer, confirmed accounts only): another member's public profile.
async fn user(
    Confirmed(_viewer): Confirmed,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let row = users::find_by_id(&state.pool, &id)
        .await
        .map_err(|e| crate::server::services::internal_error("loading a profile", &e.into()))?;
    let row = row.ok_or(AppError::NotFound)?;
    Ok(Json(
        json!({ "id": row.id, "username": row.username, "created_at": session::rfc3339(row.created_at), "last_seen": session::rfc3339(row.last_seen) }),
    ))
}

#[derive(Debug, Deserialize)]
struct ResetRequestForm {
    email: Option<String>,
}

/// `POST /api/reset-password-request {email}` → the same 200 whether or not the address has an
/// account.
async fn reset_password_request(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(form): ApiJson<ResetRequestForm>,
) -> Result<Json<Value>, AppError> {
    password::request_reset(&state, client, form.email.as_deref().unwrap_or_default()).await?;
    Ok(success(Msg::ResetRequested))
}

#[derive(Debug, Deserialize)]
struct ResetForm {
    password: Option<String>,
}

/// `POST /api/reset-password/<token> {password}` → 200; no login follows.
async fn reset_password(
    State(state): State<AppState>,
    device: devices::Device,
    Path(token): Path<String>,
    ApiJson(form): ApiJson<ResetForm>,
) -> Result<Json<Value>, AppError> {
    password::reset(&state, &device, &token, form.password.unwrap_or_default()).await?;
    Ok(success(Msg::ResetDone))
}

#[derive(Debug, Deserialize)]
struct UpdateForm {
    old_password: Option<String>,
    new_password: Option<String>,
}

/// `POST /api/update-password {old_password, new_password}` (Bearer, confirmed) → 200 with a fresh
/// session token; every other session ends.
async fn update_password(
    Confirmed(user): Confirmed,
    State(state): State<AppState>,
    ApiJson(form): ApiJson<UpdateForm>,
) -> Result<Json<Value>, AppError> {
    let old = form.old_password.unwrap_or_default();
    let token = password::update(&state, &user, &old, form.new_password.unwrap_or_default()).await?;
    Ok(Json(json!({ "status": "success", "message": words(Msg::PasswordUpdated), "token": token })))
}

/// `POST /api/logout-all` (Bearer) → 200; every session token of the account stops working.
async fn logout_all(
    Authenticated(user): Authenticated,
    State(state): State<AppState>,
) -> Result<Json<Value>, AppError> {
    password::log_out_everywhere(&state, &user)
        .await
        .map_err(|e| crate::server::services::internal_error("logging out everywhere", &e))?;
    Ok(success(Msg::LoggedOutEverywhere))
}

#[derive(Debug, Deserialize)]
struct ChangeEmailForm {
    password: Option<String>,
    new_email: Option<String>,
}

/// `POST /api/change-email {password, new_email}` (Bearer, confirmed) → 202, the same whether or
/// not the new address is taken; the address changes when the link mailed to it is used.
async fn change_email(
    Confirmed(user): Confirmed,
    State(state): State<AppState>,
    ApiJson(form): ApiJson<ChangeEmailForm>,
) -> Result<Response, AppError> {
    let (password, new_email) = (form.password.unwrap_or_default(), form.new_email.unwrap_or_default());
    email_change::request(&state, &user, &password, &new_email).await?;
    Ok((StatusCode::ACCEPTED, success(Msg::EmailChangeRequested)).into_response())
}

/// `POST /api/confirm-email-change/<token>` (Bearer, the account the link was made for) → 200.
async fn confirm_email_change(
    Confirmed(user): Confirmed,
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Value>, AppError> {
    email_change::confirm(&state, &user, &token).await?;
    Ok(success(Msg::EmailChanged))
}

/// `POST /api/revert-email-change/<token>` (no login) → 200: the old address is back, every
/// session has ended, and a reset link is on its way to it.
async fn revert_email_change(
    State(state): State<AppState>,
    device: devices::Device,
    Path(token): Path<String>,
) -> Result<Json<Value>, AppError> {
    email_change::revert(&state, &device, &token).await?;
    Ok(success(Msg::EmailChangeReverted))
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    // Usernames and email addresses can't contain ':', so the first one ends the login.
    let (login, password) = decoded.split_once(':')?;
    Some((login.to_owned(), password.to_owned()))
}

/// The seed's success answer: `{"status": "success", "message": …}`, in the request's language.
fn success(message: Msg) -> Json<Value> {
    Json(json!({ "status": "success", "message": words(message) }))
}

fn words(message: Msg) -> &'static str {
    message.text(locale::current().text())
}
