//! Every signed token the app issues, one purpose each: session (API access), confirm (email
//! confirmation links), reset (password reset links), the two links of an address change
//! (confirm the new address, revert to the old one), and the "this wasn't me" link of a new-device
//! mail (secure the account).
//!
//! Each purpose has its own HMAC key, derived from `SECRET_KEY`, and its own `typ` claim, so a token
//! minted for one purpose fails signature verification for every other one; the `typ` check is a
//! second, independent lock. The algorithm is pinned to HS256: a token whose header says `none`,
//! `HS512` or anything else is rejected before any claim is read. A token dated ahead of the clock
//! (beyond a small skew) is refused too.

use super::keys::{self, DerivedKey};
use crate::server::clock::now;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Serialize, de::DeserializeOwned};
use sha2::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Session,
    Confirm,
    Reset,
    EmailChange,
    EmailRevert,
    /// The new-device mail's "this wasn't me" link: ends every session and locks the password.
    SecureAccount,
}

impl Purpose {
    pub fn typ(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Confirm => "confirm",
            Self::Reset => "reset",
            Self::EmailChange => "email-change",
            Self::EmailRevert => "email-revert",
            Self::SecureAccount => "secure-account",
        }
    }

    const ALL: [Self; 6] =
        [Self::Session, Self::Confirm, Self::Reset, Self::EmailChange, Self::EmailRevert, Self::SecureAccount];
}

/// Why a token was refused. Callers map all of these to one answer (401, or "invalid or expired
/// link"), so the distinction is for logs and tests only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token is malformed, forged, or for another purpose")]
    Invalid,
}

/// Claims every purpose carries.
pub trait Claims: Serialize + DeserializeOwned {
    fn typ(&self) -> &str;
    /// When the token was issued (seconds since the Unix epoch).
    fn iat(&self) -> i64;
}

/// Every claims type has its `typ` and `iat` fields under those names.
macro_rules! claims {
    ($($name:ident),+) => {$(
        impl Claims for $name {
            fn typ(&self) -> &str {
                &self.typ
            }
            fn iat(&self) -> i64 {
                self.iat
            }
        }
    )+};
}
claims!(SessionClaims, ConfirmClaims, ResetClaims, AddressClaims);

/// How far ahead of this server's clock a token's `iat` may be: the servers behind one address
/// share the key but not quite the clock.
pub const MAX_CLOCK_SKEW_SECS: i64 = 60;

/// The session token: proof of login for `ver`, the user's session version at issue time. Bumping
/// the version (password change, "log out everywhere") kills every earlier session token.
///
/// The session row is the authority on how long the session lives (see
/// `services::session::authenticate`); the token only names it. `exp` is the session's absolute
/// end (its start plus `SESSION_MAX_DAYS`): no token outlives it, but a token is not refused for
/// its age before then, so a tab left for a night is still logged in the next morning.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionClaims {
    pub sub: String,
    /// The session's row (`sessions.id`): a token whose row is gone is refused.
    pub sid: String,
    pub name: String,
    pub confirmed: bool,
    pub ver: i64,
    /// The token's generation within its session: each rotation makes the next one. Tokens issued
    /// before rotation existed carry none, and count as generation 0 (their `exp` was their own
    /// 15-minute end, so it is not read as the session's).
    #[serde(rename = "gen", default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    pub typ: String,
    pub iat: i64,
    pub exp: i64,
}

/// The email-confirmation token: valid for one account and one address, so it dies if the address
/// changes before it is used.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConfirmClaims {
    pub sub: String,
    pub email: String,
    /// The account's address version when the link was made (`users.email_version`), so a link
    /// dies with any correction of the address, even one that later comes back to this address.
    /// Links made before it existed don't carry it; their address alone binds them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ev: Option<i64>,
    pub typ: String,
    pub iat: i64,
    pub exp: i64,
}

