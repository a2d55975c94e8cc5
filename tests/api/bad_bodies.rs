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
async fn unknown_routes_and_methods_are_not_500() {
    let app = spawn_app().await;
    let get_tokens = app.client.get(app.url("/api/tokens")).send().await.unwrap();
    assert_eq!(get_tokens.status(), 405);
    let page = app.client.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(page.status(), 404);
}
