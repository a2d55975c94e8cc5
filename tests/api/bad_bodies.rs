//! Bodies and paths the API can't use: not JSON (415), malformed or mistyped JSON (400), too big,
//! declared or streamed (413), a server-function body that isn't UTF-8 (400), unknown `/api` paths
//! and wrong methods (JSON 404 and 405), and unknown pages (404): each with a message.

use crate::helpers::{error_body, spawn_app};
use serde_json::json;

#[tokio::test]
async fn a_body_that_is_not_json_gets_415() {
    let app = spawn_app().await;
    let response = app.client.post(app.url("/api/users")).body("username=a&email=b").send().await.unwrap();
    let body = error_body(response, 415).await;
    assert_eq!(body["error"], "Unsupported Media Type");
    assert!(body["message"].as_str().unwrap().contains("JSON"));
}

#[tokio::test]
async fn malformed_json_and_wrong_types_get_400_with_a_message() {
    let app = spawn_app().await;
    let cases = [
        "{\"username\": ",
        "not json",
        "[1, 2]",
        "{\"username\": 5, \"email\": \"a@b.co\", \"password\": \"xxxxxxxxxx\"}",
        "{\"username\": \"abc\", \"email\": [\"a@b.co\"], \"password\": \"xxxxxxxxxx\"}",
        "   ",
    ];
    for raw in cases {
        let response = app
            .client
            .post(app.url("/api/users"))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        let body = error_body(response, 400).await;
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{raw}: {body}");
    }
    assert_eq!(app.count_users().await, 0);
}

#[tokio::test]
async fn a_body_over_64_kib_gets_413() {
    let app = spawn_app().await;
    let huge = json!({ "username": "x".repeat(70 * 1024), "email": "a@b.co", "password": "xxxxxxxxxx" });

    let body = error_body(app.post_json("/api/users", &huge).await, 413).await;

    assert_eq!(body["error"], "Payload Too Large");
}

#[tokio::test]
async fn a_streamed_body_over_64_kib_gets_413_too() {
    let app = spawn_app().await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(b"{\"username\": \"".to_vec()), Ok(vec![b'x'; 70 * 1024]), Ok(b"\"}".to_vec())];
    let response = app
        .client
        .post(app.url("/api/users"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    error_body(response, 413).await;
}

#[tokio::test]
async fn an_unknown_api_path_gets_a_json_404_not_the_app_shell() {
    let app = spawn_app().await;
    for path in ["/api", "/api/", "/api/no-such-endpoint", "/api/users/me/nothing", "/api/fn/no_such_function"] {
        for method in [reqwest::Method::GET, reqwest::Method::POST] {
            let response = app.client.request(method.clone(), app.url(path)).send().await.unwrap();
            let body = error_body(response, 404).await;
            assert_eq!(body["error"], "Not Found", "{method} {path}");
        }
    }
}

#[tokio::test]
async fn a_wrong_method_gets_a_json_405() {
    let app = spawn_app().await;
    let cases = [
        (reqwest::Method::GET, "/api/tokens"),
        (reqwest::Method::PUT, "/api/users"),
        (reqwest::Method::GET, "/api/reset-password-request"),
        (reqwest::Method::DELETE, "/api/confirm/abc"),
        (reqwest::Method::GET, "/api/fn/login"),
    ];
    for (method, path) in cases {
        let response = app.client.request(method.clone(), app.url(path)).send().await.unwrap();
        let body = error_body(response, 405).await;
        assert_eq!(body["error"], "Method Not Allowed", "{method} {path}");
    }
}

#[tokio::test]
async fn a_server_function_body_that_is_not_utf8_gets_400_under_any_content_type() {
    let app = spawn_app().await;
    let not_utf8: &[u8] = b"login=\xff\xfe&password=\xc3\x28";
    for content_type in ["application/x-www-form-urlencoded", "application/json", "text/plain", "application/cbor"] {
        let response = app
            .client
            .post(app.url("/api/fn/login"))
            .header("content-type", content_type)
            .body(not_utf8.to_vec())
            .send()
            .await
            .unwrap();
        let body = error_body(response, 400).await;
        assert_eq!(body["error"], "Bad Request", "{content_type}");
        assert!(body["message"].as_str().unwrap().contains("utf-8"), "{content_type}: {body}");
    }
}

#[tokio::test]
async fn unknown_pages_get_404() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(page.status(), 404);
}
