//! `EmailAddress`: where the account's mail goes, normalised so one inbox is one account.

use crate::i18n::Msg;
use std::fmt;

/// A syntactically valid address: trimmed, with its domain lower-cased (domains are
/// case-insensitive; local parts, strictly, are not, so their case is kept for delivery).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.msg().text(crate::i18n::Locale::En.text()))]
pub enum EmailAddressError {
    Invalid,
    TooLong,
}

impl EmailAddressError {
    /// What to tell the person, as a catalogue key.
    pub fn msg(self) -> Msg {
        match self {
            Self::Invalid => Msg::EmailInvalid,
            Self::TooLong => Msg::EmailTooLong,
        }
    }
}

impl EmailAddress {
    pub const MAX_LEN: usize = 254;

    /// # Errors
    /// [`EmailAddressError::Invalid`] unless the input is `local@domain.tld` with a plausible local
    /// part and a domain of dot-separated labels ending in an alphabetic top-level label.
    pub fn parse(raw: &str) -> Result<Self, EmailAddressError> {
        let (local, domain) = split_valid(raw)?;
        // The rules admit only ASCII capitals in a domain (see `domain_char`), so lower-casing
        // ASCII is the whole of it, and what is stored passes the same rules again.
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    /// Whether [`EmailAddress::parse`] accepts `raw`, and if not, with which error: the same rules,
    /// without building the normalised address. The browser checks a form with this and sends what
    /// was typed, so it doesn't need the address, and Unicode lower-casing alone would add ~7 KB
    /// (compressed) of case tables to the bundle.
    ///
    /// # Errors
    /// Exactly those of [`EmailAddress::parse`].
    pub fn check(raw: &str) -> Result<(), EmailAddressError> {
        split_valid(raw).map(|_| ())
    }

    /// The uniqueness and lookup key. Real mail systems treat `Bob@x.org` and `bob@x.org` as one
    /// inbox, so they must be one account, or a typo in case would create a second one.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// The trimmed address split into its local part and domain, once both pass the rules.
fn split_valid(raw: &str) -> Result<(&str, &str), EmailAddressError> {
    let raw = raw.trim();
    if raw.chars().count() > EmailAddress::MAX_LEN {
        return Err(EmailAddressError::TooLong);
    }
    let (local, domain) = raw.rsplit_once('@').ok_or(EmailAddressError::Invalid)?;
    if !valid_local(local) || !valid_domain(domain) {
        return Err(EmailAddressError::Invalid);
    }
    Ok((local, domain))
}

fn valid_local(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !invisible(c) && !"<>()[]\\,;:\"@".contains(c))
}

/// Characters that show as nothing, or turn the text around them (zero-width spaces and joiners,
/// bidirectional overrides, the soft hyphen, the byte-order mark): an address holding one looks
/// exactly like another account's address.
fn invisible(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let Some(tld) = labels.last() else {
        return false;
    };
    labels.len() >= 2
        && tld.chars().count() >= 2
        && tld.chars().all(char::is_alphabetic)
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(domain_char)
        })
}

/// A letter, digit or hyphen; beyond ASCII, only one that is already its own lower case. A capital
/// like `İ` or `Ⱥ` lower-cases to something longer or to a combining mark, which would no longer
/// pass these rules once stored: refused as typed, rather than accepted and then broken.
fn domain_char(c: char) -> bool {
    c == '-'
        || c.is_ascii_alphanumeric()
        || (!c.is_ascii() && c.is_alphanumeric() && !c.is_uppercase() && !titlecase(c))
}

/// The titlecase letters (Unicode category Lt), which lower-case without being upper case.
fn titlecase(c: char) -> bool {
    matches!(c, '\u{1c5}' | '\u{1c8}' | '\u{1cb}' | '\u{1f2}' | '\u{1f88}'..='\u{1f8f}' | '\u{1f98}'..='\u{1f9f}' | '\u{1fa8}'..='\u{1faf}' | '\u{1fbc}' | '\u{1fcc}' | '\u{1ffc}')
}

/// Why an address a person typed, to show a person acts on a mailed link (mail scanners open
/// links and press buttons, but can't know what to type), is not the one the link was mailed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedAddress {
    Missing,
    /// Not an address at all: the parser's message.
    Invalid(Msg),
    /// An address, but another one.
    Wrong,
}

