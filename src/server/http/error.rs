//! `AppError` as an HTTP answer: the JSON `{error, message}` body in the request's language, with
//! its status and headers, for REST handlers, server functions and the errors axum and tower write
//! themselves.

use super::extract::BODY_LIMIT;
use crate::{error::AppError, i18n::Msg};
use axum::{
    Json,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // Only `message` is translated: `error` stays the reason phrase clients match on.
        let body = self.body(crate::i18n::request::current().text());
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            AppError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            AppError::TooManyRequests { retry_after, .. } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                    headers.insert(header::RETRY_AFTER, v);
                }
            }
            AppError::Busy => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

/// Gives server-function errors their HTTP status. The server-function runtime answers 500 for
/// every error, including its own argument errors; the body is an encoded `AppError`, which knows
/// its status. One rule here instead of a status call in every function.
pub async fn server_fn_status(request: Request, next: axum::middleware::Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/fn/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    if let Some(err) = AppError::from_wire(&bytes) {
        parts.status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let AppError::TooManyRequests { retry_after, .. } = err {
            parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The answer to a method no route has: the same JSON 405 from every router.
pub async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

/// Middleware: every error under `/api` is JSON in the `{error, message}` shape, including the
/// plain-text rejections axum and tower write themselves (a path segment that isn't UTF-8, the
/// body-limit layer's 413). Pages keep their HTML error pages; a plain 413 is JSON anywhere.
pub async fn json_errors(request: Request, next: axum::middleware::Next) -> Response {
    let path = request.uri().path();
    let is_api = path == "/api" || path.starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    let is_json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    // The rejection's own text is not passed on: it may quote the path, and paths carry tokens.
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        _ if !is_api => return response,
        StatusCode::NOT_FOUND => AppError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
        s if s.is_client_error() => AppError::BadRequest(Msg::RequestUnreadable),
        _ => AppError::Internal,
    };
    let mut json = error.into_response();
    // Keep the status the layer chose (a 400 stays a 400, a 414 a 414), with the JSON body.
    *json.status_mut() = status;
    json
}
