//! Forgotten and changed passwords: the reset request answers alike for every address, a reset link
//! works once and dies with any password change, updating keeps this session and ends the others,
//! and logging out everywhere ends them all.

use crate::helpers::{PASSWORD, TestApp, TestAppBuilder, error_body, link_in, spawn_app, token_in};
use madblog::server::{
    auth::tokens::{Purpose, ResetClaims, SessionClaims},
    clock::now,
};
use serde_json::{Value, json};
use std::time::Duration;

const NEW_PASSWORD: &str = "an entirely new passphrase";

impl TestApp {
    async fn request_reset(&self, email: &str) -> reqwest::Response {
        self.post_json("/api/reset-password-request", &json!({ "email": email })).await
    }

    /// The token of the `n`th (1-based) reset mail to `email`, waiting for it to arrive.
    async fn reset_token(&self, email: &str, n: usize) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let mails = loop {
            let mails: Vec<Value> = self
                .smtp
                .mails()
                .into_iter()
                .filter(|m| m["rcpt_tos"][0] == email && m["subject"] == "[Madblog] Reset Your Password")
                .collect();
            if mails.len() >= n {
                break mails;
            }
            assert!(tokio::time::Instant::now() < deadline, "reset mail {n} to {email} never came");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let link = link_in(&mails[n - 1]);
        assert!(link.starts_with("http://madblog.test:3000/reset-password#token="), "{link}");
        token_in(&link)
    }

    async fn reset(&self, token: &str, password: &str) -> reqwest::Response {
        self.post_json(&format!("/api/reset-password/{token}"), &json!({ "password": password })).await
    }

    async fn update_password(&self, session: &str, old: &str, new: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/update-password"))
            .bearer_auth(session)
            .json(&json!({ "old_password": old, "new_password": new }))
            .send()
            .await
            .unwrap()
    }

    async fn mails_with_subject(&self, email: &str, subject: &str) -> usize {
        self.smtp.mails().iter().filter(|m| m["rcpt_tos"][0] == email && m["subject"] == subject).count()
    }
}

/// A confirmed account `name`; its confirmation mail is already in.
async fn account(app: &TestApp, name: &str) -> String {
    app.confirmed_user(name).await
}

