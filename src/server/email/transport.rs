//! Where mail goes: an SMTP relay (the primary, and a fallback if one is configured: `relays`),
//! or, in development without `MAIL_SERVER`, the dev mailbox: JSON files under `data/mail/`,
//! listed at `/dev/mailbox`.

use super::{
    dkim::Signer,
    fault::Fault,
    message::build,
    relays::{Carrier, Relays},
    return_path::ReturnPath,
};
use crate::server::{
    config::{AppEnv, Settings},
    db::outbox::OutboxMail,
};
use anyhow::{Context, bail};
use lettre::message::Mailbox;
use std::{path::PathBuf, sync::Arc, time::Duration};

pub enum Transport {
    Smtp {
        // Boxed: two relays with their pools and breaker dwarf the dev mailbox variant.
        relays: Box<Relays>,
        from: Mailbox,
        /// Tags each mail's envelope sender, when `MAIL_BOUNCE_ADDRESS` is set.
        return_path: Option<ReturnPath>,
        /// Signs each mail, when `MAIL_DKIM_*` is set.
        dkim: Option<Arc<Signer>>,
    },
    /// `page` is the mailbox's address, for the log.
    DevMailbox { dir: PathBuf, from: Mailbox, page: String },
}

impl Transport {
    /// # Errors
    /// An unparsable `MAIL_SENDER`, an invalid `MAIL_SERVER` name, an unreadable `MAIL_CA_FILE` (or
    /// the same of the fallback relay), or no `MAIL_SERVER` in production. Never a network error:
    /// SMTP connections are opened when the first mail goes, so a mail server that is down delays
    /// mail, never the app's start.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let mail = &settings.mail;
        let from: Mailbox = mail.sender.parse().context("MAIL_SENDER must be an address or `Name <address>`")?;
        let Some(relay) = &mail.relay else {
            if settings.app_env == AppEnv::Production {
                bail!("MAIL_SERVER must be set in production (mail can't be delivered without it)");
            }
            let page = format!("{}/dev/mailbox", settings.app_url);
            return Ok(Self::DevMailbox { dir: settings.data_dir.join("mail"), from, page });
        };
        let relays = Box::new(Relays::new(relay, mail.fallback.as_ref())?);
        let return_path = match &mail.bounce_address {
            Some(address) => Some(ReturnPath::new(address, settings.secret_key.expose().as_bytes())?),
            None => None,
        };
        let dkim = mail.dkim.as_ref().map(|dkim| Signer::new(dkim, from.email.domain())).transpose()?;
        Ok(Self::Smtp { relays, from, return_path, dkim })
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Smtp { relays, .. } => relays.describe(),
            Self::DevMailbox { dir, .. } => format!("dev mailbox in {}", dir.display()),
        }
    }

    /// The longest one send may take: the outbox worker renews a mail's lease for as long as this,
    /// so a live worker always finishes (or gives up on) a mail before anyone else may claim it.
    pub fn longest_send(&self) -> Duration {
        match self {
            Self::Smtp { relays, .. } => relays.longest_send(),
            Self::DevMailbox { .. } => super::relays::SMTP_TIMEOUT,
        }
    }

    /// Sends one mail; says which SMTP relay took it (none for the dev mailbox).
    ///
    /// # Errors
    /// When the mail can't be built or delivered: whose problem that is, and why.
    pub async fn send(&self, mail: &OutboxMail) -> Result<Option<Carrier>, Undelivered> {
        match self {
            Self::Smtp { relays, from, return_path, dkim } => {
                let mut message = build(mail, from, return_path.as_ref()).map_err(refused)?;
                if let Some(signer) = dkim {
                    // Each attempt anew, like the Date header it covers.
                    message =
                        signer.sign(message).await.map_err(|e| Undelivered::new(Fault::Temporary, format!("{e:#}")))?;
                }
                let sent = relays.send(message.envelope(), &message.formatted()).await;
                sent.map(Some).map_err(|e| Undelivered::new(e.error.fault(), e.to_string()))
            }
            Self::DevMailbox { dir, from, page } => {
                build(mail, from, None).map_err(refused)?;
                store_in_dev_mailbox(dir, page, mail)
                    .await
                    .map(|()| None)
                    .map_err(|e| Undelivered::new(Fault::Temporary, format!("{e:#}")))
            }
        }
    }
}

/// Why a mail was not delivered, and whose problem that is (what the worker does next).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undelivered {
    pub fault: Fault,
    /// One line, safe to log and store: SMTP replies and I/O errors, never credentials.
    pub reason: String,
}

impl Undelivered {
    fn new(fault: Fault, reason: String) -> Self {
        // One line, even if a server's reply had several.
        Self { fault, reason: reason.replace(['\r', '\n'], " ") }
    }
}

/// A mail that can't be built never will be: refused at once, without blaming the address.
fn refused(reason: String) -> Undelivered {
    Undelivered::new(Fault::Refused, reason)
}

impl std::fmt::Display for Undelivered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// A mail as the dev mailbox keeps it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct StoredMail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub date: String,
}

