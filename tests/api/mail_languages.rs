//! Each account's language: set at registration from the language the person was reading, changed
//! by the switcher (REST or server function).

use crate::helpers::{PASSWORD, TestApp, error_body, spawn_app};
use madblog::i18n::Locale;
use serde_json::{Value, json};

const ZH: &str = "zh-CN,zh;q=0.9,en;q=0.8";
const EN: &str = "en-US,en;q=0.9";

impl TestApp {
    /// Registers `name` (`<name>@example.com`) from a browser asking for `accept_language`, and
    /// logs in; returns the session token.
    async fn register_in(&self, name: &str, accept_language: &str) -> String {
        let response = self
            .client
            .post(self.url("/api/users"))
            .header("Accept-Language", accept_language)
            .json(&json!({"username": name, "email": format!("{name}@example.com"), "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        self.token(name, PASSWORD).await
    }

    async fn put_language(&self, session: &str, body: &Value, accept_language: &str) -> reqwest::Response {
        self.client
            .put(self.url("/api/users/me/language"))
            .bearer_auth(session)
            .header("Accept-Language", accept_language)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn language_fn(&self, session: &str, language: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/fn/language"))
            .bearer_auth(session)
            .form(&[("language", language)])
            .send()
            .await
            .unwrap()
    }

    async fn language_of(&self, session: &str) -> Value {
        self.me(session).await.json::<Value>().await.unwrap()["language"].clone()
    }
}

#[tokio::test]
async fn an_account_has_the_language_it_was_registered_in() {
    let app = spawn_app().await;

    let chinese = app.register_in("lin", ZH).await;
    let english = app.register_in("ann", EN).await;

    assert_eq!(app.language_of(&chinese).await, "zh-CN");
    assert_eq!(app.language_of(&english).await, "en");
}

#[tokio::test]
async fn the_language_can_be_changed_over_rest_and_with_the_server_function() {
    let app = spawn_app().await;
    // Unconfirmed accounts may switch too: /unconfirmed has the switcher.
    let session = app.register_in("ann", EN).await;

    let switched = app.put_language(&session, &json!({"language": "zh-CN"}), EN).await;

    assert_eq!(switched.status(), 200);
    assert_eq!(switched.json::<Value>().await.unwrap(), json!({"status": "success", "language": "zh-CN"}));
    assert_eq!(app.language_of(&session).await, "zh-CN");

    let switched = app.language_fn(&session, "en").await;

    assert_eq!(switched.status(), 200);
    assert_eq!(app.language_of(&session).await, "en");
}

#[tokio::test]
async fn an_unknown_language_is_refused_with_a_message_and_changes_nothing() {
    let app = spawn_app().await;
    let session = app.register_in("cyd", ZH).await;

    let english = error_body(app.put_language(&session, &json!({"language": "fr"}), EN).await, 400).await;
    assert_eq!(english["message"]["language"], Locale::En.text().language_unknown);
    let chinese = error_body(app.put_language(&session, &json!({"language": "klingon"}), ZH).await, 400).await;
    assert_eq!(chinese["message"]["language"], Locale::ZhCn.text().language_unknown);
    let missing = error_body(app.put_language(&session, &json!({}), EN).await, 400).await;
    assert_eq!(missing["message"]["language"], Locale::En.text().language_unknown);

    let by_function = app.language_fn(&session, "xx").await;
    assert_eq!(by_function.status(), 400);
    assert_eq!(by_function.json::<Value>().await.unwrap(), json!({"Validation": {"language": "LanguageUnknown"}}));

    assert_eq!(app.language_of(&session).await, "zh-CN");
}

#[tokio::test]
async fn changing_the_language_needs_a_session() {
    let app = spawn_app().await;

    let rest = app.client.put(app.url("/api/users/me/language")).json(&json!({"language": "en"})).send().await;
    let function = app.client.post(app.url("/api/fn/language")).form(&[("language", "en")]).send().await;

    assert_eq!(rest.unwrap().status(), 401);
    assert_eq!(function.unwrap().status(), 401);
}
