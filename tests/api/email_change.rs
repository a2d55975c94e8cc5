//! Changing the address: 202 whatever the new address, the link to it moves the account, the old
//! address gets a revert link that works once, for 7 days, and locks a thief out.

use crate::{
    helpers::{PASSWORD, TestApp, error_body, link_in, spawn_app, token_in},
    security_log::{events, kinds},
};
use serde_json::{Value, json};
use std::time::Duration;

const CHANGE_SUBJECT: &str = "[Madblog] Confirm your new email address";
const CHANGED_SUBJECT: &str = "[Madblog] Your email address was changed";
const TAKEN_SUBJECT: &str = "[Madblog] Someone tried to use your address";
const RESET_SUBJECT: &str = "[Madblog] Reset Your Password";

async fn ask(app: &TestApp, token: &str, password: &str, new_email: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/change-email"))
        .bearer_auth(token)
        .json(&json!({ "password": password, "new_email": new_email }))
        .send()
        .await
        .unwrap()
}

async fn confirm(app: &TestApp, token: &str, link_token: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/confirm-email-change/{link_token}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn revert(app: &TestApp, link_token: &str) -> reqwest::Response {
    app.client.post(app.url(&format!("/api/revert-email-change/{link_token}"))).send().await.unwrap()
}

async fn email_of(app: &TestApp, token: &str) -> String {
    app.me(token).await.json::<Value>().await.unwrap()["email"].as_str().unwrap().to_owned()
}

/// Asks for `new_email` and returns the token of the link mailed there.
async fn change_link(app: &TestApp, token: &str, new_email: &str) -> String {
    assert_eq!(ask(app, token, PASSWORD, new_email).await.status(), 202);
    token_in(&link_in(&app.smtp.wait_for_subject(new_email, CHANGE_SUBJECT).await))
}

/// Changes `name`'s address to `new_email`; returns the revert link's token.
async fn changed(app: &TestApp, token: &str, name: &str, new_email: &str) -> String {
    let link = change_link(app, token, new_email).await;
    assert_eq!(confirm(app, token, &link).await.status(), 200);
    token_in(&link_in(&app.smtp.wait_for_subject(&format!("{name}@example.com"), CHANGED_SUBJECT).await))
}

#[tokio::test]
async fn the_address_changes_only_when_the_link_to_it_is_used_and_the_old_one_is_told() {
    let app = spawn_app().await;
    let token = app.confirmed_user("ann").await;

    let r = ask(&app, &token, PASSWORD, "Ann.New@Example.org").await;
    assert_eq!(r.status(), 202);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "success");
    let mail = app.smtp.wait_for_subject("Ann.New@example.org", CHANGE_SUBJECT).await;
    assert_eq!(email_of(&app, &token).await, "ann@example.com", "nothing changes before the link is used");
    let link = link_in(&mail);
    assert!(link.starts_with("http://madblog.test:3000/confirm-email-change#token="), "{link}");

    let r = confirm(&app, &token, &token_in(&link)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(email_of(&app, &token).await, "Ann.New@example.org");
    let notice = app.smtp.wait_for_subject("ann@example.com", CHANGED_SUBJECT).await;
    assert!(notice["text"].as_str().unwrap().contains("Ann.New@example.org"));
    assert!(link_in(&notice).starts_with("http://madblog.test:3000/revert-email-change#token="));
    assert_eq!(app.login("ann.new@example.org", PASSWORD).await.status(), 200);
    assert_eq!(app.login("ann@example.com", PASSWORD).await.status(), 401);
    let log = events(&app, &token).await;
    assert_eq!(kinds(&log)[..3], ["login", "email_change_confirmed", "email_change_requested"]);
}

#[tokio::test]
async fn a_taken_address_gets_the_same_answer_and_its_owner_a_notice_instead_of_a_link() {
    let app = spawn_app().await;
    let token = app.confirmed_user("bob").await;
    app.confirmed_user("carl").await;

    let free = ask(&app, &token, PASSWORD, "bob2@example.com").await;
    let (free_status, free_body) = (free.status(), free.text().await.unwrap());
    let taken = ask(&app, &token, PASSWORD, "CARL@example.com").await;
    assert_eq!((taken.status(), taken.text().await.unwrap()), (free_status, free_body));

    let notice = app.smtp.wait_for_subject("carl@example.com", TAKEN_SUBJECT).await;
    assert!(notice["text"].as_str().unwrap().contains("\"carl\""));
    assert!(!notice["text"].as_str().unwrap().contains("bob"), "the notice doesn't name who asked");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let to_carl: Vec<_> = app.smtp.mails().into_iter().filter(|m| m["rcpt_tos"][0] == "carl@example.com").collect();
    assert!(to_carl.iter().all(|m| m["subject"] != CHANGE_SUBJECT), "no link goes to a taken address");
    assert_eq!(email_of(&app, &token).await, "bob@example.com");
}

#[tokio::test]
async fn bad_requests_get_a_clear_400_and_no_mail() {
    let app = spawn_app().await;
    let token = app.confirmed_user("dora").await;
    let mails_before = app.smtp.mails().len();

    let body = error_body(ask(&app, &token, "wrong password", "dora2@example.com").await, 400).await;
    assert_eq!(body["message"]["password"], "The password is wrong.");
    let body = error_body(ask(&app, &token, PASSWORD, "not an address").await, 400).await;
    assert_eq!(body["message"]["new_email"], "Please provide a valid email address.");
    let body = error_body(ask(&app, &token, PASSWORD, "DORA@example.com").await, 400).await;
    assert_eq!(body["message"]["new_email"], "That is already your address.");
    let r = app.client.post(app.url("/api/change-email")).bearer_auth(&token).body("x").send().await.unwrap();
    assert_eq!(r.status(), 415);
    let r = app.post_json("/api/change-email", &json!({ "password": PASSWORD, "new_email": "x@example.com" })).await;
    assert_eq!(r.status(), 401);
    let unconfirmed = app.registered_user("eddy").await;
    assert_eq!(ask(&app, &unconfirmed, PASSWORD, "eddy2@example.com").await.status(), 403);
    let body = error_body(confirm(&app, &token, "garbage").await, 400).await;
    assert_eq!(body["message"], "This link to change your address is invalid, has expired, or was already used.");
    let body = error_body(revert(&app, "garbage").await, 400).await;
    assert_eq!(body["message"], "This undo link is invalid, has expired, or the address has changed since.");

    tokio::time::sleep(Duration::from_millis(300)).await;
    let new_mail: Vec<_> =
        app.smtp.mails().into_iter().skip(mails_before).filter(|m| m["rcpt_tos"][0] != "eddy@example.com").collect();
    assert!(new_mail.is_empty(), "{new_mail:?}");
}

#[tokio::test]
async fn a_change_link_works_once_for_its_own_account_and_dies_with_a_later_change() {
    let app = spawn_app().await;
    let token = app.confirmed_user("fay").await;
    let stranger = app.confirmed_user("gil").await;
    let first = change_link(&app, &token, "fay1@example.com").await;
    let second = change_link(&app, &token, "fay2@example.com").await;

    assert_eq!(confirm(&app, &stranger, &second).await.status(), 400, "another account's link");
    assert_eq!(confirm(&app, &token, &second).await.status(), 200);
    assert_eq!(confirm(&app, &token, &second).await.status(), 400, "used already");
    assert_eq!(confirm(&app, &token, &first).await.status(), 400, "overtaken by the later change");
    assert_eq!(email_of(&app, &token).await, "fay2@example.com");
}

#[tokio::test]
async fn two_confirmations_of_one_change_at_once_change_the_address_once() {
    let app = spawn_app().await;
    let token = app.confirmed_user("hal").await;
    let link = change_link(&app, &token, "hal2@example.com").await;

    let answers = futures::future::join_all((0..8).map(|_| confirm(&app, &token, &link))).await;
    let ok = answers.iter().filter(|r| r.status() == 200).count();
    assert_eq!(ok, 1, "{:?}", answers.iter().map(reqwest::Response::status).collect::<Vec<_>>());
    assert!(answers.iter().all(|r| r.status() == 200 || r.status() == 400), "{answers:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let notices = app.smtp.mails().into_iter().filter(|m| m["subject"] == CHANGED_SUBJECT).count();
    assert_eq!(notices, 1, "one change, one notice");
}

#[tokio::test]
async fn the_revert_link_restores_the_address_ends_every_session_and_mails_a_reset_link() {
    let app = spawn_app().await;
    let token = app.confirmed_user("ivy").await;
    let other = app.token("ivy", PASSWORD).await;
    let revert_token = changed(&app, &token, "ivy", "thief@example.org").await;

    let r = revert(&app, &revert_token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.me(&token).await.status(), 401);
    assert_eq!(app.me(&other).await.status(), 401);
    assert_eq!(app.login("ivy", PASSWORD).await.status(), 401, "the password is locked until reset");
    assert_eq!(app.login("thief@example.org", PASSWORD).await.status(), 401);

    let reset = app.smtp.wait_for_subject("ivy@example.com", RESET_SUBJECT).await;
    let r = app
        .post_json(
            &format!("/api/reset-password/{}", token_in(&link_in(&reset))),
            &json!({ "password": "my own again!" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let token = app.token("ivy@example.com", "my own again!").await;
    assert_eq!(email_of(&app, &token).await, "ivy@example.com");
    assert_eq!(revert(&app, &revert_token).await.status(), 400, "a revert link works once");
    let log = events(&app, &token).await;
    let log: Vec<_> = kinds(&log).into_iter().filter(|k| *k != "login_failed").collect();
    assert_eq!(log[..3], ["login", "password_reset", "email_change_reverted"]);
}

#[tokio::test]
async fn a_revert_link_dies_after_a_later_change() {
    let app = spawn_app().await;
    let token = app.confirmed_user("joe").await;
    let revert_token = changed(&app, &token, "joe", "jo2@example.com").await;
    let link = change_link(&app, &token, "jo3@example.com").await;
    assert_eq!(confirm(&app, &token, &link).await.status(), 200);

    assert_eq!(revert(&app, &revert_token).await.status(), 400);
    assert_eq!(email_of(&app, &token).await, "jo3@example.com");
}

#[tokio::test]
async fn the_old_address_is_held_for_its_account_until_the_revert_link_dies() {
    let app = spawn_app().await;
    let token = app.confirmed_user("kim").await;
    let revert_token = changed(&app, &token, "kim", "kim2@example.com").await;
    let other = app.confirmed_user("lee").await;

    // Registering with the held address: the answer of any registration, and nothing made.
    let r = app.register("kimcopy", "kim@example.com", PASSWORD).await;
    assert_eq!(r.status(), 201);
    assert_eq!(app.login("kimcopy", PASSWORD).await.status(), 401);
    // Moving another account there: the same 202, and no link.
    assert_eq!(ask(&app, &other, PASSWORD, "kim@example.com").await.status(), 202);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(app.smtp.mails().iter().all(|m| m["subject"] != CHANGE_SUBJECT || m["rcpt_tos"][0] != "kim@example.com"));

    assert_eq!(revert(&app, &revert_token).await.status(), 200);
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM address_holds").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(held, 0, "the address is the account's again");
}

#[tokio::test]
async fn a_revert_racing_the_thiefs_password_reset_leaves_the_thief_locked_out() {
    for round in 0..3 {
        let app = spawn_app().await;
        let name = format!("mo{round}");
        let token = app.confirmed_user(&name).await;
        let thief_address = format!("thief{round}@example.org");
        let revert_token = changed(&app, &token, &name, &thief_address).await;
        // The thief asks for a reset link at the address they set.
        assert_eq!(
            app.post_json("/api/reset-password-request", &json!({ "email": thief_address })).await.status(),
            200
        );
        let thief_reset = token_in(&link_in(&app.smtp.wait_for_subject(&thief_address, RESET_SUBJECT).await));

        let path = format!("/api/reset-password/{thief_reset}");
        let thief_password = json!({ "password": "the thief's password" });
        let (reverted, reset) = tokio::join!(revert(&app, &revert_token), app.post_json(&path, &thief_password));
        assert_eq!(reverted.status(), 200, "the revert always wins its own race");
        assert!(reset.status() == 200 || reset.status() == 400, "{}", reset.status());

        assert_eq!(app.login(&name, "the thief's password").await.status(), 401, "round {round}");
        assert_eq!(app.login(&thief_address, "the thief's password").await.status(), 401);
        let owner_reset = app.smtp.wait_for_subject(&format!("{name}@example.com"), RESET_SUBJECT).await;
        let path = format!("/api/reset-password/{}", token_in(&link_in(&owner_reset)));
        assert_eq!(app.post_json(&path, &json!({ "password": "the owner's own" })).await.status(), 200);
        assert_eq!(app.login(&name, "the owner's own").await.status(), 200);
    }
}
