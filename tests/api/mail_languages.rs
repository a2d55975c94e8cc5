//! Each account's language: set at registration from the language the person was reading, changed
//! by the switcher (REST or server function), and the language of every mail to the account, even
//! a mail asked for from a browser in another language. The dev mailbox speaks its reader's.

use crate::helpers::{PASSWORD, TestApp, TestAppBuilder, error_body, spawn_app};
use madblog::i18n::{Locale, fill};
use serde_json::{Value, json};
use std::time::Duration;

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

    async fn request_reset_in(&self, email: &str, accept_language: &str) {
        let response = self
            .client
            .post(self.url("/api/reset-password-request"))
            .header("Accept-Language", accept_language)
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    async fn language_of(&self, session: &str) -> Value {
        self.me(session).await.json::<Value>().await.unwrap()["language"].clone()
    }

    /// The `n`th (1-based) mail to `name@example.com`, waiting for it.
    async fn nth_mail(&self, name: &str, n: usize) -> Value {
        let email = format!("{name}@example.com");
        self.smtp.wait_for_mails_to(&email, n, Duration::from_secs(20)).await.swap_remove(n - 1)
    }
}

fn text_of(mail: &Value) -> String {
    mail["text"].as_str().unwrap().replace("\r\n", "\n")
}

/// Whether `mail` is wholly in `locale`: subject, text, and HTML marked with its language.
fn assert_mail_in(mail: &Value, locale: Locale, subject: &str, username: &str) {
    let t = locale.mail();
    assert_eq!(mail["subject"], subject);
    let text = text_of(mail);
    let greeting = fill(t.mail_greeting, &[("username", username)]);
    assert!(text.starts_with(&greeting) && text.ends_with(t.mail_no_reply), "{text}");
    let html = mail["html"].as_str().unwrap();
    assert!(html.contains(&format!(r#"<html lang="{}">"#, locale.tag())), "{html}");
    assert!(html.contains(&format!("<p>{greeting}</p>")) && html.contains(t.mail_team), "{html}");
}

#[tokio::test]
async fn registering_from_a_chinese_browser_gives_a_chinese_account_and_confirmation_mail() {
    let app = spawn_app().await;

    let session = app.register_in("lin", ZH).await;

    let zh = Locale::ZhCn.mail();
    let mail = app.nth_mail("lin", 1).await;
    assert_mail_in(&mail, Locale::ZhCn, zh.confirm_subject, "lin");
    let text = text_of(&mail);
    assert!(text.contains(zh.confirm_welcome) && text.contains("该链接在 24 小时内有效"), "{text}");
    assert!(text.contains("http://madblog.test:3000/unconfirmed#token="), "the link stands on its own: {text}");
    assert_eq!(app.language_of(&session).await, "zh-CN");
}

#[tokio::test]
async fn the_server_function_registers_in_the_language_the_page_is_in() {
    let app = spawn_app().await;

    let registered = app
        .client
        .post(app.url("/api/fn/register"))
        .header("Accept-Language", "zh-CN")
        .form(&[("username", "mei"), ("email", "mei@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();

    assert_eq!(registered.status(), 200);
    let mail = app.nth_mail("mei", 1).await;
    assert_mail_in(&mail, Locale::ZhCn, Locale::ZhCn.mail().confirm_subject, "mei");
}

#[tokio::test]
async fn a_reset_asked_for_from_an_english_browser_is_in_the_accounts_language() {
    let app = spawn_app().await;
    app.register_in("wei", ZH).await;
    app.nth_mail("wei", 1).await;

    app.request_reset_in("wei@example.com", EN).await;

    let zh = Locale::ZhCn.mail();
    let reset = app.nth_mail("wei", 2).await;
    assert_mail_in(&reset, Locale::ZhCn, zh.reset_subject, "wei");
    assert!(text_of(&reset).contains("该链接在 1 小时内有效"), "{}", text_of(&reset));

    // The "your password was changed" notice that follows the reset, too.
    let link = crate::helpers::link_in(&reset);
    let token = crate::helpers::token_in(&link);
    let done = app
        .client
        .post(app.url(&format!("/api/reset-password/{token}")))
        .header("Accept-Language", EN)
        .json(&json!({"password": "an entirely new passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let notice = app.nth_mail("wei", 3).await;
    assert_mail_in(&notice, Locale::ZhCn, zh.password_changed_subject, "wei");
    assert!(text_of(&notice).contains(zh.password_was_reset));
}

#[tokio::test]
async fn the_owner_of_a_taken_address_is_told_in_the_owners_language() {
    let app = spawn_app().await;
    app.register_in("jun", ZH).await;
    app.nth_mail("jun", 1).await;

    let stranger = app
        .client
        .post(app.url("/api/users"))
        .header("Accept-Language", EN)
        .json(&json!({"username": "someone", "email": "jun@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();

    assert_eq!(stranger.status(), 201);
    let notice = app.nth_mail("jun", 2).await;
    assert_mail_in(&notice, Locale::ZhCn, Locale::ZhCn.mail().already_registered_subject, "jun");
}

#[tokio::test]
async fn after_switching_to_chinese_over_rest_the_next_mail_is_chinese() {
    let app = spawn_app().await;
    let session = app.register_in("ann", EN).await;
    let first = app.nth_mail("ann", 1).await;
    assert_mail_in(&first, Locale::En, "[Madblog] Confirm Your Account", "ann");

    // Unconfirmed accounts may switch too: /unconfirmed has the switcher.
    let switched = app.put_language(&session, &json!({"language": "zh-CN"}), EN).await;

    assert_eq!(switched.status(), 200);
    assert_eq!(switched.json::<Value>().await.unwrap(), json!({"status": "success", "language": "zh-CN"}));
    assert_eq!(app.language_of(&session).await, "zh-CN");
    app.request_reset_in("ann@example.com", EN).await;
    let reset = app.nth_mail("ann", 2).await;
    assert_mail_in(&reset, Locale::ZhCn, Locale::ZhCn.mail().reset_subject, "ann");
}

#[tokio::test]
async fn after_switching_to_english_with_the_server_function_the_next_mail_is_english() {
    let app = spawn_app().await;
    let session = app.register_in("bob", ZH).await;
    app.nth_mail("bob", 1).await;

    let switched = app.language_fn(&session, "en").await;

    assert_eq!(switched.status(), 200);
    assert_eq!(app.language_of(&session).await, "en");
    app.request_reset_in("bob@example.com", ZH).await;
    let reset = app.nth_mail("bob", 2).await;
    assert_mail_in(&reset, Locale::En, "[Madblog] Reset Your Password", "bob");
    assert!(text_of(&reset).contains("The link works for 1 hour, and only once."), "{}", text_of(&reset));
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
    assert_eq!(
        by_function.json::<Value>().await.unwrap()["kind"],
        json!({"Validation": {"language": "language_unknown"}})
    );

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

async fn mailbox(app: &TestApp, accept_language: &str) -> String {
    let response =
        app.client.get(app.url("/dev/mailbox")).header("Accept-Language", accept_language).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn the_dev_mailbox_speaks_the_readers_language_and_each_mail_its_accounts() {
    let app = TestAppBuilder::default().dev_mailbox().spawn().await;
    let (zh, en) = (Locale::ZhCn.mail(), Locale::En.mail());

    let empty = mailbox(&app, ZH).await;
    assert!(empty.contains(r#"<html lang="zh-CN">"#), "{empty}");
    assert!(empty.contains(&format!("<h1>{}</h1>", zh.mailbox_title)) && empty.contains(zh.mailbox_empty));
    assert!(!empty.contains(en.mailbox_title) && !empty.contains(en.mailbox_empty), "English left: {empty}");

    app.register_in("dai", ZH).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut page = mailbox(&app, ZH).await;
    while !page.contains(zh.confirm_subject) {
        assert!(tokio::time::Instant::now() < deadline, "the mail never reached the dev mailbox: {page}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        page = mailbox(&app, ZH).await;
    }
    assert!(page.contains("收件人：dai@example.com"), "{page}");
    assert!(page.contains(r#"<a href="http://madblog.test:3000/unconfirmed#token="#), "links stay clickable");

    let in_english = mailbox(&app, EN).await;
    assert!(in_english.contains(r#"<html lang="en">"#) && in_english.contains(en.mailbox_title));
    assert!(in_english.contains("To dai@example.com"));
    assert!(in_english.contains(zh.confirm_subject), "the mail itself stays in its account's language");
}
