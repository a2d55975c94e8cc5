//! DKIM settings (`MAIL_DKIM_DOMAIN`, `MAIL_DKIM_SELECTOR`, `MAIL_DKIM_KEY_FILE`): the key read and
//! checked at start-up, turned into the form the signer takes, and the DNS record that publishes
//! its public half.

use super::{env::Env, secret::Secret};
use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::STANDARD};
use ed25519_dalek::SigningKey;
use rsa::{
    RsaPrivateKey,
    pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, LineEnding},
    pkcs8::{DecodePrivateKey, EncodePublicKey},
    traits::PublicKeyParts,
};

/// Signing is on when all three are set; a partial set is refused, since it can only be a mistake
/// that would otherwise send unsigned mail without a word.
#[derive(Debug, Clone)]
pub struct DkimSettings {
    /// `d=`: the domain that vouches for the mail. DMARC counts the signature only when it is
    /// `MAIL_SENDER`'s domain or shares its parent.
    pub domain: String,
    /// `s=`: the key's name, published at `<selector>._domainkey.<domain>`.
    pub selector: String,
    pub key: DkimKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DkimAlgorithm {
    Rsa,
    Ed25519,
}

impl DkimAlgorithm {
    /// As the record's `k=` names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rsa => "rsa",
            Self::Ed25519 => "ed25519",
        }
    }
}

/// A private key as lettre's `DkimSigningKey::new` takes it, and its public half as DNS publishes
/// it.
#[derive(Debug, Clone)]
pub struct DkimKey {
    pub algorithm: DkimAlgorithm,
    /// RSA: PKCS#1 PEM. Ed25519: base64 of the 32-byte seed.
    pub private: Secret,
    /// `p=`: base64 of the SubjectPublicKeyInfo DER (RSA, as `openssl pkey -pubout` writes it), or
    /// of the raw 32-byte key (Ed25519, RFC 8463).
    pub public: String,
}

/// RFC 8301: verifiers ignore signatures by shorter RSA keys.
const MIN_RSA_BITS: usize = 1024;

impl DkimSettings {
    /// # Errors
    /// A partial set, a name that is no DNS name, or a key file that can't be read or holds no
    /// usable key. Messages name the variable and the file, never what the file holds.
    pub fn read(env: &Env<'_>) -> anyhow::Result<Option<Self>> {
        const NAMES: [&str; 3] = ["MAIL_DKIM_DOMAIN", "MAIL_DKIM_SELECTOR", "MAIL_DKIM_KEY_FILE"];
        let (domain, selector, key_file) = match NAMES.map(|name| env.text(name)) {
            [None, None, None] => return Ok(None),
            [Some(domain), Some(selector), Some(key_file)] => (domain, selector, key_file),
            values => {
                let missing: Vec<&str> =
                    NAMES.iter().zip(&values).filter(|(_, v)| v.is_none()).map(|(name, _)| *name).collect();
                bail!(
                    "MAIL_DKIM_DOMAIN, MAIL_DKIM_SELECTOR and MAIL_DKIM_KEY_FILE go together (all three to sign \
                     mail, none to send it unsigned): {} not set",
                    missing.join(" and ")
                );
            }
        };
        let domain = dns_name(&domain).context("MAIL_DKIM_DOMAIN must be a domain name like example.org")?;
        let selector = dns_name(&selector).context("MAIL_DKIM_SELECTOR must be a DNS name like mail2025")?;
        let key_file = key_file.trim();
        let pem = std::fs::read_to_string(key_file)
            .with_context(|| format!("MAIL_DKIM_KEY_FILE ({key_file}): could not read it"))?;
        let key = DkimKey::from_pem(&pem).with_context(|| format!("MAIL_DKIM_KEY_FILE ({key_file})"))?;
        Ok(Some(Self { domain, selector, key }))
    }

    /// The TXT record to publish: its name and value (for a DNS provider's form), and the same as
    /// a zone file line.
    pub fn dns_record(&self) -> String {
        let name = format!("{}._domainkey.{}", self.selector, self.domain);
        let value = format!("v=DKIM1; k={}; p={}", self.key.algorithm.name(), self.key.public);
        // One string of a TXT record holds at most 255 bytes (RFC 1035), less than a 2048-bit RSA
        // key needs; a record may hold several, which verifiers join without a separator.
        let strings: Vec<String> =
            value.as_bytes().chunks(255).map(|chunk| format!("\"{}\"", String::from_utf8_lossy(chunk))).collect();
        format!(
            "name:  {name}\ntype:  TXT\nvalue: {value}\n\nin a zone file:\n{name}. IN TXT ( {} )",
            strings.join(" ")
        )
    }
}

