//! Confirming an address: the mailed link (built from `APP_URL`) confirms the logged-in account and
//! returns a confirmed session, once; resending is throttled; an unconfirmed session reaches its own
//! account and nothing more.

use crate::helpers::{APP_URL, PASSWORD, TestAppBuilder, error_body, link_in, spawn_app, token_in};
use base64::Engine;
use madblog::server::{
    auth::tokens::{ConfirmClaims, Purpose, SessionClaims},
    clock::now,
};
use serde_json::{Value, json};
use std::time::Duration;

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn registration_mails_a_confirmation_link_built_from_app_url() {
    let app = spawn_app().await;

    app.register("alice", "alice@example.com", PASSWORD).await;

    let mail = app.smtp.wait_for_mail_to("alice@example.com").await;
    assert_eq!(mail["subject"], "[Madblog] Confirm Your Account");
    assert_eq!(mail["from"], "Madblog <no-reply@madblog.test>");
    assert_eq!(mail["multipart"], "multipart/alternative");
    assert!(mail["message_id"].as_str().unwrap().ends_with("@madblog.test>"));
    assert!(!mail["date"].as_str().unwrap().is_empty());
    // SMTP carries CRLF line ends.
    let text = mail["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(text.starts_with("Dear alice,\n\nWelcome to Madblog!"), "{text:?}");
    let link = link_in(&mail);
    assert!(link.starts_with(&format!("{APP_URL}/unconfirmed#token=")), "{link}");
    assert!(mail["html"].as_str().unwrap().contains(&format!(r#"<a href="{link}">"#)));
    let claims = claims_of(&token_in(&link));
    assert_eq!(claims["typ"], "confirm");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 24 * 3600);
}

#[tokio::test]
async fn following_the_link_confirms_the_account_and_returns_a_confirmed_session() {
    let app = spawn_app().await;
    let session = app.registered_user("bob").await;
    let token = app.confirmation_token("bob@example.com").await;

    let response = app.confirm(&session, &token).await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "success");
    assert_eq!(body["message"], "You have confirmed your account. Thanks!");
    let fresh = body["token"].as_str().unwrap();
    assert_eq!(claims_of(fresh)["confirmed"], true);
    let me: Value = app.me(fresh).await.json().await.unwrap();
    assert_eq!(me["confirmed"], true);
    // The old unconfirmed-looking token still works (same session version); the database decides.
    let me: Value = app.me(&session).await.json().await.unwrap();
    assert_eq!(me["confirmed"], true);
}

#[tokio::test]
async fn confirming_needs_a_login() {
    let app = spawn_app().await;
    app.registered_user("cleo").await;
    let token = app.confirmation_token("cleo@example.com").await;

    let response = app.client.get(app.url(&format!("/api/confirm/{token}"))).send().await.unwrap();

    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn another_accounts_link_confirms_nothing() {
    let app = spawn_app().await;
    app.registered_user("dan").await;
    let eve = app.registered_user("eve").await;
    let dans_token = app.confirmation_token("dan@example.com").await;

    let body = error_body(app.confirm(&eve, &dans_token).await, 400).await;

    assert_eq!(body["message"], "The confirmation link is invalid or has expired.");
    for name in ["dan", "eve"] {
        let session = app.token(name, PASSWORD).await;
        assert_eq!(app.me(&session).await.json::<Value>().await.unwrap()["confirmed"], false);
    }
}

#[tokio::test]
async fn expired_tampered_and_wrong_purpose_links_are_refused() {
    let app = spawn_app().await;
    let session = app.registered_user("fay").await;
    let good = app.confirmation_token("fay@example.com").await;
    let mut claims: ConfirmClaims = app.state.tokens.verify(Purpose::Confirm, &good).unwrap();

    claims.iat = now() - 100_000;
    claims.exp = now() - 1;
    let expired = app.state.tokens.sign(Purpose::Confirm, &claims);
    let tampered = {
        let parts: Vec<&str> = good.split('.').collect();
        let mut payload = claims_of(&good);
        payload["sub"] = json!("00000000-0000-4000-8000-000000000000");
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.{}", parts[0], b64.encode(payload.to_string()), parts[2])
    };
    let session_claims: SessionClaims = app.state.tokens.verify(Purpose::Session, &session).unwrap();
    let as_reset = app.state.tokens.sign(Purpose::Reset, &SessionClaims { typ: "reset".into(), ..session_claims });
    let other_address = {
        let mut c: ConfirmClaims = app.state.tokens.verify(Purpose::Confirm, &good).unwrap();
        c.email = "someone-else@example.com".into();
        app.state.tokens.sign(Purpose::Confirm, &c)
    };

    for bad in [
        expired.as_str(),
        tampered.as_str(),
        session.as_str(),
        as_reset.as_str(),
        other_address.as_str(),
        "garbage",
        "a.b.c",
    ] {
        let body = error_body(app.confirm(&session, bad).await, 400).await;
        assert_eq!(body["message"], "The confirmation link is invalid or has expired.");
    }
    assert_eq!(app.confirm(&session, &good).await.status(), 200, "the real link still works");
}

#[tokio::test]
async fn a_second_confirmation_says_it_is_already_done() {
    let app = spawn_app().await;
    let session = app.registered_user("gus").await;
    let token = app.confirmation_token("gus@example.com").await;
    assert_eq!(app.confirm(&session, &token).await.status(), 200);

    let body = error_body(app.confirm(&session, &token).await, 400).await;

    assert_eq!(body["message"], "You have already confirmed your account.");
}

#[tokio::test]
async fn a_client_supplied_link_base_is_ignored_unless_its_origin_is_allowed() {
    let app = TestAppBuilder::default().var("LINK_ALLOWED_ORIGINS", "http://localhost:8080").spawn().await;
    let evil = json!({"username": "hal", "email": "hal@example.com", "password": PASSWORD,
                      "confirm_email_base_url": "http://attacker.example/steal?t="});
    let seed_style = json!({"username": "ida", "email": "ida@example.com", "password": PASSWORD,
                            "confirm_email_base_url": "http://localhost:8080/#/unconfirmed/?token="});

    app.post_json("/api/users", &evil).await;
    app.post_json("/api/users", &seed_style).await;

    let hal = link_in(&app.smtp.wait_for_mail_to("hal@example.com").await);
    assert!(hal.starts_with(&format!("{APP_URL}/unconfirmed#token=")), "{hal}");
    let ida = link_in(&app.smtp.wait_for_mail_to("ida@example.com").await);
    assert!(ida.starts_with("http://localhost:8080/#/unconfirmed/?token="), "{ida}");
}

#[tokio::test]
async fn resending_mails_a_new_link_and_the_old_one_keeps_working() {
    let app = spawn_app().await;
    let session = app.registered_user("jay").await;
    let first = app.confirmation_token("jay@example.com").await;
    sqlx::query("UPDATE outbox SET created_at = created_at - 61").execute(&app.state.pool).await.unwrap();

    let response = app.client.post(app.url("/api/resend-confirm")).bearer_auth(&session).send().await.unwrap();

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "A new confirmation email has been sent to you by email.");
    let mails = app.smtp.wait_for_mails_to("jay@example.com", 2, Duration::from_secs(20)).await;
    assert_eq!(mails[1]["subject"], "[Madblog] Confirm Your Account");
    assert_eq!(app.confirm(&session, &first).await.status(), 200, "the first link still works");
}

#[tokio::test]
async fn resending_is_throttled_per_minute_and_per_hour() {
    let app = spawn_app().await;
    let session = app.registered_user("kim").await;
    app.confirmation_token("kim@example.com").await;
    let resend = || app.client.post(app.url("/api/resend-confirm")).bearer_auth(&session).send();

    let too_soon = resend().await.unwrap();
    assert_eq!(too_soon.status(), 429);
    let wait: u64 = too_soon.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body = error_body(too_soon, 429).await;
    assert!(body["message"].as_str().unwrap().contains("Please wait"));

    // Four more in the last hour, all older than a minute: the fifth in the hour is refused.
    sqlx::query("UPDATE outbox SET created_at = created_at - 3000").execute(&app.state.pool).await.unwrap();
    for _ in 0..4 {
        assert_eq!(resend().await.unwrap().status(), 200);
        sqlx::query("UPDATE outbox SET created_at = created_at - 61").execute(&app.state.pool).await.unwrap();
    }
    let hourly = resend().await.unwrap();
    assert_eq!(hourly.status(), 429);
    let wait: u64 = hourly.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 60 && wait <= 3600, "{wait}");
}

#[tokio::test]
async fn resending_needs_an_unconfirmed_login() {
    let app = spawn_app().await;
    let anonymous = app.client.post(app.url("/api/resend-confirm")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    let confirmed = app.confirmed_user("lea").await;
    let response = app.client.post(app.url("/api/resend-confirm")).bearer_auth(&confirmed).send().await.unwrap();

    let body = error_body(response, 400).await;
    assert_eq!(body["message"], "You have already confirmed your account.");
}

#[tokio::test]
async fn an_unconfirmed_session_opens_only_confirm_resend_and_me() {
    let app = spawn_app().await;
    let session = app.registered_user("max").await;
    let other = app.confirmed_user("ned").await;
    let ned_id = app.me(&other).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

    let profile = app.client.get(app.url(&format!("/api/users/{ned_id}"))).bearer_auth(&session).send().await.unwrap();

    let body = error_body(profile, 403).await;
    assert_eq!(body["error"], "Forbidden");
    assert!(body["message"].as_str().unwrap().starts_with("Please confirm your account"));
    assert_eq!(app.me(&session).await.status(), 200);
    let as_confirmed =
        app.client.get(app.url(&format!("/api/users/{ned_id}"))).bearer_auth(&other).send().await.unwrap();
    assert_eq!(as_confirmed.status(), 200);
    assert_eq!(as_confirmed.json::<Value>().await.unwrap()["username"], "ned");
}

/// What an unconfirmed account may do, as the README lists it: confirm, resend, read itself, set
/// its language, read its security log, delete itself, log out; everything else is 403.
#[tokio::test]
async fn an_unconfirmed_session_reaches_its_own_account_and_nothing_of_anyone_elses() {
    let app = spawn_app().await;
    let session = app.registered_user("uma").await;
    let other = app.confirmed_user("vic").await;
    let vic = app.me(&other).await.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let send = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut request = app.client.request(method, app.url(path)).bearer_auth(&session);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };
    use reqwest::Method;

    let allowed = [
        (Method::GET, "/api/users/me".to_owned(), None),
        (Method::GET, "/api/security-events".into(), None),
        (Method::PUT, "/api/users/me/language".into(), Some(json!({"language": "zh-CN"}))),
        (Method::POST, "/api/resend-confirm".into(), None),
        (Method::GET, "/api/confirm/not.a.token".into(), None),
        (Method::POST, "/api/confirm-code".into(), Some(json!({"code": "00000000"}))),
        // Correcting a mistyped address; a wrong password, so the address stays.
        (
            Method::POST,
            "/api/change-email".into(),
            Some(json!({"password": "not the password", "new_email": "uma2@example.com"})),
        ),
        // A wrong password, so the account stays for the rest of the test.
        (Method::DELETE, "/api/users/me".into(), Some(json!({"password": "not the password"}))),
    ];
    for (method, path, body) in allowed {
        let status = send(method.clone(), &path, body).await.unwrap().status().as_u16();
        assert!(![401, 403].contains(&status), "{method} {path}: {status}");
    }
    let refused = [
        (Method::GET, format!("/api/users/{vic}"), None),
        (Method::GET, "/api/sessions".into(), None),
        (Method::DELETE, "/api/sessions/00000000-0000-0000-0000-000000000000".into(), None),
        (Method::POST, "/api/sessions/revoke-others".into(), None),
        (
            Method::POST,
            "/api/update-password".into(),
            Some(json!({"old_password": PASSWORD, "new_password": "x y z w v u"})),
        ),
        (Method::POST, "/api/confirm-email-change/not.a.token".into(), None),
    ];
    for (method, path, body) in refused {
        let body = error_body(send(method.clone(), &path, body).await.unwrap(), 403).await;
        assert!(body["message"].as_str().unwrap().starts_with("Please confirm your account"), "{method} {path}");
    }

    // Logging out, here and everywhere, ends the sessions.
    let second = app.token("uma", PASSWORD).await;
    let out = app.client.delete(app.url("/api/tokens")).bearer_auth(&second).send().await.unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(send(Method::POST, "/api/logout-all", None).await.unwrap().status(), 200);
    assert_eq!(app.me(&session).await.status(), 401);
}

#[tokio::test]
async fn delivered_mails_leave_no_live_link_behind() {
    let app = spawn_app().await;
    app.registered_user("ola").await;
    app.confirmation_token("ola@example.com").await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (sent, text): (Option<i64>, String) =
            sqlx::query_as("SELECT sent_at, body_text FROM outbox").fetch_one(&app.state.pool).await.unwrap();
        if sent.is_some() {
            assert_eq!(text, "", "the body is scrubbed once sent");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the mail was never marked sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn server_functions_confirm_and_resend_like_the_rest_api() {
    let app = spawn_app().await;
    let session = app.registered_user("pam").await;
    let token = app.confirmation_token("pam@example.com").await;
    let call = |name: &str, form: Vec<(&'static str, String)>| {
        app.client.post(app.url(&format!("/api/fn/{name}"))).bearer_auth(&session).form(&form).send()
    };

    let throttled = call("resend-confirm", vec![]).await.unwrap();
    assert_eq!(throttled.status(), 429);
    assert!(throttled.headers().contains_key("retry-after"));
    let wrong = call("confirm", vec![("token", "garbage".into())]).await.unwrap();
    assert_eq!(wrong.status(), 400);
    let confirmed = call("confirm", vec![("token", token)]).await.unwrap();
    assert_eq!(confirmed.status(), 200);
    let fresh: String = confirmed.json().await.unwrap();
    assert_eq!(claims_of(&fresh)["confirmed"], true);
}

#[tokio::test]
async fn concurrent_resends_send_one_mail() {
    let app = spawn_app().await;
    let session = app.registered_user("quin").await;
    app.confirmation_token("quin@example.com").await;
    sqlx::query("UPDATE outbox SET created_at = created_at - 61").execute(&app.state.pool).await.unwrap();

    let attempts = (0..5).map(|_| {
        let (app, session) = (&app, &session);
        async move {
            app.client.post(app.url("/api/resend-confirm")).bearer_auth(session).send().await.unwrap().status().as_u16()
        }
    });
    let statuses = futures::future::join_all(attempts).await;

    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 4, "{statuses:?}");
}
