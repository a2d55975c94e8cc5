//! `AppError`: the one error that crosses the wire, for server functions and the REST API alike.
//!
//! Every variant is safe to show to the person who made the request: internals are logged on the
//! server (see `server::http_error`) and reach the client only as the opaque `Internal`.

use crate::i18n::{Catalogue, Locale, Msg, fill};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppError {
    /// 400 with a message per field, shown next to each field.
    Validation(BTreeMap<String, Msg>),
    /// 400 with one message.
    BadRequest(Msg),
    /// 400 from a parser, with its own (English, technical) account of what it could not read.
    Malformed {
        message: Msg,
        detail: String,
    },
    /// 401: no valid session, or wrong credentials (deliberately not saying which).
    Unauthorized,
    /// 403: logged in but not allowed.
    Forbidden(Msg),
    NotFound,
    /// 405: the path exists, the method doesn't.
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
    /// 429; `retry_after` in seconds, also sent as the `Retry-After` header.
    TooManyRequests {
        message: Msg,
        retry_after: u64,
    },
    /// 503: the database could not take the work in time (a write lock held too long, every
    /// connection busy). Nothing was changed; the same request can simply be sent again.
    Busy,
    /// 500. The details are in the server log under the request id, never here.
    Internal,
    /// The request never got an answer from the server function (network, encoding). The
    /// transport's own words are kept for the console, not shown.
    Transport(String),
}

impl AppError {
    /// A one-field validation error.
    pub fn field(field: &str, message: Msg) -> Self {
        Self::Validation(BTreeMap::from([(field.to_owned(), message)]))
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Validation(_) | Self::BadRequest(_) | Self::Malformed { .. } => 400,
            Self::Unauthorized => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::TooManyRequests { .. } => 429,
            Self::Busy => 503,
            Self::Internal | Self::Transport(_) => 500,
        }
    }

    /// The status's reason phrase: the `error` every client matches on, in every language.
    pub fn reason(&self) -> &'static str {
        match self.status() {
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            413 => "Payload Too Large",
            415 => "Unsupported Media Type",
            429 => "Too Many Requests",
            503 => "Service Unavailable",
            _ => "Internal Server Error",
        }
    }

    /// The body of every error answer, REST and server functions alike: `{error, message}`, with
    /// `message` in the language of `text` (one per field for a validation error).
    pub fn body(&self, text: &Catalogue) -> Body<'_> {
        let message = match self {
            Self::Validation(fields) => {
                Message::PerField(fields.iter().map(|(field, msg)| (field.as_str(), msg.text(text))).collect())
            }
            other => Message::One(other.message(text)),
        };
        Body { error: self.reason(), kind: None, message }
    }

    /// The typed error in a server function's error body (see `ser`), if that is what `body` is.
    /// Read as a typed struct, not as a `serde_json::Value`: the browser's bundle then carries no
    /// dynamic JSON machinery (nor the float formatting it brings).
    pub fn from_wire(body: &[u8]) -> Option<Self> {
        #[derive(Deserialize)]
        struct Wire {
            kind: AppError,
        }
        serde_json::from_slice::<Wire>(body).ok().map(|wire| wire.kind)
    }

    /// The message for one field, if this error has one for it.
    pub fn field_message(&self, field: &str) -> Option<Msg> {
        match self {
            Self::Validation(fields) => fields.get(field).copied(),
            _ => None,
        }
    }

    /// What to tell the person, in the language of `text`.
    pub fn message(&self, text: &Catalogue) -> String {
        let msg = match self {
            Self::Validation(_) => Msg::Validation,
            Self::BadRequest(msg) | Self::Forbidden(msg) => *msg,
            Self::Malformed { message, detail } => return fill(message.text(text), &[("detail", detail)]),
            Self::Unauthorized => Msg::Unauthorized,
            Self::NotFound => Msg::NotFound,
            Self::MethodNotAllowed => Msg::MethodNotAllowed,
            Self::PayloadTooLarge => Msg::PayloadTooLarge,
            Self::UnsupportedMediaType => Msg::NotJson,
            Self::TooManyRequests { message, retry_after } => {
                let (seconds, minutes) = (retry_after.to_string(), retry_after.div_ceil(60).to_string());
                return fill(message.text(text), &[("seconds", &seconds), ("minutes", &minutes)]);
            }
            Self::Busy => Msg::Busy,
            Self::Internal => Msg::Internal,
            Self::Transport(_) => Msg::Offline,
        };
        msg.text(text).to_owned()
    }
}

/// An error answer's JSON body (see [`AppError::body`]). The keys are in the order a JSON object
/// map would write them, so the bytes are those of the `json!` body this replaced.
#[derive(Debug, Serialize)]
pub struct Body<'a> {
    pub error: &'static str,
    /// The typed error, for the browser: only in server functions' answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'a AppError>,
    pub message: Message<'a>,
}

/// One message, or one per field.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Message<'a> {
    One(String),
    PerField(BTreeMap<&'a str, &'static str>),
}

/// In English: for logs and tests. People read [`AppError::message`] in their own language.
impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Locale::En.text()))
    }
}

impl std::error::Error for AppError {}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            // Bad arguments are the caller's fault: a 400 with the reason, as for the REST API.
            E::Args(detail) | E::MissingArg(detail) => Self::Malformed { message: Msg::BadArguments, detail },
            // On the server, a body that can't be read (not UTF-8, cut short) is the caller's
            // fault too. The body-limit layer reports itself the same way.
            #[cfg(feature = "ssr")]
            E::Deserialization(detail) if detail.contains("length limit exceeded") => Self::PayloadTooLarge,
            #[cfg(feature = "ssr")]
            E::Deserialization(detail) => Self::Malformed { message: Msg::BadArguments, detail },
            #[cfg(not(feature = "ssr"))]
            E::Deserialization(msg) => Self::Transport(msg),
            E::Request(msg) | E::Serialization(msg) => Self::Transport(msg),
            _ => Self::Internal,
        }
    }

    /// The REST API's `{error, message}`, plus the typed error under `kind` for the browser: one
    /// shape for every client, and the UI still gets its field messages.
    fn ser(&self) -> bytes::Bytes {
        #[cfg(feature = "ssr")]
        let text = crate::i18n::request::current().text();
        #[cfg(not(feature = "ssr"))]
        let text = Locale::En.text();
        let body = Body { kind: Some(self), ..self.body(text) };
        serde_json::to_vec(&body).map(bytes::Bytes::from).unwrap_or_default()
    }

    fn de(data: bytes::Bytes) -> Self {
        Self::from_wire(&data)
            .unwrap_or_else(|| Self::Transport(String::from_utf8_lossy(&data).chars().take(200).collect()))
    }
}
