//! What the server tells browsers: a Content-Security-Policy on every HTML answer whose nonce is
//! the one on the page's scripts, the opener, permissions and transport policies, and CORS that is
//! off unless origins are named.

use crate::helpers::{TestAppBuilder, spawn_app};
use reqwest::{Method, Response};

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).map(|v| v.to_str().unwrap().to_owned())
}

/// The nonce a policy allows for scripts.
fn script_nonce(policy: &str) -> String {
    let script = policy.split(';').map(str::trim).find(|d| d.starts_with("script-src")).expect("a script-src");
    let nonce = script.split(' ').find_map(|s| s.strip_prefix("'nonce-")).expect("a nonce");
    nonce.trim_end_matches('\'').to_owned()
}

#[tokio::test]
async fn every_page_has_a_policy_whose_nonce_is_on_its_scripts_and_fresh_each_time() {
    let app = spawn_app().await;
    let mut seen = Vec::new();
    for path in ["/", "/login", "/register", "/unconfirmed", "/reset-password-request", "/settings", "/no/such/page"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let policy = header(&response, "content-security-policy").unwrap_or_else(|| panic!("{path} has no CSP"));
        let body = response.text().await.unwrap();
        let nonce = script_nonce(&policy);
        assert!(!policy.contains("unsafe-inline") && !policy.contains("'unsafe-eval'"), "{path}: {policy}");
        for directive in ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
            assert!(policy.contains(directive), "{path}: {directive} missing from {policy}");
        }
        let scripts = body.matches("<script").count();
        assert!(scripts > 0, "{path} hydrates with a script");
        assert_eq!(
            body.matches(&format!("<script type=\"module\" nonce=\"{nonce}\"")).count()
                + body.matches(&format!("<script nonce=\"{nonce}\"")).count(),
            scripts,
            "{path}: every inline script carries the policy's nonce"
        );
        assert!(!seen.contains(&nonce), "{path}: a nonce is never reused");
        seen.push(nonce);
    }
}

#[tokio::test]
async fn html_that_is_not_a_page_may_run_no_script() {
    let app = TestAppBuilder::default().dev_mailbox().spawn().await;
    let mailbox = app.client.get(app.url("/dev/mailbox")).send().await.unwrap();
    let policy = header(&mailbox, "content-security-policy").expect("the mailbox has a policy");
    assert!(policy.contains("script-src 'none'"), "{policy}");
    let body = mailbox.text().await.unwrap();
    let style_nonce = policy.split("style-src 'self' 'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(body.contains(&format!("<style nonce=\"{style_nonce}\">")), "its one style carries the nonce");
}

#[tokio::test]
async fn every_answer_denies_openers_and_unused_powers_and_http_gets_no_hsts() {
    let app = spawn_app().await;
    for path in ["/", "/api/users/me", "/healthz"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(header(&response, "cross-origin-opener-policy").as_deref(), Some("same-origin"), "{path}");
        let permissions = header(&response, "permissions-policy").unwrap();
        assert!(permissions.contains("camera=()") && permissions.contains("geolocation=()"), "{path}: {permissions}");
        assert_eq!(header(&response, "strict-transport-security"), None, "APP_URL is http: {path}");
    }
}

#[tokio::test]
async fn an_https_app_url_turns_on_hsts() {
    let app = TestAppBuilder::default().var("APP_URL", "https://blog.example.com").spawn().await;
    let response = app.client.get(app.url("/")).send().await.unwrap();
    let hsts = header(&response, "strict-transport-security").expect("HSTS");
    assert!(hsts.starts_with("max-age=63072000"), "{hsts}");
}

async fn preflight(app: &crate::helpers::TestApp, origin: &str) -> Response {
    app.client
        .request(Method::OPTIONS, app.url("/api/users"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cors_is_off_by_default_for_every_origin() {
    let app = spawn_app().await;
    let answer = preflight(&app, "http://localhost:8080").await;
    assert_eq!(header(&answer, "access-control-allow-origin"), None);
    let call = app.client.get(app.url("/api/users/me")).header("origin", "https://evil.example").send().await.unwrap();
    assert_eq!(header(&call, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn a_named_origin_may_call_the_api_without_credentials_and_no_other_is_reflected() {
    let app = TestAppBuilder::default()
        .var("CORS_ALLOWED_ORIGINS", "http://localhost:8080, https://vue.example.com")
        .spawn()
        .await;

    let allowed = preflight(&app, "http://localhost:8080").await;
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(header(&allowed, "access-control-allow-origin").as_deref(), Some("http://localhost:8080"));
    assert_eq!(header(&allowed, "access-control-allow-credentials"), None, "no credentials");
    assert!(header(&allowed, "access-control-allow-methods").unwrap().contains("POST"));

    let register = app
        .client
        .post(app.url("/api/users"))
        .header("origin", "https://vue.example.com")
        .json(&serde_json::json!({"username": "vue", "email": "vue@example.com", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(register.status(), 201);
    assert_eq!(header(&register, "access-control-allow-origin").as_deref(), Some("https://vue.example.com"));

    for stranger in ["https://evil.example", "http://localhost:8081", "null", "https://vue.example.com.evil.example"] {
        let refused = preflight(&app, stranger).await;
        assert_eq!(header(&refused, "access-control-allow-origin"), None, "{stranger} is not reflected");
    }
}

#[tokio::test]
async fn a_wildcard_or_a_path_is_not_an_allowed_origin() {
    for bad in ["*", "https://*", "https://app.example.com/path", "app.example.com"] {
        let settings = madblog::server::config::Settings::from_lookup(|k| match k {
            "CORS_ALLOWED_ORIGINS" => Some(bad.to_owned()),
            "SECRET_KEY" => Some("k".repeat(40)),
            _ => None,
        });
        let err = settings.expect_err(bad);
        assert!(format!("{err:#}").contains("CORS_ALLOWED_ORIGINS"), "{bad}: {err:#}");
    }
}
