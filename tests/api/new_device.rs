//! The new-device mail and its "this wasn't me" link: a sign-in from a device the account hasn't
//! used in 90 days (its short user agent and its network's /24 or /48) mails the account once a
//! day, never for the first sign-in; the link's page ends every session and locks the password,
//! but only with the account's address typed, and only once. Every client here is what the trusted
//! proxy on 127.0.0.1 reports.

use crate::{
    helpers::{PASSWORD, TestApp, TestAppBuilder, count, error_body, link_in, token_in},
    security_log::{events, kinds},
};
use serde_json::{Value, json};
use std::time::Duration;

const NEW_DEVICE: &str = "[Madblog] New sign-in to your account";
const NEW_DEVICE_ZH: &str = "[Madblog] 你的账户有新的登录";
const RESET: &str = "[Madblog] Reset Your Password";
const FIREFOX_LINUX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME_WINDOWS: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
const QUEUED: &str = "SELECT COUNT(*) FROM outbox WHERE kind = 'new_device'";
const LINK_INVALID: &str = "This link is invalid, has expired, or was already used. If your password has changed since \
                            the email was sent, the link no longer works: log in, or reset your password.";

async fn behind_proxy() -> TestApp {
    TestAppBuilder::default().var("TRUSTED_PROXIES", "127.0.0.1").spawn().await
}

/// Logs `name` in from `client` with `user_agent`; the session token.
async fn login_from(app: &TestApp, name: &str, client: &str, user_agent: &str) -> String {
    let r = app
        .client
        .post(app.url("/api/tokens"))
        .basic_auth(name, Some(PASSWORD))
        .header("X-Forwarded-For", client)
        .header("User-Agent", user_agent)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "logging {name} in from {client}");
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

/// Registers `name` and signs in for the first time, from 198.51.100.20 with Firefox on Linux.
async fn registered(app: &TestApp, name: &str) -> String {
    let r = app.register(name, &format!("{name}@example.com"), PASSWORD).await;
    assert_eq!(r.status(), 201);
    login_from(app, name, "198.51.100.20", FIREFOX_LINUX).await
}

