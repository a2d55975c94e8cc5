//! Correcting a mistyped address before confirming it: the unconfirmed account moves to the new
//! address at once, with its password; the new address gets a fresh link and code, and every
//! link and code mailed before dies; a taken address answers the same and changes nothing.

use crate::{
    codes::code_in,
    helpers::{PASSWORD, TestApp, error_body, link_in, spawn_app, token_in},
};
use serde_json::{Value, json};
use std::time::Duration;

const CONFIRM_SUBJECT: &str = "[Madblog] Confirm Your Account";
const TAKEN_SUBJECT: &str = "[Madblog] Someone tried to use your address";
const CORRECTED: &str =
    "We've sent a new confirmation email to the address you gave. Links and codes from earlier emails no longer work.";

async fn correct(app: &TestApp, session: &str, password: &str, new_email: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/change-email"))
        .bearer_auth(session)
        .json(&json!({ "password": password, "new_email": new_email }))
        .send()
        .await
        .unwrap()
}

async fn me(app: &TestApp, session: &str) -> Value {
    let r = app.me(session).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn confirm_code(app: &TestApp, session: &str, code: &str) -> reqwest::Response {
    let r = app.client.post(app.url("/api/confirm-code")).bearer_auth(session).json(&json!({ "code": code }));
    r.send().await.unwrap()
}

/// The `n`th (from 1) confirmation mail to `to`.
async fn confirmation(app: &TestApp, to: &str, n: usize) -> Value {
    let mails = app.smtp.wait_for_mails_to(to, n, Duration::from_secs(20)).await;
    let mail = mails[n - 1].clone();
    assert_eq!(mail["subject"], CONFIRM_SUBJECT);
    mail
}

#[tokio::test]
async fn a_mistyped_address_is_corrected_and_only_the_new_confirmation_confirms_the_account() {
    let app = spawn_app().await;
    assert_eq!(app.register("tina", "tina@exmaple.com", PASSWORD).await.status(), 201);
    let session = app.token("tina", PASSWORD).await;
    let typo_mail = confirmation(&app, "tina@exmaple.com", 1).await;

    let body = error_body(correct(&app, &session, "wrong password", "tina@example.com").await, 400).await;
    assert_eq!(body["message"]["password"], "The password is wrong.");
    let body = error_body(correct(&app, &session, PASSWORD, "TINA@exmaple.com").await, 400).await;
    assert_eq!(body["message"]["new_email"], "That is already your address.");
    assert_eq!(me(&app, &session).await["email"], "tina@exmaple.com");

    let r = correct(&app, &session, PASSWORD, "tina@example.com").await;
    assert_eq!(r.status(), 202);
    assert_eq!(r.json::<Value>().await.unwrap()["message"], CORRECTED);
    let profile = me(&app, &session).await;
    assert_eq!((profile["email"].as_str(), profile["confirmed"].as_bool()), (Some("tina@example.com"), Some(false)));
    let fresh = confirmation(&app, "tina@example.com", 1).await;

    // The mistyped address's link and code are dead, and the session still works.
    let old = app.confirm(&session, &token_in(&link_in(&typo_mail))).await;
    assert_eq!(error_body(old, 400).await["message"], "The confirmation link is invalid or has expired.");
    let old_code = error_body(confirm_code(&app, &session, &code_in(&typo_mail)).await, 400).await;
    assert!(old_code["message"]["code"].is_string(), "{old_code}");
    // The old address, never proven, gets nothing more: no revert link, no notice.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.smtp.mails().iter().filter(|m| m["rcpt_tos"][0] == "tina@exmaple.com").count(), 1);

    let r = app.confirm(&session, &token_in(&link_in(&fresh))).await;
    assert_eq!(r.status(), 200);
    let confirmed = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let profile = me(&app, &confirmed).await;
    assert_eq!((profile["email"].as_str(), profile["confirmed"].as_bool()), (Some("tina@example.com"), Some(true)));
    // Once confirmed, the same request is a confirmed account's change: a link, no switch.
    let r = correct(&app, &confirmed, PASSWORD, "tina@example.net").await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["message"],
        "We've sent a message to the new address. Follow the link in it to finish the change; until then your account keeps its current address."
    );
    assert_eq!(me(&app, &confirmed).await["email"], "tina@example.com");
}

