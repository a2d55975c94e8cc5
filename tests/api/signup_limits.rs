//! Limits on registering and on asking for confirmation mail, held in the database: per client
//! address and per email address, answered with 429 and `Retry-After`, and alike for addresses
//! with and without an account.

use crate::helpers::{PASSWORD, TestAppBuilder, error_body, spawn_app};
use reqwest::Response;

fn retry_after(response: &Response) -> u64 {
    response.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn one_client_may_register_only_so_many_accounts_an_hour() {
    let app = TestAppBuilder::default().var("REGISTRATIONS_PER_IP", "2").spawn().await;
    for name in ["ona", "two"] {
        assert_eq!(app.register(name, &format!("{name}@example.com"), PASSWORD).await.status(), 201);
    }

    let refused = app.register("three", "three@example.com", PASSWORD).await;

    let wait = retry_after(&refused);
    assert!((1..=1800).contains(&wait), "one registration comes back every 30 minutes: {wait}");
    let body = error_body(refused, 429).await;
    assert!(body["message"].as_str().unwrap().contains("Too many sign-ups"), "{body}");
    assert_eq!(app.count_users().await, 2, "nothing created");
}

#[tokio::test]
async fn an_address_is_refused_alike_whether_or_not_it_has_an_account() {
    let app = spawn_app().await;
    // The limit counts attempts for an address, whoever made them and whatever they found: the
    // owner's own registration is one, and so is a prober's first try at a free address (which
    // creates the account; the tries after it find it taken, and answer the same 201).
    assert_eq!(app.register("owner", "taken@example.com", PASSWORD).await.status(), 201);
    for name in ["copy1", "copy2"] {
        assert_eq!(app.register(name, "taken@example.com", PASSWORD).await.status(), 201);
    }
    for name in ["free1", "free2", "free3"] {
        assert_eq!(app.register(name, "free@example.com", PASSWORD).await.status(), 201);
    }

    let taken = app.register("copy3", "taken@example.com", PASSWORD).await;
    let free = app.register("free4", "FREE@example.com", PASSWORD).await;

    let (taken, free) = (error_body(taken, 429).await, error_body(free, 429).await);
    assert_eq!(taken, free, "the same answer for both");
    assert_eq!(app.register("other", "other@example.com", PASSWORD).await.status(), 201, "other addresses go on");
}

#[tokio::test]
async fn a_taken_username_does_not_count_against_the_address() {
    let app = spawn_app().await;
    assert_eq!(app.register("popular", "first@example.com", PASSWORD).await.status(), 201);
    for _ in 0..5 {
        let taken = app.register("popular", "second@example.com", PASSWORD).await;
        let body = error_body(taken, 400).await;
        assert!(body["message"]["username"].is_string(), "{body}");
    }
    assert_eq!(app.register("unique", "second@example.com", PASSWORD).await.status(), 201);
}

#[tokio::test]
async fn one_client_may_ask_for_only_so_many_confirmation_mails() {
    let app = spawn_app().await;
    let mut sessions = Vec::new();
    for i in 0..11 {
        let name = format!("many{i}");
        sessions.push(app.registered_user(&name).await);
    }
    // Every account's own pace allows a resend a minute later.
    sqlx::query("UPDATE outbox SET created_at = created_at - 61").execute(&app.state.pool).await.unwrap();
    let resend = |session: &String| app.client.post(app.url("/api/resend-confirm")).bearer_auth(session).send();
    let mut statuses = Vec::new();
    for round in 0..2 {
        for session in &sessions {
            statuses.push(resend(session).await.unwrap().status().as_u16());
        }
        if round == 0 {
            sqlx::query("UPDATE outbox SET created_at = created_at - 61").execute(&app.state.pool).await.unwrap();
        }
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 20, "{statuses:?}");
    let refused = resend(&sessions[0]).await.unwrap();
    assert!(retry_after(&refused) >= 1);
    let body = error_body(refused, 429).await;
    assert!(body["message"].as_str().unwrap().contains("from your network"), "{body}");
}