/// [`registered`], then confirmed with the mailed link; a confirmed session token.
async fn confirmed(app: &TestApp, name: &str) -> String {
    let first = registered(app, name).await;
    let link = token_in(&link_in(&app.smtp.wait_for_mail_to(&format!("{name}@example.com")).await));
    let r = app.confirm(&first, &link).await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

/// The new-device mails queued so far (the sign-in queues its mail before it answers).
async fn queued(app: &TestApp) -> i64 {
    count(&app.state.pool, QUEUED).await
}

/// The `n`-th new-device mail to `name`, waited for.
async fn new_device_mail(app: &TestApp, name: &str, subject: &str, n: usize) -> Value {
    let to = format!("{name}@example.com");
    for _ in 0..400 {
        let mails: Vec<Value> = app
            .smtp
            .mails()
            .into_iter()
            .filter(|m| m["rcpt_tos"][0] == to.as_str() && m["subject"] == subject)
            .collect();
        if mails.len() >= n {
            return mails[n - 1].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no new-device mail #{n} to {to}");
}

/// Moves every known device of the app `days` into the past, as if unseen (and unmailed) since.
async fn age_devices(app: &TestApp, days: i64, mailed_too: bool) {
    let sql = if mailed_too {
        "UPDATE known_devices SET last_seen = last_seen - $1, last_mailed = last_mailed - $1"
    } else {
        "UPDATE known_devices SET last_seen = last_seen - $1"
    };
    sqlx::query(sql).bind(days * 86_400).execute(&app.state.pool).await.unwrap();
}

#[tokio::test]
async fn the_first_sign_in_after_registering_mails_nothing() {
    let app = behind_proxy().await;
    registered(&app, "ada").await;
    login_from(&app, "ada", "198.51.100.99", FIREFOX_LINUX).await;

    assert_eq!(queued(&app).await, 0, "the first device, and the same one again, are no news");
    let known = count(&app.state.pool, "SELECT COUNT(*) FROM known_devices").await;
    assert_eq!(known, 1, "one device: same agent, same /24");
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT device_key FROM known_devices").fetch_all(&app.state.pool).await.unwrap();
    assert!(!stored[0].contains("198.51") && !stored[0].contains("Firefox"), "only a keyed hash: {stored:?}");
}

#[tokio::test]
async fn another_user_agent_or_network_mails_the_account_once_with_the_device_and_network() {
    let app = behind_proxy().await;
    confirmed(&app, "bea").await;

    login_from(&app, "bea", "198.51.100.20", CHROME_WINDOWS).await;
    let mail = new_device_mail(&app, "bea", NEW_DEVICE, 1).await;
    let text = &mail["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(text.contains("    Device: Chrome on Windows\n"), "{text}");
    assert!(text.contains("    Network: an address in 198.51.100.0/24\n"), "{text}");
    assert!(text.contains(" UTC\n") && !text.contains("198.51.100.20"), "a time, and no address: {text}");
    assert!(link_in(&mail).starts_with("http://madblog.test:3000/secure-account#token="), "{text}");

    login_from(&app, "bea", "203.0.113.7", FIREFOX_LINUX).await;
    let mail = new_device_mail(&app, "bea", NEW_DEVICE, 2).await;
    assert!(mail["text"].as_str().unwrap().contains("Network: an address in 203.0.113.0/24"), "{mail}");

    // Again, the same day, from both, and from another address of the same /24.
    login_from(&app, "bea", "198.51.100.20", CHROME_WINDOWS).await;
    login_from(&app, "bea", "203.0.113.250", FIREFOX_LINUX).await;
    assert_eq!(queued(&app).await, 2, "a device mails once, and a /24 is one network");
}

#[tokio::test]
async fn an_ipv6_client_is_its_48() {
    let app = behind_proxy().await;
    confirmed(&app, "cai").await;
    login_from(&app, "cai", "2001:db8:1:2::a", FIREFOX_LINUX).await;
    let mail = new_device_mail(&app, "cai", NEW_DEVICE, 1).await;
    assert!(mail["text"].as_str().unwrap().contains("Network: an address in 2001:db8:1::/48"), "{mail}");
    login_from(&app, "cai", "2001:db8:1:ffff::b", FIREFOX_LINUX).await;
    assert_eq!(queued(&app).await, 1, "another /64 of the same /48 is the same network");
}

#[tokio::test]
async fn the_mail_is_in_the_accounts_language() {
    let app = behind_proxy().await;
    let token = confirmed(&app, "dai").await;
    let r = app
        .client
        .put(app.url("/api/users/me/language"))
        .bearer_auth(&token)
        .json(&json!({ "language": "zh-CN" }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());

    login_from(&app, "dai", "203.0.113.7", CHROME_WINDOWS).await;

    let mail = new_device_mail(&app, "dai", NEW_DEVICE_ZH, 1).await;
    let text = &mail["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(text.contains("设备：Windows 上的 Chrome"), "{text}");
    assert!(text.contains("网络：203.0.113.0/24 中的一个地址"), "{text}");
}

#[tokio::test]
async fn a_device_unseen_for_90_days_is_new_again_but_mailed_at_most_once_a_day() {
    let app = behind_proxy().await;
    confirmed(&app, "eve").await;
    login_from(&app, "eve", "203.0.113.7", CHROME_WINDOWS).await;
    assert_eq!(queued(&app).await, 1);

    // Unseen for 91 days, but mailed about today: still no second mail today.
    age_devices(&app, 91, false).await;
    login_from(&app, "eve", "203.0.113.7", CHROME_WINDOWS).await;
    assert_eq!(queued(&app).await, 1, "one mail per device per day");

    // Unseen for 91 days, and mailed 91 days ago: new again.
    age_devices(&app, 91, true).await;
    login_from(&app, "eve", "203.0.113.7", CHROME_WINDOWS).await;
    assert_eq!(queued(&app).await, 2);
    new_device_mail(&app, "eve", NEW_DEVICE, 2).await;

    // Used 89 days ago: still known.
    sqlx::query("UPDATE known_devices SET last_seen = last_seen - $1, last_mailed = last_mailed - $1")
        .bind(89 * 86_400)
        .execute(&app.state.pool)
        .await
        .unwrap();
    login_from(&app, "eve", "203.0.113.7", CHROME_WINDOWS).await;
    assert_eq!(queued(&app).await, 2);
}

#[tokio::test]
async fn an_idle_account_still_hears_of_a_new_device() {
    let app = behind_proxy().await;
    confirmed(&app, "fay").await;
    age_devices(&app, 400, true).await;

    login_from(&app, "fay", "203.0.113.7", CHROME_WINDOWS).await;

    assert_eq!(queued(&app).await, 1, "a year's silence is not a first sign-in");
    let known = count(&app.state.pool, "SELECT COUNT(*) FROM known_devices").await;
    assert_eq!(known, 1, "the device unseen for a year was forgotten when the new one came");
}

#[tokio::test]
async fn two_sign_ins_at_once_from_a_new_device_mail_once() {
    let app = behind_proxy().await;
    confirmed(&app, "gus").await;

    tokio::join!(
        login_from(&app, "gus", "203.0.113.7", CHROME_WINDOWS),
        login_from(&app, "gus", "203.0.113.8", CHROME_WINDOWS),
        login_from(&app, "gus", "203.0.113.9", CHROME_WINDOWS),
    );

    assert_eq!(queued(&app).await, 1);
}

#[tokio::test]
async fn an_unconfirmed_account_gets_at_most_one_new_device_mail_an_hour() {
    let app = behind_proxy().await;
    registered(&app, "hal").await;
    login_from(&app, "hal", "203.0.113.7", CHROME_WINDOWS).await;
    login_from(&app, "hal", "192.0.2.7", CHROME_WINDOWS).await;
    assert_eq!(queued(&app).await, 1, "its address is unproven: the notice budget holds");
}

/// A confirmed account `name` with two sessions, and the token of the secure-account link of the
/// new-device mail about the second.
async fn mailed_about_a_stranger(app: &TestApp, name: &str) -> (String, String, String) {
    let owner = confirmed(app, name).await;
    let stranger = login_from(app, name, "203.0.113.7", CHROME_WINDOWS).await;
    let link = token_in(&link_in(&new_device_mail(app, name, NEW_DEVICE, 1).await));
    (owner, stranger, link)
}

async fn secure(app: &TestApp, link: &str, body: &Value) -> reqwest::Response {
    app.post_json(&format!("/api/secure-account/{link}"), body).await
}

/// What securing would change: the password, the sessions, the mails.
async fn account_state(app: &TestApp) -> (String, i64, i64) {
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(&app.state.pool).await.unwrap();
    let sessions = count(&app.state.pool, "SELECT COUNT(*) FROM sessions").await;
    (hash, sessions, count(&app.state.pool, "SELECT COUNT(*) FROM outbox").await)
}

#[tokio::test]
async fn opening_the_secure_account_link_changes_nothing() {
    let app = behind_proxy().await;
    let (owner, stranger, link) = mailed_about_a_stranger(&app, "ida").await;
    let before = account_state(&app).await;

    let page = app.client.get(app.url("/secure-account")).send().await.unwrap();
    let api_get = app.client.get(app.url(&format!("/api/secure-account/{link}"))).send().await.unwrap();
    let api_head = app.client.head(app.url(&format!("/api/secure-account/{link}"))).send().await.unwrap();

    assert_eq!(page.status(), 200);
    assert_eq!(api_get.status(), 405);
    assert_eq!(api_head.status(), 405);
    assert_eq!(account_state(&app).await, before);
    assert_eq!(app.me(&owner).await.status(), 200);
    assert_eq!(app.me(&stranger).await.status(), 200);
}

#[tokio::test]
async fn a_missing_or_wrong_address_changes_nothing() {
    let app = behind_proxy().await;
    let (owner, stranger, link) = mailed_about_a_stranger(&app, "jon").await;
    let before = account_state(&app).await;
    let blank = "Please type your account's email address: the one this email was sent to.";
    let wrong = "That is not the address this link was sent to.";

    let no_body = app.client.post(app.url(&format!("/api/secure-account/{link}"))).send().await.unwrap();
    let mut answers = vec![(error_body(no_body, 400).await, blank)];
    for (body, expected) in [
        (json!({}), blank),
        (json!({ "email": "" }), blank),
        (json!({ "email": "  " }), blank),
        (json!({ "email": "not an address" }), "Please provide a valid email address."),
        (json!({ "email": "jon@example.org" }), wrong),
        (json!({ "email": "someone@example.com" }), wrong),
    ] {
        answers.push((error_body(secure(&app, &link, &body).await, 400).await, expected));
    }

    for (body, expected) in answers {
        assert_eq!(body["message"]["email"], expected, "{body}");
    }
    assert_eq!(account_state(&app).await, before, "nothing changed, no mail was queued");
    assert_eq!(app.me(&owner).await.status(), 200, "no session ended");
    assert_eq!(app.me(&stranger).await.status(), 200);
    assert_eq!(app.login("jon", PASSWORD).await.status(), 200, "the password still works");
}

#[tokio::test]
async fn the_right_address_ends_every_session_locks_the_password_and_mails_a_reset_once() {
    let app = behind_proxy().await;
    let (owner, stranger, link) = mailed_about_a_stranger(&app, "kai").await;

    // The address as the owner types it: case and spaces make no other inbox.
    let r = secure(&app, &link, &json!({ "email": " KAI@Example.COM " })).await;

    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(app.me(&owner).await.status(), 401);
    assert_eq!(app.me(&stranger).await.status(), 401);
    assert_eq!(app.login("kai", PASSWORD).await.status(), 401, "the password is locked until reset");
    let body = error_body(secure(&app, &link, &json!({ "email": "kai@example.com" })).await, 400).await;
    assert_eq!(body["message"], LINK_INVALID, "the link works once");

    let reset = app.smtp.wait_for_subject("kai@example.com", RESET).await;
    let text = reset["text"].as_str().unwrap();
    assert!(text.contains("/reset-password#token="), "a link: {text}");
    let digits = |s: &str| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
    let code = text.lines().map(str::trim).find(|l| l.split_once(' ').is_some_and(|(a, b)| digits(a) && digits(b)));
    assert!(code.is_some(), "a code: {text}");
    let r = app
        .post_json(
            &format!("/api/reset-password/{}", token_in(&link_in(&reset))),
            &json!({ "password": "mine again!" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let token = app.token("kai", "mine again!").await;
    let log = events(&app, &token).await;
    let log: Vec<_> = kinds(&log).into_iter().filter(|k| *k != "login_failed").collect();
    assert_eq!(log[..3], ["login", "password_reset", "account_secured"], "{log:?}");
    assert_eq!(queued(&app).await, 1, "the owner's sign-in after securing mailed nothing new");
}

#[tokio::test]
async fn a_secure_account_link_dies_with_a_password_change() {
    let app = behind_proxy().await;
    let (owner, _, link) = mailed_about_a_stranger(&app, "lea").await;
    let r = app
        .client
        .post(app.url("/api/update-password"))
        .bearer_auth(&owner)
        .json(&json!({ "old_password": PASSWORD, "new_password": "a brand new passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let body = error_body(secure(&app, &link, &json!({ "email": "lea@example.com" })).await, 400).await;

    assert_eq!(body["message"], LINK_INVALID);
    assert_eq!(app.login("lea", "a brand new passphrase").await.status(), 200, "nothing was locked");
}

#[tokio::test]
async fn two_uses_of_one_secure_account_link_at_once_secure_once() {
    let app = behind_proxy().await;
    let (_, _, link) = mailed_about_a_stranger(&app, "max").await;
    let body = json!({ "email": "max@example.com" });

    let answers = futures::future::join_all((0..4).map(|_| secure(&app, &link, &body))).await;

    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 400), "{statuses:?}");
    let secured = count(&app.state.pool, "SELECT COUNT(*) FROM security_events WHERE kind = 'account_secured'").await;
    assert_eq!(secured, 1);
}

#[tokio::test]
async fn the_server_function_secures_the_account_as_the_rest_endpoint_does() {
    let app = behind_proxy().await;
    let (owner, _, link) = mailed_about_a_stranger(&app, "ned").await;
    let call = |email: &'static str| {
        let form = [("token", link.clone()), ("email", email.to_owned())];
        app.client.post(app.url("/api/fn/secure-account")).form(&form).send()
    };

    assert_eq!(call("someone@example.com").await.unwrap().status(), 400);
    assert_eq!(app.me(&owner).await.status(), 200);
    assert_eq!(call("ned@example.com").await.unwrap().status(), 200);
    assert_eq!(app.me(&owner).await.status(), 401);
}

#[tokio::test]
async fn known_devices_go_with_the_account() {
    let app = behind_proxy().await;
    let token = registered(&app, "oli").await;
    let r = app
        .client
        .delete(app.url("/api/users/me"))
        .bearer_auth(&token)
        .json(&json!({ "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(count(&app.state.pool, "SELECT COUNT(*) FROM known_devices").await, 0);
}
