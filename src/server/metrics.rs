//! Metrics for operators: owns the Prometheus recorder, the one function per thing counted, and the
//! `/metrics` endpoint (off unless `METRICS_TOKEN` is set, and then only for that bearer token).

use crate::server::{clock::now, db::outbox, state::AppState};
use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::{sync::OnceLock, time::Duration};

const HTTP_REQUESTS: &str = "madblog_http_requests_total";
const HTTP_DURATION: &str = "madblog_http_request_duration_seconds";
const HASH_DURATION: &str = "madblog_password_hash_seconds";
const MAIL_SENT: &str = "madblog_mail_sent_total";
const OUTBOX_PENDING: &str = "madblog_outbox_pending";
const OUTBOX_OLDEST: &str = "madblog_outbox_oldest_pending_seconds";
const OUTBOX_FAILED: &str = "madblog_outbox_failed";

/// The process-wide recorder. `metrics` has one global recorder, so it is installed once and
/// shared (several apps in one test process share it too).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(HTTP_DURATION.into()),
                &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(HASH_DURATION.into()),
                    &[0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1.0],
                )
            })
            .expect("bucket lists are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed, which nothing in this program does.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by route and status");
    metrics::describe_histogram!(HTTP_DURATION, metrics::Unit::Seconds, "Time to answer an HTTP request");
    metrics::describe_histogram!(HASH_DURATION, metrics::Unit::Seconds, "Time of one argon2id hash or verification");
    metrics::describe_counter!(MAIL_SENT, "Delivery attempts by mail kind and result (sent, retry, failed)");
    metrics::describe_gauge!(OUTBOX_PENDING, "Mails waiting in the outbox (not sent, not given up)");
    metrics::describe_gauge!(OUTBOX_OLDEST, metrics::Unit::Seconds, "Age of the oldest waiting mail (0: none)");
    metrics::describe_gauge!(OUTBOX_FAILED, "Mails given up after the last attempt, still in the outbox");
}

/// Installs the recorder, so counting starts with the server.
pub fn init() {
    handle();
}

/// One argon2id computation took `elapsed` (measured on the blocking thread, queueing excluded).
pub fn password_hash(elapsed: Duration) {
    metrics::histogram!(HASH_DURATION).record(elapsed.as_secs_f64());
}

/// The outcome of one delivery attempt: `sent`, `retry` or `failed`.
pub fn mail_attempt(kind: &str, result: &'static str) {
    metrics::counter!(MAIL_SENT, "kind" => kind.to_owned(), "result" => result).increment(1);
}

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
    let response = next.run(request).await;
    let route = match response.extensions().get::<Route>() {
        Some(Route(route)) => route.clone(),
        None if assets => "/pkg/*".to_owned(),
        None => "unmatched".to_owned(),
    };
    let status = response.status().as_u16().to_string();
    metrics::histogram!(HTTP_DURATION, "route" => route.clone()).record(started.elapsed().as_secs_f64());
    metrics::counter!(HTTP_REQUESTS, "route" => route, "status" => status).increment(1);
    response
}

/// `GET /metrics`: 404 unless `METRICS_TOKEN` is set; then 401 without `Authorization: Bearer
/// <METRICS_TOKEN>`, else the Prometheus text format. The outbox gauges are read from the database
/// at each scrape, so every server reports the shared queue.
pub async fn endpoint(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(token) = &state.settings.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !constant_time_eq(given.as_bytes(), token.expose().as_bytes()) {
        let mut response = StatusCode::UNAUTHORIZED.into_response();
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    match outbox::stats(&state.pool).await {
        Ok(stats) => {
            metrics::gauge!(OUTBOX_PENDING).set(stats.pending as f64);
            metrics::gauge!(OUTBOX_FAILED).set(stats.failed as f64);
            let oldest = stats.oldest_pending.map_or(0, |created| (now() - created).max(0));
            metrics::gauge!(OUTBOX_OLDEST).set(oldest as f64);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: could not read the outbox; its gauges keep their last values"),
    }
    let body = handle().render();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
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
