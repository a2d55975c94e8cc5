//! Per-client limits key on the client's network: an IPv4 address, an IPv6 /64 (one subscriber's
//! at least, rotated through at will), and, looser, the IPv6 /48 around it (free from tunnel
//! brokers). Every client here is what the trusted proxy on 127.0.0.1 reports.

use crate::helpers::{PASSWORD, TestApp, TestAppBuilder, error_body};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};

/// An app behind a trusted proxy on 127.0.0.1, with `vars` besides.
async fn behind_proxy(vars: &[(&str, &str)]) -> TestApp {
    let mut builder = TestAppBuilder::default().var("TRUSTED_PROXIES", "127.0.0.1");
    for (key, value) in vars {
        builder = builder.var(key, *value);
    }
    builder.spawn().await
}

async fn send_from(client: &str, request: RequestBuilder) -> reqwest::Response {
    request.header("X-Forwarded-For", client).send().await.unwrap()
}

async fn post_from(app: &TestApp, client: &str, path: &str, body: Value) -> reqwest::Response {
    send_from(client, app.client.post(app.url(path)).json(&body)).await
}

async fn register_from(app: &TestApp, client: &str, name: &str) -> StatusCode {
    let body = json!({ "username": name, "email": format!("{name}@example.com"), "password": PASSWORD });
    post_from(app, client, "/api/users", body).await.status()
}

async fn failed_login_from(app: &TestApp, client: &str, name: &str) -> reqwest::Response {
    send_from(client, app.client.post(app.url("/api/tokens")).basic_auth(name, Some("a wrong guess"))).await
}

async fn code_from(app: &TestApp, client: &str) -> reqwest::Response {
    let body = json!({ "email": "someone@example.com", "code": "1234 5678", "password": "a new sturdy passphrase" });
    post_from(app, client, "/api/reset-password-code", body).await
}

async fn reset_request_from(app: &TestApp, client: &str) -> StatusCode {
    post_from(app, client, "/api/reset-password-request", json!({ "email": "someone@example.com" })).await.status()
}

#[tokio::test]
async fn addresses_rotating_inside_one_64_share_the_failed_login_limit() {
    let app = behind_proxy(&[]).await;

    // Failures from the addresses of one /64, at most 10 for a name. The allowance is 100 at
    // once and then one more every 9 s, so a slow machine gets a few beyond 100; a client keyed
    // by its address would never be refused.
    let mut failures = 0;
    let refused = loop {
        let client = format!("2001:db8:1:2::{:x}", failures + 1);
        let response = failed_login_from(&app, &client, &format!("ghost{}", failures / 10)).await;
        if response.status() != 401 {
            break response;
        }
        failures += 1;
        assert!(failures < 150, "100 failures from one /64, and it is never refused");
    };

    assert!(failures >= 100, "refused after {failures}");
    let body = error_body(refused, 429).await;
    assert!(body["message"].as_str().unwrap().starts_with("Too many failed login attempts"), "{body}");
    let next = failed_login_from(&app, "2001:db8:1:3::1", "ghost-next").await;
    assert_eq!(next.status(), 401, "the next /64 is another client");
}

#[tokio::test]
async fn addresses_rotating_inside_one_64_share_the_registration_limit() {
    let app = behind_proxy(&[("REGISTRATIONS_PER_IP", "2")]).await;
    assert_eq!(register_from(&app, "2001:db8:1:2::1", "first").await, 201);
    assert_eq!(register_from(&app, "2001:db8:1:2::2", "second").await, 201);

    let refused = register_from(&app, "2001:db8:1:2:a:b:c:d", "third").await;

    assert_eq!(refused, 429);
    assert_eq!(register_from(&app, "2001:db8:1:3::1", "fourth").await, 201, "the next /64 is another client");
    assert_eq!(app.count_users().await, 3);
}

#[tokio::test]
async fn addresses_rotating_inside_one_64_share_the_reset_request_limit() {
    let app = behind_proxy(&[("RESET_REQUESTS_PER_IP", "2")]).await;
    assert_eq!(reset_request_from(&app, "2001:db8:1:2::1").await, 200);
    assert_eq!(reset_request_from(&app, "2001:db8:1:2::2").await, 200);

    let refused =
        post_from(&app, "2001:db8:1:2::3", "/api/reset-password-request", json!({ "email": "x@example.com" }));

    let body = error_body(refused.await, 429).await;
    assert!(body["message"].as_str().unwrap().starts_with("Too many requests from your network"), "{body}");
    assert_eq!(reset_request_from(&app, "2001:db8:1:3::1").await, 200, "the next /64 is another client");
}

#[tokio::test]
async fn addresses_rotating_inside_one_64_share_the_reset_code_limit() {
    // One reset request per 15 minutes gives five codes.
    let app = behind_proxy(&[("RESET_REQUESTS_PER_IP", "1")]).await;
    for i in 1..=5 {
        assert_eq!(code_from(&app, &format!("2001:db8:1:2::{i}")).await.status(), 400, "guess {i}");
    }

    let refused = code_from(&app, "2001:db8:1:2::6").await;

    let body = error_body(refused, 429).await;
    assert!(body["message"].as_str().unwrap().starts_with("Too many codes tried from your network"), "{body}");
    assert_eq!(code_from(&app, "2001:db8:1:3::1").await.status(), 400, "the next /64 is another client");
}

#[tokio::test]
async fn rotating_across_the_64s_of_one_48_meets_the_looser_site_limit() {
    let app = behind_proxy(&[("RESET_REQUESTS_PER_IP", "2")]).await;
    // Four times a /64's allowance for the whole /48: two each from four /64s.
    for net in 0..4 {
        for host in 1..=2 {
            let client = format!("2001:db8:1:{net:x}::{host}");
            assert_eq!(reset_request_from(&app, &client).await, 200, "{client}");
        }
    }

    let refused = reset_request_from(&app, "2001:db8:1:4::1").await;

    assert_eq!(refused, 429, "a fresh /64 of the same /48");
    assert_eq!(reset_request_from(&app, "2001:db8:2:4::1").await, 200, "another /48 is unaffected");
    assert_eq!(reset_request_from(&app, "198.51.100.1").await, 200, "and so is IPv4");
}

#[tokio::test]
async fn registrations_rotating_across_the_64s_of_one_48_meet_the_site_limit() {
    let app = behind_proxy(&[("REGISTRATIONS_PER_IP", "1")]).await;
    for net in 0..4 {
        assert_eq!(register_from(&app, &format!("2001:db8:7:{net}::1"), &format!("site{net}")).await, 201);
    }

    assert_eq!(register_from(&app, "2001:db8:7:ff::1", "site-next").await, 429);
    assert_eq!(register_from(&app, "2001:db8:8::1", "elsewhere").await, 201, "another /48 is unaffected");
}
