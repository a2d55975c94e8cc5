//! Fuzzes `Username::parse`: whatever it accepts is the trimmed input, 3–32 ASCII letters, digits,
//! `.`, `_` or `-` starting with a letter or digit, and parses back from its display to the same
//! name and key; `Blank` exactly for blank input; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use madblog::domain::{Username, UsernameError};

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    match Username::parse(&raw) {
        Ok(name) => {
            let kept = name.as_ref();
            assert_eq!(kept, raw.trim());
            assert!((Username::MIN_LEN..=Username::MAX_LEN).contains(&kept.len()), "{kept:?}");
            assert!(kept.starts_with(|c: char| c.is_ascii_alphanumeric()), "{kept:?}");
            assert!(kept.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')), "{kept:?}");
            let shown = name.to_string();
            let again = Username::parse(&shown).expect("a username's display parses");
            assert_eq!(again, name);
            assert_eq!(again.key(), name.key());
            assert_eq!(Username::parse(&name.key()).map(|lower| lower.key()), Ok(name.key()));
        }
        Err(UsernameError::Blank) => assert!(raw.trim().is_empty(), "{raw:?}"),
        Err(_) => assert!(!raw.trim().is_empty(), "{raw:?}"),
    }
});
