//! What the server tells browsers about itself: the Content-Security-Policy of every HTML answer,
//! HSTS, the opener and permissions policies, and CORS for the REST API.
//!
//! The session token lives in localStorage, where any script on the page can read it: the policy's
//! job is that no script runs but ours. Scripts come from this origin (the bundle) or carry the
//! nonce leptos renders into its one inline hydration script; `'wasm-unsafe-eval'` lets that
//! bundle compile its WebAssembly and allows nothing else (no `eval`, no inline handlers).

use crate::server::state::AppState;
use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, header},
    middleware::Next,
    response::Response,
};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The policy for an HTML answer. `script_nonce` is the nonce of the page's inline scripts (pages
/// rendered by leptos have one; other HTML has no script at all); `style_nonce` allows one inline
/// `<style>` (the dev mailbox), since the app's own styles are a file.
pub fn content_security_policy(script_nonce: Option<&str>, style_nonce: Option<&str>) -> HeaderValue {
    let script = match script_nonce {
        Some(nonce) => format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "script-src 'none'".to_owned(),
    };
    let style = match style_nonce {
        Some(nonce) => format!("style-src 'self' 'nonce-{nonce}'"),
        None => "style-src 'self'".to_owned(),
    };
    // `cargo leptos watch` reloads the page over a websocket on its own port.
    let connect =
        if std::env::var_os("LEPTOS_WATCH").is_some() { "connect-src 'self' ws:" } else { "connect-src 'self'" };
    let policy = [
        "default-src 'self'",
        &script,
        &style,
        connect,
        "img-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
    .join("; ");
    // Nonces are base64url (ours, and leptos'): the policy is plain ASCII.
    HeaderValue::from_str(&policy).expect("the policy is ASCII")
}

/// A fresh nonce for one answer: 128 random bits, base64url.
pub fn nonce() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Powerful features the app never uses, denied to it and to anything it might embed.
const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), \
     gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), serial=(), \
     usb=(), browsing-topics=()";

/// Two years, the span browsers' preload lists ask for.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Middleware: the headers every answer carries, and a script-free policy for any HTML answer
/// that didn't set its own (pages rendered by leptos set theirs, with their nonce, in the shell).
pub async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let is_html = headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, content_security_policy(None, None));
    }
    headers.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    headers.insert(HeaderName::from_static("permissions-policy"), HeaderValue::from_static(PERMISSIONS_POLICY));
    // Only over https: on plain http the header is ignored, and a development server on
    // localhost must not pin every other local port to https.
    if state.settings.app_url.starts_with("https://") {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    response
}

/// CORS for the REST API, when `CORS_ALLOWED_ORIGINS` names origins: exactly those may call it
/// from a browser, without cookies or other credentials (the session is a bearer token the caller
/// sends itself). No origin is ever reflected: an origin not on the list gets no CORS headers.
pub fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT_LANGUAGE])
            .expose_headers([
                HeaderName::from_static(crate::domain::session::RENEWED_TOKEN_HEADER),
                header::RETRY_AFTER,
                HeaderName::from_static("x-request-id"),
            ])
            .allow_credentials(false)
            .max_age(std::time::Duration::from_secs(600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_policy_allows_only_our_scripts_and_never_inline_ones() {
        let policy = content_security_policy(Some("abc"), None);
        let policy = policy.to_str().unwrap();
        assert!(policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"), "{policy}");
        assert!(!policy.contains("unsafe-inline") && !policy.contains("'unsafe-eval'"), "{policy}");
        for directive in ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
            assert!(policy.contains(directive), "{directive} in {policy}");
        }
        assert!(policy.contains("style-src 'self';"), "no inline styles: {policy}");
    }

    #[test]
    fn html_without_a_nonce_may_run_no_script() {
        let policy = content_security_policy(None, Some("s"));
        let policy = policy.to_str().unwrap();
        assert!(policy.contains("script-src 'none'") && policy.contains("style-src 'self' 'nonce-s'"), "{policy}");
    }

    #[test]
    fn nonces_are_fresh_and_long_enough() {
        let (a, b) = (nonce(), nonce());
        assert_ne!(a, b);
        assert_eq!(a.len(), 22, "128 bits in base64url");
    }
}
