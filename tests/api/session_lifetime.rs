//! A session lives while it is used, not while its token is young: the session row decides (idle
//! days, maximum days, an end by logout or change). Tokens rotate past half their life, by
//! generation; the previous generation is accepted for a short grace, and anything older proves a
//! copy, which ends the session and is written in the security log.

use crate::{
    helpers::{PASSWORD, TestApp, TestAppBuilder, spawn_app},
    security_log::{events, kinds},
};
use base64::Engine;
use madblog::server::{
    auth::tokens::{Purpose, SessionClaims},
    clock::now,
    db::sessions,
};
use serde_json::Value;
use std::time::Duration;

fn claims(app: &TestApp, token: &str) -> SessionClaims {
    app.state.tokens.verify_session(token).expect("a token of ours")
}

/// `token`'s claims, re-signed as if issued `age` seconds ago.
fn aged(app: &TestApp, token: &str, age: i64) -> String {
    let claims = claims(app, token);
    app.state.tokens.sign(Purpose::Session, &SessionClaims { iat: now() - age, ..claims })
}

fn renewal(response: &reqwest::Response) -> Option<String> {
    response.headers().get("x-session-token").map(|v| v.to_str().unwrap().to_owned())
}

/// The generation the session row holds, and when it was first used.
async fn row_generation(app: &TestApp, sid: &str) -> Option<(i64, i64)> {
    sqlx::query_as("SELECT generation, generation_used_at FROM sessions WHERE id = $1")
        .bind(sid)
        .fetch_optional(&app.state.pool)
        .await
        .unwrap()
}

/// Answers `GET /api/users/me` for `token`: its status and the renewal it carries.
async fn me(app: &TestApp, token: &str) -> (u16, Option<String>) {
    let r = app.me(token).await;
    (r.status().as_u16(), renewal(&r))
}

/// Presents `token` past half its life and returns the next generation's token the answer carries.
async fn rotated(app: &TestApp, token: &str) -> String {
    let (status, next) = me(app, &aged(app, token, 3600)).await;
    assert_eq!(status, 200);
    let next = next.expect("a token past half its life is rotated");
    assert_eq!(claims(app, &next).generation, Some(claims(app, token).generation.unwrap_or(0) + 1));
    next
}

#[tokio::test]
async fn a_session_outlives_its_token_while_it_is_used() {
    // Tokens rotate every 2 s here; the session lives 14 days after its last use.
    let app = TestAppBuilder::default().var("SESSION_TTL_SECONDS", "2").spawn().await;
    let token = app.confirmed_user("ann").await;

    tokio::time::sleep(Duration::from_millis(3_100)).await;
    let (status, next) = me(&app, &token).await;

    assert_eq!(status, 200, "a token past its 2 s is still good while its session lives");
    let next = next.expect("and the answer carries the next generation");
    assert_eq!(claims(&app, &next).sid, claims(&app, &token).sid, "the same session goes on");
    assert_eq!(me(&app, &next).await.0, 200);
}

#[tokio::test]
async fn a_token_names_its_sessions_absolute_end() {
    let app = spawn_app().await;
    let token = app.confirmed_user("bea").await;
    let claims = claims(&app, &token);
    let (created_at,): (i64,) = sqlx::query_as("SELECT created_at FROM sessions WHERE id = $1")
        .bind(&claims.sid)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();

    assert_eq!(claims.exp, created_at + 90 * 86_400, "exp is when the session ends at the latest");
    assert_eq!(claims.generation, Some(0), "a login's first token is generation 0");
    let past_end = app.state.tokens.sign(Purpose::Session, &SessionClaims { exp: now() - 1, ..claims });
    assert_eq!(me(&app, &past_end).await.0, 401, "no token outlives its session's end");
}

#[tokio::test]
async fn rotation_moves_the_generation_only_when_the_new_token_is_used() {
    let app = spawn_app().await;
    let first = app.confirmed_user("cat").await;
    let sid = claims(&app, &first).sid;

    let second = rotated(&app, &first).await;
    assert_eq!(row_generation(&app, &sid).await.unwrap().0, 0, "offered, not yet used");
    assert_eq!(me(&app, &first).await.0, 200, "the first is still the current generation");

    assert_eq!(me(&app, &second).await, (200, None));
    assert_eq!(row_generation(&app, &sid).await.unwrap().0, 1, "used: now the current one");
}

#[tokio::test]
async fn a_client_that_ignores_renewals_keeps_working() {
    let app = spawn_app().await;
    let token = app.confirmed_user("dan").await;
    let old = aged(&app, &token, 3600);

    // A script (or the original Vue app) that never reads X-Session-Token.
    for _ in 0..5 {
        let (status, offered) = me(&app, &old).await;
        assert_eq!(status, 200);
        assert!(offered.is_some(), "each answer offers the next generation");
    }
    assert_eq!(row_generation(&app, &claims(&app, &token).sid).await.unwrap().0, 0);
}

#[tokio::test]
async fn the_previous_generation_is_accepted_within_the_grace_and_handed_the_current_one() {
    let app = spawn_app().await;
    let first = app.confirmed_user("eve").await;
    let second = rotated(&app, &first).await;
    assert_eq!(me(&app, &second).await.0, 200);

    // Another tab, or a request that left before the rotation was seen.
    let (status, current) = me(&app, &first).await;

    assert_eq!(status, 200);
    let current = current.expect("the answer hands over a current token");
    assert_eq!(claims(&app, &current).generation, Some(1));
    assert_eq!(me(&app, &current).await.0, 200);
    assert_eq!(me(&app, &second).await.0, 200);
}

