//! Logging in: by username or email in any case, a session token with the documented claims, one
//! 401 for every failure, and the per-name limit that holds even for the right password.

use crate::helpers::{PASSWORD, spawn_app};
use serde_json::Value;

#[tokio::test]
async fn logging_in_by_username_or_email_in_any_case_returns_a_session_token() {
    let app = spawn_app().await;
    app.register("Dora", "dora@example.com", PASSWORD).await;

    for login in ["Dora", "dora", "DORA@example.com", " dora@EXAMPLE.com "] {
        let response = app.login(login, PASSWORD).await;
        assert_eq!(response.status(), 200, "{login}");
        let token = response.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        assert_eq!(app.me(&token).await.status(), 200);
    }
}

#[tokio::test]
async fn the_session_token_carries_the_documented_claims() {
    use base64::Engine;
    let app = spawn_app().await;
    let token = app.registered_user("claims").await;

    let parts: Vec<&str> = token.split('.').collect();
    let decode = |s: &str| -> Value {
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()).unwrap()
    };
    let (header, claims) = (decode(parts[0]), decode(parts[1]));

    assert_eq!(header["alg"], "HS256");
    assert_eq!(claims["typ"], "session");
    assert_eq!(claims["name"], "claims");
    assert_eq!(claims["confirmed"], false);
    assert_eq!(claims["ver"], 1);
    // `exp` is the session's absolute end (90 days); the token rotates long before (see
    // session_lifetime), each rotation one generation further.
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 90 * 86_400);
    assert_eq!(claims["gen"], 0);
    assert!(uuid::Uuid::parse_str(claims["sub"].as_str().unwrap()).is_ok());
    assert!(uuid::Uuid::parse_str(claims["sid"].as_str().unwrap()).is_ok(), "the session's row");
}

#[tokio::test]
async fn every_failed_login_gets_the_same_401() {
    let app = spawn_app().await;
    app.register("erin", "erin@example.com", PASSWORD).await;

    let wrong_password = app.login("erin", "not the password").await;
    let unknown_user = app.login("nobody", PASSWORD).await;
    let empty = app.login("", "").await;
    let no_header = app.client.post(app.url("/api/tokens")).send().await.unwrap();
    let garbage = app.client.post(app.url("/api/tokens")).header("Authorization", "Basic %%%").send().await.unwrap();
    let bearer = app.client.post(app.url("/api/tokens")).bearer_auth("x").send().await.unwrap();

    for response in [wrong_password, unknown_user, empty, no_header, garbage, bearer] {
        assert_eq!(response.status(), 401);
        assert!(response.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
        assert_eq!(response.json::<Value>().await.unwrap(), crate::sessions::unauthorized_body());
    }
}

#[tokio::test]
async fn a_login_updates_last_seen() {
    let app = spawn_app().await;
    let token = app.registered_user("frank").await;
    sqlx::query("UPDATE users SET last_seen = 0").execute(&app.state.pool).await.unwrap();

    app.token("frank", PASSWORD).await;

    let me: Value = app.me(&token).await.json().await.unwrap();
    assert_ne!(me["last_seen"], "1970-01-01T00:00:00Z");
}

#[tokio::test]
async fn too_many_failed_logins_for_one_name_are_throttled_even_with_the_right_password() {
    let app = spawn_app().await;
    app.register("nina", "nina@example.com", PASSWORD).await;

    for _ in 0..10 {
        assert_eq!(app.login("nina", "wrong guess").await.status(), 401);
    }
    let throttled = app.login("NINA", PASSWORD).await;

    assert_eq!(throttled.status(), 429);
    let retry_after: u64 = throttled.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    let body: Value = throttled.json().await.unwrap();
    assert_eq!(body["error"], "Too Many Requests");
    assert!(body["message"].as_str().unwrap().contains("Too many failed login attempts"));
    // Another account is unaffected, and an unknown name is throttled the same way (no oracle).
    app.register("omar", "omar@example.com", PASSWORD).await;
    assert_eq!(app.login("omar", PASSWORD).await.status(), 200);
    for _ in 0..10 {
        assert_eq!(app.login("ghost", "wrong guess").await.status(), 401);
    }
    assert_eq!(app.login("ghost", "wrong guess").await.status(), 429);
}

#[tokio::test]
async fn a_successful_login_forgets_earlier_failures() {
    let app = spawn_app().await;
    app.register("pia", "pia@example.com", PASSWORD).await;

    for _ in 0..9 {
        app.login("pia", "wrong guess").await;
    }
    assert_eq!(app.login("pia", PASSWORD).await.status(), 200);
    for _ in 0..9 {
        app.login("pia", "wrong guess").await;
    }

    assert_eq!(app.login("pia", PASSWORD).await.status(), 200);
}
