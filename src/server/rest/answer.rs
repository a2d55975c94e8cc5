//! The answers the REST adapters share: the seed's success shape, with the message in the
//! request's language.

use crate::i18n::{Msg, request as locale};
use axum::Json;
use serde_json::{Value, json};

/// The seed's success answer: `{"status": "success", "message": …}`, in the request's language.
pub fn success(message: Msg) -> Json<Value> {
    Json(json!({ "status": "success", "message": words(message) }))
}

/// The success answer that hands the session a fresh token (confirmed, or for a new password).
pub fn with_token(message: Msg, token: &str) -> Json<Value> {
    Json(json!({ "status": "success", "message": words(message), "token": token }))
}

fn words(message: Msg) -> &'static str {
    message.text(locale::current().text())
}
