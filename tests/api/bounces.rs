//! Knowing when a mail can't arrive: the receiving server's answer to RCPT decides between a retry
//! (4xx), a bounce that suppresses the address (5.1.x, 5.2.1, a bare 550) and a refusal of ours
//! that suppresses nothing (5.7.x). Against the tests' real SMTP server, which answers per
//! recipient (`tests/support/smtp_sink.py`).

use crate::helpers::{PASSWORD, TestApp, TestAppBuilder, spawn_app};
use madblog::server::{
    db::outbox::{self, NewMail},
    email::{
        return_path::ReturnPath,
        suppression::{Reason, Suppressions},
    },
};
use serde_json::{Value, json};
use std::time::Duration;

/// An outbox row as these tests read it: `(outcome, attempts, last_error, failed)`.
type Row = (Option<String>, i64, Option<String>, bool);

/// The outbox rows to `recipient`, oldest first, once
/// `done(rows)` says so (or after 15 s, when the caller's assertions say what was missing).
async fn rows_to(app: &TestApp, recipient: &str, done: impl Fn(&[Row]) -> bool) -> Vec<Row> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        type Raw = (Option<String>, i64, Option<String>, Option<i64>);
        let rows: Vec<Raw> = sqlx::query_as(
            "SELECT outcome, attempts, last_error, failed_at FROM outbox WHERE recipient = $1 ORDER BY created_at, id",
        )
        .bind(recipient)
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
        let rows: Vec<_> = rows.into_iter().map(|(o, a, e, f)| (o, a, e, f.is_some())).collect();
        if done(&rows) || tokio::time::Instant::now() > deadline {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn finished(rows: &[Row]) -> bool {
    !rows.is_empty() && rows.iter().all(|(_, _, _, failed)| *failed)
}

async fn me(app: &TestApp, name: &str) -> Value {
    let token = app.token(name, PASSWORD).await;
    app.me(&token).await.json().await.unwrap()
}

async fn reset_request(app: &TestApp, email: &str) -> (u16, Value) {
    let response = app.post_json("/api/reset-password-request", &json!({ "email": email })).await;
    (response.status().as_u16(), response.json().await.unwrap())
}

fn suppressions(app: &TestApp) -> Suppressions {
    Suppressions::new(app.state.settings.secret_key.expose().as_bytes(), Duration::from_secs(3600))
}

#[tokio::test]
async fn a_mailbox_that_does_not_exist_is_tried_once_and_then_never_again() {
    let app = spawn_app().await;
    let address = "bounce.alice@example.com";
    assert_eq!(app.register("alice", address, PASSWORD).await.status(), 201);

    let rows = rows_to(&app, address, finished).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (outcome, attempts, reply, _) = &rows[0];
    assert_eq!((outcome.as_deref(), *attempts), (Some("bounced"), 1), "{rows:?}");
    let reply = reply.as_deref().unwrap();
    assert!(reply.contains("RCPT TO") && reply.contains("550") && reply.contains("5.1.1"), "{reply}");
    assert_eq!(app.smtp.rcpt_attempts(address), 1, "one conversation, never a retry");

    // The account learns of it, with the server's reason.
    let profile = me(&app, "alice").await;
    assert_eq!(profile["email_undeliverable"], true, "{profile}");
    assert!(profile["undeliverable_reason"].as_str().unwrap().contains("User unknown"), "{profile}");

    // A reset link is something the person asks for, yet a bounce stops it too: the mailbox
    // doesn't exist. The answer is the same as for any address.
    let (status, body) = reset_request(&app, address).await;
    let (unknown_status, unknown_body) = reset_request(&app, "nobody.at.all@example.com").await;
    assert_eq!((status, &body), (unknown_status, &unknown_body), "a suppressed address answers like any other");
    let rows = rows_to(&app, address, |rows| rows.len() == 2 && finished(rows)).await;
    // (Both rows may carry the same second: told apart by outcome, not order.)
    let mut outcomes: Vec<_> = rows.iter().map(|r| (r.0.as_deref(), r.1)).collect();
    outcomes.sort();
    assert_eq!(outcomes, [(Some("bounced"), 1), (Some("suppressed"), 1)], "{rows:?}");
    assert_eq!(app.smtp.rcpt_attempts(address), 1, "the reset opened no SMTP conversation");

    // An operator whose user says the mailbox works again lifts it, and the account's flag with it.
    assert!(suppressions(&app).remove(&app.state.pool, address).await.unwrap());
    assert_eq!(me(&app, "alice").await["email_undeliverable"], false);
}

#[tokio::test]
async fn a_bare_550_to_rcpt_is_a_bounce_too() {
    let app = spawn_app().await;
    let address = "bare550.bob@example.com";
    assert_eq!(app.register("bob", address, PASSWORD).await.status(), 201);
    let rows = rows_to(&app, address, finished).await;
    assert_eq!(rows.iter().map(|r| (r.0.as_deref(), r.1)).collect::<Vec<_>>(), [(Some("bounced"), 1)]);
    assert_eq!(me(&app, "bob").await["email_undeliverable"], true);
}

#[tokio::test]
async fn a_policy_refusal_fails_the_mail_once_and_suppresses_nothing() {
    let app = spawn_app().await;
    let address = "policy.carol@example.com";
    assert_eq!(app.register("carol", address, PASSWORD).await.status(), 201);
    let rows = rows_to(&app, address, finished).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].0.as_deref(), rows[0].1), (Some("failed"), 1), "not retried: {rows:?}");
    assert!(rows[0].2.as_deref().unwrap().contains("5.7.1"), "{rows:?}");
    assert_eq!(me(&app, "carol").await["email_undeliverable"], false, "the address is not to blame");

    // Nothing suppressed: the next mail is attempted.
    reset_request(&app, address).await;
    let rows = rows_to(&app, address, |rows| rows.len() == 2 && finished(rows)).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(app.smtp.rcpt_attempts(address), 2);
}

