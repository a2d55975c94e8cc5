//! What an attacker who reads the logs would find: a whole journey (register, confirm, resend, a
//! failed login, reset, change the password and the address, over REST and server functions) run
//! against the real binary at `RUST_LOG=trace`, then its every line searched for a token, a
//! password, a mail's words, or a full email address.

use crate::helpers::{PASSWORD, ServerProcess, SmtpSink, link_in, process_env, token_in};
use reqwest::Client;
use serde_json::{Value, json};
use std::time::Duration;

const NEW_PASSWORD: &str = "journey's second passphrase";
const RESET_PASSWORD: &str = "journey's reset passphrase";
const ADDRESS: &str = "journey.walker@example.com";
const NEW_ADDRESS: &str = "walker.moved@example.org";

struct Journey {
    client: Client,
    base: String,
    /// Every secret the journey saw: tokens, passwords, codes.
    secrets: Vec<String>,
}

impl Journey {
    async fn post(&mut self, path: &str, session: Option<&str>, body: Value) -> Value {
        let mut request = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(session) = session {
            request = request.bearer_auth(session);
        }
        let response = request.send().await.unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        let body: Value = response.json().await.unwrap_or_default();
        if let Some(token) = body["token"].as_str() {
            self.secrets.push(token.to_owned());
        }
        body
    }

    async fn login(&mut self, login: &str, password: &str) -> reqwest::Response {
        self.client.post(format!("{}/api/tokens", self.base)).basic_auth(login, Some(password)).send().await.unwrap()
    }

    async fn session(&mut self, login: &str, password: &str) -> String {
        let response = self.login(login, password).await;
        assert_eq!(response.status(), 200);
        let token = response.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        self.secrets.push(token.clone());
        token
    }
}

/// The newest mail to `to` whose subject contains `subject`, and the secrets in it.
async fn mail(smtp: &SmtpSink, to: &str, subject: &str, secrets: &mut Vec<String>) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let found = smtp
            .mails()
            .into_iter()
            .rev()
            .find(|m| m["to"].to_string().contains(to) && m["subject"].as_str().unwrap_or("").contains(subject));
        if let Some(mail) = found {
            let text = mail["text"].as_str().unwrap_or_default();
            if text.contains("token=") {
                secrets.push(token_in(&link_in(&mail)));
            }
            // The code, in both its printed and its typed form.
            if let Some(code) = text.split(['\n', ':']).map(str::trim).find(|w| is_code(w)) {
                secrets.push(code.to_owned());
                secrets.push(code.replace(' ', ""));
            }
            return mail;
        }
        assert!(tokio::time::Instant::now() < deadline, "no mail to {to} about {subject}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn is_code(text: &str) -> bool {
    text.len() == 9 && text.as_bytes()[4] == b' ' && text.bytes().filter(u8::is_ascii_digit).count() == 8
}

