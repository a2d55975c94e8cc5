//! REST adapters for sessions: logging in and out, the devices list, and logging out everywhere.

use super::answer::success;
use crate::{
    error::AppError,
    i18n::Msg,
    server::{
        http::extract::{Authenticated, Confirmed},
        identity::Device,
        services::{self, devices},
        state::AppState,
    },
};
use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine;
use serde_json::{Value, json};

/// `POST /api/tokens` with HTTP Basic (username or email, password) → `{"token": …}`.
pub(super) async fn create_token(
    State(state): State<AppState>,
    device: Device,
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
    match services::login::login(&state, &device, &login, &password).await {
        Ok(token) => Ok(Json(json!({ "token": token })).into_response()),
        Err(services::login::LoginError::InvalidCredentials) => Err(unauthorized()),
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

/// `DELETE /api/tokens` (Bearer) → 204: logs out the session the token belongs to.
pub(super) async fn delete_token(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
) -> Result<StatusCode, AppError> {
    devices::log_out(&state, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/sessions` (Bearer, confirmed) → the account's sessions, this one marked `current`.
pub(super) async fn list_sessions(
    State(state): State<AppState>,
    Confirmed(user): Confirmed,
) -> Result<Json<Vec<crate::domain::DeviceSession>>, AppError> {
    Ok(Json(devices::list(&state, &user).await?))
}

/// `DELETE /api/sessions/<id>` (Bearer, confirmed) → 204, or 404 for an id that is not one of the
/// account's sessions.
pub(super) async fn revoke_session(
    State(state): State<AppState>,
    Confirmed(user): Confirmed,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    devices::end(&state, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/sessions/revoke-others` (Bearer, confirmed) → `{"ended": n}`: every session but this
/// one ends.
pub(super) async fn revoke_other_sessions(
    State(state): State<AppState>,
    Confirmed(user): Confirmed,
) -> Result<Json<Value>, AppError> {
    let ended = devices::end_others(&state, &user).await?;
    Ok(Json(json!({ "ended": ended })))
}

/// `POST /api/logout-all` (Bearer) → 200; every session token of the account stops working.
pub(super) async fn logout_all(
    Authenticated(user): Authenticated,
    State(state): State<AppState>,
) -> Result<Json<Value>, AppError> {
    devices::log_out_everywhere(&state, &user).await?;
    Ok(success(Msg::LoggedOutEverywhere))
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