#[tokio::test]
async fn a_link_mailed_before_a_correction_stays_dead_when_the_address_comes_back() {
    let app = spawn_app().await;
    let session = app.registered_user("uma").await;
    let first = confirmation(&app, "uma@example.com", 1).await;
    assert_eq!(correct(&app, &session, PASSWORD, "uma@example.org").await.status(), 202);
    assert_eq!(correct(&app, &session, PASSWORD, "uma@example.com").await.status(), 202);
    let latest = confirmation(&app, "uma@example.com", 2).await;
    let first_code = code_in(&first);
    assert_ne!(first_code, code_in(&latest));

    let r = app.confirm(&session, &token_in(&link_in(&first))).await;
    assert_eq!(error_body(r, 400).await["message"], "The confirmation link is invalid or has expired.");
    assert_eq!(confirm_code(&app, &session, &first_code).await.status(), 400);
    let r = confirm_code(&app, &session, &code_in(&latest)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(me(&app, &session).await["confirmed"], true);
}

#[tokio::test]
async fn a_taken_address_answers_the_same_changes_nothing_and_tells_its_owner() {
    let app = spawn_app().await;
    app.confirmed_user("vera").await;
    let session = app.registered_user("walt").await;
    confirmation(&app, "walt@example.com", 1).await;

    let free = correct(&app, &app.registered_user("xena").await, PASSWORD, "xena@example.org").await;
    let taken = correct(&app, &session, PASSWORD, "VERA@example.com").await;
    assert_eq!((free.status(), taken.status()), (reqwest::StatusCode::ACCEPTED, reqwest::StatusCode::ACCEPTED));
    assert_eq!(free.json::<Value>().await.unwrap(), taken.json::<Value>().await.unwrap());

    assert_eq!(me(&app, &session).await["email"], "walt@example.com");
    let notice = app.smtp.wait_for_subject("vera@example.com", TAKEN_SUBJECT).await;
    assert!(notice["text"].as_str().unwrap().contains("vera"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let to_vera: Vec<_> = app.smtp.mails().into_iter().filter(|m| m["rcpt_tos"][0] == "vera@example.com").collect();
    assert!(to_vera.iter().all(|m| m["subject"] != CONFIRM_SUBJECT || m["text"].as_str().unwrap().contains("vera")));
    // walt's own confirmation still works: nothing of his changed.
    let walt = confirmation(&app, "walt@example.com", 1).await;
    assert_eq!(app.confirm(&session, &token_in(&link_in(&walt))).await.status(), 200);
}

#[tokio::test]
async fn corrections_spend_the_accounts_changes_and_the_new_addresss_registrations() {
    let app = spawn_app().await;
    // The address's 3 attempts an hour are shared with registration.
    for name in ["yan", "yan2", "yan3"] {
        assert_eq!(app.register(name, "popular@example.com", PASSWORD).await.status(), 201);
    }
    let session = app.registered_user("zed").await;
    let r = correct(&app, &session, PASSWORD, "popular@example.com").await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(me(&app, &session).await["email"], "zed@example.com");

    // Five changes of one account an hour.
    for n in 1..=5 {
        assert_eq!(correct(&app, &session, PASSWORD, &format!("zed{n}@example.com")).await.status(), 202, "{n}");
    }
    let body = error_body(correct(&app, &session, PASSWORD, "zed6@example.com").await, 429).await;
    assert!(body["message"].as_str().unwrap().starts_with("Too many address changes"), "{body}");
    assert_eq!(me(&app, &session).await["email"], "zed5@example.com");
}

#[tokio::test]
async fn the_server_function_corrects_an_unconfirmed_address_too() {
    let app = spawn_app().await;
    let session = app.registered_user("abe").await;
    let r = app
        .client
        .post(app.url("/api/fn/change-email"))
        .bearer_auth(&session)
        .form(&[("password", PASSWORD), ("new_email", "abe@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    assert_eq!(me(&app, &session).await["email"], "abe@example.org");
    confirmation(&app, "abe@example.org", 1).await;
}
