//! Who is asking: the device a request comes from, and the account and session behind a verified
//! session token. Shared by the HTTP edge (which extracts them), the services (which act for them)
//! and the security log (which records them); `services::session` is what makes a `CurrentUser`.

use crate::{
    domain::UserId,
    server::db::{sessions::SessionRow, users::UserRow},
};
use std::net::IpAddr;

/// Who is logging in from where: what a session row remembers to help its owner recognise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub ip: IpAddr,
    /// Already short (see [`Device::describe`]).
    pub user_agent: String,
}

impl Device {
    /// A device from the client's address and its `User-Agent` header.
    pub fn new(ip: IpAddr, user_agent: Option<&str>) -> Self {
        Self { ip, user_agent: Self::describe(user_agent.unwrap_or_default()) }
    }

    /// "Firefox on Linux": the browser and the system a `User-Agent` names, or its first product
    /// token for other clients (`curl`), at most 60 characters. Only shown to the account's owner,
    /// never trusted.
    pub fn describe(user_agent: &str) -> String {
        let has = |needle: &str| user_agent.contains(needle);
        let browser = if has("Edg/") {
            Some("Edge")
        } else if has("OPR/") {
            Some("Opera")
        } else if has("Firefox/") {
            Some("Firefox")
        } else if has("Chrome/") || has("Chromium/") {
            Some("Chrome")
        } else if has("Safari/") {
            Some("Safari")
        } else {
            None
        };
        let system = if has("Android") {
            Some("Android")
        } else if has("iPhone") || has("iPad") {
            Some("iOS")
        } else if has("Windows") {
            Some("Windows")
        } else if has("Mac OS X") || has("Macintosh") {
            Some("macOS")
        } else if has("CrOS") {
            Some("ChromeOS")
        } else if has("Linux") {
            Some("Linux")
        } else {
            None
        };
        let text = match (browser, system) {
            (Some(b), Some(s)) => format!("{b} on {s}"),
            (Some(b), None) => b.to_owned(),
            _ => user_agent.split(['/', ' ']).next().unwrap_or_default().to_owned(),
        };
        let text: String = text.chars().filter(|c| !c.is_control()).take(60).collect();
        if text.trim().is_empty() { "unknown".to_owned() } else { text }
    }
}

/// The account behind a verified session token, as the database has it now, and the session.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub row: UserRow,
    pub session: SessionRow,
    /// Where this request came from (not where the session began): what the security log records.
    pub device: Device,
    /// The token generation this request's answers carry: the session's current one, or the next
    /// when the token presented was due for rotation.
    pub generation: i64,
    /// The token the answer carries (`X-Session-Token`) for the client to swap in: the next
    /// generation when the one presented was past half its life, or the current one when the
    /// presented token was the previous generation, still in its grace.
    pub renewed: Option<String>,
}

impl CurrentUser {
    pub fn confirmed(&self) -> bool {
        self.row.confirmed
    }

    /// This account, if it is confirmed. The lock behind every endpoint but confirm, resend, `me`,
    /// language and logout-all; the browser's guard is only comfort.
    ///
    /// # Errors
    /// `Unconfirmed` otherwise.
    pub fn require_confirmed(self) -> Result<Self, AuthError> {
        if self.confirmed() { Ok(self) } else { Err(AuthError::Unconfirmed) }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No token, or a token that is malformed, forged, expired, of another purpose, for a deleted
    /// account or for an old session version.
    #[error("not authenticated")]
    Unauthenticated,
    /// A valid session of an account that hasn't confirmed its address yet.
    #[error("account not confirmed")]
    Unconfirmed,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_told_briefly() {
        let cases = [
            ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Linux"),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            ("curl/8.5.0", "curl"),
            ("", "unknown"),
            ("\u{0}\u{1}", "unknown"),
        ];
        for (header, expected) in cases {
            assert_eq!(Device::describe(header), expected, "{header:?}");
        }
        assert!(Device::describe(&"x".repeat(500)).len() <= 60);
    }
}
