//! Changing the address: 202 whatever the new address, the link to it moves the account, the old
//! address gets a revert link that works once, for 7 days, and locks a thief out.

use crate::{
    helpers::{PASSWORD, ServerProcess, SmtpSink, TestApp, error_body, link_in, process_env, spawn_app, token_in},
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

/// Uses a revert link, typing `old_email` as the page asks.
async fn revert(app: &TestApp, link_token: &str, old_email: &str) -> reqwest::Response {
    revert_with(app, link_token, &json!({ "email": old_email })).await
}

async fn revert_with(app: &TestApp, link_token: &str, body: &Value) -> reqwest::Response {
    app.post_json(&format!("/api/revert-email-change/{link_token}"), body).await
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
    moved(app, token, &format!("{name}@example.com"), new_email).await
}

/// Moves the account from `old` to `new`; returns the token of the revert link mailed to `old`.
async fn moved(app: &TestApp, token: &str, old: &str, new: &str) -> String {
    let link = change_link(app, token, new).await;
    assert_eq!(confirm(app, token, &link).await.status(), 200);
    token_in(&link_in(&app.smtp.wait_for_subject(old, CHANGED_SUBJECT).await))
}

/// Everything a use of a link could change about `name`'s account: address, password, session and
/// address versions, and how many sessions and mails it has.
async fn account(app: &TestApp, name: &str) -> (String, String, i64, i64, i64, i64) {
    use sqlx::Row;
    let row =
        sqlx::query("SELECT id, email, password_hash, session_version, email_version FROM users WHERE username = $1")
            .bind(name)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    let id: String = row.get("id");
    let count = |sql: &'static str| {
        let (pool, id) = (app.state.pool.clone(), id.clone());
        async move { sqlx::query_scalar::<_, i64>(sql).bind(id).fetch_one(&pool).await.unwrap() }
    };
    (
        row.get("email"),
        row.get("password_hash"),
        row.get("session_version"),
        row.get("email_version"),
        count("SELECT COUNT(*) FROM sessions WHERE user_id = $1").await,
        count("SELECT COUNT(*) FROM outbox WHERE user_id = $1").await,
    )
}

/// Uses a reset link from the newest reset mail to `email`, setting `password`.
async fn reset_from_mail(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    let link = token_in(&link_in(&app.smtp.wait_for_subject(email, RESET_SUBJECT).await));
    app.post_json(&format!("/api/reset-password/{link}"), &json!({ "password": password })).await
}

const REVERT_LINK_INVALID: &str = "This undo link is invalid, has expired, or was already used.";
const CHANGE_LINK_INVALID: &str = "This link to change your address is invalid, has expired, or was already used.";

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
    // An unconfirmed account corrects its address instead (`address_fix`), with its password too.
    let body = error_body(ask(&app, &unconfirmed, "wrong password", "eddy2@example.com").await, 400).await;
    assert_eq!(body["message"]["password"], "The password is wrong.");
    let body = error_body(confirm(&app, &token, "garbage").await, 400).await;
    assert_eq!(body["message"], CHANGE_LINK_INVALID);
    let body = error_body(revert(&app, "garbage", "dora@example.com").await, 400).await;
    assert_eq!(body["message"], REVERT_LINK_INVALID);

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

    let r = revert(&app, &revert_token, "ivy@example.com").await;
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
    assert_eq!(revert(&app, &revert_token, "ivy@example.com").await.status(), 400, "a revert link works once");
    let log = events(&app, &token).await;
    let log: Vec<_> = kinds(&log).into_iter().filter(|k| *k != "login_failed").collect();
    assert_eq!(log[..3], ["login", "password_reset", "email_change_reverted"]);
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

    assert_eq!(revert(&app, &revert_token, "kim@example.com").await.status(), 200);
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
        let owner = format!("{name}@example.com");
        let (reverted, reset) =
            tokio::join!(revert(&app, &revert_token, &owner), app.post_json(&path, &thief_password));
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

