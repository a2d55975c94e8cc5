//! Metrics for operators: owns the Prometheus recorder and the one function per thing counted. The
//! `/metrics` endpoint that shows them is the HTTP edge's (`http::metrics`).

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::{sync::OnceLock, time::Duration};

const HTTP_REQUESTS: &str = "madblog_http_requests_total";
const HTTP_DURATION: &str = "madblog_http_request_duration_seconds";
const HASH_DURATION: &str = "madblog_password_hash_seconds";
const MAIL_SENT: &str = "madblog_mail_sent_total";
const MAIL_RELAY: &str = "madblog_mail_relay_total";
const BOUNCE_REPORTS: &str = "madblog_mail_bounce_reports_total";
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

/// Folds the histograms' raw samples into their buckets every `every`, until `stop` fires. A
/// histogram keeps every value recorded, 8 bytes each, until something folds them: a scrape of
/// `/metrics`, or this. Without it, a server nobody scrapes kept every request's duration
/// (measured: about 3 MiB of live heap more after each round of the mixed load,
/// `bench/results.md`).
pub fn spawn_upkeep(every: Duration, stop: tokio_util::sync::CancellationToken) -> tokio::task::JoinHandle<()> {
    crate::server::clock::spawn_every(every, stop, || {
        handle().run_upkeep();
        std::future::ready(())
    })
}

fn describe() {
    metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by route and status");
    metrics::describe_histogram!(HTTP_DURATION, metrics::Unit::Seconds, "Time to answer an HTTP request");
    metrics::describe_histogram!(HASH_DURATION, metrics::Unit::Seconds, "Time of one argon2id hash or verification");
    metrics::describe_counter!(
        MAIL_SENT,
        "Delivery attempts by mail kind and result (sent, retry, failed, bounced, failed_policy, suppressed)"
    );
    metrics::describe_counter!(MAIL_RELAY, "Mails an SMTP relay took, by relay (primary, fallback)");
    metrics::describe_counter!(BOUNCE_REPORTS, "Bounce reports and complaints fed back, by what came of them");
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

/// The outcome of one delivery attempt: `sent`, `retry`, `failed`, `bounced`, `failed_policy` or
/// `suppressed`.
pub fn mail_attempt(kind: &str, result: &'static str) {
    metrics::counter!(MAIL_SENT, "kind" => kind.to_owned(), "result" => result).increment(1);
}

/// An SMTP relay took a mail: `primary` or `fallback`.
pub fn mail_relay(relay: &'static str) {
    metrics::counter!(MAIL_RELAY, "relay" => relay).increment(1);
}

/// A report fed back (`madblog mail bounce`, `POST /hooks/mail-events`), by its verdict.
pub fn bounce_report(verdict: &'static str) {
    metrics::counter!(BOUNCE_REPORTS, "verdict" => verdict).increment(1);
}

/// One HTTP request answered: `route` (the route it matched, never its raw path), its status, and
/// how long it took.
pub fn http_request(route: String, status: u16, elapsed: Duration) {
    metrics::histogram!(HTTP_DURATION, "route" => route.clone()).record(elapsed.as_secs_f64());
    metrics::counter!(HTTP_REQUESTS, "route" => route, "status" => status.to_string()).increment(1);
}

/// The state of the outbox, as a scrape reads it from the database.
pub fn outbox(pending: i64, failed: i64, oldest_pending_secs: i64) {
    metrics::gauge!(OUTBOX_PENDING).set(pending as f64);
    metrics::gauge!(OUTBOX_FAILED).set(failed as f64);
    metrics::gauge!(OUTBOX_OLDEST).set(oldest_pending_secs as f64);
}

/// Everything counted so far, in the Prometheus text format.
pub fn render() -> String {
    handle().render()
}
