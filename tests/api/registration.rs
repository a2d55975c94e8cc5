//! Registering: one unconfirmed account per valid form, its password stored as argon2id, a message
//! per bad field, and a taken name or address decided by the unique keys under any concurrency.

use crate::helpers::{PASSWORD, TestAppBuilder, error_body, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn registering_with_valid_data_creates_one_unconfirmed_account() {
    let app = spawn_app().await;

    let response = app.register("alice", " Alice@Example.COM ", PASSWORD).await;

    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "success");
    assert!(body["message"].as_str().unwrap().contains("confirm"));
    let token = app.token("alice", PASSWORD).await;
    let me: Value = app.me(&token).await.json().await.unwrap();
    assert_eq!(me["username"], "alice");
    assert_eq!(me["email"], "Alice@example.com", "trimmed, domain lower-cased");
    assert_eq!(me["confirmed"], false);
    assert_eq!(app.count_users().await, 1);
}

#[tokio::test]
async fn the_password_is_stored_as_an_argon2id_hash() {
    let app = spawn_app().await;
    app.register("hashy", "hashy@example.com", PASSWORD).await;

    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(&app.state.pool).await.unwrap();

    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(!hash.contains(PASSWORD));
}

#[tokio::test]
async fn each_invalid_field_gets_its_own_message() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"username": "  ", "email": "ok@example.com", "password": PASSWORD}),
            "username",
            "Please provide a valid username.",
        ),
        (
            json!({"username": "ab", "email": "ok@example.com", "password": PASSWORD}),
            "username",
            "Usernames are 3 to 32 characters long.",
        ),
        (json!({"username": "a@b", "email": "ok@example.com", "password": PASSWORD}), "username", "Use only letters"),
        (
            json!({"username": "okname", "email": "not-an-email", "password": PASSWORD}),
            "email",
            "Please provide a valid email address.",
        ),
        (
            json!({"username": "okname", "email": "ok@example.com", "password": "short"}),
            "password",
            "at least 8 characters",
        ),
        (
            json!({"username": "okname", "email": "ok@example.com", "password": "password123"}),
            "password",
            "most common",
        ),
        (
            json!({"username": "okname", "email": "ok@example.com", "password": "x".repeat(129)}),
            "password",
            "at most 128",
        ),
    ];
    for (body, field, message) in cases {
        let response = app.post_json("/api/users", &body).await;
        let body = error_body(response, 400).await;
        assert_eq!(body["error"], "Bad Request");
        let got = body["message"][field].as_str().unwrap_or_default();
        assert!(got.contains(message), "{field}: expected {message:?}, got {body}");
        assert_eq!(body["message"].as_object().unwrap().len(), 1, "only {field} is wrong: {body}");
    }
    assert_eq!(app.count_users().await, 0);
}

#[tokio::test]
async fn missing_and_null_fields_are_reported_together() {
    let app = spawn_app().await;
    for body in [json!({}), json!({"username": null, "email": null, "password": null})] {
        let body = error_body(app.post_json("/api/users", &body).await, 400).await;
        assert_eq!(body["message"]["username"], "Please provide a valid username.");
        assert_eq!(body["message"]["email"], "Please provide a valid email address.");
        assert_eq!(body["message"]["password"], "Please provide a valid password.");
    }
}

#[tokio::test]
async fn a_taken_username_is_refused_whatever_its_case() {
    let app = spawn_app().await;
    assert_eq!(app.register("Bob", "bob@example.com", PASSWORD).await.status(), 201);

    let body = error_body(app.register("bOB", "other@example.com", PASSWORD).await, 400).await;

    assert_eq!(body["message"]["username"], "Please use a different username.");
    assert_eq!(app.count_users().await, 1);
}

#[tokio::test]
async fn registering_a_taken_address_answers_like_a_new_one_and_tells_the_owner() {
    let app = spawn_app().await;
    let first = app.register("carol", "carol@example.com", PASSWORD).await;
    let (first_status, first_body) = (first.status(), first.text().await.unwrap());
    app.confirmation_token("carol@example.com").await;

    let again = app.register("carol2", "CAROL@EXAMPLE.com", PASSWORD).await;

    assert_eq!(again.status(), first_status);
    assert_eq!(again.text().await.unwrap(), first_body, "same body, so the answer reveals nothing");
    assert_eq!(app.count_users().await, 1, "nothing is created");
    let mails = app.smtp.wait_for_mails_to("carol@example.com", 2, std::time::Duration::from_secs(20)).await;
    let notice = &mails[1];
    assert_eq!(notice["subject"], "[Madblog] Someone tried to register with your address");
    let text = notice["text"].as_str().unwrap();
    assert!(text.contains("Dear carol,") && text.contains("forget your password"), "{text}");
    assert!(!text.contains("carol2"), "the notice doesn't echo what the stranger typed");
}

#[tokio::test]
async fn the_owner_gets_at_most_one_notice_an_hour() {
    let app = spawn_app().await;
    app.register("dave", "dave@example.com", PASSWORD).await;
    // Two more: the most an address may see in an hour, with the owner's own.
    for i in 0..2 {
        assert_eq!(app.register(&format!("dave{i}"), "dave@example.com", PASSWORD).await.status(), 201);
    }
    app.smtp.wait_for_mails_to("dave@example.com", 2, std::time::Duration::from_secs(20)).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(app.smtp.mails().len(), 2, "one confirmation, one notice");
}

#[tokio::test]
async fn a_taken_username_with_a_taken_address_reports_the_username_only() {
    let app = spawn_app().await;
    app.register("erin", "erin@example.com", PASSWORD).await;

    let body = error_body(app.register("ERIN", "erin@example.com", PASSWORD).await, 400).await;

    assert_eq!(body["message"], json!({"username": "Please use a different username."}));
}

#[tokio::test]
async fn a_hundred_concurrent_registrations_of_one_username_make_exactly_one_account() {
    let app = TestAppBuilder::default().var("REGISTRATIONS_PER_IP", "1000").spawn().await;

    let attempts = (0..100).map(|i| {
        let app = &app;
        async move { app.register("racer", &format!("racer{i}@example.com"), PASSWORD).await }
    });
    let responses = futures::future::join_all(attempts).await;

    let mut created = 0;
    for response in responses {
        match response.status().as_u16() {
            201 => created += 1,
            400 => {
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["message"]["username"], "Please use a different username.");
            }
            other => panic!("unexpected status {other}: {}", response.text().await.unwrap()),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(app.count_users().await, 1);
}
