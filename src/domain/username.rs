//! `Username`: the public handle a person registers with and may log in with.

use crate::i18n::Msg;
use std::fmt;

/// A valid username: 3–32 ASCII letters, digits, `.`, `_` or `-`, starting with a letter or digit.
///
/// ASCII only on purpose: uniqueness is case-insensitive, and Unicode case folding and look-alike
/// letters ("раураl" in Cyrillic) would let two accounts look identical. No `@`, so a login name
/// with an `@` is always an email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.msg().text(crate::i18n::Locale::En.text()))]
pub enum UsernameError {
    Blank,
    Length,
    Characters,
}

impl UsernameError {
    /// What to tell the person, as a catalogue key.
    pub fn msg(self) -> Msg {
        match self {
            Self::Blank => Msg::UsernameBlank,
            Self::Length => Msg::UsernameLength,
            Self::Characters => Msg::UsernameCharacters,
        }
    }
}

impl Username {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 32;

    /// Trims surrounding white space and checks the rules above.
    ///
    /// # Errors
    /// A [`UsernameError`] whose `Display` is the message to show next to the field.
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(UsernameError::Blank);
        }
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
            return Err(UsernameError::Characters);
        }
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&name.len()) {
            return Err(UsernameError::Length);
        }
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(UsernameError::Characters);
        }
        Ok(Self(name.to_owned()))
    }

    /// The key two usernames are compared by: "Alice" and "alice" are the same account.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_trims_a_plain_name() {
        assert_eq!(Username::parse("  alice_1 ").unwrap().as_ref(), "alice_1");
    }

    #[test]
    fn keeps_case_but_compares_without_it() {
        let name = Username::parse("Alice").unwrap();
        assert_eq!(name.as_ref(), "Alice");
        assert_eq!(name.key(), Username::parse("aLICE").unwrap().key());
    }

    #[test]
    fn rejects_blank_names() {
        assert_eq!(Username::parse("   "), Err(UsernameError::Blank));
        assert_eq!(Username::parse(""), Err(UsernameError::Blank));
    }

    #[test]
    fn rejects_names_of_the_wrong_length() {
        assert_eq!(Username::parse("ab"), Err(UsernameError::Length));
        assert_eq!(Username::parse(&"a".repeat(33)), Err(UsernameError::Length));
        assert!(Username::parse(&"a".repeat(32)).is_ok());
    }

    #[test]
    fn rejects_at_signs_spaces_and_non_ascii() {
        for bad in ["a@b.c", "al ice", "аlice", "alice!", "_alice", "-bob", ".x1"] {
            assert_eq!(Username::parse(bad), Err(UsernameError::Characters), "{bad}");
        }
    }
}
