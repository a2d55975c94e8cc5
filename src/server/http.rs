//! The HTTP edge shared by the REST API and the pages: `AppError` as a JSON response, a JSON body
//! extractor whose every rejection is a clear 4xx, the client's address, the session extractor,
//! and log-safe paths.

use crate::{
    error::AppError,
    i18n::Msg,
    server::{
        identity::{CurrentUser, Device},
        locale,
        services::session,
        state::AppState,
    },
};
use axum::{
    Json,
    body::Bytes,
    extract::{ConnectInfo, FromRequest, FromRequestParts, OptionalFromRequest, Request},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

/// The largest request body accepted anywhere.
pub const BODY_LIMIT: usize = 64 * 1024;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // Only `message` is translated: `error` stays the reason phrase clients match on.
        let body = self.body(locale::current().text());
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

/// A JSON request body. Unlike axum's `Json`, every rejection is an `AppError` with the seed's
/// error shape: 415 without a JSON content type, 413 over [`BODY_LIMIT`], 400 for malformed JSON
/// or wrong field types. The forms it reads deny unknown fields: a misspelt or invented field is
/// a mistake to report, not to ignore.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        if !json_type {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest(Msg::BodyUnreadable)
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(AppError::BadRequest(Msg::BodyEmpty));
        }
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| {
            let message = if e.is_data() { Msg::JsonWrongType } else { Msg::JsonInvalid };
            // serde names the field and the expected type; the value itself is not echoed for
            // strings, which is where secrets would be.
            AppError::Malformed { message, detail: e.to_string() }
        })
    }
}

/// An optional JSON body: a request with no body and no content type has none; anything else must
/// be valid JSON as for [`ApiJson`].
impl<T: DeserializeOwned, S: Send + Sync> OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let headers = req.headers();
        let declared_empty =
            headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).is_none_or(|v| v.trim() == "0");
        if !headers.contains_key(header::CONTENT_TYPE) && declared_empty {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(req, state).await.map(Some)
    }
}

/// The client's address: the peer, or the address a trusted proxy reports for it (see
/// `server::proxy`). Worked out once per request by [`resolve_client`]; every per-address limit
/// and the request log use this, and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// What a request carries when the server was not given peer addresses (never the case for
    /// `madblog serve`): one shared address, so limits still hold rather than vanish.
    pub const UNKNOWN: Self = Self(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));

    /// The address [`resolve_client`] found for a request (from its extensions).
    pub fn of(extensions: &http::Extensions) -> Self {
        extensions.get::<Self>().copied().unwrap_or(Self::UNKNOWN)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(&parts.extensions))
    }
}

/// The caller's device: its [`ClientIp`] and a short description of its `User-Agent`.
impl<S: Send + Sync> FromRequestParts<S> for Device {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(device_of(parts))
    }
}

fn device_of(parts: &Parts) -> Device {
    let agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    Device::new(ClientIp::of(&parts.extensions).0, agent)
}

/// Middleware, outermost: applies `TRUSTED_PROXIES` to the peer address and stores the result as
/// the request's [`ClientIp`].
pub async fn resolve_client(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: Request,
    next: axum::middleware::Next,
) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    let client =
        peer.map_or(ClientIp::UNKNOWN, |peer| ClientIp(state.settings.trusted_proxies.client(peer, request.headers())));
    request.extensions_mut().insert(client);
    next.run(request).await
}

/// The account behind the request's `Authorization: Bearer` session token; 401 otherwise.
pub struct Authenticated(pub CurrentUser);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let user = session::authenticate(state, header, device_of(parts)).await?;
        Renewal::offer(&parts.extensions, &user);
        Ok(Self(user))
    }
}

/// Where authentication leaves a renewed session token for the answer to carry. One per request,
/// put there by [`renew_sessions`]; REST extractors and server functions alike fill it.
#[derive(Debug, Clone, Default)]
pub struct Renewal(std::sync::Arc<std::sync::Mutex<Option<String>>>);

impl Renewal {
    /// Leaves `user`'s renewed token, if any, for the request's answer.
    pub fn offer(extensions: &http::Extensions, user: &CurrentUser) {
        if let (Some(slot), Some(token)) = (extensions.get::<Self>(), &user.renewed)
            && let Ok(mut slot) = slot.0.lock()
        {
            *slot = Some(token.clone());
        }
    }

    fn take(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// Middleware: gives each request a [`Renewal`] slot and adds what it holds to the answer as
/// `X-Session-Token`, whatever the answer (a renewal is as good on a 4xx).
pub async fn renew_sessions(mut request: Request, next: axum::middleware::Next) -> Response {
    let slot = Renewal::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    if let Some(value) = slot.take().and_then(|token| HeaderValue::from_str(&token).ok()) {
        response.headers_mut().insert(crate::domain::session::RENEWED_TOKEN_HEADER, value);
    }
    response
}

/// The account behind the session token, which must be confirmed: 401 without a session, 403 for
/// an unconfirmed account. This is the lock; the browser's guard is only comfort.
pub struct Confirmed(pub CurrentUser);

impl FromRequestParts<AppState> for Confirmed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Authenticated(user) = Authenticated::from_request_parts(parts, state).await?;
        Ok(Self(user.require_confirmed()?))
    }
}

/// The path with anything that looks like a token replaced, for logs: links and API paths carry
/// JWTs (`/api/confirm/<jwt>`), and logs outlive them.
pub fn redact_path(path: &str) -> String {
    path.split('/')
        .map(|segment| if looks_like_token(segment) { "[token]" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

fn looks_like_token(segment: &str) -> bool {
    segment.len() >= 24 && segment.matches('.').count() >= 2
        || segment.len() >= 40 && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_in_paths_are_redacted() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl";
        assert_eq!(redact_path(&format!("/api/confirm/{jwt}")), "/api/confirm/[token]");
        assert_eq!(redact_path("/api/users/me"), "/api/users/me");
        assert_eq!(redact_path("/pkg/madblog.wasm"), "/pkg/madblog.wasm");
    }
}