impl DkimKey {
    /// Reads an RSA key (PKCS#1, `BEGIN RSA PRIVATE KEY`, or PKCS#8, `BEGIN PRIVATE KEY`, what
    /// OpenSSL 3 writes) or an Ed25519 key (PKCS#8).
    ///
    /// # Errors
    /// When there is no such key. The message says what was expected, never what was found: a
    /// damaged key is still mostly key.
    pub fn from_pem(text: &str) -> anyhow::Result<Self> {
        let unusable =
            "it holds no RSA or Ed25519 private key in PEM (PKCS#1 or PKCS#8); the README says how to make one";
        let Some((label, block)) = first_pem_block(text) else { bail!(unusable) };
        match label {
            "RSA PRIVATE KEY" => Self::rsa(RsaPrivateKey::from_pkcs1_pem(block).ok().context(unusable)?),
            "PRIVATE KEY" => {
                if let Ok(key) = RsaPrivateKey::from_pkcs8_pem(block) {
                    Self::rsa(key)
                } else if let Ok(key) = SigningKey::from_pkcs8_pem(block) {
                    Ok(Self::ed25519(&key))
                } else {
                    bail!(unusable)
                }
            }
            "ENCRYPTED PRIVATE KEY" => {
                bail!(
                    "the key is encrypted: decrypt it (openssl pkey -in KEY -out PLAIN) and keep it readable only to madblog"
                )
            }
            "OPENSSH PRIVATE KEY" => bail!("it is an OpenSSH key; {unusable}"),
            _ => bail!(unusable),
        }
    }

    fn rsa(key: RsaPrivateKey) -> anyhow::Result<Self> {
        let bits = key.size() * 8;
        if bits < MIN_RSA_BITS {
            bail!(
                "the RSA key has {bits} bits: receivers ignore signatures by keys under {MIN_RSA_BITS} bits (2048 is usual)"
            );
        }
        let private = key.to_pkcs1_pem(LineEnding::LF).context("could not re-encode the RSA key")?;
        let public = key.to_public_key().to_public_key_der().context("could not encode the RSA public key")?;
        Ok(Self {
            algorithm: DkimAlgorithm::Rsa,
            private: Secret::new(private.as_str()),
            public: STANDARD.encode(public.as_bytes()),
        })
    }

    fn ed25519(key: &SigningKey) -> Self {
        Self {
            algorithm: DkimAlgorithm::Ed25519,
            private: Secret::new(STANDARD.encode(key.to_bytes())),
            public: STANDARD.encode(key.verifying_key().to_bytes()),
        }
    }
}

/// The label and text of the first PEM block: a file may carry other lines around it (OpenSSL's
/// "Bag Attributes", a comment), which the PEM readers refuse.
fn first_pem_block(text: &str) -> Option<(&str, &str)> {
    let start = text.find("-----BEGIN ")?;
    let after = &text[start + "-----BEGIN ".len()..];
    let label = &after[..after.find("-----")?];
    let end_line = format!("-----END {label}-----");
    let end = text[start..].find(&end_line)? + start + end_line.len();
    Some((label, &text[start..end]))
}

