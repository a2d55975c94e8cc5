//! Account lifecycle: unconfirmed accounts get one reminder after 3 days and go after 7, however
//! many servers run the job; people can delete their own account, and get a goodbye.

use crate::helpers::{PASSWORD, TestApp, count, error_body, link_in, spawn_app, token_in};
use madblog::server::{auth::tokens::now, services::lifecycle::housekeep};
use serde_json::{Value, json};
use std::time::Duration;

const DAY: i64 = 86_400;
const REMINDER: &str = "[Madblog] Please confirm your account";
const GOODBYE: &str = "[Madblog] Your account has been deleted";

async fn age(app: &TestApp, name: &str, days: i64) {
    sqlx::query("UPDATE users SET created_at = created_at - $1 WHERE username = $2")
        .bind(days * DAY)
        .bind(name)
        .execute(&app.state.pool)
        .await
        .unwrap();
}

async fn delete_me(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.client
        .delete(app.url("/api/users/me"))
        .bearer_auth(token)
        .json(&json!({ "password": password }))
        .send()
        .await
        .unwrap()
}

fn reminders_to(app: &TestApp, address: &str) -> usize {
    app.smtp.mails().iter().filter(|m| m["rcpt_tos"][0] == address && m["subject"] == REMINDER).count()
}

#[tokio::test]
async fn an_account_unconfirmed_for_three_days_gets_one_reminder_that_confirms_it() {
    let app = spawn_app().await;
    let session = app.registered_user("ann").await;
    app.registered_user("young").await;
    app.confirmed_user("done").await;
    age(&app, "ann", 3).await;
    age(&app, "done", 5).await;

    let first = housekeep(&app.state, now()).await.unwrap();
    assert_eq!((first.reminded, first.purged), (1, 0));
    let mail = app.smtp.wait_for_subject("ann@example.com", REMINDER).await;
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains("\"ann\"") && text.contains("4 days"), "{text}");
    assert_eq!(housekeep(&app.state, now()).await.unwrap().reminded, 0, "one reminder, ever");

    let r = app.confirm(&session, &token_in(&link_in(&mail))).await;
    assert_eq!(r.status(), 200, "the reminder's link is fresh");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(reminders_to(&app, "ann@example.com"), 1);
    assert_eq!(reminders_to(&app, "young@example.com") + reminders_to(&app, "done@example.com"), 0);
}

#[tokio::test]
async fn servers_running_the_job_at_once_send_each_reminder_once() {
    let app = spawn_app().await;
    for name in ["bea", "cal", "dee", "eli", "fay"] {
        app.registered_user(name).await;
        age(&app, name, 4).await;
    }
    let runs = futures::future::join_all((0..4).map(|_| housekeep(&app.state, now()))).await;
    let reminded: usize = runs.into_iter().map(|r| r.unwrap().reminded).sum();
    assert_eq!(reminded, 5);
    app.smtp.wait_for_mail_count(10, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for name in ["bea", "cal", "dee", "eli", "fay"] {
        assert_eq!(reminders_to(&app, &format!("{name}@example.com")), 1, "{name}");
    }
}

#[tokio::test]
async fn an_account_unconfirmed_for_seven_days_is_deleted_and_its_name_and_address_are_free() {
    let app = spawn_app().await;
    let session = app.registered_user("gus").await;
    let keeper = app.registered_user("hal").await;
    age(&app, "gus", 8).await;
    age(&app, "hal", 8).await;
    // Confirmed in time, just before the job ran.
    let link = app.confirmation_token("hal@example.com").await;
    assert_eq!(app.confirm(&keeper, &link).await.status(), 200);

    let runs = futures::future::join_all((0..2).map(|_| housekeep(&app.state, now()))).await;
    let purged: usize = runs.into_iter().map(|r| r.unwrap().purged).sum();
    assert_eq!(purged, 1);
    assert_eq!(app.me(&session).await.status(), 401);
    let pool = &app.state.pool;
    assert_eq!(count(pool, "SELECT COUNT(*) FROM users WHERE username = 'gus'").await, 0);
    assert_eq!(count(pool, "SELECT COUNT(*) FROM outbox WHERE recipient = 'gus@example.com'").await, 0);
    assert_eq!(reminders_to(&app, "gus@example.com"), 0, "no reminder for an account being deleted");

    assert_eq!(app.register("gus", "gus@example.com", PASSWORD).await.status(), 201);
    assert_eq!(app.login("gus", PASSWORD).await.status(), 200, "the name and the address are someone's again");
    assert_eq!(app.me(&keeper).await.status(), 200, "hal confirmed in time and stays");
}

#[tokio::test]
async fn people_delete_their_own_account_with_its_password_and_get_a_goodbye() {
    let app = spawn_app().await;
    let token = app.confirmed_user("ivy").await;
    let other_device = app.token("ivy", PASSWORD).await;
    let user_id: String =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'ivy'").fetch_one(&app.state.pool).await.unwrap();

    let body = error_body(delete_me(&app, &token, "not my password").await, 400).await;
    assert_eq!(body["message"]["password"], "The password is wrong.");
    let r = app.client.delete(app.url("/api/users/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 415, "the password is required");
    assert_eq!(delete_me(&app, &token, PASSWORD).await.status(), 204);

    assert_eq!(app.me(&token).await.status(), 401);
    assert_eq!(app.me(&other_device).await.status(), 401);
    assert_eq!(app.login("ivy", PASSWORD).await.status(), 401);
    let goodbye = app.smtp.wait_for_subject("ivy@example.com", GOODBYE).await;
    assert!(goodbye["text"].as_str().unwrap().contains("\"ivy\""));
    let pool = &app.state.pool;
    for table in ["sessions", "security_events", "action_codes"] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE user_id = '{user_id}'");
        assert_eq!(count(pool, &sql).await, 0, "{table}");
    }
    assert_eq!(count(pool, &format!("SELECT COUNT(*) FROM outbox WHERE user_id = '{user_id}'")).await, 0);
    assert_eq!(app.register("ivy", "ivy@example.com", PASSWORD).await.status(), 201);
}

#[tokio::test]
async fn an_unconfirmed_account_can_delete_itself_and_strangers_cannot_delete_anything() {
    let app = spawn_app().await;
    let token = app.registered_user("joe").await;
    assert_eq!(
        app.client
            .delete(app.url("/api/users/me"))
            .json(&json!({ "password": PASSWORD }))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(delete_me(&app, &token, PASSWORD).await.status(), 204);
    let goodbye = app.smtp.wait_for_subject("joe@example.com", GOODBYE).await;
    assert_eq!(goodbye["subject"], GOODBYE);
    let body: Value = app.me(&token).await.json().await.unwrap();
    assert_eq!(body["error"], "Unauthorized");
}
