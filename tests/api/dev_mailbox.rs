//! The dev mailbox (development without `MAIL_SERVER`) shows every mail with its live links, so it
//! answers only a client on this machine: anyone else, directly or through a trusted proxy, gets
//! the 404 of a page that doesn't exist.

use crate::helpers::{TestApp, TestAppBuilder};
use reqwest::StatusCode;

/// Status and page, with the answer's nonce (named in its `Content-Security-Policy`, fresh for
/// every answer) replaced by `NONCE`, so two answers can be compared.
async fn get(app: &TestApp, path: &str, forwarded_for: Option<&str>) -> (StatusCode, String) {
    let mut request = app.client.get(app.url(path));
    if let Some(address) = forwarded_for {
        request = request.header("X-Forwarded-For", address);
    }
    let response = request.send().await.unwrap();
    let policy = response.headers().get("content-security-policy").map(|v| v.to_str().unwrap().to_owned());
    let nonce = policy.as_deref().and_then(|p| p.split("'nonce-").nth(1)?.split('\'').next()).map(str::to_owned);
    let (status, page) = (response.status(), response.text().await.unwrap());
    (status, nonce.map_or(page.clone(), |nonce| page.replace(&nonce, "NONCE")))
}

/// Waits until the mailbox (asked from this machine) lists a mail to `address`.
async fn wait_for_mail(app: &TestApp, address: &str) -> String {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, page) = get(app, "/dev/mailbox", None).await;
        if status == StatusCode::OK && page.contains(address) {
            return page;
        }
        assert!(tokio::time::Instant::now() < deadline, "no mail to {address} in the dev mailbox: {status}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_client_beyond_a_trusted_proxy_finds_no_dev_mailbox() {
    let app = TestAppBuilder::default().dev_mailbox().var("TRUSTED_PROXIES", "127.0.0.1").spawn().await;
    app.registered_user("kim").await;
    let local = wait_for_mail(&app, "kim@example.com").await;
    assert!(local.contains("#token="), "the mailbox shows the live link");

    for client in ["203.0.113.9", "198.51.100.1, 203.0.113.9", "2001:db8::1"] {
        let (status, page) = get(&app, "/dev/mailbox", Some(client)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{client}");
        assert!(!page.contains("kim@example.com") && !page.contains("token="), "{client}: {page}");
        let (_, missing) = get(&app, "/dev/no-such-page", Some(client)).await;
        assert_eq!(page, missing, "{client}: just another page that isn't there");
    }
}

#[tokio::test]
async fn a_client_on_this_machine_reads_the_dev_mailbox_through_a_local_proxy_too() {
    let app = TestAppBuilder::default().dev_mailbox().var("TRUSTED_PROXIES", "127.0.0.1").spawn().await;
    app.registered_user("lou").await;
    wait_for_mail(&app, "lou@example.com").await;

    for client in ["127.0.0.1", "::1"] {
        let (status, page) = get(&app, "/dev/mailbox", Some(client)).await;
        assert_eq!(status, StatusCode::OK, "{client}");
        assert!(page.contains("lou@example.com"), "{client}");
    }
}

#[tokio::test]
async fn a_proxy_on_this_machine_relaying_someone_elsewhere_finds_no_dev_mailbox_even_untrusted() {
    // A development server behind a local proxy nobody named in TRUSTED_PROXIES: every request
    // comes from 127.0.0.1, but the proxy says whom it relays.
    let app = TestAppBuilder::default().dev_mailbox().spawn().await;
    app.registered_user("max").await;
    wait_for_mail(&app, "max@example.com").await;

    let (status, page) = get(&app, "/dev/mailbox", Some("203.0.113.9")).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("max@example.com"));
    let (status, _) = get(&app, "/dev/mailbox", Some("127.0.0.1")).await;
    assert_eq!(status, StatusCode::OK, "a hop on this machine is this machine");
}