#[tokio::test]
async fn the_previous_generation_after_the_grace_ends_the_session_and_is_logged() {
    let app = spawn_app().await;
    let stolen = app.confirmed_user("fay").await;
    let sid = claims(&app, &stolen).sid;
    let owners = rotated(&app, &stolen).await;
    assert_eq!(me(&app, &owners).await.0, 200);
    // The owner's newer token was first used more than the grace (30 s) ago.
    sqlx::query("UPDATE sessions SET generation_used_at = $1 WHERE id = $2")
        .bind(now() - 31)
        .bind(&sid)
        .execute(&app.state.pool)
        .await
        .unwrap();

    assert_eq!(me(&app, &stolen).await, (401, None), "a copy of the old token");

    assert_eq!(row_generation(&app, &sid).await, None, "the session ended");
    assert_eq!(me(&app, &owners).await.0, 401, "for both holders: only the owner can log in again");
    let again = app.token("fay", PASSWORD).await;
    let log = events(&app, &again).await;
    assert_eq!(kinds(&log)[..2], ["login", "token_reuse"], "{log:?}");
}

#[tokio::test]
async fn an_older_generation_ends_the_session_at_once() {
    let app = spawn_app().await;
    let first = app.confirmed_user("gil").await;
    let second = rotated(&app, &first).await;
    assert_eq!(me(&app, &second).await.0, 200);
    let third = rotated(&app, &second).await;
    assert_eq!(me(&app, &third).await.0, 200);

    // Two generations back, within a second of the rotation: no grace covers it.
    assert_eq!(me(&app, &first).await.0, 401);

    assert_eq!(me(&app, &third).await.0, 401, "the session ended");
}

#[tokio::test]
async fn the_new_token_used_by_many_requests_at_once_lets_them_all_through() {
    let app = spawn_app().await;
    let first = app.confirmed_user("hal").await;
    let second = rotated(&app, &first).await;

    let answers = futures::future::join_all((0..10).map(|_| me(&app, &second))).await;

    assert!(answers.iter().all(|(status, _)| *status == 200), "{answers:?}");
    assert_eq!(row_generation(&app, &claims(&app, &first).sid).await.unwrap().0, 1);
}

#[tokio::test]
async fn a_generation_no_rotation_issued_is_refused_and_ends_nothing() {
    let app = spawn_app().await;
    let token = app.confirmed_user("ida").await;
    let forged_ahead =
        app.state.tokens.sign(Purpose::Session, &SessionClaims { generation: Some(2), ..claims(&app, &token) });

    assert_eq!(me(&app, &forged_ahead).await.0, 401);

    assert_eq!(me(&app, &token).await.0, 200, "the session goes on");
}

#[tokio::test]
async fn tokens_from_before_rotation_are_the_first_generation_of_their_session() {
    let app = spawn_app().await;
    let token = app.confirmed_user("joy").await;
    // As the server issued them before: no generation, and its own 15-minute expiry, long past.
    let legacy = {
        let claims = claims(&app, &token);
        let iat = now() - 3600;
        let json = serde_json::json!({
            "sub": claims.sub, "sid": claims.sid, "name": claims.name, "confirmed": claims.confirmed,
            "ver": claims.ver, "typ": "session", "iat": iat, "exp": iat + 900,
        });
        app.state.tokens.sign(Purpose::Session, &serde_json::from_value::<SessionClaims>(json).unwrap())
    };
    let payload = legacy.split('.').nth(1).unwrap();
    let payload: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert!(payload.get("gen").is_none(), "{payload}");

    let (status, next) = me(&app, &legacy).await;

    assert_eq!(status, 200, "still logged in after the upgrade");
    assert_eq!(claims(&app, &next.expect("rotated")).generation, Some(1));
}

#[tokio::test]
async fn an_account_keeps_its_hundred_most_recently_used_sessions() {
    let app = spawn_app().await;
    let token = app.confirmed_user("kim").await;
    let user_id = claims(&app, &token).sub;
    // 120 older sessions, the first ones used longest ago.
    let base = now() - 10_000;
    for i in 0..120 {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, last_seen, ip, user_agent) VALUES ($1, $2, $3, $3, '192.0.2.1', 'curl')",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&user_id)
        .bind(base + i)
        .execute(&app.state.pool)
        .await
        .unwrap();
    }

    let newest = app.token("kim", PASSWORD).await;

    let left = sessions::list(&app.state.pool, &user_id).await.unwrap();
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
        .bind(&user_id)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(total, 100, "the least recently used beyond a hundred ended");
    let oldest_left = left.iter().map(|s| s.last_seen).min().unwrap();
    assert_eq!(oldest_left, base + 22, "the 22 least recently used of 122 went");
    assert!(left.iter().any(|s| s.id == claims(&app, &newest).sid));
    assert!(left.iter().any(|s| s.id == claims(&app, &token).sid), "the one in use stays");
    let listed = app.client.get(app.url("/api/sessions")).bearer_auth(&newest).send().await.unwrap();
    assert_eq!(listed.json::<Vec<Value>>().await.unwrap().len(), 100);
}
