//! Fuzzes `EmailAddress::parse` and `check`: they agree on every input; an accepted address has a
//! non-empty local part of at most 64 bytes, no white space, control or invisible characters, a
//! lower-case domain, at most 254 characters, and parses back from its display to the same
//! address; its key is its own lower case; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use madblog::domain::EmailAddress;

/// The characters `email_address::invisible` names: an address holding one looks like another.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
    )
}

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let parsed = EmailAddress::parse(&raw);
    assert_eq!(EmailAddress::check(&raw), parsed.clone().map(|_| ()), "{raw:?}");
    let Ok(email) = parsed else { return };
    let kept = email.as_ref();
    let (local, domain) = kept.rsplit_once('@').expect("an address has an @");
    assert!(!local.is_empty() && local.len() <= 64, "{kept:?}");
    assert!(!kept.chars().any(|c| c.is_whitespace() || c.is_control() || invisible(c)), "{kept:?}");
    assert_eq!(domain, domain.to_lowercase(), "{kept:?}");
    assert_eq!(email.key(), kept.to_lowercase());
    // What the account stores must pass the rules it was admitted by, wherever it is parsed again.
    assert!(kept.chars().count() <= EmailAddress::MAX_LEN, "{raw:?} became {kept:?}");
    let shown = email.to_string();
    assert_eq!(EmailAddress::parse(&shown), Ok(email.clone()), "{raw:?} became {kept:?}");
});
