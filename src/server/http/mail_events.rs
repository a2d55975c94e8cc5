//! `POST /hooks/mail-events`: a hosted relay posts a bounce report or a complaint as the raw
//! message (`message/rfc822`), as a mail server's pipe hands one to `madblog mail bounce`. Outside
//! the JSON API's rules: a 1 MiB cap of its own, and its own bearer token (`MAIL_EVENTS_TOKEN`).

use super::metrics::bearer_is;
use crate::server::{email::feedback::Feedback, state::AppState};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State, rejection::BytesRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;

/// The largest report taken: a bounce quotes a mail of ours or its headers, a few KiB.
pub const LIMIT: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/hooks/mail-events", post(receive)).layer(DefaultBodyLimit::max(LIMIT))
}

/// 404 unless `MAIL_EVENTS_TOKEN` is set; 401 without it as a bearer token; 413 over 1 MiB; else
/// 200 with what came of the report (`{"verdict": "bounced"}`), or 503 when the database can't
/// record it, so the relay posts it again.
async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    let Some(token) = &state.settings.mail.events_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !bearer_is(&headers, token.expose()) {
        let mut response = error(StatusCode::UNAUTHORIZED, "a bearer token (MAIL_EVENTS_TOKEN) is needed");
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error(StatusCode::PAYLOAD_TOO_LARGE, "a report is at most 1 MiB");
        }
        Err(_) => return error(StatusCode::BAD_REQUEST, "the body could not be read"),
    };
    // Checked at start (the transport refuses a bad MAIL_BOUNCE_ADDRESS), so never an error here.
    let Ok(feedback) = Feedback::from_settings(&state.settings) else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "MAIL_BOUNCE_ADDRESS is unusable");
    };
    match feedback.apply(&state.pool, &body, None).await {
        Ok(verdict) => Json(json!({ "verdict": verdict.name() })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "mail events: could not record a report; the relay should post it again");
            error(StatusCode::SERVICE_UNAVAILABLE, "the report could not be recorded now; post it again later")
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": status.canonical_reason().unwrap_or_default(), "message": message })))
        .into_response()
}
