//! The attack suite: every attack we defend against, one named test each, grouped by class.

mod enumeration;
mod input;
mod logs;
mod tokens;

use crate::helpers::{TestApp, count, error_body};
use base64::Engine;
use hmac::{Hmac, Mac};
use madblog::server::{
    auth::tokens::Purpose,
    db::{sessions, users},
};
use reqwest::Response;
use serde_json::Value;
use sha2::Sha256;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The signing key of `purpose` as the app derives it from `secret`. Worked out here on its own
/// rather than taken from the app (which never hands its keys out), so a test can sign with any
/// algorithm or header; a test that uses it also shows a genuine token made with it is accepted,
/// or a wrong derivation here would make every refusal meaningless.
pub fn purpose_key(secret: &[u8], purpose: Purpose) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(format!("madblog/jwt/{}/v1", purpose.typ()).as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The real key `app` signs and checks `purpose` tokens with.
pub fn app_key(app: &TestApp, purpose: Purpose) -> Vec<u8> {
    purpose_key(app.state.settings.secret_key.expose().as_bytes(), purpose)
}

/// `claims` signed as the JWT library would, with `alg` (an HMAC algorithm) and `key`.
pub fn sign(key: &[u8], alg: jsonwebtoken::Algorithm, claims: &Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(key).expect("a non-empty key");
    jsonwebtoken::encode(&jsonwebtoken::Header::new(alg), claims, &key).expect("signing plain JSON")
}

/// A token put together by hand: any header, any claims, any signature bytes.
pub fn forge(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!("{}.{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()), B64.encode(signature))
}

/// A token whose header says whatever `header` says, signed with HMAC-SHA256 under `key` all the
/// same: the shape of a key-confusion attack, where a verifier trusting the header would check an
/// HMAC against what it takes for a public key.
pub fn hmac_signed(header: &Value, claims: &Value, key: &[u8]) -> String {
    let signing_input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(signing_input.as_bytes());
    format!("{signing_input}.{}", B64.encode(mac.finalize().into_bytes()))
}

/// `token` as one path segment: anything outside the unreserved characters percent-encoded, so
/// garbage reaches the handler as the attacker wrote it.
pub fn in_path(token: &str) -> String {
    token
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Checks a refusal: `status`, and the JSON `{error, message}` every error answer has. `what` names
/// the attempt, so a failure in a table of attacks says which one got through.
pub async fn refused(response: Response, status: u16, what: &str) -> Value {
    if response.status() != status {
        let got = response.status();
        panic!("{what}: expected {status}, got {got}: {}", response.text().await.unwrap_or_default());
    }
    error_body(response, status).await
}

/// Sends `head` (the request line and any headers) and `body` over a fresh connection, and returns
/// the status and the whole answer: for requests no HTTP client builds, such as a URI longer than
/// the `http` crate takes.
pub async fn raw_request(app: &TestApp, head: &str, body: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let head = format!("{head}\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    // The server may answer and close before it has read everything; its answer is what counts.
    let _ = stream.write_all(&[head.as_bytes(), body].concat()).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok());
    (status.unwrap_or_else(|| panic!("no status line in {answer:?}")), answer)
}

/// What an attack could have changed about an account: its address, password, confirmation,
/// session and address versions, and how many sessions it has.
#[derive(Debug, PartialEq, Eq)]
pub struct AccountState {
    pub email: String,
    pub password_hash: String,
    pub confirmed: bool,
    pub session_version: i64,
    pub email_version: i64,
    pub sessions: usize,
}

pub async fn account_state(app: &TestApp, user_id: &str) -> AccountState {
    let row = users::find_by_id(&app.state.pool, user_id).await.unwrap().expect("the account exists");
    let sessions = sessions::list(&app.state.pool, user_id).await.unwrap().len();
    AccountState {
        email: row.email,
        password_hash: row.password_hash,
        confirmed: row.confirmed,
        session_version: row.session_version,
        email_version: row.email_version,
        sessions,
    }
}

/// Every mail ever queued: an attack that got through would usually have queued one.
pub async fn mails_queued(app: &TestApp) -> i64 {
    count(&app.state.pool, "SELECT COUNT(*) FROM outbox").await
}