/// A DNS name, lower case, without a trailing dot: labels of letters, digits and inner hyphens.
fn dns_name(name: &str) -> anyhow::Result<String> {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if name.len() > 253 || !name.split('.').all(label_ok) {
        bail!("not a DNS name");
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{collections::HashMap, path::Path, process::Command};

    /// Runs the `openssl` CLI in `dir`: keys made and read by the tool operators use, not by the
    /// code under test.
    fn openssl(dir: &Path, args: &str) -> Vec<u8> {
        let out = Command::new("openssl").args(args.split(' ')).current_dir(dir).output().expect("openssl CLI");
        assert!(out.status.success(), "openssl {args}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    /// `genkey`'s key, written to `dir/key.pem`.
    fn key(dir: &Path, genkey: &str) -> String {
        // genrsa wants the size last.
        let (command, options) = genkey.split_once(' ').unwrap();
        openssl(dir, &format!("{command} -out key.pem {options}"));
        std::fs::read_to_string(dir.join("key.pem")).unwrap()
    }

    /// The last 32 bytes of a DER encoding: where an Ed25519 key's raw bytes sit in both its
    /// PKCS#8 and its SubjectPublicKeyInfo form.
    fn raw_ed25519(der: &[u8]) -> String {
        STANDARD.encode(&der[der.len() - 32..])
    }

    #[test]
    fn an_rsa_key_in_pkcs1_is_taken_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let pem = key(dir.path(), "genrsa -traditional 2048");
        assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));

        let key = DkimKey::from_pem(&pem).unwrap();

        assert_eq!(key.algorithm, DkimAlgorithm::Rsa);
        let original = RsaPrivateKey::from_pkcs1_pem(&pem).unwrap();
        assert_eq!(RsaPrivateKey::from_pkcs1_pem(key.private.expose()).unwrap(), original);
        assert_eq!(key.public, STANDARD.encode(openssl(dir.path(), "pkey -in key.pem -pubout -outform DER")));
    }

    #[test]
    fn an_rsa_key_in_pkcs8_becomes_pkcs1() {
        let dir = tempfile::tempdir().unwrap();
        let pem = key(dir.path(), "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048");
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "OpenSSL 3's default form");

        let key = DkimKey::from_pem(&format!("Bag Attributes\n    localKeyID: 01\n{pem}")).unwrap();

        assert_eq!(key.algorithm, DkimAlgorithm::Rsa);
        assert!(key.private.expose().starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        let traditional = String::from_utf8(openssl(dir.path(), "pkey -in key.pem -traditional")).unwrap();
        assert_eq!(
            RsaPrivateKey::from_pkcs1_pem(key.private.expose()).unwrap(),
            RsaPrivateKey::from_pkcs1_pem(&traditional).unwrap(),
            "the same key as OpenSSL's own PKCS#1 form of it"
        );
        assert_eq!(key.public, STANDARD.encode(openssl(dir.path(), "pkey -in key.pem -pubout -outform DER")));
    }

    #[test]
    fn an_ed25519_key_becomes_its_seed_in_base64() {
        let dir = tempfile::tempdir().unwrap();
        let pem = key(dir.path(), "genpkey -algorithm ed25519");

        let key = DkimKey::from_pem(&pem).unwrap();

        assert_eq!(key.algorithm, DkimAlgorithm::Ed25519);
        assert_eq!(key.private.expose(), raw_ed25519(&openssl(dir.path(), "pkey -in key.pem -outform DER")));
        assert_eq!(key.public, raw_ed25519(&openssl(dir.path(), "pkey -in key.pem -pubout -outform DER")));
    }

    #[test]
    fn an_unusable_key_is_refused_without_a_word_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let not_a_key = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", "QUJD".repeat(16));
        let cases = [
            (key(dir.path(), "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256"), "no RSA or Ed25519"),
            (key(dir.path(), "genpkey -algorithm ed25519 -aes256 -pass pass:madblog"), "encrypted"),
            (key(dir.path(), "genrsa -traditional 512"), "512 bits"),
            (not_a_key, "no RSA or Ed25519"),
            ("MC4CAQAwBQYDK2VwBCIEIBwoRFpP6VvXp3C1Tf7IpKpXkZ9bVkpiSkqHCGvpmuz0".to_owned(), "no RSA or Ed25519"),
        ];
        for (pem, expected) in cases {
            let path = dir.path().join("bad.pem");
            std::fs::write(&path, &pem).unwrap();
            let vars = HashMap::from([
                ("MAIL_DKIM_DOMAIN", "example.org".to_owned()),
                ("MAIL_DKIM_SELECTOR", "s1".to_owned()),
                ("MAIL_DKIM_KEY_FILE", path.display().to_string()),
            ]);
            let get = |name: &str| vars.get(name).cloned();

            let message = format!("{:#}", DkimSettings::read(&Env::new(&get)).unwrap_err());

            assert!(message.starts_with("MAIL_DKIM_KEY_FILE (") && message.contains(expected), "{message}");
            let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            for quoted in body.as_bytes().chunks(8) {
                assert!(!message.contains(std::str::from_utf8(quoted).unwrap()), "{message}");
            }
        }
    }

    #[test]
    fn the_three_settings_go_together() {
        let read = |vars: &[(&str, &str)]| {
            let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            let get = |name: &str| map.get(name).cloned();
            DkimSettings::read(&Env::new(&get)).map_err(|e| format!("{e:#}"))
        };
        assert!(read(&[]).unwrap().is_none(), "none: mail goes unsigned");
        let partial = read(&[("MAIL_DKIM_DOMAIN", "example.org")]).unwrap_err();
        assert!(partial.ends_with("MAIL_DKIM_SELECTOR and MAIL_DKIM_KEY_FILE not set"), "{partial}");
        let missing_file =
            read(&[("MAIL_DKIM_DOMAIN", "x.org"), ("MAIL_DKIM_SELECTOR", "s"), ("MAIL_DKIM_KEY_FILE", "/none/k.pem")])
                .unwrap_err();
        assert!(missing_file.starts_with("MAIL_DKIM_KEY_FILE (/none/k.pem): could not read it"), "{missing_file}");
        for (name, bad) in [("MAIL_DKIM_DOMAIN", "exa mple.org"), ("MAIL_DKIM_SELECTOR", "s;t=y")] {
            let mut vars =
                vec![("MAIL_DKIM_DOMAIN", "x.org"), ("MAIL_DKIM_SELECTOR", "s"), ("MAIL_DKIM_KEY_FILE", "k")];
            vars.retain(|(n, _)| *n != name);
            vars.push((name, bad));
            assert!(read(&vars).unwrap_err().starts_with(name), "{name}");
        }
    }

    #[test]
    fn the_record_splits_a_long_key_into_strings_dns_can_hold() {
        let settings = DkimSettings {
            domain: "example.org".into(),
            selector: "s1".into(),
            key: DkimKey { algorithm: DkimAlgorithm::Rsa, private: Secret::new("-"), public: "A".repeat(392) },
        };

        let record = settings.dns_record();

        let value = format!("v=DKIM1; k=rsa; p={}", "A".repeat(392));
        assert!(record.starts_with(&format!("name:  s1._domainkey.example.org\ntype:  TXT\nvalue: {value}\n")));
        let zone = record.lines().last().unwrap();
        let strings = format!("\"{}\" \"{}\"", &value[..255], &value[255..]);
        assert_eq!(zone, format!("s1._domainkey.example.org. IN TXT ( {strings} )"));
    }
}
