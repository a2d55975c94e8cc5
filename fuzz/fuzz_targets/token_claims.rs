//! Fuzzes what `TokenKeys::verify` (and `verify_session`) does behind the signature check: the
//! input is a header and a payload (split at the first 0 byte; no 0 byte means the usual HS256
//! header) that the fuzzer signs itself with the key of a purpose it picks (the first byte). A
//! token is accepted (or found expired) only for the purpose whose key signed it and only with an
//! `HS256` header; accepted claims have that purpose's `typ`, an `exp` not yet past (but a session
//! token from before rotation, without `gen`, whose session row decides), an `iat` not beyond the
//! allowed clock skew, a `sub`, and are exactly what serde reads from the payload as the purpose's
//! claim type; under a key made at random when the process starts, every token is `Invalid`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use madblog::server::auth::tokens::TokenError;
use madblog_fuzz::{CORPUS_SECRET, HS256_HEADER, KNOWN, PURPOSES, UNSEEN, now, sign_raw, verify_as};

/// The header's algorithm, read as a struct as jsonwebtoken reads it: serde skips the fields it
/// doesn't know without checking them, so a header a `Value` can't hold (a string of invalid
/// UTF-8 in an unknown field) may still be a valid one.
#[derive(serde::Deserialize)]
struct Alg {
    alg: String,
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let signer = PURPOSES[usize::from(pick) % PURPOSES.len()];
    let (header, payload) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (HS256_HEADER, rest),
    };
    let token = sign_raw(CORPUS_SECRET, signer, header, payload);
    let issued_before = now();
    for purpose in PURPOSES {
        let known = verify_as(&KNOWN, purpose, &token);
        assert_eq!(verify_as(&UNSEEN, purpose, &token).err(), Some(TokenError::Invalid), "{purpose:?}");
        if matches!(known, Err(TokenError::Invalid)) {
            continue;
        }
        assert_eq!(purpose, signer, "a token signed for {signer:?} passed as {purpose:?}: {known:?}");
        let alg = serde_json::from_slice::<Alg>(header).ok().map(|header| header.alg);
        assert_eq!(alg.as_deref(), Some("HS256"), "{known:?} for the header {:?}", String::from_utf8_lossy(header));
        if let Ok(claims) = known {
            claims.assert_fit_for(purpose, issued_before);
        }
    }
});
