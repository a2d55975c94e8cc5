//! Fuzzes `domain::session::decode_unverified`, the browser's reading of its tokens: it answers
//! only for three-part tokens, and then exactly what serde reads from the base64url middle part,
//! as JSON, as `SessionInfo` and as `ResetLinkInfo`; wrapping any bytes as the payload of a
//! well-formed token reads back the same way; never a panic.
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;
use madblog::domain::session::{ResetLinkInfo, SessionInfo, decode_unverified};
use madblog_fuzz::{B64, HS256_HEADER};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt::Debug;

/// `decode_unverified::<T>` must answer what serde reads from `payload`, whatever `T`.
fn reads_as_serde<T: DeserializeOwned + PartialEq + Debug>(token: &str, payload: Option<&[u8]>) {
    let expected = payload.and_then(|bytes| serde_json::from_slice::<T>(bytes).ok());
    assert_eq!(decode_unverified::<T>(token), expected, "{token:?}");
}

fuzz_target!(|data: &[u8]| {
    // The input as a whole token, as the browser finds it in storage or a link.
    let raw = String::from_utf8_lossy(data);
    let parts: Vec<&str> = raw.split('.').collect();
    let payload = if parts.len() == 3 { B64.decode(parts[1]).ok() } else { None };
    reads_as_serde::<Value>(&raw, payload.as_deref());
    reads_as_serde::<SessionInfo>(&raw, payload.as_deref());
    reads_as_serde::<ResetLinkInfo>(&raw, payload.as_deref());
    assert_eq!(SessionInfo::decode_unverified(&raw), decode_unverified::<SessionInfo>(&raw));

    // The input as the payload of a well-formed token.
    let token = format!("{}.{}.c2ln", B64.encode(HS256_HEADER), B64.encode(data));
    reads_as_serde::<Value>(&token, Some(data));
    reads_as_serde::<SessionInfo>(&token, Some(data));
    reads_as_serde::<ResetLinkInfo>(&token, Some(data));
});
