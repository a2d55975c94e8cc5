//! Fuzzes `email::reports::parse`, which reads whatever a mail server's pipe or a relay's webhook
//! hands over (a stranger can mail the bounce address anything): never a panic, and what it
//! returns holds: every candidate is one lower-case address, a failure's status is a 5.x.x and
//! its reason one line of at most 300 characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use madblog::server::email::reports::{Said, parse};

fuzz_target!(|data: &[u8]| {
    let Some(report) = parse(data) else { return };
    for candidate in &report.candidates {
        assert_eq!(candidate.matches('@').count(), 1, "{candidate:?}");
        assert_eq!(candidate, &candidate.to_ascii_lowercase());
        assert!(!candidate.chars().any(char::is_whitespace), "{candidate:?}");
    }
    if let Said::Failed { status, reason, recipient } = &report.said {
        assert!(status.starts_with("5."), "{status:?}");
        assert!(reason.chars().count() <= 300 && !reason.contains(['\r', '\n']), "{reason:?}");
        assert!(recipient.as_ref().is_none_or(|r| r.contains('@')));
    }
});
