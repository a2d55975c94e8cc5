//! The seed's REST API, as thin adapters: parse the request, call a service, map the error. One
//! submodule per flow; the router and the answers they share are here.

mod account;
mod answer;
mod email;
mod email_login;
mod password;
mod secure_account;
mod sessions;

use crate::{
    error::AppError,
    server::{http, state::AppState},
};
use axum::{
    Router,
    routing::{any, get, post, put},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/users", post(account::create_user))
        .route("/api/users/me", get(account::me).delete(account::delete_me))
        .route("/api/users/me/language", put(account::set_language))
        .route("/api/users/{id}", get(account::user))
        .route("/api/tokens", post(sessions::create_token).delete(sessions::delete_token))
        .route("/api/sessions", get(sessions::list_sessions))
        .route("/api/sessions/revoke-others", post(sessions::revoke_other_sessions))
        .route("/api/sessions/{id}", axum::routing::delete(sessions::revoke_session))
        .route("/api/security-events", get(account::security_events))
        .route("/api/confirm/{token}", get(account::confirm))
        .route("/api/resend-confirm", post(account::resend_confirm))
        .route("/api/confirm-code", post(account::confirm_code))
        .route("/api/reset-password-code", post(password::reset_password_code))
        .route("/api/reset-password-request", post(password::reset_password_request))
        .route("/api/reset-password/{token}", post(password::reset_password))
        .route("/api/update-password", post(password::update_password))
        .route("/api/set-password", post(password::set_password))
        .route("/api/set-password/code", post(password::set_password_code))
        .route("/api/logout-all", post(sessions::logout_all))
        .route("/api/change-email", post(email::change_email))
        .route("/api/confirm-email-change/{token}", post(email::confirm_email_change))
        .route("/api/revert-email-change/{token}", post(email::revert_email_change))
        .route("/api/secure-account/{token}", post(secure_account::secure_account))
        .route("/api/email-login", post(email_login::ask))
        .route("/api/email-login/verify", post(email_login::verify))
        .route("/api/email-login/poll", post(email_login::poll))
        .route("/api/email-login/describe", post(email_login::describe))
        .route("/api/email-login/approve", post(email_login::approve))
        // Any other path under /api is a mistyped endpoint, not a page: JSON, not the app shell.
        .route("/api", any(unknown_endpoint))
        .route("/api/", any(unknown_endpoint))
        .route("/api/{*rest}", any(unknown_endpoint))
        // Here as well as around the whole app: set before the CORS layer wraps these routes, so
        // a preflight (OPTIONS, a method no route has) still reaches that layer.
        .method_not_allowed_fallback(http::error::method_not_allowed)
}

async fn unknown_endpoint() -> AppError {
    AppError::NotFound
}
