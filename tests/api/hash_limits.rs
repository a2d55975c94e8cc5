//! Allowances of password hashes: every request that costs an argon2 hash spends one, per login
//! name, per account and per client network, and a success gives none back, so a loop of right
//! passwords stops as surely as a loop of wrong ones.

use crate::helpers::{
    PASSWORD, ServerProcess, SmtpSink, TestApp, TestAppBuilder, error_body, link_in, process_env, register_at,
    spawn_app, token_in,
};
use reqwest::{Client, Response};
use serde_json::{Value, json};

const OTHER_PASSWORD: &str = "another sturdy passphrase 43";
const METRICS_TOKEN: &str = "a-metrics-token-for-tests";

fn retry_after(response: &Response) -> u64 {
    response.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

/// How many hashes and verifications the server has run (`/metrics`). A server process of its own:
/// the apps of this test binary share one recorder.
async fn hashes_so_far(client: &Client, server: &ServerProcess) -> u64 {
    let text = client
        .get(format!("{}/metrics", server.address))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = text.lines().find(|l| l.starts_with("madblog_password_hash_seconds_count")).expect("the hash count");
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// Registers `name` with `server`, confirms it from its mail and returns a confirmed session.
async fn confirmed_at(client: &Client, server: &ServerProcess, smtp: &SmtpSink, name: &str) -> String {
    assert_eq!(register_at(client, &server.address, name).await, 201);
    let login = client.post(format!("{}/api/tokens", server.address)).basic_auth(name, Some(PASSWORD));
    let session: Value = login.send().await.unwrap().json().await.unwrap();
    let token = token_in(&link_in(&smtp.wait_for_mail_to(&format!("{name}@example.com")).await));
    let confirmed = client
        .get(format!("{}/api/confirm/{token}", server.address))
        .bearer_auth(session["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);
    confirmed.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

async fn update_password(client: &Client, base: &str, session: &str, old: &str, new: &str) -> Response {
    client
        .post(format!("{base}/api/update-password"))
        .bearer_auth(session)
        .json(&json!({ "old_password": old, "new_password": new }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn changing_the_password_back_and_forth_runs_out_and_then_costs_no_hash() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpSink::start(dir.path().join("smtp"), 0, 0.0).await;
    let mut env = process_env(dir.path(), &smtp).await;
    env.insert("METRICS_TOKEN".into(), METRICS_TOKEN.into());
    let server = ServerProcess::start(&env).await;
    let client = Client::new();
    let mut session = confirmed_at(&client, &server, &smtp, "looper").await;
    let bystander = confirmed_at(&client, &server, &smtp, "bystander").await;

    // Every change is right, so the count of wrong old passwords never grows; each costs two
    // hashes (the old password checked, the new one hashed) of the account's 30 an hour.
    let mut passwords = [PASSWORD, OTHER_PASSWORD];
    let mut changes = 0;
    let refused = loop {
        let response = update_password(&client, &server.address, &session, passwords[0], passwords[1]).await;
        if response.status() != 200 {
            break response;
        }
        session = response.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        passwords.swap(0, 1);
        changes += 1;
        assert!(changes <= 15, "a loop of right passwords was never stopped");
    };
    assert_eq!(changes, 15);
    let wait = retry_after(&refused);
    assert!((1..=120).contains(&wait), "one hash comes back every 2 minutes: {wait}");
    let body = error_body(refused, 429).await;
    assert!(body["message"].as_str().unwrap().starts_with("Too many password attempts."), "{body}");
    let before = hashes_so_far(&client, &server).await;
    for _ in 0..3 {
        let again = update_password(&client, &server.address, &session, passwords[0], passwords[1]).await;
        assert_eq!(again.status(), 429);
    }
    // The other forms that ask for the password share the account's allowance.
    let base = &server.address;
    let body = json!({ "password": passwords[0], "new_email": "elsewhere@example.com" });
    let change_email = client.post(format!("{base}/api/change-email")).bearer_auth(&session).json(&body).send();
    assert_eq!(change_email.await.unwrap().status(), 429);
    let delete =
        client.delete(format!("{base}/api/users/me")).bearer_auth(&session).json(&json!({ "password": passwords[0] }));
    assert_eq!(delete.send().await.unwrap().status(), 429);
    assert_eq!(hashes_so_far(&client, &server).await, before, "a refused request hashes nothing");
    // The allowance is the account's: another account on the same network changes its password.
    let other = update_password(&client, &server.address, &bystander, PASSWORD, OTHER_PASSWORD).await;
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn right_password_logins_in_a_loop_for_one_name_run_out_of_hashes() {
    let app = spawn_app().await;
    app.register("rita", "rita@example.com", PASSWORD).await;
    app.register("sven", "sven@example.com", PASSWORD).await;

    for i in 0..30 {
        assert_eq!(app.login("rita", PASSWORD).await.status(), 200, "login {i}");
    }
    let refused = app.login("Rita", PASSWORD).await;

    let wait = retry_after(&refused);
    assert!((1..=120).contains(&wait), "one login comes back every 2 minutes: {wait}");
    let body = error_body(refused, 429).await;
    assert!(body["message"].as_str().unwrap().starts_with("Too many password attempts."), "{body}");
    assert_eq!(app.login("sven", PASSWORD).await.status(), 200, "another name is unaffected");
}

#[tokio::test]
async fn a_name_without_an_account_runs_out_of_hashes_with_the_same_answer() {
    let app = spawn_app().await;
    app.register("tess", "tess@example.com", PASSWORD).await;
    for _ in 0..30 {
        assert_eq!(app.login("tess", PASSWORD).await.status(), 200);
    }
    // An hour of guessing at a name nobody has: the failures per name are forgotten as they come
    // back with time (here by deleting their rows), the hashes are not.
    for _ in 0..30 {
        assert_eq!(app.login("nobody-here", "a wrong guess").await.status(), 401);
        sqlx::query("DELETE FROM rate_limits WHERE key LIKE 'login-name:%'").execute(&app.state.pool).await.unwrap();
    }

    let (known, unknown) = (app.login("tess", PASSWORD).await, app.login("nobody-here", "a wrong guess").await);

    for response in [&known, &unknown] {
        assert!((1..=120).contains(&retry_after(response)));
    }
    assert_eq!(error_body(known, 429).await, error_body(unknown, 429).await);
}

/// A request from `client`, as the trusted proxy on 127.0.0.1 reports it.
async fn login_from(app: &TestApp, client: &str, name: &str, password: &str) -> Response {
    let request = app.client.post(app.url("/api/tokens")).basic_auth(name, Some(password));
    request.header("X-Forwarded-For", client).send().await.unwrap()
}

#[tokio::test]
async fn one_network_runs_out_of_hashes_across_many_accounts() {
    let app =
        TestAppBuilder::default().var("TRUSTED_PROXIES", "127.0.0.1").var("PASSWORD_HASHES_PER_IP", "8").spawn().await;
    let session = app.confirmed_user("acct0").await;
    app.register("acct1", "acct1@example.com", PASSWORD).await;
    let office = "198.51.100.7";

    // Right and wrong passwords, known and unknown names: each one a hash.
    let attempts = [("acct0", PASSWORD), ("acct1", "a wrong guess"), ("nobody", "a wrong guess"), ("acct1", PASSWORD)];
    for (name, password) in attempts.iter().cycle().take(8) {
        assert_ne!(login_from(&app, office, name, password).await.status(), 429, "{name}");
    }
    let refused = login_from(&app, office, "acct1", PASSWORD).await;

    assert!(retry_after(&refused) >= 1);
    let body = error_body(refused, 429).await;
    assert!(body["message"].as_str().unwrap().starts_with("Too many password attempts from your network."), "{body}");
    let change = app
        .client
        .post(app.url("/api/update-password"))
        .bearer_auth(&session)
        .header("X-Forwarded-For", office)
        .json(&json!({ "old_password": PASSWORD, "new_password": OTHER_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(change.status(), 429, "the network's allowance holds for the logged-in forms too");
    let register = app
        .client
        .post(app.url("/api/users"))
        .header("X-Forwarded-For", office)
        .json(&json!({ "username": "acct2", "email": "acct2@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(register.status(), 429, "and for registrations");
    assert_eq!(login_from(&app, "198.51.100.8", "acct1", PASSWORD).await.status(), 200, "another network goes on");
}