#[tokio::test]
async fn the_earliest_revert_link_wins_over_a_thiefs_second_change() {
    // A thief with the session and the password moves the account A -> B, then at once B -> C: the
    // owner's revert link went to A, the second one to B, the thief's own address.
    let app = spawn_app().await;
    let thief = app.confirmed_user("nia").await;
    let owners_link = moved(&app, &thief, "nia@example.com", "nia.b@example.org").await;
    let thiefs_link = moved(&app, &thief, "nia.b@example.org", "nia.c@example.org").await;

    let r = revert(&app, &owners_link, "nia@example.com").await;

    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(app.me(&thief).await.status(), 401, "the thief's session ended");
    let after_revert = account(&app, "nia").await;
    assert_eq!(after_revert.0, "nia@example.com");
    let body = error_body(revert(&app, &thiefs_link, "nia.b@example.org").await, 400).await;
    assert_eq!(body["message"], REVERT_LINK_INVALID, "the link mailed to B died with the revert");
    assert_eq!(account(&app, "nia").await, after_revert, "and using it changed nothing");
    // B is nobody's now: its hold went with the link.
    assert_eq!(app.register("nib", "nia.b@example.org", PASSWORD).await.status(), 201);
    assert_eq!(app.login("nib", PASSWORD).await.status(), 200);
    // The owner sets a password from the reset mail A got, and has the account back.
    assert_eq!(reset_from_mail(&app, "nia@example.com", "the owner's own again").await.status(), 200);
    let owner = app.token("nia@example.com", "the owner's own again").await;
    assert_eq!(email_of(&app, &owner).await, "nia@example.com");
}

#[tokio::test]
async fn the_earliest_revert_link_still_wins_after_a_later_one_was_used() {
    let app = spawn_app().await;
    let thief = app.confirmed_user("oda").await;
    let owners_link = moved(&app, &thief, "oda@example.com", "oda.b@example.org").await;
    let thiefs_link = moved(&app, &thief, "oda.b@example.org", "oda.c@example.org").await;
    // The thief uses the link mailed to B first, and sets a password from the reset mail B gets.
    assert_eq!(revert(&app, &thiefs_link, "oda.b@example.org").await.status(), 200);
    assert_eq!(reset_from_mail(&app, "oda.b@example.org", "the thief's password").await.status(), 200);
    let thief = app.token("oda", "the thief's password").await;

    let r = revert(&app, &owners_link, "oda@example.com").await;

    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(app.me(&thief).await.status(), 401);
    assert_eq!(app.login("oda", "the thief's password").await.status(), 401, "the thief's password is gone");
    assert_eq!(app.login("oda.b@example.org", "the thief's password").await.status(), 401);
    assert_eq!(reset_from_mail(&app, "oda@example.com", "the owner's own again").await.status(), 200);
    let owner = app.token("oda@example.com", "the owner's own again").await;
    assert_eq!(email_of(&app, &owner).await, "oda@example.com");
    assert_eq!(revert(&app, &owners_link, "oda@example.com").await.status(), 400, "it works once");
}

#[tokio::test]
async fn the_revert_asks_for_the_old_address_and_a_missing_or_wrong_one_changes_nothing() {
    let app = spawn_app().await;
    let token = app.confirmed_user("pam").await;
    let link = changed(&app, &token, "pam", "pam2@example.org").await;
    let before = account(&app, "pam").await;
    let blank = "Please type your old address: the one this email was sent to.";
    let wrong = "That is not the address this link was sent to.";

    let no_body = app.client.post(app.url(&format!("/api/revert-email-change/{link}"))).send().await.unwrap();
    let mut answers = vec![(error_body(no_body, 400).await, blank)];
    for (body, expected) in [
        (json!({}), blank),
        (json!({ "email": "" }), blank),
        (json!({ "email": "   " }), blank),
        (json!({ "email": "not an address" }), "Please provide a valid email address."),
        (json!({ "email": "pam2@example.org" }), wrong),
        (json!({ "email": "pam@example.org" }), wrong),
    ] {
        answers.push((error_body(revert_with(&app, &link, &body).await, 400).await, expected));
    }

    for (body, expected) in answers {
        assert_eq!(body["message"]["email"], expected, "{body}");
    }
    assert_eq!(account(&app, "pam").await, before, "nothing changed, no mail was queued");
    assert_eq!(app.me(&token).await.status(), 200, "no session ended");
    // The address as the owner types it: case makes no other inbox.
    assert_eq!(revert(&app, &link, " PAM@Example.COM ").await.status(), 200);
}

#[tokio::test]
async fn two_uses_of_one_revert_link_at_once_revert_once() {
    let app = spawn_app().await;
    let token = app.confirmed_user("rex").await;
    let link = changed(&app, &token, "rex", "rex2@example.org").await;

    let answers = futures::future::join_all((0..8).map(|_| revert(&app, &link, "rex@example.com"))).await;

    let statuses: Vec<_> = answers.iter().map(reqwest::Response::status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 400), "{statuses:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let resets = app.smtp.mails().into_iter().filter(|m| m["subject"] == RESET_SUBJECT).count();
    assert_eq!(resets, 1, "one revert, one reset mail");
}

