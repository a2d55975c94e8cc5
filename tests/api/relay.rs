//! The fallback SMTP relay: it takes the very attempt the primary fails (down, a 421 greeting, a
//! refused MAIL FROM), keeps the mail while the breaker is open, and gives it back once a probe
//! finds the primary working; a recipient's own answer (a 451) stays the mail's outcome on the
//! primary. Against two real SMTP servers (`tests/support/smtp_sink.py`).

use crate::helpers::{SmtpSink, TestApp, TestAppBuilder};
use madblog::server::db::outbox::{self, NewMail};
use std::time::Duration;

const TOKEN: &str = "a-metrics-token-for-relay-tests";

/// The app's own SMTP sink (`app.smtp`) is the primary: not started when `primary_down`.
/// `fallback` is the fallback relay; mail goes back to the primary `probe_seconds` after it
/// failed (doubling per failed probe).
async fn app_with_fallback(fallback: &SmtpSink, primary_down: bool, probe_seconds: u64) -> TestApp {
    let builder = with_fallback(TestAppBuilder::default(), fallback, probe_seconds);
    if primary_down { builder.smtp_down() } else { builder }.spawn().await
}

fn with_fallback(builder: TestAppBuilder, fallback: &SmtpSink, probe_seconds: u64) -> TestAppBuilder {
    builder
        .var("MAIL_FALLBACK_SERVER", "127.0.0.1")
        .var("MAIL_FALLBACK_PORT", fallback.port.to_string())
        .var("MAIL_FALLBACK_PROBE_SECONDS", probe_seconds.to_string())
        .var("MAIL_BACKOFF_CAP_SECONDS", "1")
        .var("METRICS_TOKEN", TOKEN)
}

async fn sink(dir: &tempfile::TempDir, name: &str, options: &[&str]) -> SmtpSink {
    SmtpSink::start_with(dir.path().join(name), 0, 0.0, options).await
}

/// Queues one mail to `recipient`, due now, and wakes the worker.
async fn queue(app: &TestApp, recipient: &str) {
    let id = uuid::Uuid::new_v4().to_string();
    let mail = NewMail {
        id: &id,
        kind: "test",
        user_id: None,
        recipient,
        subject: "Through some relay",
        body_text: "Hello",
        body_html: "<p>Hello</p>",
        now: madblog::server::clock::now(),
        requested: false,
    };
    outbox::insert(&app.state.pool, &mail).await.unwrap();
    app.state.mail.wake();
}

/// The mail to `recipient` as the outbox has it: `(sent, attempts, last_error)`.
async fn row(app: &TestApp, recipient: &str) -> (bool, i64, Option<String>) {
    let (sent_at, attempts, last_error): (Option<i64>, i64, Option<String>) =
        sqlx::query_as("SELECT sent_at, attempts, last_error FROM outbox WHERE recipient = $1")
            .bind(recipient)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    (sent_at.is_some(), attempts, last_error)
}

