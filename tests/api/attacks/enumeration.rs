//! Account enumeration: every question a stranger can ask about an address or a name (register
//! with it, log in as it, ask to reset it, try a reset code for it, ask to sign in by email with
//! it) gets the same status and the same body (for sign-in by email, whose answer carries fresh
//! random ids, the same shape) whether or not an account has it, over REST and through server
//! functions. How long
//! the answers take is measured by `bench/enumeration_timing.py`, not asserted here.
//!
//! Resending a confirmation and confirming by code need the account's own session, so they have
//! no stranger's version to compare.
//!
//! What registering leads to does differ, and can't not: a free address gets an account the
//! prober can log in to, a taken one gets none. Each such guess costs the prober an account and a
//! registration from its allowance; the README says so, and the last test here shows it.

use crate::helpers::{PASSWORD, TestApp, TestAppBuilder};
use reqwest::Response;
use serde_json::json;

/// Status, `WWW-Authenticate` and body: everything a client can read of an answer.
async fn answer(response: Response) -> (u16, Option<String>, String) {
    let status = response.status().as_u16();
    let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
    (status, challenge, response.text().await.unwrap())
}

async fn app_with_an_account() -> TestApp {
    let app = TestAppBuilder::default().var("REGISTRATIONS_PER_IP", "1000").spawn().await;
    app.confirmed_user("known").await;
    app
}

async fn server_fn(app: &TestApp, name: &str, form: &[(&str, &str)]) -> Response {
    app.client.post(app.url(&format!("/api/fn/{name}"))).form(form).send().await.unwrap()
}

