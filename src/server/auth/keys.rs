//! The keys the app signs and hashes with, each derived from `SECRET_KEY` for one use only
//! (HMAC-SHA256 of the secret and a label), so no key can stand in for another: a token signed for
//! one purpose fails every other's check, and a table of keyed hashes (codes, limit subjects)
//! can't be brute-forced without the secret. The labels are listed here together, so none is used
//! twice; changing one changes its key, and with it every token, code or row made with it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The key of one session-token or link purpose (`typ`: `session`, `confirm`, …).
pub fn jwt_label(typ: &str) -> String {
    format!("madblog/jwt/{typ}/v1")
}

/// The key of the password fingerprints that reset and address-change links carry.
pub const PASSWORD_FINGERPRINT: &str = "madblog/password-fingerprint/v1";

/// The key of the typed codes' stored hashes.
pub const ACTION_CODE: &str = "madblog/action-code/v1";

/// The key of the rate limits' subjects (names, networks, accounts), stored only hashed.
pub const RATE_LIMIT_SUBJECT: &str = "madblog/rate-limit-subject/v1";

/// The key of the suppression list's addresses, stored only hashed.
pub const SUPPRESSED_ADDRESS: &str = "madblog/suppressed-address/v1";

/// The key of the MAC in each mail's tagged return path.
pub const BOUNCE_TAG: &str = "madblog/bounce-tag/v1";

/// The key of the known devices' keys (account, short user agent, network block), stored only
/// hashed.
pub const KNOWN_DEVICE: &str = "madblog/known-device/v1";

/// A key derived from the secret for one use.
#[derive(Clone)]
pub struct DerivedKey([u8; 32]);

impl DerivedKey {
    /// HMAC-SHA256(`secret`, `label`).
    pub fn derive(secret: &[u8], label: &str) -> Self {
        let mut mac = keyed(secret);
        mac.update(label.as_bytes());
        Self(mac.finalize().into_bytes().into())
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// A MAC under this key, to feed and finish.
    pub fn mac(&self) -> Hmac<Sha256> {
        keyed(&self.0)
    }

    /// A MAC under this key over `parts`, each preceded by its length, so no two lists of parts
    /// feed the same bytes (`("ab", "c")` and `("a", "bc")` differ).
    pub fn mac_of(&self, parts: &[&str]) -> Hmac<Sha256> {
        let mut mac = self.mac();
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac
    }

    /// [`Self::mac_of`], finished, in lower-case hex: for a MAC stored or sent as text.
    pub fn hex_mac_of(&self, parts: &[&str]) -> String {
        self.mac_of(parts).finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn keyed(key: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a test secret that is at least thirty-two bytes";

    #[test]
    fn each_use_has_a_key_of_its_own() {
        let labels = [
            jwt_label("session"),
            jwt_label("confirm"),
            PASSWORD_FINGERPRINT.into(),
            ACTION_CODE.into(),
            RATE_LIMIT_SUBJECT.into(),
            SUPPRESSED_ADDRESS.into(),
            BOUNCE_TAG.into(),
            KNOWN_DEVICE.into(),
        ];
        let keys: std::collections::HashSet<[u8; 32]> =
            labels.iter().map(|l| DerivedKey::derive(SECRET, l).0).collect();
        assert_eq!(keys.len(), labels.len());
        assert_ne!(DerivedKey::derive(SECRET, ACTION_CODE).0, DerivedKey::derive(b"another secret", ACTION_CODE).0);
    }

    #[test]
    fn parts_are_told_apart_by_their_lengths() {
        let key = DerivedKey::derive(SECRET, ACTION_CODE);
        let a = key.mac_of(&["ab", "c"]).finalize().into_bytes();
        let b = key.mac_of(&["a", "bc"]).finalize().into_bytes();
        assert_ne!(a, b);
    }
}
