//! Bounce reports and complaints fed back, through `madblog mail bounce` (a mail server's pipe)
//! and `POST /hooks/mail-events` (a hosted relay's webhook): only a report whose return path tag
//! verifies changes anything. The reports are the fuzz corpus's hand-written samples
//! (`fuzz/corpus/report/`), re-addressed to a real mail of the test app.

use crate::helpers::{PASSWORD, TestApp, TestAppBuilder};
use serde_json::{Value, json};
use std::{process::Stdio, time::Duration};
use tokio::io::AsyncWriteExt;

const BOUNCE_ADDRESS: &str = "bounce@madblog.test";
const EVENTS_TOKEN: &str = "a-mail-events-token-for-tests";
/// The tag and recipient the samples were written with.
const SAMPLE_TAG: &str = "bounce+0b6f8a5258f44d5ea7c26a1f0e0e9d01.4c1d0e2b8a33f0c59e7d1a62@madblog.test";

async fn app() -> TestApp {
    TestAppBuilder::default()
        .var("MAIL_BOUNCE_ADDRESS", BOUNCE_ADDRESS)
        .var("MAIL_EVENTS_TOKEN", EVENTS_TOKEN)
        .spawn()
        .await
}

/// Registers `name` at `<name>@example.com` and returns the return path its confirmation went with.
async fn mailed(app: &TestApp, name: &str) -> String {
    let address = format!("{name}@example.com");
    assert_eq!(app.register(name, &address, PASSWORD).await.status(), 201);
    let mail = app.smtp.wait_for_mail_to(&address).await;
    mail["mail_from"].as_str().unwrap().to_owned()
}

