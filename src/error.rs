//! `AppError`: the one error that crosses the wire, for server functions and the REST API alike.
//!
//! Every variant is safe to show to the person who made the request: internals are logged on the
//! server (see `server::http_error`) and reach the client only as the opaque `Internal`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// 400 with a message per field, shown next to each field.
    #[error("Please correct the highlighted fields.")]
    Validation(BTreeMap<String, String>),
    /// 400 with one message.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid session, or wrong credentials (deliberately not saying which).
    #[error("Please log in again.")]
    Unauthorized,
    /// 403: logged in but not allowed.
    #[error("{0}")]
    Forbidden(String),
    #[error("Not found.")]
    NotFound,
    #[error("The request body is too large.")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429; `retry_after` in seconds, also sent as the `Retry-After` header.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    /// 503: the database could not take the work in time (a write lock held too long, every
    /// connection busy). Nothing was changed; the same request can simply be sent again.
    #[error("The server is busy. Please try again in a moment.")]
    Busy,
    /// 500. The details are in the server log under the request id, never here.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never got an answer from the server function (network, encoding).
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// A one-field validation error.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(BTreeMap::from([(field.to_owned(), message.into())]))
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Validation(_) | Self::BadRequest(_) => 400,
            Self::Unauthorized => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound => 404,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType(_) => 415,
            Self::TooManyRequests { .. } => 429,
            Self::Busy => 503,
            Self::Internal | Self::Transport(_) => 500,
        }
    }

    /// The message for one field, if this error has one for it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation(fields) => fields.get(field).cloned(),
            _ => None,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            // Bad arguments are the caller's fault: a 400 with the reason, as for the REST API.
            E::Args(msg) | E::MissingArg(msg) => Self::BadRequest(format!("Invalid request: {msg}")),
            E::Request(msg) | E::Deserialization(msg) | E::Serialization(msg) => Self::Transport(msg),
            _ => Self::Internal,
        }
    }
}
