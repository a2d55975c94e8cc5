//! Sign-in by email as both ends see it: what the ask answers, what a poll answers, the question the
//! approving page asks, and the 4-digit number as typed.

use crate::i18n::Msg;
use serde::{Deserialize, Serialize};

/// What `POST /api/email-login` answers, for known and unknown addresses alike. The browser keeps
/// `flow` (the secret) and `handle` for the flow's life, and shows `number`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailLoginStarted {
    /// The flow's secret: only this browser ever holds it; the session goes only to it.
    pub flow: String,
    /// The flow's non-secret id, the one the mailed link carries: how the link's page knows its
    /// flow is the one this browser asked for.
    pub handle: String,
    /// Four digits to type on another device to approve the sign-in there.
    pub number: String,
}

/// Where a flow stands, as the asking page polls it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlowState {
    /// Nothing yet; `by_number`: whether it may still be approved from another device.
    Pending { by_number: bool },
    /// Approved from another device: here is the session, handed out this once.
    SignedIn { token: String },
    /// Finished already, by another tab of this browser (whose session is in its storage).
    Done,
}

/// What the approving page shows about the sign-in it is asked to approve.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowQuestion {
    /// The short user agent of the browser that asked ("Firefox on Linux").
    pub device: String,
    /// Its network ("203.0.113.0/24").
    pub network: String,
    /// When it asked, RFC 3339.
    pub asked_at: String,
    /// Whether it may still be approved by number (no wrong number typed for it, and approval by
    /// number not turned off for the address).
    pub by_number: bool,
}

/// The number the asking page shows, as typed on the approving device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number(String);

impl Number {
    pub const LEN: usize = 4;

    /// # Errors
    /// [`Msg::EmailLoginNumberMissing`] when nothing was typed (a scanner's empty form: nothing
    /// happens), [`Msg::EmailLoginNumberFormat`] for anything but four digits.
    pub fn parse(typed: &str) -> Result<Self, Msg> {
        let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.is_empty() {
            Err(Msg::EmailLoginNumberMissing)
        } else if digits.len() == Self::LEN && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(Msg::EmailLoginNumberFormat)
        }
    }
}

impl AsRef<str> for Number {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The handle and code of a mailed sign-in link's fragment (`#f=<handle>&code=<code>`).
pub fn link_fragment(hash: &str) -> Option<(String, String)> {
    let mut handle = None;
    let mut code = None;
    for pair in hash.trim_start_matches('#').split('&') {
        match pair.split_once('=') {
            Some(("f", value)) if !value.is_empty() => handle = Some(value.to_owned()),
            Some(("code", value)) if !value.is_empty() => code = Some(value.to_owned()),
            _ => {}
        }
    }
    handle.zip(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_four_digits_and_an_empty_one_is_missing() {
        assert_eq!(Number::parse(" 0427 ").unwrap().as_ref(), "0427");
        assert_eq!(Number::parse("04 27").unwrap().as_ref(), "0427");
        assert_eq!(Number::parse(""), Err(Msg::EmailLoginNumberMissing));
        assert_eq!(Number::parse("   "), Err(Msg::EmailLoginNumberMissing));
        for bad in ["123", "12345", "12a4", "１２３４"] {
            assert_eq!(Number::parse(bad), Err(Msg::EmailLoginNumberFormat), "{bad:?}");
        }
    }

    #[test]
    fn the_links_fragment_gives_its_handle_and_code() {
        assert_eq!(link_fragment("#f=abc&code=12345678"), Some(("abc".into(), "12345678".into())));
        assert_eq!(link_fragment("code=1&f=h"), Some(("h".into(), "1".into())));
        assert_eq!(link_fragment("#f=abc"), None);
        assert_eq!(link_fragment("#token=x"), None);
        assert_eq!(link_fragment(""), None);
    }
}
