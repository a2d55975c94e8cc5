//! The seed's REST API, as thin adapters: parse the request, call a service, map the error.

use crate::{
    error::AppError,
    server::{
        http::{ApiJson, Authenticated},
        services::{
            registration::{self, RegistrationForm},
            session,
        },
        state::AppState,
    },
};
use axum::{
    Json, Router,
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::Engine;
use serde_json::json;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/users", post(create_user))
        .route("/api/users/me", get(me))
        .route("/api/tokens", post(create_token))
}

/// `POST /api/users {username, email, password}` → 201.
async fn create_user(
    State(state): State<AppState>,
    ApiJson(form): ApiJson<RegistrationForm>,
) -> Result<Response, AppError> {
    registration::register(&state, form).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "status": "success", "message": registration::REGISTERED })),
    )
        .into_response())
}

/// `POST /api/tokens` with HTTP Basic (username or email, password) → `{"token": …}`.
async fn create_token(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
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
    match session::login(&state, Some(client.ip()), &login, &password).await {
        Ok(token) => Ok(Json(json!({ "token": token })).into_response()),
        Err(session::LoginError::InvalidCredentials) => Err(unauthorized()),
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

/// `GET /api/users/me` (Bearer) → the account.
async fn me(Authenticated(user): Authenticated) -> Json<crate::domain::UserProfile> {
    Json(session::profile(&user))
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    // Usernames and email addresses can't contain ':', so the first one ends the login.
    let (login, password) = decoded.split_once(':')?;
    Some((login.to_owned(), password.to_owned()))
}