#[tokio::test]
async fn a_reset_request_answers_the_same_for_known_and_unknown_addresses() {
    let app = spawn_app().await;
    account(&app, "ann").await;

    let known = app.request_reset("ann@example.com").await;
    let unknown = app.request_reset("nobody@example.com").await;

    assert_eq!(known.status(), 200);
    assert_eq!(unknown.status(), 200);
    let (known, unknown): (Value, Value) = (known.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(known, unknown);
    assert_eq!(
        known,
        json!({"status": "success", "message": "If that address has an account, an email with instructions to reset your password has been sent."})
    );
    app.reset_token("ann@example.com", 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(app.smtp.mails().iter().all(|m| m["rcpt_tos"][0] != "nobody@example.com"));
}

#[tokio::test]
async fn a_malformed_address_gets_400() {
    let app = spawn_app().await;
    for body in [json!({"email": "not-an-address"}), json!({}), json!({"email": null})] {
        let body = error_body(app.post_json("/api/reset-password-request", &body).await, 400).await;
        assert_eq!(body["message"]["email"], "Please provide a valid email address.");
    }
}

#[tokio::test]
async fn unconfirmed_accounts_can_reset_too() {
    let app = spawn_app().await;
    app.registered_user("ben").await;

    app.request_reset("BEN@example.com").await;

    let token = app.reset_token("ben@example.com", 1).await;
    assert_eq!(app.reset(&token, NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_reset_link_works_once_and_only_once() {
    let app = spawn_app().await;
    let old_session = account(&app, "cat").await;
    app.request_reset("cat@example.com").await;
    let token = app.reset_token("cat@example.com", 1).await;

    let first = app.reset(&token, NEW_PASSWORD).await;
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.json::<Value>().await.unwrap(),
        json!({"status": "success", "message": "Your password has been reset."})
    );

    let again = error_body(app.reset(&token, "yet another passphrase").await, 400).await;
    assert_eq!(again["message"], "The reset password link is invalid or has expired.");
    assert_eq!(app.login("cat", PASSWORD).await.status(), 401, "the old password is gone");
    assert_eq!(app.login("cat", NEW_PASSWORD).await.status(), 200, "the first reset's password stands");
    assert_eq!(app.me(&old_session).await.status(), 401, "every session ended");
}

#[tokio::test]
async fn concurrent_uses_of_one_link_reset_once() {
    let app = spawn_app().await;
    account(&app, "cid").await;
    app.request_reset("cid@example.com").await;
    let token = app.reset_token("cid@example.com", 1).await;

    let attempts = (0..5).map(|i| {
        let (app, token) = (&app, &token);
        async move { app.reset(token, &format!("{NEW_PASSWORD} {i}")).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(attempts).await;

    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 4, "{statuses:?}");
}

#[tokio::test]
async fn using_one_link_kills_every_earlier_link() {
    let app = spawn_app().await;
    account(&app, "dot").await;
    app.request_reset("dot@example.com").await;
    let first = app.reset_token("dot@example.com", 1).await;
    sqlx::query("UPDATE outbox SET created_at = created_at - 61").execute(&app.state.pool).await.unwrap();
    app.request_reset("dot@example.com").await;
    let second = app.reset_token("dot@example.com", 2).await;

    assert_eq!(app.reset(&second, NEW_PASSWORD).await.status(), 200);

    let body = error_body(app.reset(&first, "yet another passphrase").await, 400).await;
    assert_eq!(body["message"], "The reset password link is invalid or has expired.");
}

#[tokio::test]
async fn a_password_update_kills_outstanding_reset_links() {
    let app = spawn_app().await;
    let session = account(&app, "eli").await;
    app.request_reset("eli@example.com").await;
    let token = app.reset_token("eli@example.com", 1).await;

    assert_eq!(app.update_password(&session, PASSWORD, NEW_PASSWORD).await.status(), 200);

    assert_eq!(app.reset(&token, "yet another passphrase").await.status(), 400);
}

#[tokio::test]
async fn expired_tampered_and_wrong_purpose_reset_links_are_refused() {
    let app = spawn_app().await;
    let session = account(&app, "fox").await;
    app.request_reset("fox@example.com").await;
    let good = app.reset_token("fox@example.com", 1).await;
    let claims: ResetClaims = app.state.tokens.verify(Purpose::Reset, &good).unwrap();
    let expired =
        app.state.tokens.sign(Purpose::Reset, &ResetClaims { iat: now() - 7200, exp: now() - 1, ..claims.clone() });
    let tampered = {
        let (head, rest) = good.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let forged = json!({"sub": claims.sub, "pwd": "AAAAAAAAAAAAAAAAAAAAAA", "typ": "reset", "iat": claims.iat, "exp": claims.exp});
        format!("{head}.{}.{sig}", b64.encode(forged.to_string()))
    };
    let session_claims: SessionClaims = app.state.tokens.verify(Purpose::Session, &session).unwrap();
    let confirm_as_reset =
        app.state.tokens.sign(Purpose::Confirm, &SessionClaims { typ: "confirm".into(), ..session_claims });

    for bad in [expired.as_str(), tampered.as_str(), session.as_str(), confirm_as_reset.as_str(), "garbage"] {
        let body = error_body(app.reset(bad, NEW_PASSWORD).await, 400).await;
        assert_eq!(body["message"], "The reset password link is invalid or has expired.");
    }
    assert_eq!(app.reset(&good, NEW_PASSWORD).await.status(), 200, "the real link still works");
}

#[tokio::test]
async fn a_weak_new_password_is_refused_and_the_link_survives() {
    let app = spawn_app().await;
    account(&app, "gil").await;
    app.request_reset("gil@example.com").await;
    let token = app.reset_token("gil@example.com", 1).await;

    for (weak, message) in [("short", "at least 8"), ("password123", "most common"), ("", "valid password")] {
        let body = error_body(app.reset(&token, weak).await, 400).await;
        assert!(body["message"].as_str().unwrap().contains(message), "{body}");
    }
    assert_eq!(app.reset(&token, NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_reset_tells_the_owner_without_any_secret() {
    let app = spawn_app().await;
    account(&app, "hal").await;
    app.request_reset("hal@example.com").await;
    let token = app.reset_token("hal@example.com", 1).await;

    app.reset(&token, NEW_PASSWORD).await;

    let mails = app.smtp.wait_for_mails_to("hal@example.com", 3, Duration::from_secs(20)).await;
    let notice = mails.iter().find(|m| m["subject"] == "[Madblog] Your password was changed").expect("a notice");
    let text = notice["text"].as_str().unwrap();
    assert!(text.contains("was reset just now"), "{text}");
    assert!(!text.contains(NEW_PASSWORD) && !text.contains(&token) && !text.contains("token="));
}

#[tokio::test]
async fn reset_mails_are_throttled_per_account_without_changing_the_answer() {
    let app = spawn_app().await;
    account(&app, "ivy").await;

    for _ in 0..4 {
        assert_eq!(app.request_reset("ivy@example.com").await.status(), 200);
    }
    app.reset_token("ivy@example.com", 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;

    assert_eq!(app.mails_with_subject("ivy@example.com", "[Madblog] Reset Your Password").await, 1);
}

#[tokio::test]
async fn a_flood_of_reset_requests_from_one_address_gets_429() {
    let app = TestAppBuilder::default().var("RESET_REQUESTS_PER_IP", "5").spawn().await;

    for i in 0..5 {
        assert_eq!(app.request_reset(&format!("flood{i}@example.com")).await.status(), 200);
    }
    let flooded = app.request_reset("flood@example.com").await;

    assert_eq!(flooded.status(), 429);
    assert!(flooded.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 0);
}

#[tokio::test]
async fn updating_the_password_keeps_this_session_and_ends_the_others() {
    let app = spawn_app().await;
    let this_tab = account(&app, "jon").await;
    let other_device = app.token("jon", PASSWORD).await;

    let response = app.update_password(&this_tab, PASSWORD, NEW_PASSWORD).await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "Your password has been updated.");
    let fresh = body["token"].as_str().unwrap();
    assert_eq!(app.me(fresh).await.status(), 200, "the fresh token works");
    assert_eq!(app.me(&this_tab).await.status(), 401);
    assert_eq!(app.me(&other_device).await.status(), 401);
    assert_eq!(app.login("jon", NEW_PASSWORD).await.status(), 200);
    let notice = app.smtp.wait_for_mails_to("jon@example.com", 2, Duration::from_secs(20)).await;
    assert!(notice.iter().any(|m| m["subject"] == "[Madblog] Your password was changed"));
}

#[tokio::test]
async fn update_password_says_what_is_wrong() {
    let app = spawn_app().await;
    let session = account(&app, "kay").await;
    let cases = [
        ("", NEW_PASSWORD, "Please provide a valid old password."),
        (PASSWORD, "  ", "Please provide a valid new password."),
        (PASSWORD, PASSWORD, "The new password is equal to the old password."),
        ("not the password", NEW_PASSWORD, "The old password is wrong."),
        (PASSWORD, "short", "Passwords need at least 8 characters."),
        (PASSWORD, "password123", "This password is one of the most common ones; please choose another."),
    ];
    for (old, new, message) in cases {
        let body = error_body(app.update_password(&session, old, new).await, 400).await;
        assert_eq!(body["message"], message);
    }
    assert_eq!(app.me(&session).await.status(), 200, "nothing changed");
}

#[tokio::test]
async fn wrong_old_passwords_are_limited() {
    let app = spawn_app().await;
    let session = account(&app, "lou").await;

    for _ in 0..5 {
        assert_eq!(app.update_password(&session, "wrong guess", NEW_PASSWORD).await.status(), 400);
    }
    let limited = app.update_password(&session, PASSWORD, NEW_PASSWORD).await;

    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn updating_the_password_needs_a_confirmed_login() {
    let app = spawn_app().await;
    let anonymous = app.client.post(app.url("/api/update-password")).json(&json!({})).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    let unconfirmed = app.registered_user("mo_").await;
    let body = error_body(app.update_password(&unconfirmed, PASSWORD, NEW_PASSWORD).await, 403).await;
    assert_eq!(body["error"], "Forbidden");
}

#[tokio::test]
async fn logging_out_everywhere_ends_every_session() {
    let app = spawn_app().await;
    let a = account(&app, "ned").await;
    let b = app.token("ned", PASSWORD).await;

    let response = app.client.post(app.url("/api/logout-all")).bearer_auth(&a).send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(app.me(&a).await.status(), 401);
    assert_eq!(app.me(&b).await.status(), 401);
    assert_eq!(app.login("ned", PASSWORD).await.status(), 200, "logging in again works");
}

#[tokio::test]
async fn a_reset_clears_the_login_lockout() {
    let app = spawn_app().await;
    account(&app, "oz_").await;
    for _ in 0..10 {
        app.login("oz_", "wrong guess").await;
    }
    assert_eq!(app.login("oz_", PASSWORD).await.status(), 429);
    app.request_reset("oz_@example.com").await;
    let token = app.reset_token("oz_@example.com", 1).await;

    assert_eq!(app.reset(&token, NEW_PASSWORD).await.status(), 200);

    assert_eq!(app.login("oz_", NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn reset_pages_send_no_referrer() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/reset-password")).send().await.unwrap();
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
}
