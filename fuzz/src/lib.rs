//! What the token fuzz targets and the seed generator share: the secret the committed corpus is
//! signed with, a key no input can know, and oracles that check the verifier's answers
//! independently of it (our own HMAC-SHA256 over the signed part, serde over the payload).

use base64::Engine;
use hmac::{Hmac, Mac};
use madblog::server::auth::tokens::{
    AddressClaims, Claims, ConfirmClaims, Purpose, ResetClaims, SessionClaims, TokenError, TokenKeys,
};
use serde_json::Value;
use sha2::Sha256;
use std::fmt::Debug;
use std::io::Read;
use std::sync::LazyLock;

pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Signs the seed tokens in fuzz/corpus/. Public on purpose: valid tokens are what lets the fuzzer
/// reach the code behind the signature check, and their mutations must still fail it.
pub const CORPUS_SECRET: &[u8] = b"madblog fuzz corpus: the seed tokens are signed with this";

/// The header `TokenKeys::sign` writes.
pub const HS256_HEADER: &[u8] = br#"{"typ":"JWT","alg":"HS256"}"#;

/// Every purpose, in a fixed order (the app's own list is private).
pub const PURPOSES: [Purpose; 6] = [
    Purpose::Session,
    Purpose::Confirm,
    Purpose::Reset,
    Purpose::EmailChange,
    Purpose::EmailRevert,
    Purpose::SecureAccount,
];

/// Keys from [`CORPUS_SECRET`], checked once against [`signature_is_valid`] so the oracle can't
/// drift from the app's key derivation unnoticed.
pub static KNOWN: LazyLock<TokenKeys> = LazyLock::new(|| {
    let keys = TokenKeys::from_secret(CORPUS_SECRET);
    for purpose in PURPOSES {
        let (token, _) = sign_sample(&keys, purpose, 0, 1);
        assert!(
            signature_is_valid(CORPUS_SECRET, purpose, &token),
            "the fuzz oracle derives {purpose:?}'s key differently from TokenKeys::from_secret"
        );
    }
    keys
});

/// Keys from 64 random bytes drawn when the process starts: nothing in the corpus or any input was
/// made with them, so no input may ever verify under them.
pub static UNSEEN: LazyLock<TokenKeys> = LazyLock::new(|| {
    let mut secret = [0u8; 64];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut secret))
        .expect("/dev/urandom is readable");
    TokenKeys::from_secret(&secret)
});

/// A realistic token of `purpose`, signed by the app's own `TokenKeys::sign`, and its payload.
pub fn sign_sample(keys: &TokenKeys, purpose: Purpose, iat: i64, exp: i64) -> (String, Vec<u8>) {
    // Every claim of every purpose: each claim type reads its own and ignores the rest.
    let all = serde_json::json!({
        "sub": "01890a5d-ac96-774b-bcce-b302099a8057",
        "sid": "01890a5d-ac96-774b-bcce-b302099a8058",
        "name": "ann",
        "confirmed": true,
        "ver": 2,
        "gen": 1,
        "email": "ann@example.org",
        "pwd": "m1lVxGk2dQ5vKoGq8JmH3w",
        "ev": 3,
        "typ": purpose.typ(),
        "iat": iat,
        "exp": exp,
    });
    fn typed<C: Claims>(keys: &TokenKeys, purpose: Purpose, all: Value) -> (String, Vec<u8>) {
        let claims: C = serde_json::from_value(all).expect("the sample has every claim");
        (keys.sign(purpose, &claims), serde_json::to_vec(&claims).expect("claims serialise"))
    }
    match purpose {
        Purpose::Session => typed::<SessionClaims>(keys, purpose, all),
        Purpose::Confirm => typed::<ConfirmClaims>(keys, purpose, all),
        Purpose::Reset | Purpose::SecureAccount => typed::<ResetClaims>(keys, purpose, all),
        Purpose::EmailChange | Purpose::EmailRevert => typed::<AddressClaims>(keys, purpose, all),
    }
}

