//! DKIM signatures on outgoing mail (RFC 6376; Ed25519 as RFC 8463 has it), made by lettre with the
//! key `config::dkim` read at start-up.

use crate::server::config::dkim::{DkimAlgorithm, DkimSettings};
use anyhow::Context;
use lettre::{
    Message,
    message::{
        dkim::{DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm, DkimSigningKey},
        header::HeaderName,
    },
};
use std::sync::Arc;

/// What a reader sees and trusts, and what holds the body together (`Content-Type` names the
/// boundary): a forger can change none of them without breaking the signature.
const SIGNED_HEADERS: [&str; 7] = ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"];

pub struct Signer {
    config: DkimConfig,
}

impl Signer {
    /// A signer for mail from `sender_domain` (`MAIL_SENDER`'s).
    ///
    /// # Errors
    /// When lettre refuses the key (read and checked already, so only if the two disagree).
    pub fn new(settings: &DkimSettings, sender_domain: &str) -> anyhow::Result<Arc<Self>> {
        let algorithm = match settings.key.algorithm {
            DkimAlgorithm::Rsa => DkimSigningAlgorithm::Rsa,
            DkimAlgorithm::Ed25519 => DkimSigningAlgorithm::Ed25519,
        };
        let key = DkimSigningKey::new(settings.key.private.expose(), algorithm)
            .context("MAIL_DKIM_KEY_FILE: the DKIM signer could not use the key")?;
        if !aligned(&settings.domain, sender_domain) {
            tracing::warn!(
                "MAIL_DKIM_DOMAIN ({}) is neither MAIL_SENDER's domain ({sender_domain}) nor a parent or child of \
                 it: mail is signed, but DMARC won't count the signature",
                settings.domain
            );
        }
        // Relaxed for both: a relay that refolds a header or trims trailing spaces doesn't break it.
        let relaxed =
            DkimCanonicalization { header: DkimCanonicalizationType::Relaxed, body: DkimCanonicalizationType::Relaxed };
        let headers = SIGNED_HEADERS.map(HeaderName::new_from_ascii_str).to_vec();
        let config = DkimConfig::new(settings.selector.clone(), settings.domain.clone(), key, headers, relaxed);
        Ok(Arc::new(Self { config }))
    }

    /// Adds the `DKIM-Signature` header. On the blocking pool: an RSA signature is a millisecond
    /// or more of arithmetic, and up to eight mails are signed at once.
    ///
    /// # Errors
    /// Only if signing panicked.
    pub async fn sign(self: &Arc<Self>, mut message: Message) -> anyhow::Result<Message> {
        let signer = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            message.sign(&signer.config);
            message
        })
        .await
        .context("DKIM signing failed")
    }
}

/// Whether DMARC's relaxed alignment can hold: one domain is the other or under it. (The real
/// rule compares organisational domains, which needs the public suffix list; this is for a
/// warning.)
fn aligned(dkim_domain: &str, sender_domain: &str) -> bool {
    let (a, b) = (dkim_domain.to_ascii_lowercase(), sender_domain.to_ascii_lowercase());
    let under = |child: &str, parent: &str| child == parent || child.ends_with(&format!(".{parent}"));
    under(&a, &b) || under(&b, &a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{config::dkim::DkimKey, db::outbox::OutboxMail, email::message::build};
    use std::time::Instant;

    fn settings(genkey: &str) -> DkimSettings {
        let dir = tempfile::tempdir().unwrap();
        let (command, options) = genkey.split_once(' ').unwrap();
        let out = std::process::Command::new("openssl")
            .args([command, "-out", "key.pem"])
            .args(options.split(' '))
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let key = DkimKey::from_pem(&std::fs::read_to_string(dir.path().join("key.pem")).unwrap()).unwrap();
        DkimSettings { domain: "madblog.test".into(), selector: "s1".into(), key }
    }

    fn message() -> Message {
        let mail = OutboxMail {
            id: "0195f1d2-mail".into(),
            kind: "confirm".into(),
            recipient: "ann@example.org".into(),
            subject: "[Madblog] Confirm Your Account".into(),
            body_text: "Dear ann,\n\nhttps://madblog.test/unconfirmed#token=abc\n".repeat(20),
            body_html: "<p>Dear ann,</p><p><a href=\"https://madblog.test/x\">confirm</a></p>".repeat(20),
            attempts: 1,
            requested: false,
        };
        build(&mail, &"Madblog <no-reply@madblog.test>".parse().unwrap(), None).unwrap()
    }

    /// What signing costs: the signature itself (run with `--release` for the production figure,
    /// or read the one in the README).
    #[tokio::test]
    async fn each_key_signs_the_chosen_headers_relaxed() {
        for (genkey, algorithm) in [
            ("genrsa -traditional 2048", "rsa-sha256"),
            ("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048", "rsa-sha256"),
            ("genpkey -algorithm ed25519", "ed25519-sha256"),
        ] {
            let signer = Signer::new(&settings(genkey), "madblog.test").unwrap();
            let rounds = 20;
            let messages: Vec<Message> = (0..rounds).map(|_| message()).collect();
            let started = Instant::now();
            let mut signed = message();
            for unsigned in messages {
                signed = signer.sign(unsigned).await.unwrap();
            }
            println!("{algorithm}: {:?} to sign one mail ({rounds} rounds)", started.elapsed() / rounds);

            let raw = String::from_utf8(signed.formatted()).unwrap();
            let header = raw.split("\r\n\r\n").next().unwrap().replace("\r\n ", " ");
            let signature = header.lines().find(|l| l.starts_with("DKIM-Signature:")).expect("signed");
            for tag in [
                format!("a={algorithm};"),
                "d=madblog.test;".into(),
                "s=s1;".into(),
                "c=relaxed/relaxed;".into(),
                "h=from:to:subject:date:message-id:mime-version:content-type;".into(),
            ] {
                assert!(signature.contains(&tag), "{tag} in {signature}");
            }
        }
    }

    #[test]
    fn dmarc_alignment_is_the_domain_or_a_parent_or_child() {
        assert!(aligned("example.org", "example.org"));
        assert!(aligned("example.org", "mail.Example.org"));
        assert!(aligned("mail.example.org", "example.org"));
        assert!(!aligned("example.org", "badexample.org"));
        assert!(!aligned("example.org", "example.net"));
    }
}