async fn store_in_dev_mailbox(dir: &PathBuf, page: &str, mail: &OutboxMail) -> anyhow::Result<()> {
    tokio::fs::create_dir_all(dir).await.with_context(|| format!("could not create {}", dir.display()))?;
    let now = time::OffsetDateTime::now_utc();
    let stored = StoredMail {
        id: mail.id.clone(),
        to: mail.recipient.clone(),
        subject: mail.subject.clone(),
        text: mail.body_text.clone(),
        html: mail.body_html.clone(),
        date: now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
    };
    // Named by time, then id: listing the folder sorts the mails by arrival.
    let path = dir.join(format!("{:020}-{}.json", now.unix_timestamp_nanos(), mail.id));
    tokio::fs::write(&path, serde_json::to_vec_pretty(&stored)?)
        .await
        .with_context(|| format!("could not write {}", path.display()))?;
    // Where to read it, not what it says: its links carry live tokens, and logs outlive them.
    tracing::info!(subject = %mail.subject, to = %mask_address(&mail.recipient), "dev mailbox: new mail, read it at {page}");
    Ok(())
}

/// The http(s) links in a text body.
pub fn links_in(text: &str) -> Vec<&str> {
    text.split_whitespace().filter(|w| w.starts_with("http://") || w.starts_with("https://")).collect()
}

/// `a***@example.com`: enough to tell mails apart in a log, not enough to harvest addresses.
pub fn mask_address(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('?')),
        None => "***".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::email::relays::SMTP_TIMEOUT;

    fn settings(vars: &[(&str, &str)]) -> Settings {
        let dir = std::env::temp_dir().join(format!("madblog-transport-{}", uuid::Uuid::new_v4()));
        let mut map: std::collections::HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        map.insert("DATA_DIR".into(), dir.display().to_string());
        Settings::from_lookup(|k| map.get(k).cloned()).unwrap()
    }

    #[test]
    fn production_without_a_mail_server_refuses_to_start() {
        let key = "k".repeat(32);
        let prod = settings(&[("APP_ENV", "production"), ("SECRET_KEY", &key), ("APP_URL", "https://x.org")]);
        let err = Transport::from_settings(&prod).err().expect("an error").to_string();
        assert!(err.contains("MAIL_SERVER"), "{err}");
    }

    // No runtime: the pool starts its reaper task with the first mail, not when it is built.
    #[test]
    fn development_without_a_mail_server_uses_the_dev_mailbox() {
        assert!(matches!(Transport::from_settings(&settings(&[])).unwrap(), Transport::DevMailbox { .. }));
        let smtp = settings(&[("MAIL_SERVER", "smtp.qq.com"), ("MAIL_PORT", "465"), ("MAIL_USE_SSL", "1")]);
        assert_eq!(Transport::from_settings(&smtp).unwrap().describe(), "SMTP smtp.qq.com:465 (TLS)");
    }

    #[test]
    fn an_unusable_ca_file_names_the_setting() {
        let not_pem = std::env::temp_dir().join(format!("madblog-ca-{}.pem", uuid::Uuid::new_v4()));
        std::fs::write(&not_pem, "not a certificate").unwrap();
        for path in [not_pem.to_str().unwrap(), "/nonexistent/ca.pem"] {
            let vars = settings(&[("MAIL_SERVER", "127.0.0.1"), ("MAIL_CA_FILE", path)]);
            let err = format!("{:#}", Transport::from_settings(&vars).err().expect("an error"));
            assert!(err.contains("MAIL_CA_FILE") && err.contains(path), "{err}");
        }
        std::fs::remove_file(not_pem).unwrap();
    }

    #[test]
    fn a_fallback_relay_is_described_and_its_ca_file_named() {
        let both = settings(&[
            ("MAIL_SERVER", "smtp.example.com"),
            ("MAIL_PORT", "587"),
            ("MAIL_USE_TLS", "1"),
            ("MAIL_FALLBACK_SERVER", "backup.example.net"),
            ("MAIL_FALLBACK_PORT", "465"),
            ("MAIL_FALLBACK_USE_SSL", "1"),
        ]);
        assert_eq!(
            Transport::from_settings(&both).unwrap().describe(),
            "SMTP smtp.example.com:587 (STARTTLS), falling back to SMTP backup.example.net:465 (TLS)"
        );
        let one = settings(&[("MAIL_SERVER", "smtp.example.com")]);
        let longest = |s| Transport::from_settings(s).unwrap().longest_send();
        assert_eq!((longest(&one), longest(&both)), (SMTP_TIMEOUT, 2 * SMTP_TIMEOUT), "a lease covers both tries");
        let vars = [("MAIL_SERVER", "a.example"), ("MAIL_FALLBACK_SERVER", "b.example")];
        let missing = settings(&[&vars[..], &[("MAIL_FALLBACK_CA_FILE", "/nonexistent/b.pem")]].concat());
        let err = format!("{:#}", Transport::from_settings(&missing).err().expect("an error"));
        assert!(err.starts_with("MAIL_FALLBACK_CA_FILE (/nonexistent/b.pem)"), "{err}");
    }

    #[test]
    fn a_malformed_sender_names_the_setting() {
        let err = Transport::from_settings(&settings(&[("MAIL_SENDER", "Madblog <not an address")])).err().unwrap();
        assert!(err.to_string().contains("MAIL_SENDER"));
    }

    #[test]
    fn masks_addresses_for_logs() {
        assert_eq!(mask_address("alice@example.com"), "a***@example.com");
        assert_eq!(mask_address("nonsense"), "***");
    }

    #[test]
    fn finds_links_in_text() {
        assert_eq!(links_in("go to\nhttps://x.org/a#t=1 now, or http://y"), vec!["https://x.org/a#t=1", "http://y"]);
    }
}
