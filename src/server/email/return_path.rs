//! The envelope sender (return path) of each mail. With `MAIL_BOUNCE_ADDRESS` it is that address
//! tagged with the mail's outbox id and a MAC (`bounce+<id>.<mac>@example.org`, VERP), so that a
//! bounce report that comes back days later names the very mail it is about, and a forged report
//! names nothing. Without it, the envelope sender is `MAIL_SENDER`'s address, untagged: QQ, 163 and
//! Gmail refuse a MAIL FROM that isn't the account one logs in with.

use crate::server::auth::keys::{self, DerivedKey};
use anyhow::{Context, bail};
use lettre::Address;

/// RFC 5321's limit on a local part, in octets.
const LOCAL_PART_MAX: usize = 64;
/// The fewest hex digits of MAC a tag may carry (64 bits): a forged tag then has one chance in
/// 2^64 to name a mail.
const MAC_MIN: usize = 16;
/// The most a tag carries (128 bits): more guards nothing a report could be used for.
const MAC_MAX: usize = 32;

/// Tags return paths and reads them back.
#[derive(Clone)]
pub struct ReturnPath {
    local: String,
    domain: String,
    key: DerivedKey,
    mac_len: usize,
}

impl std::fmt::Debug for ReturnPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("ReturnPath").field("local", &self.local).field("domain", &self.domain).finish_non_exhaustive()
    }
}

impl ReturnPath {
    /// From `MAIL_BOUNCE_ADDRESS` and the app's secret.
    ///
    /// # Errors
    /// An address that doesn't parse, or whose local part leaves no room for a tag.
    pub fn new(bounce_address: &str, secret: &[u8]) -> anyhow::Result<Self> {
        let address: Address = bounce_address.trim().parse().context("MAIL_BOUNCE_ADDRESS is not an address")?;
        let local = address.user().to_ascii_lowercase();
        if !local.is_ascii() || local.contains('+') {
            bail!("MAIL_BOUNCE_ADDRESS's local part must be plain ASCII without `+` (the tag goes after a `+`)");
        }
        // `local+<32 hex id>.<mac>`
        let room = LOCAL_PART_MAX.saturating_sub(local.len() + 1 + 32 + 1);
        if room < MAC_MIN {
            bail!("MAIL_BOUNCE_ADDRESS's local part is too long: a tag needs {} more octets", MAC_MIN - room);
        }
        Ok(Self {
            local,
            domain: address.domain().to_ascii_lowercase(),
            key: DerivedKey::derive(secret, keys::BOUNCE_TAG),
            mac_len: room.min(MAC_MAX),
        })
    }

    /// The tagged return path of the outbox mail `id` (a UUID).
    pub fn for_mail(&self, id: &str) -> String {
        let id = compact(id);
        format!("{}+{id}.{}@{}", self.local, self.mac(&id), self.domain)
    }

    /// The outbox id a return path names, if its tag is one of ours (constant-time MAC check).
    pub fn mail_of(&self, return_path: &str) -> Option<String> {
        let (local, domain) = return_path.trim().trim_matches(['<', '>']).rsplit_once('@')?;
        let (base, tag) = local.split_once('+')?;
        if !base.eq_ignore_ascii_case(&self.local) || !domain.eq_ignore_ascii_case(&self.domain) {
            return None;
        }
        let (id, mac) = tag.to_ascii_lowercase().split_once('.').map(|(i, m)| (i.to_owned(), m.to_owned()))?;
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) || mac.len() != self.mac_len {
            return None;
        }
        let expected = self.mac(&id);
        let same = expected.bytes().zip(mac.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        same.then(|| format!("{}-{}-{}-{}-{}", &id[..8], &id[8..12], &id[12..16], &id[16..20], &id[20..]))
    }

    fn mac(&self, compact_id: &str) -> String {
        let mut mac = self.key.hex_mac_of(&[compact_id]);
        mac.truncate(self.mac_len);
        mac
    }
}

/// A UUID's 32 hex digits, lower case, without its dashes.
fn compact(id: &str) -> String {
    id.chars().filter(|c| *c != '-').collect::<String>().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a test secret that is at least thirty-two bytes";
    const ID: &str = "0b6f8a52-58f4-4d5e-a7c2-6a1f0e0e9d01";

    #[test]
    fn a_tag_names_its_mail_and_fits_a_local_part() {
        let paths = ReturnPath::new("Bounce@Mail.Example.org", SECRET).unwrap();
        let tagged = paths.for_mail(ID);
        let (local, domain) = tagged.split_once('@').unwrap();
        assert_eq!(domain, "mail.example.org");
        assert!(local.starts_with("bounce+0b6f8a5258f44d5ea7c26a1f0e0e9d01.") && local.len() <= 64, "{tagged}");
        assert_eq!(local.len(), 64, "the MAC takes the room left: {tagged}");
        assert!(tagged.parse::<Address>().is_ok());
        assert_eq!(paths.mail_of(&tagged).as_deref(), Some(ID));
        assert_eq!(paths.mail_of(&format!("<{}>", tagged.to_uppercase())).as_deref(), Some(ID), "case and brackets");
    }

    #[test]
    fn a_forged_or_foreign_tag_names_nothing() {
        let paths = ReturnPath::new("bounce@example.org", SECRET).unwrap();
        let tagged = paths.for_mail(ID);
        let other_id = paths.for_mail("11111111-2222-3333-4444-555555555555");
        let (_, other_mac) = other_id.split_once('.').unwrap();
        let (head, _) = tagged.split_once('.').unwrap();
        let forged = [
            format!("{head}.{other_mac}"),
            tagged.replace("example.org", "example.com"),
            tagged.replace("bounce+", "other+"),
            tagged.replace(".", ".0"),
            "bounce@example.org".to_owned(),
            "bounce+.@example.org".to_owned(),
            String::new(),
        ];
        for forged in forged {
            assert_eq!(paths.mail_of(&forged), None, "{forged}");
        }
        let other_secret =
            ReturnPath::new("bounce@example.org", b"another secret of thirty-two bytes or more").unwrap();
        assert_eq!(other_secret.mail_of(&tagged), None, "another SECRET_KEY's tag");
    }

    #[test]
    fn an_address_with_no_room_for_a_tag_is_refused() {
        assert!(ReturnPath::new(&format!("{}@example.org", "b".repeat(14)), SECRET).is_ok());
        let err = ReturnPath::new(&format!("{}@example.org", "b".repeat(15)), SECRET).unwrap_err();
        assert!(err.to_string().contains("too long"), "{err}");
        assert!(ReturnPath::new("bounce+x@example.org", SECRET).is_err());
        assert!(ReturnPath::new("not an address", SECRET).is_err());
    }
}