impl EmailAddress {
    /// Whether `typed` is this address, as the unique key compares them (case aside).
    ///
    /// # Errors
    /// `Missing` for nothing typed, `Invalid` for something that is not an address, `Wrong` for
    /// another address.
    pub fn check_typed(&self, typed: &str) -> Result<(), TypedAddress> {
        if typed.trim().is_empty() {
            return Err(TypedAddress::Missing);
        }
        let typed = Self::parse(typed).map_err(|e| TypedAddress::Invalid(e.msg()))?;
        if typed.key() == self.key() { Ok(()) } else { Err(TypedAddress::Wrong) }
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_address_is_the_mailed_one_only_when_their_keys_agree() {
        let mailed = EmailAddress::parse("Ann@Example.com").unwrap();
        assert_eq!(mailed.check_typed(" ann@example.COM "), Ok(()));
        assert_eq!(mailed.check_typed("  "), Err(TypedAddress::Missing));
        assert!(matches!(mailed.check_typed("ann"), Err(TypedAddress::Invalid(_))));
        assert_eq!(mailed.check_typed("bob@example.com"), Err(TypedAddress::Wrong));
    }

    #[test]
    fn invisible_characters_make_no_look_alike_address() {
        for raw in [
            "ali\u{200b}ce@example.com",
            "alice\u{202e}@example.com",
            "\u{feff}alice@example.com",
            "al\u{ad}ice@example.com",
        ] {
            assert_eq!(EmailAddress::parse(raw), Err(EmailAddressError::Invalid), "{raw:?}");
        }
        assert!(EmailAddress::parse("alice@ex\u{200d}ample.com").is_err(), "nor a look-alike domain");
    }

    #[test]
    fn a_domain_capital_beyond_ascii_is_refused_not_stored_broken() {
        for raw in ["a@İ.com", "x@ȺȺȺ.com", "Bob@İSTANBUL.COM", "x@ǅ.ǅǅ", "kim@STRAẞE.de"] {
            assert_eq!(EmailAddress::parse(raw), Err(EmailAddressError::Invalid), "{raw:?}");
        }
        let idn = EmailAddress::parse("Ann@bücher.DE").unwrap();
        assert_eq!(idn.as_ref(), "Ann@bücher.de");
        assert_eq!(EmailAddress::parse(idn.as_ref()), Ok(idn));
    }

    #[test]
    fn trims_and_lowercases_only_the_domain() {
        let email = EmailAddress::parse("  Bob.Smith@Example.ORG ").unwrap();
        assert_eq!(email.as_ref(), "Bob.Smith@example.org");
        assert_eq!(email.key(), "bob.smith@example.org");
    }

    const ACCEPTED: [&str; 4] =
        ["a@b.co", "first.last+tag@sub.mail.example.com", "x_y-z@xn--80ak6aa92e.com", "用户@例子.广告"];

    const REJECTED: [&str; 16] = [
        "",
        "plain",
        "@example.com",
        "a@",
        "a@b",
        "a@b.c",
        "a b@c.com",
        "a@b..com",
        "a@-b.com",
        "a@b-.com",
        ".a@b.com",
        "a.@b.com",
        "a..b@c.com",
        "a@b.c0m",
        "<a>@b.com",
        "a@b.com.",
    ];

    #[test]
    fn accepts_common_shapes() {
        for ok in ACCEPTED {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in REJECTED {
            assert_eq!(EmailAddress::parse(bad), Err(EmailAddressError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn rejects_overlong_addresses() {
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(200));
        assert_eq!(EmailAddress::parse(&long), Err(EmailAddressError::TooLong));
    }

    #[test]
    fn check_answers_as_parse_does() {
        let overlong = format!("{}@{}.com", "a".repeat(64), "b".repeat(200));
        // `check` may skip lower-casing only because `parse` applies its rules before it: domains
        // whose lower case changes length (İ) or depends on context (final Σ) would catch a
        // `parse` that checked the lower-cased form instead.
        let unicode_case = ["Bob@İSTANBUL.COM", "ΣΟΦΙΑ@ΠΑΡΑΔΕΙΓΜΑ.ΕΛ", "kim@STRASSE.DE", "x@ǅ.ǅǅ", " Ann@Example.ORG "];
        let inputs = ACCEPTED.iter().chain(&REJECTED).chain(&unicode_case).copied().chain([overlong.as_str()]);
        for raw in inputs {
            assert_eq!(EmailAddress::check(raw), EmailAddress::parse(raw).map(|_| ()), "{raw:?}");
        }
    }
}
