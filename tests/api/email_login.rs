//! Sign-in by email (issue 22 items 1-3): the mail grants nothing by itself. The session goes only
//! to the browser that asked (it holds the flow's secret, which is never mailed), with the mailed
//! code, or after another device approved with the mailed code and the number the asking page
//! shows.

use crate::{
    codes::{code_in, wrong},
    helpers::{PASSWORD, TestApp, TestAppBuilder, error_body, link_in, spawn_app},
};
use serde_json::{Value, json};
use std::time::Duration;

const SUBJECT: &str = "[Madblog] Your sign-in code";

/// `POST /api/email-login` for `email`: the answer, which must be a 200.
async fn ask(app: &TestApp, email: &str) -> Value {
    let response = app.post_json("/api/email-login", &json!({ "email": email })).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The `count`th sign-in mail to `email` (1 = the first), once it has come.
async fn sign_in_mail(app: &TestApp, email: &str, count: usize) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mails: Vec<Value> =
            app.smtp.mails().into_iter().filter(|m| m["rcpt_tos"][0] == email && m["subject"] == SUBJECT).collect();
        if mails.len() >= count {
            return mails[count - 1].clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no sign-in mail #{count} to {email}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A confirmed account `name` that asked to sign in: the ask's answer, and the mail's handle and
/// code (digits only).
async fn asked(app: &TestApp, name: &str) -> (Value, String, String) {
    let email = format!("{name}@example.com");
    if !has_user(app, name).await {
        app.confirmed_user(name).await;
    }
    let count =
        app.smtp.mails().iter().filter(|m| m["rcpt_tos"][0] == email.as_str() && m["subject"] == SUBJECT).count();
    let started = ask(app, &email).await;
    let mail = sign_in_mail(app, &email, count + 1).await;
    let (handle, code) = link_parts(&link_in(&mail));
    (started, handle, code)
}

async fn has_user(app: &TestApp, name: &str) -> bool {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username = $1")
        .bind(name)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    n > 0
}

/// The handle and code of a sign-in link (`…/login/email#f=<handle>&code=<code>`).
fn link_parts(link: &str) -> (String, String) {
    let (page, fragment) = link.split_once('#').expect("a fragment");
    assert!(page.ends_with("/login/email"), "{link}");
    let mut parts = fragment.split('&');
    let handle = parts.next().unwrap().strip_prefix("f=").expect("f=").to_owned();
    let code = parts.next().unwrap().strip_prefix("code=").expect("code=").to_owned();
    (handle, code)
}

async fn verify(app: &TestApp, flow: &Value, code: &str) -> reqwest::Response {
    app.post_json("/api/email-login/verify", &json!({ "flow": flow, "code": code })).await
}

async fn poll(app: &TestApp, flow: &Value) -> reqwest::Response {
    app.post_json("/api/email-login/poll", &json!({ "flow": flow })).await
}

async fn approve(app: &TestApp, handle: &str, code: &str, number: Option<&str>) -> reqwest::Response {
    let mut body = json!({ "handle": handle, "code": code });
    if let Some(number) = number {
        body["number"] = json!(number);
    }
    app.post_json("/api/email-login/approve", &body).await
}

/// A number other than `number`.
fn other(number: &Value) -> String {
    let n: u32 = number.as_str().unwrap().parse().unwrap();
    format!("{:04}", (n + 1) % 10_000)
}

/// A code other than `code` (eight digits).
async fn flow_row(app: &TestApp, handle: &str) -> (i64, String, i64) {
    sqlx::query_as("SELECT tries, state, by_number FROM email_logins WHERE handle = $1")
        .bind(handle)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn signed_in(app: &TestApp, response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let token = body["token"].as_str().expect("a session token").to_owned();
    let me = app.me(&token).await;
    assert_eq!(me.status(), 200, "the session works");
    token
}

#[tokio::test]
async fn known_and_unknown_addresses_get_the_same_answer() {
    let app = spawn_app().await;
    app.confirmed_user("ann").await;
    let known = ask(&app, "ann@example.com").await;
    let unknown = ask(&app, "nobody@example.com").await;
    // The same fields, the same lengths, the same words. The time is the same too: both write the
    // same row after the same limits and hashes, and the account is looked up after the answer
    // (bench/http_throughput.py's enumeration figures measure it; a timed assertion here would only
    // measure this machine's load).
    let shape = |v: &Value| {
        let mut keys: Vec<(String, usize)> =
            v.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().map_or(0, str::len))).collect();
        keys.sort();
        keys
    };
    assert_eq!(shape(&known), shape(&unknown));
    assert_eq!(known["message"], unknown["message"]);
    assert_eq!(known["flow"].as_str().unwrap().len(), 43, "256 bits, base64url");
    assert!(known["number"].as_str().unwrap().bytes().all(|b| b.is_ascii_digit()));
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM email_logins").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(rows, 2, "a flow for the unknown address too");
    sign_in_mail(&app, "ann@example.com", 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.smtp.mails().iter().all(|m| m["rcpt_tos"][0] != "nobody@example.com"));
    // A code typed for the unknown address is as wrong as a wrong one for the known.
    let a = error_body(verify(&app, &unknown["flow"], "12345678").await, 400).await;
    let b = error_body(verify(&app, &known["flow"], "12345678").await, 400).await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn the_mail_carries_a_code_and_a_link_with_the_handle_but_never_the_flows_secret() {
    let app = spawn_app().await;
    let (started, handle, code) = asked(&app, "bea").await;
    let mail = sign_in_mail(&app, "bea@example.com", 1).await;
    assert_eq!(handle, started["handle"].as_str().unwrap());
    assert_eq!(code_in(&mail).replace(' ', ""), code);
    assert!(link_in(&mail).starts_with("http://madblog.test:3000/login/email#f="));
    let flow = started["flow"].as_str().unwrap();
    for part in ["text", "html"] {
        assert!(!mail[part].as_str().unwrap().contains(flow), "the mail's {part} carries the flow's secret");
    }
}

#[tokio::test]
async fn the_code_signs_in_the_browser_that_asked_once() {
    let app = spawn_app().await;
    let (started, _, code) = asked(&app, "cal").await;
    assert_eq!(poll(&app, &started["flow"]).await.status(), 202);
    signed_in(&app, verify(&app, &started["flow"], &code).await).await;
    let body = error_body(verify(&app, &started["flow"], &code).await, 400).await;
    assert!(body["message"].as_str().unwrap().starts_with("This sign-in has ended"), "{body}");
    let done: Value = poll(&app, &started["flow"]).await.json().await.unwrap();
    assert_eq!(done["state"], "done", "another tab polling learns it is done");
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM security_events WHERE kind = 'login'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert!(events >= 2, "the sign-in is in the security log, as a login");
    assert_eq!(app.login("cal", PASSWORD).await.status(), 200, "a confirmed account keeps its password");
}

#[tokio::test]
async fn signing_in_by_email_confirms_an_unconfirmed_account_dropping_its_password_and_sessions() {
    let app = spawn_app().await;
    // Someone registered the owner's address first, with a password of their own, and waits for
    // the owner to confirm it (pre-hijacking).
    let squatter = app.registered_user("mia").await;
    let started = ask(&app, "mia@example.com").await;
    let (_, code) = link_parts(&link_in(&sign_in_mail(&app, "mia@example.com", 1).await));
    let token = signed_in(&app, verify(&app, &started["flow"], &code).await).await;
    let me: Value = app.me(&token).await.json().await.unwrap();
    assert_eq!(me["confirmed"], true, "signing in by email proved the address");
    assert_eq!(me["has_password"], false, "the pages offer to set a password");
    assert_eq!(app.me(&squatter).await.status(), 401, "every other session ended");
    assert_eq!(app.login("mia", PASSWORD).await.status(), 401, "the password was dropped");
    let confirmed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM security_events WHERE kind = 'confirmed'")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(confirmed, 1);
    // The owner goes on signing in by email, and may set a password of their own with a reset.
    let again = ask(&app, "mia@example.com").await;
    let (_, code) = link_parts(&link_in(&sign_in_mail(&app, "mia@example.com", 2).await));
    signed_in(&app, verify(&app, &again["flow"], &code).await).await;
    let asked = app.post_json("/api/reset-password-request", &json!({ "email": "mia@example.com" })).await;
    assert_eq!(asked.status(), 200);
    let reset = app.smtp.wait_for_subject("mia@example.com", "[Madblog] Reset Your Password").await;
    let body = json!({ "email": "mia@example.com", "code": code_in(&reset), "password": "the owner's own passphrase" });
    assert_eq!(app.post_json("/api/reset-password-code", &body).await.status(), 200);
    assert_eq!(app.login("mia", "the owner's own passphrase").await.status(), 200);
}

#[tokio::test]
async fn a_bad_code_spends_no_try_and_five_wrong_codes_end_the_flow() {
    let app = spawn_app().await;
    let (started, handle, code) = asked(&app, "dee").await;
    let body = error_body(verify(&app, &started["flow"], "12ab").await, 400).await;
    assert_eq!(body["message"]["code"], "Please enter the 8 digits of the code from the email.");
    assert_eq!(flow_row(&app, &handle).await.0, 0);
    for _ in 0..4 {
        let body = error_body(verify(&app, &started["flow"], &wrong(&code)).await, 400).await;
        assert_eq!(body["message"]["code"], "That code is wrong. Check the newest email and try again.");
    }
    let body = error_body(verify(&app, &started["flow"], &wrong(&code)).await, 400).await;
    assert!(body["message"].as_str().unwrap().starts_with("This sign-in has ended"), "{body}");
    error_body(verify(&app, &started["flow"], &code).await, 400).await;
    error_body(approve(&app, &handle, &code, Some(started["number"].as_str().unwrap())).await, 400).await;
    assert_eq!(flow_row(&app, &handle).await.0, 5);
}

#[tokio::test]
async fn an_expired_flow_signs_nobody_in() {
    let app = spawn_app().await;
    let (started, handle, code) = asked(&app, "eve").await;
    sqlx::query("UPDATE email_logins SET expires_at = 0").execute(&app.state.pool).await.unwrap();
    error_body(verify(&app, &started["flow"], &code).await, 400).await;
    error_body(poll(&app, &started["flow"]).await, 400).await;
    error_body(approve(&app, &handle, &code, Some(started["number"].as_str().unwrap())).await, 400).await;
    let describe = app.post_json("/api/email-login/describe", &json!({ "handle": handle })).await;
    error_body(describe, 400).await;
}

#[tokio::test]
async fn approving_without_a_number_changes_nothing() {
    let app = spawn_app().await;
    let (started, handle, code) = asked(&app, "fay").await;
    for number in [None, Some(""), Some("  ")] {
        let body = error_body(approve(&app, &handle, &code, number).await, 400).await;
        assert_eq!(body["message"]["number"], "Please type the number shown on the device where you asked to sign in.");
    }
    assert_eq!(flow_row(&app, &handle).await, (0, "pending".into(), 1), "no try spent, still approvable");
    assert_eq!(poll(&app, &started["flow"]).await.status(), 202);
    signed_in(&app, verify(&app, &started["flow"], &code).await).await;
}

#[tokio::test]
async fn approving_from_another_device_signs_in_the_asking_browser_once() {
    let app = spawn_app().await;
    let (started, handle, code) = asked(&app, "gus").await;
    let question = app.post_json("/api/email-login/describe", &json!({ "handle": handle })).await;
    assert_eq!(question.status(), 200);
    let question: Value = question.json().await.unwrap();
    assert_eq!(question["network"], "127.0.0.0/24");
    assert_eq!(question["by_number"], true);
    assert!(question["asked_at"].as_str().unwrap().ends_with('Z'));

    let approved = approve(&app, &handle, &code, started["number"].as_str()).await;
    assert_eq!(approved.status(), 200);
    let approved: Value = approved.json().await.unwrap();
    assert!(approved.get("token").is_none(), "the approving device gets no session: {approved}");

    let first: Value = poll(&app, &started["flow"]).await.json().await.unwrap();
    assert_eq!(first["state"], "signed_in");
    assert_eq!(app.me(first["token"].as_str().unwrap()).await.status(), 200);
    let second = poll(&app, &started["flow"]).await;
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    assert_eq!(second, json!({ "state": "done" }), "the session is handed out once");
    error_body(verify(&app, &started["flow"], &code).await, 400).await;
    error_body(approve(&app, &handle, &code, started["number"].as_str()).await, 400).await;
}

#[tokio::test]
async fn a_wrong_number_ends_approval_by_number_but_the_browser_that_asked_can_still_finish() {
    let app = spawn_app().await;
    let (started, handle, code) = asked(&app, "hal").await;
    let body = error_body(approve(&app, &handle, &code, Some(&other(&started["number"]))).await, 400).await;
    assert!(body["message"]["number"].as_str().unwrap().starts_with("That number is wrong"), "{body}");
    // The right number now approves nothing.
    error_body(approve(&app, &handle, &code, started["number"].as_str()).await, 400).await;
    let pending = poll(&app, &started["flow"]).await;
    assert_eq!(pending.status(), 202);
    assert_eq!(pending.json::<Value>().await.unwrap(), json!({ "state": "pending", "by_number": false }));
    signed_in(&app, verify(&app, &started["flow"], &code).await).await;
}

#[tokio::test]
async fn a_wrong_code_on_the_approving_page_counts_no_strike_against_the_address() {
    let app = spawn_app().await;
    let (started, handle, code) = asked(&app, "ida").await;
    let body = error_body(approve(&app, &handle, &wrong(&code), Some(&other(&started["number"]))).await, 400).await;
    assert_eq!(body["message"]["code"], "That code is wrong. Check the newest email and try again.");
    assert_eq!(flow_row(&app, &handle).await, (1, "pending".into(), 1), "a try spent, the number untouched");
    assert_eq!(approve(&app, &handle, &code, started["number"].as_str()).await.status(), 200);
}

#[tokio::test]
async fn three_wrong_numbers_in_a_day_turn_approval_by_number_off_for_the_address() {
    let app = spawn_app().await;
    for _ in 0..3 {
        let (started, handle, code) = asked(&app, "joy").await;
        error_body(approve(&app, &handle, &code, Some(&other(&started["number"]))).await, 400).await;
    }
    let (started, handle, code) = asked(&app, "joy").await;
    let question: Value =
        app.post_json("/api/email-login/describe", &json!({ "handle": handle })).await.json().await.unwrap();
    assert_eq!(question["by_number"], false);
    let body = error_body(approve(&app, &handle, &code, started["number"].as_str()).await, 400).await;
    assert!(body["message"].as_str().unwrap().contains("off for this address for a day"), "{body}");
    assert_eq!(flow_row(&app, &handle).await, (0, "pending".into(), 1), "refused before any try");
    // The browser that asked still signs in with the code.
    signed_in(&app, verify(&app, &started["flow"], &code).await).await;

    // A day after the third wrong number, approval by number is back.
    sqlx::query("UPDATE email_logins SET wrong_number_at = wrong_number_at - 86401 WHERE wrong_number_at IS NOT NULL")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let (started, handle, code) = asked(&app, "joy").await;
    assert_eq!(approve(&app, &handle, &code, started["number"].as_str()).await.status(), 200);
}

#[tokio::test]
async fn a_second_flow_for_the_address_does_not_replace_the_first_flows_code() {
    let app = spawn_app().await;
    let (first, _, first_code) = asked(&app, "kim").await;
    let (second, _, second_code) = asked(&app, "kim").await;
    assert_ne!(first["flow"], second["flow"]);
    // Each code is its own flow's: the second doesn't open the first, nor the first the second.
    error_body(verify(&app, &first["flow"], &second_code).await, 400).await;
    signed_in(&app, verify(&app, &first["flow"], &first_code).await).await;
    signed_in(&app, verify(&app, &second["flow"], &second_code).await).await;
}

#[tokio::test]
async fn asks_are_limited_per_address_and_per_network_with_retry_after() {
    let app = spawn_app().await;
    for _ in 0..5 {
        ask(&app, "lee@example.com").await;
    }
    let refused = app.post_json("/api/email-login", &json!({ "email": "LEE@example.com" })).await;
    assert!(refused.headers().get("retry-after").is_some());
    let body = error_body(refused, 429).await;
    assert!(body["message"].as_str().unwrap().starts_with("Too many sign-in codes"), "{body}");
    ask(&app, "other@example.com").await;

    let app = TestAppBuilder::default().var("RESET_REQUESTS_PER_IP", "3").spawn().await;
    for i in 0..3 {
        ask(&app, &format!("n{i}@example.com")).await;
    }
    let refused = app.post_json("/api/email-login", &json!({ "email": "n9@example.com" })).await;
    assert!(refused.headers().get("retry-after").is_some());
    error_body(refused, 429).await;
}

#[tokio::test]
async fn lookups_by_handle_are_limited_per_network() {
    let app = spawn_app().await;
    let mut statuses = Vec::new();
    for i in 0..31 {
        let response = app.post_json("/api/email-login/describe", &json!({ "handle": format!("no-such-{i}") })).await;
        statuses.push(response.status().as_u16());
    }
    assert!(statuses[..30].iter().all(|s| *s == 400), "{statuses:?}");
    assert_eq!(statuses[30], 429);
}

#[tokio::test]
async fn malformed_asks_are_refused_clearly() {
    let app = spawn_app().await;
    let body = error_body(app.post_json("/api/email-login", &json!({ "email": "not an address" })).await, 400).await;
    assert!(body["message"]["email"].is_string(), "{body}");
    let body = error_body(app.post_json("/api/email-login", &json!({ "email": "a@b.org", "x": 1 })).await, 400).await;
    assert!(body["message"].is_string());
    error_body(poll(&app, &json!("not-a-flow")).await, 400).await;
    // A GET changes nothing: there is none.
    let get = app.client.get(app.url("/api/email-login/approve?handle=h&code=12345678&number=0000")).send().await;
    assert_eq!(get.unwrap().status(), 405);
}