/// [`row`], once the worker has recorded the mail as sent (up to 20 s): a sink has the mail a
/// moment before the worker hears its 250 and counts and records it.
async fn sent_row(app: &TestApp, recipient: &str) -> (bool, i64, Option<String>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let row = row(app, recipient).await;
        if row.0 || tokio::time::Instant::now() > deadline {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `madblog_mail_relay_total{relay}` as `/metrics` shows it. The counters are the test process's,
/// shared by the tests running beside this one: they only grow, so compare with at least.
async fn carried_by(app: &TestApp, relay: &str) -> u64 {
    let text = app.client.get(app.url("/metrics")).bearer_auth(TOKEN).send().await.unwrap().text().await.unwrap();
    let counter = format!("madblog_mail_relay_total{{relay=\"{relay}\"}} ");
    text.lines().find_map(|line| line.strip_prefix(&counter)).map_or(0, |n| n.trim().parse::<f64>().unwrap() as u64)
}

/// Waits (up to 20 s) until `sink` has a mail to `recipient`; whether it came.
async fn arrives(sink: &SmtpSink, recipient: &str) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        if sink.recipients().iter().any(|r| r == recipient) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn relay_fallback_takes_the_very_attempt_while_the_primary_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let fallback = sink(&dir, "fallback", &[]).await;
    let app = app_with_fallback(&fallback, true, 30).await;
    let before = carried_by(&app, "fallback").await;

    queue(&app, "down@example.com").await;

    assert!(arrives(&fallback, "down@example.com").await, "the fallback relay took the mail");
    let (sent, attempts, _) = sent_row(&app, "down@example.com").await;
    assert_eq!((sent, attempts), (true, 1), "sent at the first attempt, not after a retry");
    assert!(carried_by(&app, "fallback").await > before, "the metric counts the fallback");
}

#[tokio::test]
async fn relay_breaker_keeps_mail_on_the_fallback_then_a_probe_gives_it_back_to_the_primary() {
    let dir = tempfile::tempdir().unwrap();
    let fallback = sink(&dir, "fallback", &[]).await;
    let probe = Duration::from_secs(4);
    let mut app = app_with_fallback(&fallback, true, probe.as_secs()).await;

    // Two failures of the primary in a row open the breaker.
    queue(&app, "first@example.com").await;
    assert!(arrives(&fallback, "first@example.com").await);
    queue(&app, "second@example.com").await;
    assert!(arrives(&fallback, "second@example.com").await);
    let opened = tokio::time::Instant::now();

    // The primary is back, but the breaker holds it failing until the window ends.
    app.smtp.start_on(0.0).await;
    if opened.elapsed() < probe - Duration::from_secs(2) {
        queue(&app, "within@example.com").await;
        assert!(arrives(&fallback, "within@example.com").await, "within the window, the fallback");
        assert_eq!(app.smtp.rcpt_attempts("within@example.com"), 0, "the primary was not even asked");
    } else {
        println!("the sink took {:?} to start: the window had passed; skipped its check", opened.elapsed());
    }

    // Then one mail probes the primary, and mail goes through it again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut n = 0;
    while !app.smtp.recipients().iter().any(|r| r.starts_with("probe")) {
        assert!(tokio::time::Instant::now() < deadline, "no mail reached the primary again");
        queue(&app, &format!("probe{n}@example.com")).await;
        n += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for after in ["after1@example.com", "after2@example.com"] {
        queue(&app, after).await;
        assert!(arrives(&app.smtp, after).await, "{after} went through the primary");
    }
    let on_fallback = fallback.recipients();
    assert!(!on_fallback.iter().any(|r| r.starts_with("after")), "once closed, none to the fallback: {on_fallback:?}");
}

#[tokio::test]
async fn relay_a_greylisted_recipient_is_retried_on_the_primary_and_never_trips_the_breaker() {
    let dir = tempfile::tempdir().unwrap();
    let fallback = sink(&dir, "fallback", &[]).await;
    let app = app_with_fallback(&fallback, false, 30).await;
    let address = "greylist.erin@example.com";

    queue(&app, address).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while app.smtp.rcpt_attempts(address) < 3 {
        assert!(tokio::time::Instant::now() < deadline, "a 451 is tried again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    assert_eq!(fallback.rcpt_attempts(address), 0, "a recipient's answer is the mail's, not the relay's");
    let (sent, _, error) = row(&app, address).await;
    let error = error.unwrap();
    assert!(!sent && error.contains("451") && !error.contains("fallback"), "{error}");
    // Three 451s in a row, and the breaker is still closed: the next mail goes to the primary.
    queue(&app, "normal@example.com").await;
    assert!(arrives(&app.smtp, "normal@example.com").await);
    assert!(fallback.mails().is_empty(), "nothing went to the fallback");
}

#[tokio::test]
async fn relay_a_421_greeting_from_the_primary_sends_the_mail_to_the_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let primary = sink(&dir, "primary", &["--greet-421"]).await;
    let fallback = sink(&dir, "fallback", &[]).await;
    let app = with_fallback(TestAppBuilder::default().smtp_down(), &fallback, 30)
        .var("MAIL_PORT", primary.port.to_string())
        .spawn()
        .await;

    queue(&app, "greeted@example.com").await;

    assert!(arrives(&fallback, "greeted@example.com").await, "the fallback relay took the mail");
    assert!(refusals(&primary) >= 1, "the primary was asked first");
    assert_eq!(sent_row(&app, "greeted@example.com").await.1, 1, "in the same attempt");
}

#[tokio::test]
async fn relay_a_refused_mail_from_at_the_primary_sends_the_mail_to_the_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let primary = sink(&dir, "primary", &["--refuse-mail-from"]).await;
    let fallback = sink(&dir, "fallback", &[]).await;
    let app = with_fallback(TestAppBuilder::default().smtp_down(), &fallback, 30)
        .var("MAIL_PORT", primary.port.to_string())
        .spawn()
        .await;

    queue(&app, "sender@example.com").await;

    assert!(arrives(&fallback, "sender@example.com").await, "the fallback relay took the mail");
    assert!(refusals(&primary) >= 1, "the primary refused it first");
    assert_eq!(sent_row(&app, "sender@example.com").await, (true, 1, None));
}

#[tokio::test]
async fn relay_without_a_fallback_a_refused_mail_from_still_fails_the_mail_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let primary = sink(&dir, "primary", &["--refuse-mail-from"]).await;
    let app = TestAppBuilder::default().smtp_down().var("MAIL_PORT", primary.port.to_string()).spawn().await;

    queue(&app, "alone@example.com").await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let outcome = loop {
        let outcome: Option<String> = sqlx::query_scalar("SELECT outcome FROM outbox WHERE recipient = $1")
            .bind("alone@example.com")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
        if outcome.is_some() || tokio::time::Instant::now() > deadline {
            break outcome;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(outcome.as_deref(), Some("failed"), "a policy refusal, as before there were fallbacks");
    let (sent, attempts, error) = row(&app, "alone@example.com").await;
    assert_eq!((sent, attempts), (false, 1));
    assert!(error.unwrap().starts_with("at MAIL FROM: permanent error (553)"), "the reply, as before");
}

#[tokio::test]
async fn relay_with_both_relays_down_the_mail_waits_and_says_why_for_each() {
    let dir = tempfile::tempdir().unwrap();
    let fallback = SmtpSink::not_started(dir.path().join("fallback"), crate::helpers::free_port());
    let app = app_with_fallback(&fallback, true, 30).await;

    queue(&app, "nowhere@example.com").await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let (attempts, error) = loop {
        if let (false, attempts, Some(error)) = row(&app, "nowhere@example.com").await {
            break (attempts, error);
        }
        assert!(tokio::time::Instant::now() < deadline, "the attempt was recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(error.starts_with("fallback relay: could not connect"), "{error}");
    // The first two attempts tried the primary first; from the third, the breaker is open.
    let primary = if attempts <= 2 { "(primary relay: could not connect" } else { "(the primary relay is failing)" };
    assert!(error.contains(primary), "attempt {attempts}: {error}");
}

/// How many times a failing sink (`--greet-421`, `--refuse-mail-from`) refused.
fn refusals(sink: &SmtpSink) -> usize {
    std::fs::read_to_string(sink.dir.join("refused.log")).unwrap_or_default().lines().count()
}