#[tokio::test]
async fn registering_with_a_taken_or_a_free_address_answers_alike() {
    let app = app_with_an_account().await;
    let taken = answer(app.register("stranger1", "known@example.com", PASSWORD).await).await;
    let free = answer(app.register("stranger2", "free@example.com", PASSWORD).await).await;
    assert_eq!(taken, free);
    assert_eq!(taken.0, 201);

    let taken = answer(
        server_fn(
            &app,
            "register",
            &[("username", "stranger3"), ("email", "KNOWN@example.com"), ("password", PASSWORD)],
        )
        .await,
    )
    .await;
    let free = answer(
        server_fn(
            &app,
            "register",
            &[("username", "stranger4"), ("email", "free2@example.com"), ("password", PASSWORD)],
        )
        .await,
    )
    .await;
    assert_eq!(taken, free, "through the server function too");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_name_answer_alike() {
    let app = app_with_an_account().await;
    for (known, unknown) in [("known", "unknown"), ("known@example.com", "unknown@example.com"), ("KNOWN", "UNKNOWN")] {
        let known_answer = answer(app.login(known, "not the password").await).await;
        let unknown_answer = answer(app.login(unknown, "not the password").await).await;
        assert_eq!(known_answer, unknown_answer, "{known} / {unknown}");
        assert_eq!(known_answer.0, 401);

        let known_answer =
            answer(server_fn(&app, "login", &[("login", known), ("password", "not the password")]).await).await;
        let unknown_answer =
            answer(server_fn(&app, "login", &[("login", unknown), ("password", "not the password")]).await).await;
        assert_eq!(known_answer, unknown_answer, "server function: {known} / {unknown}");
    }
}

#[tokio::test]
async fn guessing_one_name_too_often_is_refused_alike_whether_it_exists_or_not() {
    let app = app_with_an_account().await;
    let mut known_answers = Vec::new();
    let mut unknown_answers = Vec::new();
    for _ in 0..12 {
        known_answers.push(answer(app.login("known", "not the password").await).await.0);
        unknown_answers.push(answer(app.login("nobody", "not the password").await).await.0);
    }
    assert_eq!(known_answers, unknown_answers);
    assert!(known_answers.ends_with(&[429, 429]), "{known_answers:?}");
}

#[tokio::test]
async fn a_reset_request_for_a_known_or_an_unknown_address_answers_alike() {
    let app = app_with_an_account().await;
    let known =
        answer(app.post_json("/api/reset-password-request", &json!({"email": "known@example.com"})).await).await;
    let unknown =
        answer(app.post_json("/api/reset-password-request", &json!({"email": "nobody@example.com"})).await).await;
    assert_eq!(known, unknown);
    assert_eq!(known.0, 200);
    // Asked again at once: the known account's mail budget skips the mail, and says nothing of it.
    let again =
        answer(app.post_json("/api/reset-password-request", &json!({"email": "known@example.com"})).await).await;
    assert_eq!(again, unknown);

    let known = answer(server_fn(&app, "reset-password-request", &[("email", "known@example.com")]).await).await;
    let unknown = answer(server_fn(&app, "reset-password-request", &[("email", "nobody@example.com")]).await).await;
    assert_eq!(known, unknown, "through the server function too");
}

#[tokio::test]
async fn a_wrong_reset_code_for_a_known_or_an_unknown_address_answers_alike() {
    let app = app_with_an_account().await;
    // The known account has a live code: a wrong guess must still look like a guess at nothing.
    app.post_json("/api/reset-password-request", &json!({"email": "known@example.com"})).await;
    app.smtp.wait_for_mails_to("known@example.com", 2, std::time::Duration::from_secs(20)).await;
    let app = &app;
    let guess = |email: &str| {
        let body = json!({"email": email, "code": "0000 0000", "password": "a brand new passphrase"});
        async move { app.post_json("/api/reset-password-code", &body).await }
    };
    let known = answer(guess("known@example.com").await).await;
    let unknown = answer(guess("nobody@example.com").await).await;
    assert_eq!(known, unknown);
    assert_eq!(known.0, 400);

    let form = |email: &'static str| [("email", email), ("code", "0000 0000"), ("password", "a brand new passphrase")];
    let known = answer(server_fn(app, "reset-password-code", &form("known@example.com")).await).await;
    let unknown = answer(server_fn(app, "reset-password-code", &form("nobody@example.com")).await).await;
    assert_eq!(known, unknown, "through the server function too");
}

/// An answer's status, and its body's keys with the lengths of their values (the message itself).
async fn shape(response: Response) -> (u16, Vec<(String, String)>) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    let mut keys: Vec<(String, String)> = body
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (k.clone(), if k == "message" { v.to_string() } else { v.as_str().map_or(0, str::len).to_string() })
        })
        .collect();
    keys.sort();
    (status, keys)
}

#[tokio::test]
async fn a_sign_in_by_email_for_a_known_or_an_unknown_address_answers_alike() {
    let app = app_with_an_account().await;
    let known = shape(app.post_json("/api/email-login", &json!({"email": "known@example.com"})).await).await;
    let unknown = shape(app.post_json("/api/email-login", &json!({"email": "nobody@example.com"})).await).await;
    assert_eq!(known, unknown);
    assert_eq!(known.0, 200);

    let known = shape(server_fn(&app, "email-login", &[("email", "KNOWN@example.com")]).await).await;
    let unknown = shape(server_fn(&app, "email-login", &[("email", "nobody2@example.com")]).await).await;
    assert_eq!(known, unknown, "through the server function too");
    assert_eq!(known.0, 200);
}

#[tokio::test]
async fn registering_reveals_a_free_address_only_through_the_account_it_makes() {
    let app = app_with_an_account().await;

    app.register("probe1", "known@example.com", PASSWORD).await;
    app.register("probe2", "free@example.com", PASSWORD).await;

    assert_eq!(app.login("probe1", PASSWORD).await.status(), 401, "a taken address made no account");
    assert_eq!(app.login("probe2", PASSWORD).await.status(), 200, "a free one did, unconfirmed");
    assert_eq!(app.count_users().await, 2, "the guess cost the prober an account");
}
