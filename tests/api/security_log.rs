//! The security log: one row per security event, with time, address and device, newest first,
//! each account seeing only its own.

use crate::helpers::{PASSWORD, TestApp, spawn_app, token_in};
use serde_json::{Value, json};
use std::time::Duration;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

pub async fn events(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.client.get(app.url("/api/security-events")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Vec<Value>>().await.unwrap()
}

pub fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

/// Waits until the log holds `n` events (a failed login is written after its answer).
async fn events_when(app: &TestApp, token: &str, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let got = events(app, token).await;
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    events(app, token).await
}

#[tokio::test]
async fn registration_login_and_confirmation_are_logged_newest_first_with_address_and_device() {
    let app = spawn_app().await;
    let first = app.registered_user("ann").await;
    let link = app.confirmation_token("ann@example.com").await;
    let r = app.confirm(&first, &link).await;
    assert_eq!(r.status(), 200);
    let r = app.client.post(app.url("/api/tokens")).basic_auth("ann", Some(PASSWORD)).header("User-Agent", FIREFOX);
    let token = r.send().await.unwrap().json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();

    // The confirmation's row comes through the batching writer, a moment after the answer.
    let log = events_when(&app, &token, 3).await;
    assert_eq!(kinds(&log), ["login", "confirmed", "login"]);
    assert_eq!(log[0]["user_agent"], "Firefox on Linux");
    assert_eq!(log[0]["ip"], "127.0.0.1");
    assert!(log[0]["at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn a_wrong_password_is_logged_on_the_named_account_and_nowhere_for_unknown_names() {
    let app = spawn_app().await;
    let token = app.confirmed_user("bob").await;
    assert_eq!(app.login("bob@example.com", "not the password").await.status(), 401);
    assert_eq!(app.login("nobody", "not the password").await.status(), 401);

    let log = events_when(&app, &token, 4).await;
    assert_eq!(kinds(&log), ["login_failed", "confirmed", "login"]);
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM security_events").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(total, 3, "nothing is written for a name without an account");
}

#[tokio::test]
async fn password_changes_resets_logouts_and_revocations_are_logged() {
    let app = spawn_app().await;
    let token = app.confirmed_user("cat").await;
    let other = app.token("cat", PASSWORD).await;
    let third = app.token("cat", PASSWORD).await;

    let sid = |t: &str| {
        use base64::Engine;
        let payload = t.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims["sid"].as_str().unwrap().to_owned()
    };
    let r = app.client.delete(app.url(&format!("/api/sessions/{}", sid(&other)))).bearer_auth(&token).send().await;
    assert_eq!(r.unwrap().status(), 204);
    let r = app.client.delete(app.url("/api/tokens")).bearer_auth(&third).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let r = app
        .client
        .post(app.url("/api/update-password"))
        .bearer_auth(&token)
        .json(&json!({ "old_password": PASSWORD, "new_password": "another sturdy passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let r = app.client.post(app.url("/api/sessions/revoke-others")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["ended"], 0, "nothing to end: nothing logged");

    assert_eq!(
        app.post_json("/api/reset-password-request", &json!({ "email": "cat@example.com" })).await.status(),
        200
    );
    let mail = app.smtp.wait_for_mails_to("cat@example.com", 3, Duration::from_secs(10)).await;
    let link = mail.iter().find(|m| m["subject"] == "[Madblog] Reset Your Password").expect("a reset mail");
    let reset = token_in(&crate::helpers::link_in(link));
    let r = app.post_json(&format!("/api/reset-password/{reset}"), &json!({ "password": "a third passphrase!" })).await;
    assert_eq!(r.status(), 200);
    let token = app.token("cat", "a third passphrase!").await;
    let r = app.client.post(app.url("/api/logout-all")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);

    let token = app.token("cat", "a third passphrase!").await;
    assert_eq!(
        kinds(&events(&app, &token).await),
        [
            "login",
            "logout_everywhere",
            "login",
            "password_reset",
            "password_changed",
            "logout",
            "session_revoked",
            "login",
            "login",
            "confirmed",
            "login"
        ]
    );
}

#[tokio::test]
async fn each_account_sees_only_its_own_log_and_strangers_see_none() {
    let app = spawn_app().await;
    let ann = app.confirmed_user("dan").await;
    let eve = app.confirmed_user("eve").await;
    assert_eq!(app.login("dan", "wrong password!").await.status(), 401);
    events_when(&app, &ann, 3).await;

    assert_eq!(kinds(&events(&app, &eve).await), ["confirmed", "login"]);
    let r = app.client.get(app.url("/api/security-events")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn unconfirmed_accounts_see_their_log_and_events_older_than_90_days_are_not_shown() {
    let app = spawn_app().await;
    let token = app.registered_user("fay").await;
    let user_id: String =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'fay'").fetch_one(&app.state.pool).await.unwrap();
    let long_ago = madblog::server::auth::tokens::now() - 91 * 86_400;
    sqlx::query(
        "INSERT INTO security_events (id, user_id, kind, at, ip, user_agent) VALUES ($1, $2, 'login', $3, '', '')",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&user_id)
    .bind(long_ago)
    .execute(&app.state.pool)
    .await
    .unwrap();

    assert_eq!(kinds(&events(&app, &token).await), ["login"]);
    assert_eq!(madblog::server::services::security::prune(&app.state.pool).await.unwrap(), 1);
}

#[tokio::test]
async fn a_burst_of_confirmations_logs_every_one_through_the_batching_writer() {
    let app = spawn_app().await;
    let mut sessions = Vec::new();
    for i in 0..12 {
        let name = format!("burst{i}");
        let session = app.registered_user(&name).await;
        let link = app.confirmation_token(&format!("{name}@example.com")).await;
        sessions.push((session, link));
    }
    let answers = futures::future::join_all(sessions.iter().map(|(s, l)| app.confirm(s, l))).await;
    assert!(answers.iter().all(|r| r.status() == 200));
    let sql = "SELECT COUNT(*) FROM security_events WHERE kind = 'confirmed'";
    crate::helpers::wait_for_count(&app.state.pool, sql, 12, Duration::from_secs(10), "confirmation events").await;
    assert_eq!(crate::helpers::count(&app.state.pool, sql).await, 12, "one row each, none twice");
}
