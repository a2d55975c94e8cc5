//! Setting a password on an account that has none (issue 22 §4): the forms that ask for the
//! password say so, and the account sets one with a code mailed to its address, typed in its own
//! session. The code is worth nothing without that session, dies after five wrong tries, with the
//! password or the lock it was mailed for, and once used.

use crate::{
    codes::{code_in, wrong},
    helpers::{PASSWORD, TestApp, error_body, spawn_app},
    security_log::{events, kinds},
};
use madblog::server::auth::password::lock_marker;
use serde_json::{Value, json};

const CODE_SUBJECT: &str = "[Madblog] Your code to set a password";
const NO_PASSWORD: &str =
    "This account has no password yet: it signs in by email. Set a password first, with a code we email you.";
const NEW_PASSWORD: &str = "a password of my very own";

/// Locks the account's password with a fresh marker, as a sign-in by email that confirms it, a
/// revert or "this wasn't me" does (each is tested where it happens); its sessions stay.
async fn drop_password(app: &TestApp, name: &str) {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
        .bind(lock_marker())
        .bind(name)
        .execute(&app.state.pool)
        .await
        .unwrap();
}

async fn post(app: &TestApp, path: &str, session: &str, body: &Value) -> reqwest::Response {
    app.client.post(app.url(path)).bearer_auth(session).json(body).send().await.unwrap()
}

async fn ask_code(app: &TestApp, session: &str) -> reqwest::Response {
    post(app, "/api/set-password/code", session, &json!({})).await
}

async fn set(app: &TestApp, session: &str, code: &str, password: &str) -> reqwest::Response {
    post(app, "/api/set-password", session, &json!({ "code": code, "password": password })).await
}

fn codes_to(app: &TestApp, email: &str) -> Vec<Value> {
    app.smtp.mails().into_iter().filter(|m| m["rcpt_tos"][0] == email && m["subject"] == CODE_SUBJECT).collect()
}

/// Asks for a code in `session` and returns it, once mailed.
async fn mailed_code(app: &TestApp, session: &str, email: &str) -> String {
    assert_eq!(ask_code(app, session).await.status(), 200);
    code_in(&app.smtp.wait_for_subject(email, CODE_SUBJECT).await)
}

async fn has_password(app: &TestApp, session: &str) -> bool {
    let me: Value = app.me(session).await.json().await.unwrap();
    me["has_password"].as_bool().expect("the profile says whether there is a password")
}

#[tokio::test]
async fn an_account_without_a_password_is_told_so_by_every_form_that_asks_for_one() {
    let app = spawn_app().await;
    let session = app.confirmed_user("ana").await;
    assert!(has_password(&app, &session).await);
    drop_password(&app, "ana").await;
    assert!(!has_password(&app, &session).await);

    let body = json!({ "old_password": PASSWORD, "new_password": NEW_PASSWORD });
    let r = post(&app, "/api/update-password", &session, &body).await;
    assert_eq!(error_body(r, 400).await["message"], NO_PASSWORD);
    let body = json!({ "password": PASSWORD, "new_email": "ana2@example.com" });
    let r = post(&app, "/api/change-email", &session, &body).await;
    assert_eq!(error_body(r, 400).await["message"]["password"], NO_PASSWORD);
    let r = app.client.delete(app.url("/api/users/me")).bearer_auth(&session).json(&json!({ "password": PASSWORD }));
    assert_eq!(error_body(r.send().await.unwrap(), 400).await["message"]["password"], NO_PASSWORD);
    assert_eq!(app.count_users().await, 1, "nothing was deleted");
}

