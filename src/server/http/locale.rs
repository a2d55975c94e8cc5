//! The request's language at the HTTP edge: the middleware that works it out once per request
//! (`i18n::request` holds it and says how), and the extractor handlers read it with.

use crate::i18n::{Locale, request};
use axum::{
    extract::{FromRequestParts, Request},
    http::request::Parts,
    middleware::Next,
    response::Response,
};

/// Middleware: records the request's language in its extensions (for pages, server functions and
/// handlers) and for the rest of its task (for error answers, which see no request).
pub async fn negotiate(mut request: Request, next: Next) -> Response {
    let locale = request::of_headers(request.headers());
    request.extensions_mut().insert(locale);
    request::scope(locale, next.run(request)).await
}

impl<S: Send + Sync> FromRequestParts<S> for Locale {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Self>().copied().unwrap_or_else(|| request::of_headers(&parts.headers)))
    }
}
