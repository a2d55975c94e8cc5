//! `GET /metrics`: off by default, behind its bearer token, and counting what operators ask about.

use crate::helpers::{PASSWORD, TestAppBuilder, spawn_app};
use std::time::Duration;

const TOKEN: &str = "a-metrics-token-for-tests";

#[tokio::test]
async fn metrics_are_off_unless_a_token_is_set() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/metrics")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn metrics_answer_only_to_the_token() {
    let app = TestAppBuilder::default().var("METRICS_TOKEN", TOKEN).spawn().await;
    let none = app.client.get(app.url("/metrics")).send().await.unwrap();
    let wrong = app.client.get(app.url("/metrics")).bearer_auth("a-metrics-token-for-testz").send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(wrong.status(), 401);
    let right = app.client.get(app.url("/metrics")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(right.status(), 200);
    assert!(right.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
}

#[tokio::test]
async fn after_a_registration_burst_the_metrics_show_requests_hashes_and_mail() {
    let app = TestAppBuilder::default().var("METRICS_TOKEN", TOKEN).spawn().await;
    for i in 0..5 {
        assert_eq!(
            app.register(&format!("metric{i}"), &format!("metric{i}@example.com"), PASSWORD).await.status(),
            201
        );
    }
    app.smtp.wait_for_mails_to("metric4@example.com", 1, Duration::from_secs(20)).await;
    app.client.get(app.url("/no/such/thing/at/all")).send().await.unwrap();

    let text = app.client.get(app.url("/metrics")).bearer_auth(TOKEN).send().await.unwrap().text().await.unwrap();

    for expected in [
        r#"madblog_http_requests_total{route="/api/users",status="201"}"#,
        r#"madblog_http_request_duration_seconds_bucket{route="/api/users",le="0.1"}"#,
        "madblog_password_hash_seconds_bucket",
        r#"madblog_mail_sent_total{kind="confirm",result="sent"}"#,
        "madblog_outbox_pending ",
        "madblog_outbox_oldest_pending_seconds ",
        "madblog_outbox_failed ",
        r#"route="unmatched",status="404""#,
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
    assert!(!text.contains("/no/such/thing"), "raw paths never become labels");
}
