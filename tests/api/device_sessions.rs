//! Device sessions: each login is a row the account can list and end, one at a time or all but
//! this one; logging out ends this one; a password change keeps only the tab that made it.

use crate::helpers::{PASSWORD, TestApp, spawn_app};
use serde_json::{Value, json};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const PHONE: &str = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36";

async fn login_with(app: &TestApp, name: &str, user_agent: &str) -> String {
    let r = app
        .client
        .post(app.url("/api/tokens"))
        .basic_auth(name, Some(PASSWORD))
        .header("User-Agent", user_agent)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

async fn sessions(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.client.get(app.url("/api/sessions")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Vec<Value>>().await.unwrap()
}

fn sid(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn each_login_is_a_session_listed_with_its_device() {
    let app = spawn_app().await;
    let first = app.confirmed_user("ann").await;
    let laptop = login_with(&app, "ann", FIREFOX).await;
    let phone = login_with(&app, "ann", PHONE).await;

    let listed = sessions(&app, &laptop).await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    let mine: Vec<_> = listed.iter().filter(|s| s["current"] == json!(true)).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["id"], sid(&laptop));
    assert_eq!(mine[0]["user_agent"], "Firefox on Linux");
    assert_eq!(mine[0]["ip"], "127.0.0.1");
    assert!(mine[0]["created_at"].as_str().unwrap().ends_with('Z'));
    let other = listed.iter().find(|s| s["id"] == sid(&phone)).unwrap();
    assert_eq!((other["user_agent"].as_str(), other["current"].as_bool()), (Some("Chrome on Android"), Some(false)));
    assert!(listed.iter().any(|s| s["id"] == sid(&first)));
}

#[tokio::test]
async fn logging_out_refuses_that_token_and_no_other() {
    let app = spawn_app().await;
    app.confirmed_user("bob").await;
    let a = login_with(&app, "bob", FIREFOX).await;
    let b = login_with(&app, "bob", PHONE).await;

    let out = app.client.delete(app.url("/api/tokens")).bearer_auth(&a).send().await.unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(app.me(&a).await.status(), 401, "a logged-out token is refused");
    assert_eq!(app.me(&b).await.status(), 200);
    let again = app.client.delete(app.url("/api/tokens")).bearer_auth(&a).send().await.unwrap();
    assert_eq!(again.status(), 401);
    assert!(sessions(&app, &b).await.iter().all(|s| s["id"] != sid(&a)));
}

#[tokio::test]
async fn one_session_can_be_ended_but_only_the_accounts_own() {
    let app = spawn_app().await;
    let cy = app.confirmed_user("cyd").await;
    let cy_phone = login_with(&app, "cyd", PHONE).await;
    let dee = app.confirmed_user("dee").await;

    // Someone else's session: 404, as for an id that doesn't exist; it goes on working.
    let foreign =
        app.client.delete(app.url(&format!("/api/sessions/{}", sid(&dee)))).bearer_auth(&cy).send().await.unwrap();
    assert_eq!(foreign.status(), 404);
    assert_eq!(app.me(&dee).await.status(), 200);
    let unknown = app.client.delete(app.url("/api/sessions/no-such-session")).bearer_auth(&cy).send().await.unwrap();
    assert_eq!(unknown.status(), 404);

    let ended =
        app.client.delete(app.url(&format!("/api/sessions/{}", sid(&cy_phone)))).bearer_auth(&cy).send().await.unwrap();
    assert_eq!(ended.status(), 204);
    assert_eq!(app.me(&cy_phone).await.status(), 401);
    assert_eq!(app.me(&cy).await.status(), 200);
}

#[tokio::test]
async fn ending_the_others_keeps_only_this_session() {
    let app = spawn_app().await;
    let here = app.confirmed_user("eve").await;
    let others = [login_with(&app, "eve", FIREFOX).await, login_with(&app, "eve", PHONE).await];

    let r = app.client.post(app.url("/api/sessions/revoke-others")).bearer_auth(&here).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"ended": 2}));
    for token in &others {
        assert_eq!(app.me(token).await.status(), 401);
    }
    let left = sessions(&app, &here).await;
    assert_eq!((left.len(), &left[0]["current"]), (1, &json!(true)));
}