/// The purpose's HMAC key, derived as the app does: HMAC-SHA256(secret, "madblog/jwt/<typ>/v1").
fn purpose_key(secret: &[u8], purpose: Purpose) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(format!("madblog/jwt/{}/v1", purpose.typ()).as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// A token with exactly this header and payload, HS256-signed with the purpose's key.
pub fn sign_raw(secret: &[u8], purpose: Purpose, header: &[u8], payload: &[u8]) -> String {
    let message = format!("{}.{}", B64.encode(header), B64.encode(payload));
    let mut mac = Hmac::<Sha256>::new_from_slice(&purpose_key(secret, purpose)).expect("any length");
    mac.update(message.as_bytes());
    format!("{message}.{}", B64.encode(mac.finalize().into_bytes()))
}

/// Whether the part after the last dot is the HS256 signature of everything before it under the
/// purpose's key: the only tokens the verifier may ever accept.
pub fn signature_is_valid(secret: &[u8], purpose: Purpose, token: &str) -> bool {
    let Some((message, signature)) = token.rsplit_once('.') else {
        return false;
    };
    let Ok(signature) = B64.decode(signature) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(&purpose_key(secret, purpose)).expect("any length");
    mac.update(message.as_bytes());
    mac.verify_slice(&signature).is_ok()
}

/// The spec claims of a token the verifier accepted, read from its own typed answer.
#[derive(Debug)]
pub struct Accepted {
    pub typ: String,
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    /// Whether `exp` is an end the verifier must keep: always, but for a session token from
    /// before rotation (no `gen`), whose `exp` was its own and whose session row decides.
    pub exp_binds: bool,
}

impl Accepted {
    /// What every accepted token must be, whatever the input: of `purpose`'s `typ`, not expired
    /// at `issued_before` (taken before verifying) unless its `exp` doesn't bind, and not issued
    /// beyond the allowed clock skew.
    pub fn assert_fit_for(&self, purpose: Purpose, issued_before: i64) {
        assert_eq!(self.typ, purpose.typ());
        assert!(!self.exp_binds || self.exp >= issued_before, "{purpose:?} accepted an expired token: {self:?}");
        assert!(
            self.iat <= now() + madblog::server::auth::tokens::MAX_CLOCK_SKEW_SECS,
            "{purpose:?} accepted a token from the future: {self:?}"
        );
    }
}

/// Verifies `token` for `purpose` as the app does (sessions through `verify_session`, the rest
/// with the claim type the app uses for them). When it is accepted, also checks that the claims
/// are exactly the payload's JSON read as that type, so the verifier neither invents nor drops a
/// claim.
pub fn verify_as(keys: &TokenKeys, purpose: Purpose, token: &str) -> Result<Accepted, TokenError> {
    match purpose {
        Purpose::Session => {
            let claims = keys.verify_session(token)?;
            let exp_binds = claims.generation.is_some();
            let accepted = checked_against_payload(claims, token);
            Ok(Accepted { exp_binds, ..accepted })
        }
        Purpose::Confirm => verify_typed::<ConfirmClaims>(keys, purpose, token),
        Purpose::Reset | Purpose::SecureAccount => verify_typed::<ResetClaims>(keys, purpose, token),
        Purpose::EmailChange | Purpose::EmailRevert => verify_typed::<AddressClaims>(keys, purpose, token),
    }
}

fn verify_typed<C: Claims + PartialEq + Debug>(
    keys: &TokenKeys,
    purpose: Purpose,
    token: &str,
) -> Result<Accepted, TokenError> {
    Ok(checked_against_payload(keys.verify::<C>(purpose, token)?, token))
}

fn checked_against_payload<C: Claims + PartialEq + Debug>(claims: C, token: &str) -> Accepted {
    let payload = token.split('.').nth(1).and_then(|part| B64.decode(part).ok()).expect("an accepted token's payload");
    let from_payload: C = serde_json::from_slice(&payload).expect("an accepted token's payload reads as its claims");
    assert_eq!(claims, from_payload, "the verifier's claims differ from the payload's");
    let json = serde_json::to_value(&claims).expect("claims serialise");
    let int = |name: &str| json[name].as_i64().unwrap_or_else(|| panic!("accepted claims without an integer {name}"));
    Accepted {
        typ: claims.typ().to_owned(),
        sub: json["sub"].as_str().expect("accepted claims without a sub").to_owned(),
        iat: int("iat"),
        exp: int("exp"),
        exp_binds: true,
    }
}

/// Seconds since the Unix epoch, as the verifier's clock reads it.
pub fn now() -> i64 {
    madblog::server::clock::now()
}
