//! Fuzzes `Password::parse`: its answer is the policy's (blank, 8–128 characters counted as
//! characters, no control characters) except that the list of common passwords may refuse more; an accepted password is
//! the input verbatim, parses again to the same value, and its `Debug` never shows it; never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use madblog::domain::{Password, PasswordError};

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data).into_owned();
    let chars = raw.chars().count();
    let rules = if raw.trim().is_empty() {
        Some(PasswordError::Blank)
    } else if chars < Password::MIN_CHARS {
        Some(PasswordError::TooShort)
    } else if chars > Password::MAX_CHARS {
        Some(PasswordError::TooLong)
    } else if raw.chars().any(char::is_control) {
        Some(PasswordError::Characters)
    } else {
        None
    };
    match (Password::parse(raw.clone()), rules) {
        (Ok(password), None) => {
            assert_eq!(password.expose(), raw);
            assert_eq!(Password::parse(password.expose().to_owned()), Ok(password.clone()));
            assert_eq!(format!("{password:?}"), "Password([redacted])");
        }
        (Err(PasswordError::TooCommon), None) => {}
        (answer, rules) => assert_eq!(answer.err(), rules, "{raw:?}"),
    }
});