/// The password-reset token, and (under its own key and `typ`) the new-device mail's secure-account
/// token, which needs the same three things. `pwd` is a keyed fingerprint of the account's password
/// hash when the link was made: once the password changes (by this link, another one, an update,
/// or the lock that securing the account puts in its place) no earlier link matches any more.
/// Single use, with no token table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResetClaims {
    pub sub: String,
    /// The address the link was mailed to: the link dies when the account's address changes
    /// (a reverted change kills the links mailed to the thief's address). The browser reads it
    /// too, to prefill a new request when the link is dead.
    #[serde(default)]
    pub email: String,
    pub pwd: String,
    pub typ: String,
    pub iat: i64,
    pub exp: i64,
}

/// The two links of an address change, one claim set, each purpose with its own key: the link
/// mailed to a new address (`EmailChange`: move account `sub` to `email` if its address is still
/// at version `ev` and its password is still the one `pwd` fingerprints, so the link works once
/// and dies with any other change of the address or the password) and the one mailed to the old
/// address after it (`EmailRevert`: move back to `email`, undoing the change that made version
/// `ev`, while that change's row in `address_holds` lives, whatever came after it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AddressClaims {
    pub sub: String,
    pub email: String,
    pub ev: i64,
    /// The change link's fingerprint of the password hash (as `ResetClaims::pwd`). The revert link
    /// has none: it must work after whoever made the change has set a password of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pwd: Option<String>,
    pub typ: String,
    pub iat: i64,
    pub exp: i64,
}

struct KeyPair {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// Signing and verification keys for every purpose.
pub struct TokenKeys {
    keys: Vec<(Purpose, KeyPair)>,
    /// Keys the password fingerprints in reset tokens, so a token reveals nothing about the hash.
    fingerprint_key: DerivedKey,
    /// Keys the hashes of typed codes, so the table can't be brute-forced without the secret.
    code_key: DerivedKey,
}

impl TokenKeys {
    /// Derives one key per purpose (see `auth::keys`), and the fingerprint and code keys.
    pub fn from_secret(secret: &[u8]) -> Self {
        let keys = Purpose::ALL
            .into_iter()
            .map(|purpose| {
                let key = DerivedKey::derive(secret, &keys::jwt_label(purpose.typ()));
                let pair = KeyPair {
                    encoding: EncodingKey::from_secret(key.bytes()).expect("a 32-byte key is never empty"),
                    decoding: DecodingKey::from_secret(key.bytes()).expect("a 32-byte key is never empty"),
                };
                (purpose, pair)
            })
            .collect();
        Self {
            keys,
            fingerprint_key: DerivedKey::derive(secret, keys::PASSWORD_FINGERPRINT),
            code_key: DerivedKey::derive(secret, keys::ACTION_CODE),
        }
    }

    fn code_mac(&self, user_id: &str, purpose: &str, email: &str, code: &str) -> Hmac<Sha256> {
        self.code_key.mac_of(&[user_id, purpose, email, code])
    }

    /// The stored form of a typed code for one account and purpose, mailed to `email` (base64url).
    /// The address is in the hash so the code dies with it, as the link does: checked against the
    /// account's address of the moment, a code mailed to an address it has left matches nothing.
    pub fn code_hash(&self, user_id: &str, purpose: &str, email: &str, code: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(self.code_mac(user_id, purpose, email, code).finalize().into_bytes())
    }

    /// Whether `code` is the one `stored` was made from for this account, purpose and address,
    /// compared in constant time.
    pub fn code_matches(&self, user_id: &str, purpose: &str, email: &str, code: &str, stored: &str) -> bool {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(stored)
            .is_ok_and(|bytes| self.code_mac(user_id, purpose, email, code).verify_slice(&bytes).is_ok())
    }

    /// A short keyed fingerprint of a password hash (128 bits, base64url): enough to tell one hash
    /// from the next, useless for anything else.
    pub fn password_fingerprint(&self, password_hash: &str) -> String {
        use base64::Engine;
        let mut mac = self.fingerprint_key.mac();
        mac.update(password_hash.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16])
    }

    fn pair(&self, purpose: Purpose) -> &KeyPair {
        &self.keys.iter().find(|(p, _)| *p == purpose).expect("every purpose has a key").1
    }

