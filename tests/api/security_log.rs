//! The security log: one row per security event, with time, address and device, newest first,
//! each account seeing only its own.

use crate::helpers::{PASSWORD, TestApp, TestAppBuilder, spawn_app, token_in};
use madblog::{
    domain::SecurityEventKind,
    server::{
        db::event_writer::EventWriter,
        db::security_events::{self, EventRow},
        identity::Device,
        services::security,
    },
};
use serde_json::{Value, json};
use std::{collections::HashMap, time::Duration};
use tokio_util::sync::CancellationToken;

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
    let long_ago = madblog::server::clock::now() - 91 * 86_400;
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

/// The account's id.
async fn user_id(app: &TestApp, username: &str) -> String {
    sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn rows_of(app: &TestApp, user_id: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM security_events WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

fn device(ip: &str) -> Device {
    Device::new(ip.parse().unwrap(), Some(FIREFOX))
}

/// Queues `events` on a batching writer of their own and stops it, which writes them: in one
/// batch, since the writer only runs once this test waits for it.
async fn write_together(app: &TestApp, events: &[(&str, SecurityEventKind, Device)]) {
    let stop = CancellationToken::new();
    let (writer, task) = EventWriter::spawn(app.state.pool.clone(), stop.clone());
    for (user_id, kind, device) in events {
        writer.soon(security::event_row(user_id, *kind, device)).await;
    }
    stop.cancel();
    task.await.unwrap();
}

/// Waits, if need be, until the clock is not in the last minute of an hour: failed logins fold
/// per clock hour, and a test's failures should fall in one.
async fn clear_of_the_hours_end() {
    let into_hour = madblog::server::clock::now() % 3600;
    if into_hour >= 3540 {
        tokio::time::sleep(Duration::from_secs((3601 - into_hour) as u64)).await;
    }
}

/// The failed-login rows of `log` by address: (count, at, last_at).
fn failures_by_network(log: &[Value]) -> HashMap<String, (i64, String, String)> {
    log.iter()
        .filter(|e| e["kind"] == "login_failed")
        .map(|e| {
            let (at, last_at) = (e["at"].as_str().unwrap().to_owned(), e["last_at"].as_str().unwrap().to_owned());
            (e["ip"].as_str().unwrap().to_owned(), (e["count"].as_i64().unwrap(), at, last_at))
        })
        .collect()
}

#[tokio::test]
async fn an_event_for_an_account_deleted_meanwhile_does_not_lose_the_others_in_its_batch() {
    let app = spawn_app().await;
    app.registered_user("kept").await;
    app.registered_user("gone").await;
    let (kept, gone) = (user_id(&app, "kept").await, user_id(&app, "gone").await);
    let before = rows_of(&app, &kept).await;
    sqlx::query("DELETE FROM users WHERE id = $1").bind(&gone).execute(&app.state.pool).await.unwrap();

    // The deleted account's event sits between the others, in one insert.
    write_together(
        &app,
        &[
            (&kept, SecurityEventKind::LoginFailed, device("203.0.113.7")),
            (&gone, SecurityEventKind::LoginFailed, device("203.0.113.7")),
            (&kept, SecurityEventKind::Logout, device("203.0.113.7")),
        ],
    )
    .await;

    assert_eq!(rows_of(&app, &kept).await, before + 2, "the live account's events are written");
    assert_eq!(rows_of(&app, &gone).await, 0, "and nothing for the deleted one");
}

#[tokio::test]
async fn failed_logins_written_together_fold_into_one_row_per_network_and_hour() {
    let app = spawn_app().await;
    let token = app.registered_user("fold").await;
    let id = user_id(&app, "fold").await;
    clear_of_the_hours_end().await;

    // One batch holding several failures for each fold (PostgreSQL refuses an upsert that meets
    // one row twice in a statement), then a second batch that adds to a row already there.
    let failed = |ip: &str| (id.as_str(), SecurityEventKind::LoginFailed, device(ip));
    write_together(
        &app,
        &[
            failed("203.0.113.7"),
            failed("2001:db8:1:2::a"),
            failed("203.0.113.7"),
            failed("2001:db8:1:2:ffff::1"),
            failed("203.0.113.7"),
            failed("2001:db8:1:3::1"),
        ],
    )
    .await;
    write_together(&app, &[failed("203.0.113.7"), failed("203.0.113.7")]).await;

    let log = events(&app, &token).await;
    let failures = failures_by_network(&log);
    let counts: HashMap<&str, i64> = failures.iter().map(|(ip, (n, _, _))| (ip.as_str(), *n)).collect();
    assert_eq!(
        counts,
        HashMap::from([("203.0.113.7", 5), ("2001:db8:1:2::/64", 2), ("2001:db8:1:3::/64", 1)]),
        "one row per network (an IPv6 client is its /64): {log:?}"
    );
    assert!(failures.values().all(|(_, at, last_at)| last_at >= at));
    let login = log.iter().find(|e| e["kind"] == "login").unwrap();
    assert_eq!((&login["count"], &login["last_at"]), (&json!(1), &login["at"]), "other events stand for one");
}

#[tokio::test]
async fn failed_logins_from_one_network_show_as_one_row_with_their_count_and_last_time() {
    let app = TestAppBuilder::default().var("TRUSTED_PROXIES", "127.0.0.1").spawn().await;
    let token = app.registered_user("flood").await;
    clear_of_the_hours_end().await;

    let fail_from = |client: &'static str| {
        let request = app.client.post(app.url("/api/tokens")).basic_auth("flood", Some("not the password"));
        request.header("X-Forwarded-For", client).send()
    };
    for client in ["203.0.113.7", "203.0.113.7", "2001:db8:1:2::a", "203.0.113.7", "2001:db8:1:2::b"] {
        assert_eq!(fail_from(client).await.unwrap().status(), 401);
    }

    // Written after each answer: wait until all five are in.
    let mut log = events(&app, &token).await;
    for _ in 0..100 {
        let counted: i64 = failures_by_network(&log).values().map(|(n, _, _)| n).sum();
        if counted >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        log = events(&app, &token).await;
    }
    assert_eq!(kinds(&log), ["login_failed", "login_failed", "login"], "two rows for five failures: {log:?}");
    let failures = failures_by_network(&log);
    assert_eq!(failures["203.0.113.7"].0, 3);
    assert_eq!(failures["2001:db8:1:2::/64"].0, 2);

    // The page's server function answers the same rows.
    let r = app.client.post(app.url("/api/fn/security-events")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let from_function: Vec<Value> = r.json().await.unwrap();
    assert_eq!(from_function, log);
}

fn row(user_id: &str, fold: Option<&str>) -> EventRow {
    let at = madblog::server::clock::now();
    EventRow {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_owned(),
        kind: "login_failed".into(),
        at,
        ip: "203.0.113.7".into(),
        user_agent: "curl".into(),
        count: 1,
        last_at: at,
        fold: fold.map(str::to_owned),
    }
}

#[tokio::test]
async fn one_insert_writes_a_batch_that_meets_a_fold_several_times_or_names_a_deleted_account() {
    // The writer falls back to one insert per event when a batch is refused; this is the batch
    // itself, which must not be.
    let app = spawn_app().await;
    app.registered_user("one").await;
    app.registered_user("two").await;
    let (one, two) = (user_id(&app, "one").await, user_id(&app, "two").await);
    sqlx::query("DELETE FROM users WHERE id = $1").bind(&two).execute(&app.state.pool).await.unwrap();
    let before = rows_of(&app, &one).await;

    let batch = [row(&one, Some("k")), row(&two, Some("k")), row(&one, None), row(&one, Some("k"))];
    security_events::insert_many(&app.state.pool, &batch).await.expect("one statement takes the whole batch");

    assert_eq!(rows_of(&app, &one).await, before + 2, "the fold's two events are one row");
    let folded: i64 = sqlx::query_scalar("SELECT count FROM security_events WHERE user_id = $1 AND fold = 'k'")
        .bind(&one)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(folded, 2);
}

#[tokio::test]
async fn a_row_written_without_a_count_reads_as_one_event_at_its_own_time() {
    // As a server of the version before the fold writes it, during a rolling upgrade.
    let app = spawn_app().await;
    let token = app.registered_user("old").await;
    sqlx::query(
        "INSERT INTO security_events (id, user_id, kind, at, ip, user_agent) \
         VALUES ($1, $2, 'login_failed', $3, '198.51.100.1', 'curl')",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(user_id(&app, "old").await)
    .bind(madblog::server::clock::now() + 1)
    .execute(&app.state.pool)
    .await
    .unwrap();

    let log = events(&app, &token).await;
    assert_eq!(kinds(&log), ["login_failed", "login"]);
    assert_eq!((&log[0]["count"], &log[0]["last_at"]), (&json!(1), &log[0]["at"]));
}
