//! Typed codes: every confirmation and reset mail carries an 8-digit code for the same action as
//! its link; the two die together; five wrong tries kill a code, however many connections guess.

use crate::helpers::{PASSWORD, TestApp, error_body, link_in, spawn_app, token_in};
use serde_json::{Value, json};

/// The code in a mail ("1234 5678" on a line of its own).
pub fn code_in(mail: &Value) -> String {
    let text = mail["text"].as_str().unwrap();
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 9 && l.as_bytes()[4] == b' ' && l.replace(' ', "").bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in {text}"));
    line.to_owned()
}

async fn confirm_code(app: &TestApp, session: &str, code: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/confirm-code"))
        .bearer_auth(session)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap()
}

async fn reset_code(app: &TestApp, email: &str, code: &str, password: &str) -> reqwest::Response {
    app.post_json("/api/reset-password-code", &json!({ "email": email, "code": code, "password": password })).await
}

/// A code that differs from `code` in its last digit.
/// The same code with its last digit changed (digits only).
pub fn wrong(code: &str) -> String {
    let mut digits: Vec<u8> = code.replace(' ', "").into_bytes();
    digits[7] = if digits[7] == b'9' { b'0' } else { digits[7] + 1 };
    String::from_utf8(digits).unwrap()
}

async fn reset_mail(app: &TestApp, email: &str) -> Value {
    assert_eq!(app.post_json("/api/reset-password-request", &json!({ "email": email })).await.status(), 200);
    app.smtp.wait_for_subject(email, "[Madblog] Reset Your Password").await
}

#[tokio::test]
async fn the_confirmation_code_confirms_like_the_link_on_a_device_that_never_saw_it() {
    let app = spawn_app().await;
    let first = app.registered_user("ann").await;
    let mail = app.smtp.wait_for_mail_to("ann@example.com").await;
    let code = code_in(&mail);
    // Another device: a new login, no link.
    let phone = app.token("ann", PASSWORD).await;

    let r = confirm_code(&app, &phone, &code).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["message"], "You have confirmed your account. Thanks!");
    let me: Value = app.me(body["token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(me["confirmed"], true);

    let r = app.confirm(&first, &token_in(&link_in(&mail))).await;
    assert_eq!(error_body(r, 400).await["message"], "You have already confirmed your account.");
    let r = confirm_code(&app, &phone, &code).await;
    assert_eq!(error_body(r, 400).await["message"], "You have already confirmed your account.");
}

#[tokio::test]
async fn using_the_confirmation_link_kills_its_code() {
    let app = spawn_app().await;
    let session = app.registered_user("bea").await;
    let mail = app.smtp.wait_for_mail_to("bea@example.com").await;
    assert_eq!(app.confirm(&session, &token_in(&link_in(&mail))).await.status(), 200);
    let body = error_body(confirm_code(&app, &session, &code_in(&mail)).await, 400).await;
    assert_eq!(body["message"], "You have already confirmed your account.");
    let tries: i64 = sqlx::query_scalar("SELECT tries FROM action_codes").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(tries, 0, "not even a try is taken: the code can do nothing any more");
}

#[tokio::test]
async fn a_code_survives_four_wrong_tries_and_dies_on_the_fifth() {
    let app = spawn_app().await;
    let session = app.registered_user("cal").await;
    let code = code_in(&app.smtp.wait_for_mail_to("cal@example.com").await);
    for _ in 0..4 {
        let body = error_body(confirm_code(&app, &session, &wrong(&code)).await, 400).await;
        assert_eq!(body["message"]["code"], "That code is wrong. Check the newest email and try again.");
    }
    assert_eq!(confirm_code(&app, &session, &code).await.status(), 200, "the fifth try is still a try");

    let app = spawn_app().await;
    let session = app.registered_user("cal").await;
    let code = code_in(&app.smtp.wait_for_mail_to("cal@example.com").await);
    for _ in 0..5 {
        assert_eq!(confirm_code(&app, &session, &wrong(&code)).await.status(), 400);
    }
    let body = error_body(confirm_code(&app, &session, &code).await, 400).await;
    assert_eq!(
        body["message"]["code"],
        "This code can't be used any more: it has expired or was tried too many times. Ask for a new email."
    );
}

#[tokio::test]
async fn twenty_connections_guessing_at_once_get_five_tries_between_them() {
    let app = spawn_app().await;
    let session = app.registered_user("dee").await;
    let code = code_in(&app.smtp.wait_for_mail_to("dee@example.com").await);
    // Twenty clients, twenty connections.
    let clients: Vec<reqwest::Client> = (0..20).map(|_| reqwest::Client::new()).collect();
    let guesses = clients.iter().enumerate().map(|(i, client)| {
        let guess = format!("{:08}", (code.replace(' ', "").parse::<u32>().unwrap() + 1 + i as u32) % 100_000_000);
        client.post(app.url("/api/confirm-code")).bearer_auth(&session).json(&json!({ "code": guess })).send()
    });
    let answers = futures::future::join_all(guesses).await;
    let mut wrong = 0;
    for answer in answers {
        let body = error_body(answer.unwrap(), 400).await;
        if body["message"]["code"].as_str().unwrap().starts_with("That code is wrong") {
            wrong += 1;
        }
    }
    assert_eq!(wrong, 5, "only five guesses were compared");
    let tries: i64 = sqlx::query_scalar("SELECT tries FROM action_codes").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(tries, 5);
    assert_eq!(confirm_code(&app, &session, &code).await.status(), 400, "the right code came too late");
}

#[tokio::test]
async fn a_newer_mail_replaces_the_code_and_codes_are_stored_only_as_hashes() {
    let app = spawn_app().await;
    let session = app.registered_user("eli").await;
    let old = code_in(&app.smtp.wait_for_mail_to("eli@example.com").await);
    let stored: String =
        sqlx::query_scalar("SELECT code_hash FROM action_codes").fetch_one(&app.state.pool).await.unwrap();
    assert!(!stored.contains(&old.replace(' ', "")) && stored.len() > 40, "{stored}");

    // A minute on, when another mail may go.
    sqlx::query("UPDATE outbox SET created_at = created_at - 61").execute(&app.state.pool).await.unwrap();
    let r = app.client.post(app.url("/api/resend-confirm")).bearer_auth(&session).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mails = app.smtp.wait_for_mails_to("eli@example.com", 2, std::time::Duration::from_secs(10)).await;
    let new = code_in(&mails[1]);
    assert_ne!(old, new);
    assert_eq!(confirm_code(&app, &session, &old).await.status(), 400);
    assert_eq!(confirm_code(&app, &session, &new).await.status(), 200);
}

#[tokio::test]
async fn a_code_expires_with_its_link_and_a_malformed_one_spends_no_try() {
    let app = spawn_app().await;
    let session = app.registered_user("fin").await;
    let code = code_in(&app.smtp.wait_for_mail_to("fin@example.com").await);
    for typed in ["", "1234567", "abcdefgh", "123456789"] {
        let body = error_body(confirm_code(&app, &session, typed).await, 400).await;
        assert_eq!(body["message"]["code"], "Please enter the 8 digits of the code from the email.");
    }
    let tries: i64 = sqlx::query_scalar("SELECT tries FROM action_codes").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(tries, 0);
    let r = app.client.post(app.url("/api/confirm-code")).bearer_auth(&session).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(app.post_json("/api/confirm-code", &json!({ "code": code })).await.status(), 401);

    sqlx::query("UPDATE action_codes SET expires_at = 0").execute(&app.state.pool).await.unwrap();
    assert_eq!(confirm_code(&app, &session, &code).await.status(), 400);
}

#[tokio::test]
async fn the_reset_code_resets_like_the_link_and_the_link_dies_with_it() {
    let app = spawn_app().await;
    let session = app.confirmed_user("gus").await;
    let mail = reset_mail(&app, "gus@example.com").await;

    let r = reset_code(&app, "GUS@example.com", &code_in(&mail), "a brand new passphrase").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["message"], "Your password has been reset.");
    assert_eq!(app.me(&session).await.status(), 401, "every session ended");
    assert_eq!(app.login("gus", PASSWORD).await.status(), 401);
    assert_eq!(app.login("gus", "a brand new passphrase").await.status(), 200);
    let path = format!("/api/reset-password/{}", token_in(&link_in(&mail)));
    assert_eq!(app.post_json(&path, &json!({ "password": "yet another passphrase" })).await.status(), 400);
    assert_eq!(reset_code(&app, "gus@example.com", &code_in(&mail), "yet another passphrase").await.status(), 400);
    app.smtp.wait_for_subject("gus@example.com", "[Madblog] Your password was changed").await;
}

