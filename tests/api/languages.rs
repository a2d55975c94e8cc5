//! The language of answers: pages drawn in the reader's language from the first byte, REST
//! messages in the language of `Accept-Language` (the `error` reason phrase never changes).

use crate::helpers::{PASSWORD, spawn_app};
use madblog::i18n::Locale;
use serde_json::{Value, json};

const ZH: &str = "zh-CN,zh;q=0.9,en;q=0.8";

async fn page(app: &crate::helpers::TestApp, path: &str, headers: &[(&str, &str)]) -> String {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn pages_are_drawn_in_the_language_the_browser_asks_for() {
    let app = spawn_app().await;
    let zh = Locale::ZhCn.text();
    for path in ["/login", "/register", "/reset-password-request", "/no/such/page"] {
        let html = page(&app, path, &[("Accept-Language", ZH)]).await;
        assert!(html.contains(r#"<html lang="zh-CN""#), "{path}: {html}");
        // Until the session is known only the frame is drawn: skip link, switcher, "Loading…".
        assert!(html.contains(zh.skip_to_content) && html.contains(zh.language_switcher_label), "{path}");
        assert!(!html.contains(Locale::En.text().skip_to_content), "{path}: English left in the page");
    }
    let missing = page(&app, "/no/such/page", &[("Accept-Language", ZH)]).await;
    assert!(missing.contains(zh.not_found_title) && missing.contains(zh.not_found_home));
    let login = page(&app, "/login", &[("Accept-Language", ZH)]).await;
    assert!(login.contains(zh.loading));

    let english = page(&app, "/login", &[("Accept-Language", "fr-FR, de;q=0.5")]).await;
    assert!(english.contains(r#"<html lang="en""#), "a language we don't speak falls back to English");
    assert!(english.contains(Locale::En.text().loading));
}

#[tokio::test]
async fn the_switchers_cookie_beats_accept_language() {
    let app = spawn_app().await;
    let html = page(&app, "/register", &[("Accept-Language", ZH), ("Cookie", "madblog-lang=en")]).await;
    assert!(html.contains(r#"<html lang="en""#) && html.contains(Locale::En.text().skip_to_content));
    let html = page(&app, "/register", &[("Accept-Language", "en"), ("Cookie", "other=1; madblog-lang=zh-CN")]).await;
    assert!(html.contains(r#"<html lang="zh-CN""#) && html.contains(Locale::ZhCn.text().skip_to_content));
    // A value we don't know is ignored, not an error.
    let html = page(&app, "/register", &[("Cookie", "madblog-lang=xx")]).await;
    assert!(html.contains(r#"<html lang="en""#));
}

#[tokio::test]
async fn rest_messages_follow_accept_language_and_the_reason_phrase_does_not() {
    let app = spawn_app().await;
    let zh = Locale::ZhCn.text();

    let bad = app
        .client
        .post(app.url("/api/users"))
        .header("Accept-Language", ZH)
        .json(&json!({"username": "x", "email": "nope", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"], "Bad Request");
    assert_eq!(body["message"]["username"], zh.username_length);
    assert_eq!(body["message"]["email"], zh.email_invalid);
    assert_eq!(body["message"]["password"], zh.password_too_short);

    let created = app
        .client
        .post(app.url("/api/users"))
        .header("Accept-Language", ZH)
        .json(&json!({"username": "lin", "email": "lin@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.json::<Value>().await.unwrap()["message"], zh.registered);

    let not_json =
        app.client.post(app.url("/api/users")).header("Accept-Language", "zh").body("x").send().await.unwrap();
    assert_eq!(not_json.status(), 415);
    let body: Value = not_json.json().await.unwrap();
    assert_eq!(
        (body["error"].as_str(), body["message"].as_str()),
        (Some("Unsupported Media Type"), Some(zh.error_not_json))
    );

    // Without the header: English, as before.
    let english = app.post_json("/api/reset-password-request", &json!({"email": "lin@example.com"})).await;
    assert_eq!(english.json::<Value>().await.unwrap()["message"], Locale::En.text().reset_requested);
}

#[tokio::test]
async fn server_function_errors_carry_keys_for_the_browser_and_words_for_other_clients() {
    let app = spawn_app().await;
    let answer = app
        .client
        .post(app.url("/api/fn/register"))
        .header("Accept-Language", ZH)
        .form(&[("username", "ab"), ("email", "a@b.co"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["kind"], json!({"Validation": {"username": "username_length"}}));
    assert_eq!(body["error"], "Bad Request");
    assert_eq!(body["message"]["username"], Locale::ZhCn.text().username_length, "the same shape as the REST API's");
}
