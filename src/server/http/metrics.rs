//! The operators' view over HTTP: `GET /metrics` (off unless `METRICS_TOKEN` is set, and then only
//! for that bearer token), and the middleware that counts and times every request by route.

use crate::server::{clock::now, db::outbox, memory, metrics, state::AppState};
use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The route a request matched, carried on the response so the outer [`track_http`] can label it.
#[derive(Clone)]
struct Route(String);

/// Route layer (inside the router): notes which route answered.
pub async fn note_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(Route(route));
    }
    response
}

/// Middleware (outside the router): counts and times every request, labelled by the route it
/// matched, never by its raw path, so arbitrary URLs can't grow the label set.
pub async fn track_http(request: Request, next: Next) -> Response {
    let assets = request.uri().path().starts_with("/pkg/");
    let started = std::time::Instant::now();
    memory::note_request();
    let response = next.run(request).await;
    let route = match response.extensions().get::<Route>() {
        Some(Route(route)) => route.clone(),
        None if assets => "/pkg/*".to_owned(),
        None => "unmatched".to_owned(),
    };
    metrics::http_request(route, response.status().as_u16(), started.elapsed());
    response
}

/// `GET /metrics`: 404 unless `METRICS_TOKEN` is set; then 401 without `Authorization: Bearer
/// <METRICS_TOKEN>`, else the Prometheus text format. The outbox gauges are read from the database
/// at each scrape, so every server reports the shared queue.
pub async fn endpoint(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(token) = &state.settings.http.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !bearer_is(&headers, token.expose()) {
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    match outbox::stats(&state.pool).await {
        Ok(stats) => {
            let oldest = stats.oldest_pending.map_or(0, |created| (now() - created).max(0));
            metrics::outbox(stats.pending, stats.failed, oldest);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: could not read the outbox; its gauges keep their last values"),
    }
    let body = metrics::render();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

/// Whether the request's `Authorization` is `Bearer <token>`, compared in constant time.
pub(super) fn bearer_is(headers: &axum::http::HeaderMap, token: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    constant_time_eq(given.as_bytes(), token.as_bytes())
}

/// Compares without stopping at the first difference, so the time taken doesn't reveal how much
/// of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"secret-token", b"secret-token"));
        assert!(!constant_time_eq(b"secret-token", b"secret-tokem"));
        assert!(!constant_time_eq(b"secret", b"secret-token"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
