//! Fuzzes `TokenKeys::verify` for every purpose (`verify_session` for sessions, as the app does),
//! with the claim type the app uses for it, on any string: under a key made at random when the
//! process starts every input is `Invalid`; under the corpus key a token is accepted (or found
//! expired) only when our own HMAC says it is signed with that purpose's key, so for at most one
//! purpose, with that purpose's `typ`, an `exp` not yet past (but a session token from before
//! rotation, without `gen`, whose session row decides), an `iat` not beyond the allowed clock skew
//! and claims that are exactly its payload; every answer, even for megabytes, comes within a
//! second.
//!
//! Inputs starting with 0xFF 0xFE are the rest repeated to over 1 MiB: bounded time for huge
//! tokens, without the fuzzer having to grow inputs that large.
#![no_main]

use libfuzzer_sys::fuzz_target;
use madblog::server::auth::tokens::TokenError;
use madblog_fuzz::{CORPUS_SECRET, KNOWN, PURPOSES, UNSEEN, now, signature_is_valid, verify_as};
use std::time::{Duration, Instant};

/// Generous: an ordinary input takes microseconds, a 1 MiB one a few milliseconds, even with ASan.
const SLOWEST: Duration = Duration::from_secs(1);

fuzz_target!(|data: &[u8]| {
    let token = match data.strip_prefix(b"\xff\xfe") {
        Some(piece) if !piece.is_empty() => String::from_utf8_lossy(piece).repeat((1 << 20) / piece.len() + 1),
        _ => String::from_utf8_lossy(data).into_owned(),
    };
    let issued_before = now();
    let mut signed_for = None;
    for purpose in PURPOSES {
        let started = Instant::now();
        let known = verify_as(&KNOWN, purpose, &token);
        let unseen = verify_as(&UNSEEN, purpose, &token);
        assert!(started.elapsed() < SLOWEST, "{purpose:?} took {:?} for {} bytes", started.elapsed(), token.len());
        assert_eq!(unseen.err(), Some(TokenError::Invalid), "{purpose:?} accepted a token under a key it never saw");
        if matches!(known, Err(TokenError::Invalid)) {
            continue;
        }
        assert!(signature_is_valid(CORPUS_SECRET, purpose, &token), "{purpose:?}: {known:?} without its signature");
        assert_eq!(signed_for.replace(purpose), None, "signed for two purposes, the second {purpose:?}");
        if let Ok(claims) = known {
            claims.assert_fit_for(purpose, issued_before);
        }
    }
});