    /// Signs `claims` with the key of `purpose`.
    ///
    /// # Panics
    /// Never for the claim types in this module (serialising them can't fail).
    pub fn sign<C: Claims>(&self, purpose: Purpose, claims: &C) -> String {
        debug_assert_eq!(claims.typ(), purpose.typ());
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.pair(purpose).encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// Verifies signature, algorithm, expiry and `typ`, and returns the claims.
    ///
    /// # Errors
    /// [`TokenError::Expired`] for a well-signed but expired token, [`TokenError::Invalid`] for
    /// everything else.
    pub fn verify<C: Claims>(&self, purpose: Purpose, token: &str) -> Result<C, TokenError> {
        self.decode(purpose, token, true)
    }

    /// Verifies a session token: signature, algorithm, `typ` and `iat` as [`TokenKeys::verify`]
    /// does, and `exp` as the session's absolute end. A token from before rotation (no `gen`) had
    /// a 15-minute `exp` of its own, which is not the session's end: its session row decides.
    ///
    /// # Errors
    /// As [`TokenKeys::verify`].
    pub fn verify_session(&self, token: &str) -> Result<SessionClaims, TokenError> {
        let claims: SessionClaims = self.decode(Purpose::Session, token, false)?;
        if claims.generation.is_some() && claims.exp <= now() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    fn decode<C: Claims>(&self, purpose: Purpose, token: &str, validate_exp: bool) -> Result<C, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        // One clock issues and checks these: no leeway, an expired token is expired.
        validation.leeway = 0;
        validation.validate_exp = validate_exp;
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        let data = jsonwebtoken::decode::<C>(token, &self.pair(purpose).decoding, &validation).map_err(|e| match e
            .kind()
        {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid,
        })?;
        if data.claims.typ() != purpose.typ() {
            return Err(TokenError::Invalid);
        }
        // jsonwebtoken checks `exp` but never `iat`. A token dated ahead of every clock of ours was
        // not made by us in good order (a leaked key, a server whose clock ran wild), and whatever
        // reads a token's age (`now - iat`: the session renewal at half-life) would be fooled by it.
        if data.claims.iat() > now() + MAX_CLOCK_SKEW_SECS {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn keys() -> TokenKeys {
        TokenKeys::from_secret(b"a test secret that is at least thirty-two bytes")
    }

    fn claims(exp_in: i64) -> SessionClaims {
        SessionClaims {
            sub: "4b1f0a4e-0000-4000-8000-000000000000".into(),
            sid: "5c2f0a4e-0000-4000-8000-000000000000".into(),
            name: "ann".into(),
            confirmed: false,
            ver: 1,
            generation: Some(0),
            typ: "session".into(),
            iat: now(),
            exp: now() + exp_in,
        }
    }

    #[test]
    fn a_fresh_session_token_verifies() {
        let issued = claims(60);
        let token = keys().sign(Purpose::Session, &issued);
        assert_eq!(keys().verify::<SessionClaims>(Purpose::Session, &token), Ok(issued));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let token = keys().sign(Purpose::Session, &claims(-1));
        assert_eq!(keys().verify::<SessionClaims>(Purpose::Session, &token), Err(TokenError::Expired));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let other = TokenKeys::from_secret(b"another secret, also long enough to be a key");
        let token = other.sign(Purpose::Session, &claims(60));
        assert_eq!(keys().verify::<SessionClaims>(Purpose::Session, &token), Err(TokenError::Invalid));
    }

    #[test]
    fn a_token_of_another_purpose_is_refused_even_with_the_right_typ() {
        // Signed with the confirm key but claiming to be a session: the key separation catches it.
        let token = keys().sign(Purpose::Confirm, &SessionClaims { typ: "confirm".into(), ..claims(60) });
        assert_eq!(keys().verify::<SessionClaims>(Purpose::Session, &token), Err(TokenError::Invalid));
        let relabelled = {
            let mut c = claims(60);
            c.typ = "confirm".into();
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &c, &keys().pair(Purpose::Session).encoding).unwrap()
        };
        assert_eq!(keys().verify::<SessionClaims>(Purpose::Session, &relabelled), Err(TokenError::Invalid));
    }

    #[test]
    fn a_token_issued_ahead_of_the_clock_is_refused_beyond_a_small_skew() {
        let keys = keys();
        let issued_at = |iat: i64| SessionClaims { iat, exp: iat + 60, ..claims(60) };
        let ahead = |secs: i64| keys.sign(Purpose::Session, &issued_at(now() + secs));
        assert!(keys.verify::<SessionClaims>(Purpose::Session, &ahead(30)).is_ok(), "within the skew");
        for secs in [MAX_CLOCK_SKEW_SECS + 60, 10 * 365 * 24 * 3600] {
            assert_eq!(
                keys.verify::<SessionClaims>(Purpose::Session, &ahead(secs)),
                Err(TokenError::Invalid),
                "{secs}"
            );
        }
        let link = ConfirmClaims {
            sub: "4b1f0a4e-0000-4000-8000-000000000000".into(),
            email: "ann@example.com".into(),
            ev: Some(0),
            typ: "confirm".into(),
            iat: now() + 10 * 365 * 24 * 3600,
            exp: now() + 10 * 365 * 24 * 3600 + 60,
        };
        let token = keys.sign(Purpose::Confirm, &link);
        assert_eq!(keys.verify::<ConfirmClaims>(Purpose::Confirm, &token), Err(TokenError::Invalid));
    }

    #[test]
    fn password_fingerprints_differ_per_hash_and_per_secret() {
        let a = keys().password_fingerprint("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
        assert_eq!(a, keys().password_fingerprint("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"));
        assert_ne!(a, keys().password_fingerprint("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaB"));
        let other = TokenKeys::from_secret(b"another secret, also long enough to be a key");
        assert_ne!(a, other.password_fingerprint("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"));
        assert_eq!(a.len(), 22);
    }

    #[test]
    fn code_hashes_match_only_their_code_account_purpose_and_address() {
        let keys = keys();
        let stored = keys.code_hash("u1", "confirm", "ann@example.com", "12345678");
        assert!(keys.code_matches("u1", "confirm", "ann@example.com", "12345678", &stored));
        assert!(!keys.code_matches("u1", "confirm", "ann@example.com", "12345679", &stored));
        assert!(!keys.code_matches("u2", "confirm", "ann@example.com", "12345678", &stored));
        assert!(!keys.code_matches("u1", "reset", "ann@example.com", "12345678", &stored));
        assert!(!keys.code_matches("u1", "confirm", "ann@example.org", "12345678", &stored));
        assert!(!keys.code_matches("u1", "confirm", "ann@example.com", "12345678", "not base64!"));
        let other = TokenKeys::from_secret(b"another secret, also long enough to be a key");
        assert!(!other.code_matches("u1", "confirm", "ann@example.com", "12345678", &stored));
    }

    #[test]
    fn a_reset_token_is_refused_as_a_secure_account_token_and_back() {
        let keys = keys();
        let claims = |typ: &str| ResetClaims {
            sub: "u1".into(),
            email: "ann@example.com".into(),
            pwd: "m1lVxGk2dQ5vKoGq8JmH3w".into(),
            typ: typ.into(),
            iat: now(),
            exp: now() + 60,
        };
        let secure = keys.sign(Purpose::SecureAccount, &claims("secure-account"));
        assert_eq!(keys.verify::<ResetClaims>(Purpose::SecureAccount, &secure), Ok(claims("secure-account")));
        assert_eq!(keys.verify::<ResetClaims>(Purpose::Reset, &secure), Err(TokenError::Invalid));
        let reset = keys.sign(Purpose::Reset, &claims("reset"));
        assert_eq!(keys.verify::<ResetClaims>(Purpose::SecureAccount, &reset), Err(TokenError::Invalid));
    }

    #[test]
    fn a_change_link_carries_its_password_fingerprint_and_a_revert_link_none() {
        let claims = |pwd: Option<&str>| AddressClaims {
            sub: "u1".into(),
            email: "ann@example.com".into(),
            ev: 1,
            pwd: pwd.map(str::to_owned),
            typ: "email-revert".into(),
            iat: now(),
            exp: now() + 60,
        };
        let revert = serde_json::to_value(claims(None)).unwrap();
        assert!(revert.get("pwd").is_none(), "{revert}");
        let change = serde_json::to_value(claims(Some("m1lVxGk2dQ5vKoGq8JmH3w"))).unwrap();
        assert_eq!(change["pwd"], "m1lVxGk2dQ5vKoGq8JmH3w");
        let without: AddressClaims = serde_json::from_value(revert).unwrap();
        assert_eq!(without.pwd, None, "a link made before the claim existed reads as having none");
    }

    #[test]
    fn a_session_token_lives_until_its_sessions_end_not_its_age() {
        let keys = keys();
        let old = SessionClaims { iat: now() - 30 * 86_400, exp: now() + 60, ..claims(60) };
        let token = keys.sign(Purpose::Session, &old);
        assert_eq!(keys.verify_session(&token), Ok(old), "a month old, its session still going");
        let ended = keys.sign(Purpose::Session, &claims(-1));
        assert_eq!(keys.verify_session(&ended), Err(TokenError::Expired), "past the session's end");
    }

    #[test]
    fn a_session_token_from_before_rotation_is_not_refused_for_its_own_expiry() {
        let keys = keys();
        // Its `exp` was the 15-minute end of the token itself; its session row decides now.
        let legacy = SessionClaims { generation: None, iat: now() - 3600, exp: now() - 2700, ..claims(60) };
        let token = keys.sign(Purpose::Session, &legacy);
        let payload = String::from_utf8(B64.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap();
        assert!(!payload.contains("\"gen\""), "{payload}");
        assert_eq!(keys.verify_session(&token), Ok(legacy));
        assert_eq!(keys.verify::<SessionClaims>(Purpose::Session, &token), Err(TokenError::Expired));
    }

    #[test]
    fn session_verification_keeps_every_other_lock() {
        let keys = keys();
        let other = TokenKeys::from_secret(b"another secret, also long enough to be a key");
        let legacy = SessionClaims { generation: None, ..claims(-1) };
        assert_eq!(keys.verify_session(&other.sign(Purpose::Session, &legacy)), Err(TokenError::Invalid));
        let as_confirm = keys.sign(Purpose::Confirm, &SessionClaims { typ: "confirm".into(), ..legacy.clone() });
        assert_eq!(keys.verify_session(&as_confirm), Err(TokenError::Invalid));
        let ahead = SessionClaims { iat: now() + 3600, exp: now() + 7200, ..legacy };
        assert_eq!(keys.verify_session(&keys.sign(Purpose::Session, &ahead)), Err(TokenError::Invalid));
        assert_eq!(keys.verify_session("a.b.c"), Err(TokenError::Invalid));
    }

    #[test]
    fn alg_none_is_refused() {
        let payload = B64.encode(serde_json::to_vec(&claims(60)).unwrap());
        let header = B64.encode(r#"{"alg":"none","typ":"JWT"}"#);
        for token in [format!("{header}.{payload}."), format!("{header}.{payload}")] {
            assert_eq!(keys().verify::<SessionClaims>(Purpose::Session, &token), Err(TokenError::Invalid));
        }
    }

    #[test]
    fn hs512_with_the_right_key_is_refused() {
        let keys = keys();
        let key = &keys.pair(Purpose::Session).encoding;
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims(60), key).unwrap();
        assert_eq!(keys.verify::<SessionClaims>(Purpose::Session, &token), Err(TokenError::Invalid));
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let token = keys().sign(Purpose::Session, &claims(60));
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut c = claims(60);
        c.confirmed = true;
        parts[1] = B64.encode(serde_json::to_vec(&c).unwrap());
        assert_eq!(keys().verify::<SessionClaims>(Purpose::Session, &parts.join(".")), Err(TokenError::Invalid));
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        for junk in ["", "abc", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.e30.", &"x".repeat(10_000)] {
            assert_eq!(keys().verify::<SessionClaims>(Purpose::Session, junk), Err(TokenError::Invalid));
        }
    }
}