#[tokio::test]
async fn a_change_link_dies_with_a_password_reset() {
    let app = spawn_app().await;
    let token = app.confirmed_user("quin").await;
    let link = change_link(&app, &token, "quin2@example.org").await;
    let asked = app.post_json("/api/reset-password-request", &json!({ "email": "quin@example.com" })).await;
    assert_eq!(asked.status(), 200);
    assert_eq!(reset_from_mail(&app, "quin@example.com", "a fresh passphrase").await.status(), 200);
    let token = app.token("quin", "a fresh passphrase").await;

    let body = error_body(confirm(&app, &token, &link).await, 400).await;

    assert_eq!(body["message"], CHANGE_LINK_INVALID);
    assert_eq!(email_of(&app, &token).await, "quin@example.com");
}

#[tokio::test]
async fn a_change_link_dies_with_a_password_change_even_in_the_tab_that_asked_for_it() {
    let app = spawn_app().await;
    let token = app.confirmed_user("ros").await;
    let link = change_link(&app, &token, "ros2@example.org").await;
    let changed = app
        .client
        .post(app.url("/api/update-password"))
        .bearer_auth(&token)
        .json(&json!({ "old_password": PASSWORD, "new_password": "a fresh passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let token = changed.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();

    let body = error_body(confirm(&app, &token, &link).await, 400).await;

    assert_eq!(body["message"], CHANGE_LINK_INVALID);
    assert_eq!(email_of(&app, &token).await, "ros@example.com");
}

/// Password hashes a server has run, from its `/metrics` (`madblog_password_hash_seconds_count`).
/// Read from a server process of its own: the apps in this test process share one recorder.
async fn hashes_run(client: &reqwest::Client, server: &ServerProcess) -> u64 {
    let metrics = client.get(format!("{}/metrics", server.address)).bearer_auth(METRICS_TOKEN).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    let count = text.lines().find_map(|l| l.strip_prefix("madblog_password_hash_seconds_count "));
    count.map_or(0.0, |n| n.trim().parse::<f64>().unwrap()) as u64
}

const METRICS_TOKEN: &str = "a-metrics-token-for-tests";

#[tokio::test]
async fn dead_revert_links_and_wrong_addresses_cost_no_password_hash_and_a_locked_password_costs_one() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(dir.path().join("smtp"), 0, 0.0).await;
    let mut env = process_env(dir.path(), &sink).await;
    env.insert("METRICS_TOKEN".into(), METRICS_TOKEN.into());
    let server = ServerProcess::start(&env).await;
    let (client, base) = (reqwest::Client::new(), server.address.clone());
    let post = |path: String, body: Value, bearer: Option<String>| {
        let mut request = client.post(format!("{base}{path}")).json(&body);
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        async move { request.send().await.unwrap() }
    };
    let login =
        |password: &'static str| client.post(format!("{base}/api/tokens")).basic_auth("sol", Some(password)).send();
    let mail_token = |to: &'static str, subject: &'static str| {
        let sink = &sink;
        async move { token_in(&link_in(&sink.wait_for_subject(to, subject).await)) }
    };
    // A confirmed account that moved A -> B -> C: two live revert links.
    assert_eq!(server.register("sol").await, 201);
    let session = login(PASSWORD).await.unwrap().json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let confirm_link = mail_token("sol@example.com", "[Madblog] Confirm Your Account").await;
    let confirmed = client.get(format!("{base}/api/confirm/{confirm_link}")).bearer_auth(&session).send().await;
    let session = confirmed.unwrap().json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let mut reverts = Vec::new();
    for (old, new) in [("sol@example.com", "sol.b@example.org"), ("sol.b@example.org", "sol.c@example.org")] {
        let body = json!({ "password": PASSWORD, "new_email": new });
        assert_eq!(post("/api/change-email".into(), body, Some(session.clone())).await.status(), 202);
        let change = mail_token(new, CHANGE_SUBJECT).await;
        let path = format!("/api/confirm-email-change/{change}");
        assert_eq!(post(path, json!({}), Some(session.clone())).await.status(), 200);
        reverts.push(mail_token(old, CHANGED_SUBJECT).await);
    }
    let revert =
        |link: &str, email: &str| post(format!("/api/revert-email-change/{link}"), json!({ "email": email }), None);
    let before = hashes_run(&client, &server).await;

    // Wrong addresses on a live link, the revert itself, and replays of the used and killed links.
    for typed in ["", "someone@example.org", "sol.c@example.org"] {
        assert_eq!(revert(&reverts[1], typed).await.status(), 400);
    }
    assert_eq!(revert(&reverts[0], "sol@example.com").await.status(), 200);
    for _ in 0..5 {
        assert_eq!(revert(&reverts[0], "sol@example.com").await.status(), 400);
        assert_eq!(revert(&reverts[1], "sol.b@example.org").await.status(), 400);
    }
    let after_reverts = hashes_run(&client, &server).await;
    let refused = login(PASSWORD).await.unwrap();
    let after_login = hashes_run(&client, &server).await;

    assert_eq!(after_reverts, before, "no revert, dead or live, ran a password hash");
    assert_eq!(refused.status(), 401, "the password is locked");
    assert_eq!(after_login, after_reverts + 1, "refusing a locked password costs the hash any login costs");
}

/// The migration that gave each change its own hold row (20261207000003).
const PER_CHANGE_HOLDS: i64 = 20261207000003;

/// A database migrated up to, not including, `version`, and its URL: SQLite in `dir`, or a fresh
/// PostgreSQL database next to `TEST_DATABASE_URL` (left for scripts/test.sh to drop, like a
/// server process's: the app's pool outlives anything here).
async fn database_before(dir: &std::path::Path, version: i64) -> String {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let url = match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let name = format!("madblog_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
            let (base, query) = admin.split_once('?').map_or((admin.as_str(), None), |(b, q)| (b, Some(q)));
            let base = &base[..base.rfind('/').unwrap()];
            query.map_or_else(|| format!("{base}/{name}"), |q| format!("{base}/{name}?{q}"))
        }
        _ => format!("sqlite://{}/upgraded.db?mode=rwc", dir.display()),
    };
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.migrations = migrator.migrations.iter().filter(|m| m.version < version).cloned().collect();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    migrator.run(&pool).await.unwrap();
    pool.close().await;
    url
}

#[tokio::test]
async fn after_the_upgrade_an_overtaken_revert_link_works_again_and_a_reverted_ones_stays_dead() {
    // Before the upgrade: "uma" was moved A -> B (version 1) -> C (version 2), each hold made by
    // the old code; "val" moved A -> B (1), reverted (2), then A -> D (3), holding A again.
    let dir = tempfile::tempdir().unwrap();
    let url = database_before(dir.path(), PER_CHANGE_HOLDS).await;
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let (now, week) = (madblog::server::clock::now(), 7 * 86_400);
    for (id, name, email, version) in
        [("u-uma", "uma", "uma.c@example.org", 2), ("u-val", "val", "val.d@example.org", 3)]
    {
        sqlx::query(
            "INSERT INTO users (id, username, username_key, email, email_key, password_hash, confirmed, \
             session_version, created_at, last_seen, locale, email_version) \
             VALUES ($1, $2, $2, $3, $3, 'x', 1, 1, $4, $4, 'en', $5)",
        )
        .bind(id)
        .bind(name)
        .bind(email)
        .bind(now - 3600)
        .bind(version)
        .execute(&pool)
        .await
        .unwrap();
    }
    for (key, user, until) in [
        ("uma@example.com", "u-uma", now + week - 120),
        ("uma.b@example.org", "u-uma", now + week - 60),
        ("val@example.com", "u-val", now + week - 30),
    ] {
        sqlx::query("INSERT INTO address_holds (email_key, user_id, until) VALUES ($1, $2, $3)")
            .bind(key)
            .bind(user)
            .bind(until)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;

    // The upgrade: a server starts on that database and migrates it.
    let app = crate::helpers::TestAppBuilder::default().var("DATABASE_URL", url).spawn().await;
    let link = |sub: &str, email: &str, ev: i64, until: i64| {
        use madblog::server::auth::tokens::{AddressClaims, Purpose};
        let claims = AddressClaims {
            sub: sub.into(),
            email: email.into(),
            ev,
            pwd: None,
            typ: Purpose::EmailRevert.typ().into(),
            iat: until - week,
            exp: until,
        };
        app.state.tokens.sign(Purpose::EmailRevert, &claims)
    };
    let email_of = |id: &'static str| {
        let pool = app.state.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT email FROM users WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };

    let reverted_links_link =
        revert(&app, &link("u-val", "val@example.com", 1, now + week - 90), "val@example.com").await;
    let overtaken_link = revert(&app, &link("u-uma", "uma@example.com", 1, now + week - 120), "uma@example.com").await;
    let latest_link = revert(&app, &link("u-val", "val@example.com", 3, now + week - 30), "val@example.com").await;

    assert_eq!(reverted_links_link.status(), 400, "killed by the revert before the upgrade, it stays dead");
    assert_eq!(overtaken_link.status(), 200, "the owner's link outranks the later change again");
    assert_eq!(email_of("u-uma").await, "uma@example.com");
    assert_eq!(latest_link.status(), 200, "the link that was live stays live");
    assert_eq!(email_of("u-val").await, "val@example.com");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM address_holds").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(left, 0, "each revert released its own hold and the later ones");
}