#[tokio::test]
async fn a_greylisted_mail_is_retried() {
    let app = TestAppBuilder::default().var("MAIL_BACKOFF_CAP_SECONDS", "1").spawn().await;
    let address = "greylist.dave@example.com";
    assert_eq!(app.register("dave", address, PASSWORD).await.status(), 201);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while app.smtp.rcpt_attempts(address) < 3 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(app.smtp.rcpt_attempts(address) >= 3, "a 451 is tried again");
    let rows = rows_to(&app, address, |_| true).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].0.as_deref(), rows[0].3), (None, false), "still pending: {rows:?}");
    assert!(rows[0].2.as_deref().unwrap().contains("451"), "{rows:?}");
    assert_eq!(me(&app, "dave").await["email_undeliverable"], false);
}

#[tokio::test]
async fn after_a_complaint_only_the_mail_the_person_asks_for_goes() {
    let app = spawn_app().await;
    let address = "fan@example.com";
    suppressions(&app).add(&app.state.pool, address, Reason::Complaint, "marked as spam").await.unwrap();
    let mut tx = app.state.pool.begin().await.unwrap();
    for (requested, subject) in [(false, "A notice nobody asked for"), (true, "The link you asked for")] {
        let id = uuid::Uuid::new_v4().to_string();
        let mail = NewMail {
            id: &id,
            kind: "test",
            user_id: None,
            recipient: address,
            subject,
            body_text: "Hello",
            body_html: "<p>Hello</p>",
            now: madblog::server::clock::now(),
            requested,
        };
        outbox::insert(&mut *tx, &mail).await.unwrap();
    }
    tx.commit().await.unwrap();
    app.state.mail.wake();

    let got = app.smtp.wait_for_mails_to(address, 1, Duration::from_secs(10)).await;
    assert_eq!(got[0]["subject"], "The link you asked for");
    let rows = rows_to(&app, address, |rows| rows.iter().any(|r| r.0.is_some())).await;
    let outcomes: Vec<_> = rows.iter().map(|r| r.0.as_deref()).collect();
    assert!(outcomes.contains(&Some("suppressed")), "{rows:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.smtp.mails().len(), 1, "the notice never went");
    assert_eq!(app.smtp.rcpt_attempts(address), 1);
}

#[tokio::test]
async fn every_mail_says_it_was_sent_by_a_program() {
    let app = spawn_app().await;
    app.register("erin", "erin@example.com", PASSWORD).await;
    let mail = app.smtp.wait_for_mail_to("erin@example.com").await;
    assert_eq!(mail["auto_submitted"], "auto-generated", "RFC 3834: {mail}");
}

#[tokio::test]
async fn registering_a_suppressed_address_answers_like_any_other() {
    let app = spawn_app().await;
    let address = "bounce.frank@example.com";
    suppressions(&app).add(&app.state.pool, address, Reason::Bounce, "550 5.1.1 no such user").await.unwrap();
    let suppressed = app.register("frank", address, PASSWORD).await;
    let other = app.register("grace", "grace@example.com", PASSWORD).await;
    assert_eq!(suppressed.status(), other.status());
    let (a, b): (Value, Value) = (suppressed.json().await.unwrap(), other.json().await.unwrap());
    let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&a), keys(&b), "{a} / {b}");
    assert_eq!(a["message"], b["message"]);
    // The confirmation mail is not attempted.
    let rows = rows_to(&app, address, finished).await;
    assert_eq!(rows.iter().map(|r| (r.0.as_deref(), r.1)).collect::<Vec<_>>(), [(Some("suppressed"), 1)]);
    assert_eq!(app.smtp.rcpt_attempts(address), 0);
}

#[tokio::test]
async fn with_a_bounce_address_each_mail_carries_a_return_path_that_names_it() {
    let app = TestAppBuilder::default().var("MAIL_BOUNCE_ADDRESS", "bounce@madblog.test").spawn().await;
    app.register("hana", "hana@example.com", PASSWORD).await;
    let mail = app.smtp.wait_for_mail_to("hana@example.com").await;
    let return_path = mail["mail_from"].as_str().unwrap();
    let id: String = sqlx::query_scalar("SELECT id FROM outbox WHERE recipient = 'hana@example.com'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert!(return_path.starts_with(&format!("bounce+{}.", id.replace('-', ""))), "{return_path}");
    assert!(return_path.ends_with("@madblog.test") && return_path.len() <= 64 + "@madblog.test".len());
    let paths = ReturnPath::new("bounce@madblog.test", app.state.settings.secret_key.expose().as_bytes()).unwrap();
    assert_eq!(paths.mail_of(return_path), Some(id), "the tag verifies and names the mail");
    assert!(mail["from"].as_str().unwrap().contains("no-reply@"), "the From header is unchanged: {mail}");
}

#[tokio::test]
async fn without_a_bounce_address_the_return_path_is_the_sender() {
    let app = spawn_app().await;
    app.register("ivan", "ivan@example.com", PASSWORD).await;
    let mail = app.smtp.wait_for_mail_to("ivan@example.com").await;
    let from = mail["from"].as_str().unwrap();
    let sender = from.split('<').nth(1).map_or(from, |s| s.trim_end_matches('>'));
    assert_eq!(mail["mail_from"], sender, "{mail}");
}
