//! Account lifecycle: unconfirmed accounts get one reminder after 3 days and go after 7, however
//! many servers run the job; people can delete their own account, and get a goodbye.

use crate::helpers::{PASSWORD, TestApp, TestAppBuilder, count, error_body, link_in, spawn_app, token_in};
use madblog::server::{clock::now, services::lifecycle::housekeep};
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

/// Puts a mail in the outbox as the worker would have left it: sent (or given up on) at a time.
async fn old_mail(app: &TestApp, id: &str, sent_at: Option<i64>, failed_at: Option<i64>) {
    let at = sent_at.or(failed_at).unwrap();
    sqlx::query(
        "INSERT INTO outbox (id, kind, user_id, recipient, subject, body_text, body_html, created_at, attempts, \
         next_attempt_at, sent_at, failed_at) VALUES ($1, 'confirm', NULL, 'old@example.com', 'x', '', '', $2, 1, $2, $3, $4)",
    )
    .bind(id)
    .bind(at)
    .bind(sent_at)
    .bind(failed_at)
    .execute(&app.state.pool)
    .await
    .unwrap();
}

async fn mail_ids(app: &TestApp) -> Vec<String> {
    let mut ids: Vec<String> = sqlx::query_scalar("SELECT id FROM outbox WHERE recipient = 'old@example.com'")
        .fetch_all(&app.state.pool)
        .await
        .unwrap();
    ids.sort();
    ids
}

#[tokio::test]
async fn sent_mail_is_forgotten_after_thirty_days_and_mail_given_up_on_stays_for_the_operator() {
    let app = spawn_app().await;
    let now = now();
    old_mail(&app, "sent-31-days-ago", Some(now - 31 * DAY), None).await;
    old_mail(&app, "sent-29-days-ago", Some(now - 29 * DAY), None).await;
    old_mail(&app, "failed-60-days-ago", None, Some(now - 60 * DAY)).await;

    let done = housekeep(&app.state, now).await.unwrap();
    assert_eq!(done.sent_mail_forgotten, 1);
    assert_eq!(mail_ids(&app).await, ["failed-60-days-ago", "sent-29-days-ago"]);

    let two_days_on = housekeep(&app.state, now + 2 * DAY).await.unwrap();
    assert_eq!(two_days_on.sent_mail_forgotten, 1);
    assert_eq!(mail_ids(&app).await, ["failed-60-days-ago"], "`madblog outbox retry` still finds it");
}

#[tokio::test]
async fn outbox_keep_days_sets_how_long_sent_mail_is_kept() {
    let app = TestAppBuilder::default().var("OUTBOX_KEEP_DAYS", "2").spawn().await;
    let now = now();
    old_mail(&app, "sent-3-days-ago", Some(now - 3 * DAY), None).await;
    old_mail(&app, "sent-1-day-ago", Some(now - DAY), None).await;

    housekeep(&app.state, now).await.unwrap();

    assert_eq!(mail_ids(&app).await, ["sent-1-day-ago"]);
}

/// `n` accounts left unconfirmed, created a second apart from 30 days ago (`spam1` first), each
/// with a mail in the outbox.
async fn spam_signups(app: &TestApp, n: i64) {
    let pool = &app.state.pool;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         INSERT INTO users (id, username, username_key, email, email_key, password_hash, created_at, last_seen) \
         SELECT 'spam-' || i, 'spam' || i, 'spam' || i, 'spam' || i || '@example.com', 'spam' || i || '@example.com', \
         'not a hash', $2 + i, $2 + i FROM n",
    )
    .bind(n)
    .bind(now() - 30 * DAY)
    .execute(pool)
    .await
    .unwrap();
    // Given up on, so the mail worker leaves them alone.
    sqlx::query(
        "INSERT INTO outbox (id, kind, user_id, recipient, subject, body_text, body_html, created_at, attempts, \
         next_attempt_at, failed_at) SELECT 'mail-' || id, 'confirm', id, email, 'x', '', '', created_at, 1, \
         created_at, created_at FROM users WHERE id LIKE 'spam-%'",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// Makes deleting `username` fail, as a database error would, until [`allow_deleting`].
async fn refuse_deleting(app: &TestApp, username: &str) {
    let pool = &app.state.pool;
    let statements = if app.state.settings.database.url.expose().starts_with("postgres") {
        vec![
            format!(
                "CREATE FUNCTION refuse_deleting() RETURNS trigger AS $$ BEGIN IF OLD.username = '{username}' \
                 THEN RAISE EXCEPTION 'refused'; END IF; RETURN OLD; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER refuse_deleting BEFORE DELETE ON users FOR EACH ROW EXECUTE FUNCTION refuse_deleting()"
                .to_owned(),
        ]
    } else {
        vec![format!(
            "CREATE TRIGGER refuse_deleting BEFORE DELETE ON users WHEN OLD.username = '{username}' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )]
    };
    for sql in statements {
        sqlx::query(&sql).execute(pool).await.unwrap();
    }
}

async fn allow_deleting(app: &TestApp) {
    let postgres = app.state.settings.database.url.expose().starts_with("postgres");
    let sql = if postgres { "DROP TRIGGER refuse_deleting ON users" } else { "DROP TRIGGER refuse_deleting" };
    sqlx::query(sql).execute(&app.state.pool).await.unwrap();
}

#[tokio::test]
async fn a_wave_of_spam_signups_is_purged_in_batches_of_500_each_committed_on_its_own() {
    let app = spawn_app().await;
    app.confirmed_user("keeper").await;
    age(&app, "keeper", 30).await;
    spam_signups(&app, 1001).await;
    let pool = &app.state.pool;
    const SPAM: &str = "SELECT COUNT(*) FROM users WHERE id LIKE 'spam-%'";
    const SPAM_MAIL: &str = "SELECT COUNT(*) FROM outbox WHERE user_id LIKE 'spam-%'";

    // The oldest go first; the second batch (spam501 to spam1000) meets an error.
    refuse_deleting(&app, "spam700").await;
    assert!(housekeep(&app.state, now()).await.is_err());
    assert_eq!(count(pool, SPAM).await, 501, "the first batch stays deleted; the second was undone");
    assert_eq!(count(pool, "SELECT COUNT(*) FROM users WHERE username = 'spam500'").await, 0);
    assert_eq!(count(pool, "SELECT COUNT(*) FROM users WHERE username = 'spam501'").await, 1);
    assert_eq!(count(pool, SPAM_MAIL).await, 501, "each account's mail goes in its batch");

    allow_deleting(&app).await;
    assert_eq!(housekeep(&app.state, now()).await.unwrap().purged, 501);
    assert_eq!((count(pool, SPAM).await, count(pool, SPAM_MAIL).await), (0, 0));
    assert_eq!(count(pool, "SELECT COUNT(*) FROM users WHERE username = 'keeper'").await, 1, "confirmed: kept");
    let keeper_mail = "SELECT COUNT(*) FROM outbox WHERE recipient = 'keeper@example.com'";
    assert_eq!(count(pool, keeper_mail).await, 1, "and so is its mail");
}
