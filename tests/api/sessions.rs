//! What a request's session token must be: of the session purpose, signed by us, for an account
//! that exists at its current session version; anything else is the same 401, never a 500.

use crate::helpers::spawn_app;
use base64::Engine;
use madblog::server::{
    auth::tokens::{Purpose, SessionClaims},
    clock::now,
    db::users,
};
use serde_json::{Value, json};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

async fn assert_unauthorized(response: reqwest::Response) {
    assert_eq!(response.status(), 401);
    assert_eq!(response.json::<Value>().await.unwrap(), unauthorized_body());
}

/// Every 401 says the same, whatever was wrong.
pub fn unauthorized_body() -> Value {
    json!({"error": "Unauthorized", "message": madblog::i18n::Locale::En.text().error_unauthorized})
}

#[tokio::test]
async fn me_returns_the_account_of_the_token() {
    let app = spawn_app().await;
    let token = app.registered_user("gina").await;

    let me: Value = app.me(&token).await.json().await.unwrap();

    assert_eq!(me["username"], "gina");
    assert_eq!(me["email"], "gina@example.com");
    for key in ["id", "confirmed", "created_at", "last_seen"] {
        assert!(me.get(key).is_some(), "{key} missing from {me}");
    }
    assert!(me.get("password_hash").is_none());
}

#[tokio::test]
async fn requests_without_a_valid_session_token_get_401_never_500() {
    let app = spawn_app().await;
    let token = app.registered_user("hank").await;
    let payload = token.split('.').nth(1).unwrap();
    let none_token = format!("{}.{payload}.", B64.encode(r#"{"alg":"none","typ":"JWT"}"#));
    let hs512_header =
        format!("{}.{payload}.{}", B64.encode(r#"{"alg":"HS512","typ":"JWT"}"#), token.split('.').nth(2).unwrap());
    let tampered = {
        let mut claims: Value = serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap();
        claims["confirmed"] = json!(true);
        let parts: Vec<&str> = token.split('.').collect();
        format!("{}.{}.{}", parts[0], B64.encode(claims.to_string()), parts[2])
    };

    for bad in ["", "garbage", "a.b.c", none_token.as_str(), hs512_header.as_str(), tampered.as_str()] {
        assert_unauthorized(app.me(bad).await).await;
    }
    assert_unauthorized(app.client.get(app.url("/api/users/me")).send().await.unwrap()).await;
    let basic = app.client.get(app.url("/api/users/me")).basic_auth("hank", Some("x")).send().await.unwrap();
    assert_unauthorized(basic).await;
}

#[tokio::test]
async fn a_token_of_another_purpose_is_not_a_session() {
    let app = spawn_app().await;
    let token = app.registered_user("ivy").await;
    let mut claims: SessionClaims = app.state.tokens.verify(Purpose::Session, &token).unwrap();

    claims.typ = "confirm".into();
    let confirm_token = app.state.tokens.sign(Purpose::Confirm, &claims);
    claims.typ = "reset".into();
    let reset_token = app.state.tokens.sign(Purpose::Reset, &claims);

    assert_unauthorized(app.me(&confirm_token).await).await;
    assert_unauthorized(app.me(&reset_token).await).await;
}

#[tokio::test]
async fn an_expired_session_token_is_refused() {
    let app = spawn_app().await;
    let token = app.registered_user("jack").await;
    let mut claims: SessionClaims = app.state.tokens.verify(Purpose::Session, &token).unwrap();
    claims.iat = now() - 7200;
    claims.exp = now() - 1;

    let expired = app.state.tokens.sign(Purpose::Session, &claims);

    assert_unauthorized(app.me(&expired).await).await;
}

#[tokio::test]
async fn a_session_token_dies_when_its_users_session_version_changes() {
    let app = spawn_app().await;
    let old = app.registered_user("kate").await;
    let claims: SessionClaims = app.state.tokens.verify(Purpose::Session, &old).unwrap();

    users::bump_session_version(&app.state.pool, &claims.sub).await.unwrap();

    assert_unauthorized(app.me(&old).await).await;
    let fresh = app.token("kate", crate::helpers::PASSWORD).await;
    assert_eq!(app.me(&fresh).await.status(), 200);
}

#[tokio::test]
async fn a_token_for_a_deleted_account_is_refused() {
    let app = spawn_app().await;
    let token = app.registered_user("leo").await;

    sqlx::query("DELETE FROM users").execute(&app.state.pool).await.unwrap();

    assert_unauthorized(app.me(&token).await).await;
}

#[tokio::test]
async fn health_answers_once_the_database_does() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
}
