//! What the browser may read from its own tokens (the session, an emailed link), to draw the page
//! and route the user.
//!
//! Nothing here is trusted: the browser can't check the signature, and doesn't need to. The server
//! verifies every token on every call; a forged payload only changes what a person sees of pages
//! whose data the server will refuse them anyway.

use base64::Engine;
use serde::Deserialize;

/// The answer header that carries a renewed session token (the one sent was past half its life);
/// the browser swaps it in. Written by `server::http::renew_sessions`, read by `api::client`.
pub const RENEWED_TOKEN_HEADER: &str = "x-session-token";

/// The claims of a session JWT the UI cares about.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SessionInfo {
    pub sub: String,
    pub name: String,
    pub confirmed: bool,
    pub exp: i64,
}

/// The claim of a password-reset link the UI uses: the address it was mailed to, so a dead link's
/// page can offer a new mail to the same address without asking for it again.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ResetLinkInfo {
    pub email: String,
}

/// Reads the payload of a JWT without verifying it. `None` for anything that isn't a three-part
/// token with a JSON payload of the expected shape.
pub fn decode_unverified<T: serde::de::DeserializeOwned>(token: &str) -> Option<T> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl SessionInfo {
    /// The session's claims, unverified (see [`decode_unverified`]).
    pub fn decode_unverified(token: &str) -> Option<Self> {
        decode_unverified(token)
    }

    /// Whether the token has expired at `now` (Unix seconds).
    pub fn expired_at(&self, now: i64) -> bool {
        self.exp <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_with(payload: &str) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", b64.encode(r#"{"alg":"HS256"}"#), b64.encode(payload))
    }

    #[test]
    fn reads_the_claims_the_ui_needs() {
        let token = token_with(r#"{"sub":"u1","name":"ann","confirmed":true,"exp":100,"ver":1}"#);
        let info = SessionInfo::decode_unverified(&token).unwrap();
        assert_eq!(info.name, "ann");
        assert!(info.confirmed);
        assert!(info.expired_at(100));
        assert!(!info.expired_at(99));
    }

    #[test]
    fn garbage_is_no_session() {
        for bad in ["", "a.b", "a.b.c.d", "x.!!!.y", &token_with("[1]")] {
            assert_eq!(SessionInfo::decode_unverified(bad), None, "{bad}");
        }
    }
}
