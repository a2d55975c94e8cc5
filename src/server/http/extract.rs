//! What a handler takes from a request: a JSON body whose every rejection is a clear 4xx, the
//! client's address, its device, and the account behind its session token. REST handlers take them
//! as axum extractors; server functions take the same ones through `api::context`.

use crate::{
    error::AppError,
    i18n::Msg,
    server::{
        identity::{CurrentUser, Device},
        services::session,
        state::AppState,
    },
};
use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, OptionalFromRequest, Request},
    http::{StatusCode, header, request::Parts},
};
use serde::de::DeserializeOwned;
use std::net::IpAddr;

/// The largest request body accepted anywhere.
pub const BODY_LIMIT: usize = 64 * 1024;

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
/// `http::proxy`). Worked out once per request by `middleware::resolve_client`; every per-network
/// limit and the request log use this, and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// What a request carries when the server was not given peer addresses (never the case for
    /// `madblog serve`): one shared address, so limits still hold rather than vanish.
    pub const UNKNOWN: Self = Self(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));

    /// The address `middleware::resolve_client` found for a request (from its extensions).
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

/// The device of a request (see the `Device` extractor), for callers that hold its parts.
pub fn device_of(parts: &Parts) -> Device {
    let agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    Device::new(ClientIp::of(&parts.extensions).0, agent)
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

/// Where authentication leaves a renewed session token for the answer to carry. One per request,
/// put there by `middleware::renew_sessions`; REST extractors and server functions alike fill it.
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

    pub(super) fn take(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}
