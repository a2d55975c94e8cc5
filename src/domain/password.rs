//! `Password`: a new password that meets the policy. Never printed, never logged.

use crate::i18n::Msg;
use std::fmt;

/// A password someone chose, checked against the policy (NIST SP 800-63B): 8–128 characters, any
/// printable Unicode, no composition rules, not one of the ~100 000 most common passwords.
///
/// It has no `Display` and its `Debug` is redacted, so it can't end up in a log line or an error by
/// accident. Old passwords typed at login are plain `&str`: the policy only applies to new ones.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.msg().text(crate::i18n::Locale::En.text()))]
pub enum PasswordError {
    Blank,
    TooShort,
    TooLong,
    Characters,
    TooCommon,
}

impl PasswordError {
    /// What to tell the person, as a catalogue key.
    pub fn msg(self) -> Msg {
        match self {
            Self::Blank => Msg::PasswordBlank,
            Self::TooShort => Msg::PasswordTooShort,
            Self::TooLong => Msg::PasswordTooLong,
            Self::Characters => Msg::PasswordCharacters,
            Self::TooCommon => Msg::PasswordCommon,
        }
    }
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    /// Caps the work an argon2 hash can be made to do, and is far above any passphrase.
    pub const MAX_CHARS: usize = 128;

    /// Checks the policy. White space counts and is kept: nothing is trimmed or truncated, so what
    /// the person typed is exactly what is hashed.
    ///
    /// The list of common passwords is checked only on the server: it is ~1 MB, too much to ship in
    /// the browser bundle, so the browser gives instant feedback on length and the server's answer
    /// covers the list.
    ///
    /// # Errors
    /// A [`PasswordError`] whose `Display` is the message to show next to the field.
    pub fn parse(raw: String) -> Result<Self, PasswordError> {
        if raw.trim().is_empty() {
            return Err(PasswordError::Blank);
        }
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if chars > Self::MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        // Control characters can't be typed reliably on every keyboard (a NUL ends the string
        // in other systems a password may one day pass through): refused rather than kept.
        if raw.chars().any(char::is_control) {
            return Err(PasswordError::Characters);
        }
        if is_common(&raw) {
            return Err(PasswordError::TooCommon);
        }
        Ok(Self(raw))
    }

    /// The secret itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(feature = "ssr")]
fn is_common(raw: &str) -> bool {
    // "Password1" and "password1" are equally guessable.
    passwords::analyzer::is_common_password(raw) || passwords::analyzer::is_common_password(raw.to_lowercase())
}

#[cfg(not(feature = "ssr"))]
fn is_common(_raw: &str) -> bool {
    false
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_long_unusual_passwords_verbatim() {
        let pw = Password::parse("  correct horse battery staple ✓ ".into()).unwrap();
        assert_eq!(pw.expose(), "  correct horse battery staple ✓ ");
    }

    #[test]
    fn refuses_control_characters_anywhere() {
        for raw in ["nul\0inside pw", "tab\tinside pw", "line\r\nbreak pw", "bell\u{7}xxxxxx", "c1\u{85}xxxxxxx"] {
            assert_eq!(Password::parse(raw.into()), Err(PasswordError::Characters), "{raw:?}");
        }
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert!(Password::parse("ключ-из-8".into()).is_ok());
        assert_eq!(Password::parse("ключ-12".into()), Err(PasswordError::TooShort));
        assert!(Password::parse("é".repeat(128)).is_ok());
        assert_eq!(Password::parse("é".repeat(129)), Err(PasswordError::TooLong));
    }

    #[test]
    fn rejects_blank_and_short_passwords() {
        assert_eq!(Password::parse("        ".into()), Err(PasswordError::Blank));
        assert_eq!(Password::parse("".into()), Err(PasswordError::Blank));
        assert_eq!(Password::parse("abc1234".into()), Err(PasswordError::TooShort));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn rejects_common_passwords_in_any_case() {
        for common in ["password", "12345678", "Password1", "PASSWORD123", "qwertyuiop"] {
            assert_eq!(Password::parse(common.into()), Err(PasswordError::TooCommon), "{common}");
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let pw = Password::parse("tr0ub4dor&3-zebra".into()).unwrap();
        assert!(!format!("{pw:?}").contains("zebra"));
    }
}