#[tokio::test]
async fn a_whole_journey_at_trace_level_logs_no_token_password_mail_or_address() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpSink::start(dir.path().join("smtp"), 0, 0.0).await;
    let mut env = process_env(dir.path(), &smtp).await;
    env.insert("RUST_LOG".into(), "trace".into());
    let server = ServerProcess::start(&env).await;
    let mut journey = Journey { client: Client::new(), base: server.address.clone(), secrets: Vec::new() };
    journey.secrets.extend([PASSWORD, NEW_PASSWORD, RESET_PASSWORD].map(String::from));
    let mut mails = Vec::new();

    // Register and confirm by link, over REST.
    journey.post("/api/users", None, json!({"username": "journey", "email": ADDRESS, "password": PASSWORD})).await;
    let session = journey.session("journey", PASSWORD).await;
    let confirm = mail(&smtp, ADDRESS, "Confirm", &mut journey.secrets).await;
    let link_token = token_in(&link_in(&confirm));
    let response = journey
        .client
        .get(format!("{}/api/confirm/{link_token}", journey.base))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    journey.secrets.push(response.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned());
    mails.push(confirm);

    // A failed login, and a login through a server function.
    assert_eq!(journey.login(ADDRESS, "a wrong password guess").await.status(), 401);
    journey.secrets.push("a wrong password guess".into());
    let by_function = journey
        .client
        .post(format!("{}/api/fn/login", journey.base))
        .form(&[("login", ADDRESS), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(by_function.status(), 200);
    journey.secrets.push(by_function.json::<String>().await.unwrap());

    // Forgot the password: reset by link.
    journey.post("/api/reset-password-request", None, json!({ "email": ADDRESS })).await;
    let reset = mail(&smtp, ADDRESS, "Reset", &mut journey.secrets).await;
    let reset_token = token_in(&link_in(&reset));
    journey.post(&format!("/api/reset-password/{reset_token}"), None, json!({ "password": RESET_PASSWORD })).await;
    mails.push(reset);

    // Change the password, then the address.
    let session = journey.session("journey", RESET_PASSWORD).await;
    let changed = journey
        .post(
            "/api/update-password",
            Some(&session),
            json!({"old_password": RESET_PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await;
    let session = changed["token"].as_str().unwrap().to_owned();
    journey
        .post("/api/change-email", Some(&session), json!({"password": NEW_PASSWORD, "new_email": NEW_ADDRESS}))
        .await;
    let change = mail(&smtp, NEW_ADDRESS, "", &mut journey.secrets).await;
    let change_token = token_in(&link_in(&change));
    journey.post(&format!("/api/confirm-email-change/{change_token}"), Some(&session), json!({})).await;
    mails.push(change);
    // Give the mail worker time to send (and log) what the last steps queued.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let log = server.log_text();
    let verbose = log.lines().filter(|l| l.contains(" TRACE ") || l.contains(" DEBUG ")).count();
    assert!(verbose > 20, "trace level logged the journey in detail: {verbose} of {} lines", log.lines().count());
    let mut found = Vec::new();
    let jwt = |line: &str| {
        line.match_indices("eyJ").any(|(i, _)| {
            let rest = &line[i..];
            let token: String =
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
            token.matches('.').count() >= 2 && token.len() > 40
        })
    };
    let leaks = |line: &str| {
        let mut why = Vec::new();
        if jwt(line) {
            why.push("a JWT".to_owned());
        }
        for secret in &journey.secrets {
            if line.contains(secret.as_str()) {
                why.push(format!("the secret {}…", &secret[..secret.len().min(6)]));
            }
        }
        for address in [ADDRESS, NEW_ADDRESS] {
            if line.to_ascii_lowercase().contains(address) {
                why.push(format!("the address {address}"));
            }
        }
        for mail in &mails {
            for sentence in mail["text"].as_str().unwrap_or_default().lines().filter(|l| l.trim().len() > 30) {
                if line.contains(sentence.trim()) {
                    why.push(format!("mail text {:?}", &sentence.trim()[..30]));
                }
            }
        }
        why
    };
    // The search itself works: it finds each kind of leak when there is one.
    assert!(journey.secrets.len() >= 12, "the journey collected its tokens and codes: {}", journey.secrets.len());
    for planted in [format!("x link={link_token} y"), format!("to={NEW_ADDRESS}"), format!("pw={NEW_PASSWORD}")] {
        assert!(!leaks(&planted).is_empty(), "the search misses {planted:.20}");
    }
    let first_sentence = mails[1]["text"].as_str().unwrap().lines().find(|l| l.trim().len() > 30).unwrap().to_owned();
    assert!(!leaks(&format!("body: {first_sentence}")).is_empty(), "the search misses mail text");

    for (number, line) in log.lines().enumerate() {
        let why = leaks(line);
        if !why.is_empty() {
            found.push(format!("line {}: {} in {:.200}", number + 1, why.join(", "), line));
        }
    }
    assert!(found.is_empty(), "{} log lines give something away:\n{}", found.len(), found.join("\n"));
}

#[tokio::test]
async fn the_dev_mailbox_logs_where_a_mail_is_never_its_links() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpSink::not_started(dir.path().join("smtp"), crate::helpers::free_port());
    let mut env = process_env(dir.path(), &smtp).await;
    env.remove("MAIL_SERVER");
    env.insert("RUST_LOG".into(), "trace".into());
    let server = ServerProcess::start(&env).await;
    let client = Client::new();
    let body = json!({"username": "devmail", "email": ADDRESS, "password": PASSWORD});
    assert_eq!(client.post(format!("{}/api/users", server.address)).json(&body).send().await.unwrap().status(), 201);

    let mailbox = dir.path().join("mail");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let stored = loop {
        let files: Vec<_> =
            std::fs::read_dir(&mailbox).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        if let Some(file) = files.first() {
            break serde_json::from_slice::<Value>(&std::fs::read(file).unwrap()).unwrap();
        }
        assert!(tokio::time::Instant::now() < deadline, "no mail reached the dev mailbox");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let token = token_in(stored["text"].as_str().unwrap().split_whitespace().find(|w| w.contains("token=")).unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;

    let log = server.log_text();
    assert!(log.contains("dev mailbox: new mail, read it at"), "the log says a mail arrived");
    assert!(!log.contains(&token) && !log.contains("token="), "no link in the log");
    assert!(!log.contains(ADDRESS), "no full address in the log");
}