/// A sample report, about the mail with return path `tag` to `recipient`.
fn sample(name: &str, sample_recipient: &str, tag: &str, recipient: &str) -> Vec<u8> {
    let path = format!("{}/fuzz/corpus/report/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap().replace(SAMPLE_TAG, tag).replace(sample_recipient, recipient).into_bytes()
}

/// `madblog mail bounce` on the app's database, the report on stdin: (exit code, its verdict).
async fn pipe(app: &TestApp, report: &[u8]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_madblog"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("DATA_DIR", dir.path())
        .env("SECRET_KEY", app.state.settings.secret_key.expose())
        .env("DATABASE_URL", app.state.settings.database.url.expose())
        .env("MAIL_BOUNCE_ADDRESS", BOUNCE_ADDRESS)
        .args(["mail", "bounce"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(report).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    // The verdict is the last line; the log lines before it go to the mail server's log.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let said = stdout.lines().last().unwrap_or_default().to_owned();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), said)
}

async fn outcome(app: &TestApp, recipient: &str) -> (Option<String>, bool) {
    let (outcome, sent_at): (Option<String>, Option<i64>) =
        sqlx::query_as("SELECT outcome, sent_at FROM outbox WHERE recipient = $1 ORDER BY created_at LIMIT 1")
            .bind(recipient)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    (outcome, sent_at.is_some())
}

async fn undeliverable(app: &TestApp, name: &str) -> bool {
    let token = app.token(name, PASSWORD).await;
    let me: Value = app.me(&token).await.json().await.unwrap();
    me["email_undeliverable"].as_bool().unwrap()
}

async fn suppressions(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM suppressions").fetch_one(&app.state.pool).await.unwrap()
}

#[tokio::test]
async fn a_late_bounce_fed_to_the_pipe_marks_the_mail_and_suppresses_the_address() {
    let app = app().await;
    let tag = mailed(&app, "kim").await;
    let report = sample("postfix-user-unknown.eml", "nobody@example.net", &tag, "kim@example.com");
    let (code, said) = pipe(&app, &report).await;
    assert_eq!((code, said.trim()), (0, "bounced"));
    assert_eq!(outcome(&app, "kim@example.com").await, (Some("bounced".into()), true), "it left, then bounced");
    assert!(undeliverable(&app, "kim").await);

    // The next mail there is not attempted.
    app.post_json("/api/reset-password-request", &json!({ "email": "kim@example.com" })).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE recipient = $1 AND outcome = 'suppressed'")
            .bind("kim@example.com")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
        if n == 1 || tokio::time::Instant::now() > deadline {
            assert_eq!(n, 1, "the reset link was suppressed");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.smtp.rcpt_attempts("kim@example.com"), 1);
}

#[tokio::test]
async fn a_report_whose_tag_does_not_verify_changes_nothing() {
    let app = app().await;
    let tag = mailed(&app, "lee").await;
    // The same mail's id with another MAC: a forger who knows an id, not the key.
    let (head, mac) = tag.split_once('@').unwrap().0.rsplit_once('.').unwrap();
    let flipped = if mac.ends_with('0') { "1" } else { "0" };
    let forged = format!("{head}.{}{flipped}@madblog.test", &mac[..mac.len() - 1]);
    for report in [
        sample("postfix-user-unknown.eml", "nobody@example.net", &forged, "lee@example.com"),
        sample("postfix-user-unknown.eml", "nobody@example.net", "lee@example.com", "lee@example.com"),
    ] {
        let (code, said) = pipe(&app, &report).await;
        assert_eq!((code, said.trim()), (0, "unverified"));
    }
    let (code, said) = pipe(&app, b"From: a@b.c\r\nSubject: hello\r\n\r\nnot a report\r\n").await;
    assert_eq!((code, said.trim()), (0, "not_a_report"));
    assert_eq!(outcome(&app, "lee@example.com").await, (None, true));
    assert!(!undeliverable(&app, "lee").await);
    assert_eq!(suppressions(&app).await, 0);
}

#[tokio::test]
async fn a_policy_bounce_fails_the_mail_and_suppresses_nothing() {
    let app = app().await;
    let tag = mailed(&app, "mia").await;
    let report = sample("postfix-policy-blocked.eml", "reader@example.org", &tag, "mia@example.com");
    let (code, said) = pipe(&app, &report).await;
    assert_eq!((code, said.trim()), (0, "failed"));
    assert_eq!(outcome(&app, "mia@example.com").await, (Some("failed".into()), true));
    assert!(!undeliverable(&app, "mia").await);
    assert_eq!(suppressions(&app).await, 0);
    // A delay warning is nothing to act on.
    let delayed = sample("postfix-delayed.eml", "slow@example.org", &tag, "mia@example.com");
    assert_eq!(pipe(&app, &delayed).await.1.trim(), "not_final");
}

#[tokio::test]
async fn a_relay_posts_a_complaint_to_the_hook() {
    let app = app().await;
    let tag = mailed(&app, "noa").await;
    let report = sample("arf-abuse.eml", "someone@example.com", &tag, "noa@example.com");
    let post = |token: Option<&str>, body: Vec<u8>| {
        let mut request = app.client.post(app.url("/hooks/mail-events")).header("Content-Type", "message/rfc822");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.body(body).send()
    };
    for token in [None, Some("not-the-token-at-all")] {
        let response = post(token, report.clone()).await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    assert_eq!(suppressions(&app).await, 0, "nothing without the token");
    let response = post(Some(EVENTS_TOKEN), vec![b'x'; 1024 * 1024 + 1]).await.unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("1 MiB"), "{body}");

    let response = post(Some(EVENTS_TOKEN), report).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({ "verdict": "complaint" }));
    let reason: String =
        sqlx::query_scalar("SELECT reason FROM suppressions").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(reason, "complaint");
    assert!(!undeliverable(&app, "noa").await, "a complaint is no bounce: the address works");
}

#[tokio::test]
async fn without_a_token_the_hook_is_not_there() {
    let app = crate::helpers::spawn_app().await;
    let response = app.client.post(app.url("/hooks/mail-events")).body("x").send().await.unwrap();
    assert_eq!(response.status(), 404);
}