#[tokio::test]
async fn a_mailed_code_typed_in_the_accounts_session_sets_the_password_and_ends_the_other_sessions() {
    let app = spawn_app().await;
    let session = app.confirmed_user("boa").await;
    let other = app.token("boa", PASSWORD).await;
    drop_password(&app, "boa").await;

    let code = mailed_code(&app, &session, "boa@example.com").await;
    let mail = &codes_to(&app, "boa@example.com")[0];
    let text = mail["text"].as_str().unwrap();
    assert!(!text.contains("http"), "the mail carries the code and no link: {text}");

    let r = set(&app, &session, &code, NEW_PASSWORD).await;
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["message"], "Your password is set. Every other device has been logged out.");
    let renewed = answer["token"].as_str().unwrap();
    assert_eq!(app.me(renewed).await.status(), 200, "this session goes on");
    assert_eq!(app.me(&other).await.status(), 401, "every other session ended");
    assert!(has_password(&app, renewed).await);
    assert_eq!(app.login("boa", NEW_PASSWORD).await.status(), 200);
    assert_eq!(app.login("boa", PASSWORD).await.status(), 401);
    assert!(kinds(&events(&app, renewed).await).contains(&"password_set"));
    let notice = app.smtp.wait_for_subject("boa@example.com", "[Madblog] Your password was changed").await;
    assert!(notice["text"].as_str().unwrap().contains("has a password now"), "{notice}");

    // Used: the account has a password now, so the code (and any other) sets nothing.
    let r = set(&app, renewed, &code, "yet another passphrase").await;
    assert_eq!(
        error_body(r, 400).await["message"],
        "This account already has a password: change it by typing the current one."
    );
    assert_eq!(app.login("boa", NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn the_code_is_worth_nothing_without_the_session_of_its_account() {
    let app = spawn_app().await;
    let session = app.confirmed_user("cyd").await;
    let stranger = app.confirmed_user("deena").await;
    drop_password(&app, "cyd").await;
    drop_password(&app, "deena").await;
    let code = mailed_code(&app, &session, "cyd@example.com").await;

    let anonymous = app.post_json("/api/set-password", &json!({ "code": code, "password": NEW_PASSWORD })).await;
    assert_eq!(anonymous.status(), 401);
    let r = set(&app, &stranger, &code, NEW_PASSWORD).await;
    assert_eq!(
        error_body(r, 400).await["message"]["code"],
        "This code can't be used any more: it has expired or was tried too many times. Ask for a new email."
    );
    assert_eq!(app.login("deena", NEW_PASSWORD).await.status(), 401);
    assert_eq!(set(&app, &session, &code, NEW_PASSWORD).await.status(), 200, "the owner's code still works");
}

#[tokio::test]
async fn five_wrong_codes_end_it_and_malformed_input_spends_no_try() {
    let app = spawn_app().await;
    let session = app.confirmed_user("eli").await;
    drop_password(&app, "eli").await;
    let code = mailed_code(&app, &session, "eli@example.com").await;

    let r = set(&app, &session, "12", NEW_PASSWORD).await;
    assert_eq!(error_body(r, 400).await["message"]["code"], "Please enter the 8 digits of the code from the email.");
    let r = set(&app, &session, &code, "short").await;
    assert!(error_body(r, 400).await["message"]["password"].is_string());
    for _ in 0..4 {
        let r = set(&app, &session, &wrong(&code), NEW_PASSWORD).await;
        assert_eq!(
            error_body(r, 400).await["message"]["code"],
            "That code is wrong. Check the newest email and try again."
        );
    }
    // The malformed tries spent nothing: the right code still works after four wrong ones.
    assert_eq!(set(&app, &session, &code, NEW_PASSWORD).await.status(), 200);

    let app = spawn_app().await;
    let session = app.confirmed_user("fay").await;
    drop_password(&app, "fay").await;
    let code = mailed_code(&app, &session, "fay@example.com").await;
    for _ in 0..5 {
        assert_eq!(set(&app, &session, &wrong(&code), NEW_PASSWORD).await.status(), 400);
    }
    let r = set(&app, &session, &code, NEW_PASSWORD).await;
    assert!(
        error_body(r, 400).await["message"]["code"].as_str().unwrap().starts_with("This code can't be used any more")
    );
    assert_eq!(app.login("fay", NEW_PASSWORD).await.status(), 401);
}

#[tokio::test]
async fn codes_come_at_most_once_a_minute_and_die_when_the_account_is_locked_again() {
    let app = spawn_app().await;
    let session = app.confirmed_user("gus").await;
    drop_password(&app, "gus").await;
    let code = mailed_code(&app, &session, "gus@example.com").await;
    // A second request within the minute is refused, and keeps the code of the mail before it.
    let too_soon = ask_code(&app, &session).await;
    assert_eq!(too_soon.status(), 429);
    let wait: u64 = too_soon.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(codes_to(&app, "gus@example.com").len(), 1);

    drop_password(&app, "gus").await;
    let r = set(&app, &session, &code, NEW_PASSWORD).await;
    assert!(error_body(r, 400).await["message"]["code"].is_string(), "a code mailed before another lock is dead");
    assert_eq!(app.login("gus", NEW_PASSWORD).await.status(), 401);
}

#[tokio::test]
async fn an_account_with_a_password_gets_no_code() {
    let app = spawn_app().await;
    let session = app.confirmed_user("hal").await;
    let r = ask_code(&app, &session).await;
    assert_eq!(
        error_body(r, 400).await["message"],
        "This account already has a password: change it by typing the current one."
    );
    let r = set(&app, &session, "1234 5678", NEW_PASSWORD).await;
    assert_eq!(r.status(), 400);
    assert!(codes_to(&app, "hal@example.com").is_empty());
    assert_eq!(app.login("hal", PASSWORD).await.status(), 200);
    let unconfirmed = app.registered_user("ivy").await;
    assert_eq!(ask_code(&app, &unconfirmed).await.status(), 403, "an unconfirmed session confirms first");
}
