//! The middleware every request passes: who the client is (behind trusted proxies), the session
//! renewal an answer carries, and log-safe paths.

use super::extract::{ClientIp, Renewal};
use crate::server::state::AppState;
use axum::{
    extract::{ConnectInfo, Request},
    http::HeaderValue,
    response::Response,
};
use std::net::SocketAddr;

/// Middleware, outermost: applies `TRUSTED_PROXIES` to the peer address and stores the result as
/// the request's [`ClientIp`].
pub async fn resolve_client(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: Request,
    next: axum::middleware::Next,
) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    let client = peer.map_or(ClientIp::UNKNOWN, |peer| {
        ClientIp(state.settings.http.trusted_proxies.client(peer, request.headers()))
    });
    request.extensions_mut().insert(client);
    next.run(request).await
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