#[tokio::test]
async fn a_password_change_keeps_the_tab_that_made_it_and_ends_the_rest() {
    let app = spawn_app().await;
    let here = app.confirmed_user("fay").await;
    let elsewhere = login_with(&app, "fay", PHONE).await;

    let r = app
        .client
        .post(app.url("/api/update-password"))
        .bearer_auth(&here)
        .json(&json!({"old_password": PASSWORD, "new_password": "an entirely new passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let fresh = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    assert_eq!(sid(&fresh), sid(&here), "the same session goes on");
    assert_eq!(app.me(&fresh).await.status(), 200);
    assert_eq!(app.me(&elsewhere).await.status(), 401);
    let left = sessions(&app, &fresh).await;
    assert_eq!(left.len(), 1, "{left:?}");
}

#[tokio::test]
async fn an_unconfirmed_account_can_log_out_but_not_manage_sessions() {
    let app = spawn_app().await;
    let token = app.registered_user("gus").await;
    let listed = app.client.get(app.url("/api/sessions")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(listed.status(), 403);
    let out = app.client.delete(app.url("/api/tokens")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(app.me(&token).await.status(), 401);
}

/// `token` as if it had been issued `age` seconds ago (same session, same expiry length).
fn aged(app: &TestApp, token: &str, age: i64) -> String {
    use madblog::server::{
        auth::tokens::{Purpose, SessionClaims},
        clock::now,
    };
    let claims: SessionClaims = app.state.tokens.verify(Purpose::Session, token).unwrap();
    let life = claims.exp - claims.iat;
    let iat = now() - age;
    app.state.tokens.sign(Purpose::Session, &SessionClaims { iat, exp: iat + life, ..claims })
}

fn renewal(response: &reqwest::Response) -> Option<String> {
    response.headers().get("x-session-token").map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_token_past_half_its_life_is_renewed_for_the_same_session() {
    let app = spawn_app().await;
    let fresh = app.confirmed_user("ivy").await;
    let young = app.me(&fresh).await;
    assert_eq!((young.status().as_u16(), renewal(&young)), (200, None), "a young token is not renewed");

    // 15-minute tokens by default: at 10 minutes old, the REST answer carries a fresh one.
    let old = aged(&app, &fresh, 600);
    let answer = app.me(&old).await;
    assert_eq!(answer.status(), 200);
    let renewed = renewal(&answer).expect("a renewed token");
    assert_eq!(sid(&renewed), sid(&fresh), "the same session goes on");
    assert_eq!(app.me(&renewed).await.status(), 200);

    // Server functions alike.
    let by_function = app.client.post(app.url("/api/fn/me")).bearer_auth(&old).form(&[("", "")]).send().await.unwrap();
    assert_eq!(by_function.status(), 200);
    assert_eq!(sid(&renewal(&by_function).expect("renewed by a server function")), sid(&fresh));
}

#[tokio::test]
async fn an_ended_session_is_never_renewed() {
    let app = spawn_app().await;
    let here = app.confirmed_user("jay").await;
    let there = login_with(&app, "jay", PHONE).await;
    let r = app.client.post(app.url("/api/sessions/revoke-others")).bearer_auth(&here).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let answer = app.me(&aged(&app, &there, 600)).await;
    assert_eq!((answer.status().as_u16(), renewal(&answer)), (401, None));
}

#[tokio::test]
async fn a_session_ends_after_two_weeks_unused_or_ninety_days_in_all() {
    let app = spawn_app().await;
    let idle = app.confirmed_user("kit").await;
    let busy = login_with(&app, "kit", PHONE).await;
    let day = 24 * 3600;
    let now = madblog::server::clock::now();
    sqlx::query("UPDATE sessions SET last_seen = $1 WHERE id = $2")
        .bind(now - 15 * day)
        .bind(sid(&idle))
        .execute(&app.state.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE sessions SET created_at = $1 WHERE id = $2")
        .bind(now - 91 * day)
        .bind(sid(&busy))
        .execute(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(app.me(&idle).await.status(), 401, "unused for 15 days");
    assert_eq!(app.me(&busy).await.status(), 401, "opened 91 days ago, however busy");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&app.state.pool).await.unwrap();
    assert_eq!(left, 0, "an ended session's row goes");
}
