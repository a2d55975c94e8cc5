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

/// The claims of a session JWT the UI cares about. Its `exp` is not among them: the server, which
/// knows whether the session still lives, decides when a token is no longer good, and a tab opened
/// after days away must try its token rather than throw it away.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SessionInfo {
    pub sub: String,
    pub name: String,
    pub confirmed: bool,
    /// The session the token belongs to (tokens from before device sessions have none).
    #[serde(default)]
    pub sid: String,
    /// The token's generation within its session (see `server::auth::tokens::SessionClaims`).
    #[serde(rename = "gen", default)]
    pub generation: i64,
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

    /// Whether a token with these claims may replace one with `stored`: the same session, and not
    /// an older generation. A renewal that arrives late (its request was slower than the next)
    /// must not put back a token the session has moved past, nor one of a session this browser
    /// has logged out of since.
    pub fn may_replace(&self, stored: &Self) -> bool {
        self.sid == stored.sid && self.sub == stored.sub && self.generation >= stored.generation
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
        let token = token_with(r#"{"sub":"u1","sid":"s1","name":"ann","confirmed":true,"exp":100,"ver":1,"gen":3}"#);
        let info = SessionInfo::decode_unverified(&token).unwrap();
        assert_eq!(info.name, "ann");
        assert!(info.confirmed);
        assert_eq!((info.sid.as_str(), info.generation), ("s1", 3));
        let legacy = token_with(r#"{"sub":"u1","name":"ann","confirmed":true,"exp":100,"ver":1}"#);
        assert_eq!(SessionInfo::decode_unverified(&legacy).unwrap().generation, 0, "no generation: the first");
    }

    #[test]
    fn a_renewal_replaces_only_an_older_or_equal_token_of_the_same_session() {
        let info = |sid: &str, generation| SessionInfo {
            sub: "u1".into(),
            name: "ann".into(),
            confirmed: true,
            sid: sid.into(),
            generation,
        };
        assert!(info("s1", 4).may_replace(&info("s1", 3)));
        assert!(info("s1", 3).may_replace(&info("s1", 3)));
        assert!(!info("s1", 2).may_replace(&info("s1", 3)), "a late answer's older token");
        assert!(!info("s1", 9).may_replace(&info("s2", 0)), "another session, logged into since");
    }

    #[test]
    fn garbage_is_no_session() {
        for bad in ["", "a.b", "a.b.c.d", "x.!!!.y", &token_with("[1]")] {
            assert_eq!(SessionInfo::decode_unverified(bad), None, "{bad}");
        }
    }
}
