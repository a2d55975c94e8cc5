//! Fuzzes `Code::parse`: an accepted code is eight ASCII digits, exactly the input without its
//! white space and dashes, and parses back to itself from `as_ref` and from `Code::display`;
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use madblog::domain::Code;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let Ok(code) = Code::parse(&raw) else { return };
    let digits = code.as_ref();
    assert!(digits.len() == Code::LEN && digits.bytes().all(|b| b.is_ascii_digit()), "{raw:?}");
    let typed: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    assert_eq!(typed, digits);
    assert_eq!(Code::parse(digits), Ok(code.clone()));
    assert_eq!(Code::parse(&Code::display(digits)), Ok(code.clone()));
});