#[tokio::test]
async fn using_the_reset_link_kills_its_code() {
    let app = spawn_app().await;
    app.confirmed_user("hana").await;
    let mail = reset_mail(&app, "hana@example.com").await;
    let path = format!("/api/reset-password/{}", token_in(&link_in(&mail)));
    assert_eq!(app.post_json(&path, &json!({ "password": "a brand new passphrase" })).await.status(), 200);
    assert_eq!(reset_code(&app, "hana@example.com", &code_in(&mail), "another new passphrase").await.status(), 400);
    assert_eq!(app.login("hana", "a brand new passphrase").await.status(), 200);
}

#[tokio::test]
async fn a_wrong_reset_code_and_an_unknown_address_get_the_same_answer() {
    let app = spawn_app().await;
    app.confirmed_user("ivo").await;
    let code = code_in(&reset_mail(&app, "ivo@example.com").await);

    let known = reset_code(&app, "ivo@example.com", &wrong(&code), "a brand new passphrase").await;
    let unknown = reset_code(&app, "nobody@example.com", &code, "a brand new passphrase").await;
    let (a, b) = (error_body(known, 400).await, error_body(unknown, 400).await);
    assert_eq!(a, b);
    assert_eq!(a["message"]["code"], "That code is wrong, has expired, or was tried too many times.");
    let body = error_body(reset_code(&app, "ivo@example.com", &code, "short").await, 400).await;
    assert!(body["message"]["password"].is_string(), "{body}");
    assert_eq!(reset_code(&app, "ivo@example.com", &code, "a brand new passphrase").await.status(), 200);
}

#[tokio::test]
async fn a_reset_code_mailed_to_the_old_address_resets_nothing_once_the_address_changed() {
    let app = spawn_app().await;
    let session = app.confirmed_user("jay").await;
    let code = code_in(&reset_mail(&app, "jay@example.com").await);
    // The account moves to a new address before the code is used.
    let asked = app
        .client
        .post(app.url("/api/change-email"))
        .bearer_auth(&session)
        .json(&json!({ "password": PASSWORD, "new_email": "jay.new@example.org" }))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 202);
    let mail = app.smtp.wait_for_subject("jay.new@example.org", "[Madblog] Confirm your new email address").await;
    let url = app.url(&format!("/api/confirm-email-change/{}", token_in(&link_in(&mail))));
    assert_eq!(app.client.post(url).bearer_auth(&session).send().await.unwrap().status(), 200);

    let r = reset_code(&app, "jay.new@example.org", &code, "a brand new passphrase").await;

    let body = error_body(r, 400).await;
    assert_eq!(body["message"]["code"], "That code is wrong, has expired, or was tried too many times.");
    assert_eq!(app.login("jay", PASSWORD).await.status(), 200, "the password is as it was");
}
