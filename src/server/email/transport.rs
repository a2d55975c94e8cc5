//! Where mail goes: an SMTP server (over the connection pool in `smtp`, with implicit TLS or
//! STARTTLS as configured), or, in development without `MAIL_SERVER`, the dev mailbox: JSON files
//! under `data/mail/`, listed at `/dev/mailbox`.

use super::{
    connection::{Connector, Security},
    dkim::Signer,
    fault::Fault,
    message::build,
    return_path::ReturnPath,
    smtp::Pool,
};
use crate::server::{
    config::{AppEnv, Settings},
    db::outbox::OutboxMail,
};
use anyhow::{Context, bail};
use lettre::{message::Mailbox, transport::smtp::authentication::Credentials};
use rustls::pki_types::{CertificateDer, pem::PemObject};
use std::{path::PathBuf, sync::Arc, time::Duration};

pub enum Transport {
    Smtp {
        pool: Arc<Pool>,
        from: Mailbox,
        /// Tags each mail's envelope sender, when `MAIL_BOUNCE_ADDRESS` is set.
        return_path: Option<ReturnPath>,
        /// Signs each mail, when `MAIL_DKIM_*` is set.
        dkim: Option<Arc<Signer>>,
        describe: String,
    },
    /// `page` is the mailbox's address, for the log.
    DevMailbox { dir: PathBuf, from: Mailbox, page: String },
}

/// How long one SMTP conversation may take; the outbox worker renews a mail's lease for as long as
/// this, so a live worker always finishes (or gives up on) a mail before anyone else may claim it.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections open at once: as many as the outbox worker sends in parallel.
const POOL_SIZE: usize = 8;
/// An idle connection is closed after this.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

impl Transport {
    /// # Errors
    /// An unparsable `MAIL_SENDER`, an invalid `MAIL_SERVER` name, an unreadable `MAIL_CA_FILE`, or
    /// no `MAIL_SERVER` in production. Never a network error: SMTP connections are opened when the
    /// first mail goes, so a mail server that is down delays mail, never the app's start.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let mail = &settings.mail;
        let from: Mailbox = mail.sender.parse().context("MAIL_SENDER must be an address or `Name <address>`")?;
        let Some(server) = mail.server.clone() else {
            if settings.app_env == AppEnv::Production {
                bail!("MAIL_SERVER must be set in production (mail can't be delivered without it)");
            }
            let page = format!("{}/dev/mailbox", settings.app_url);
            return Ok(Self::DevMailbox { dir: settings.data_dir.join("mail"), from, page });
        };
        let extra_roots = match &mail.ca_file {
            Some(path) => read_certificates(path).with_context(|| format!("MAIL_CA_FILE ({})", path.display()))?,
            None => Vec::new(),
        };
        let (security, name) = if mail.use_ssl {
            (Security::implicit(&server, &extra_roots)?, "TLS")
        } else if mail.use_tls {
            (Security::starttls(&server, &extra_roots, true)?, "STARTTLS")
        } else {
            // Plain SMTP (a local relay or a test server), but upgrade when the server offers it.
            (Security::starttls(&server, &extra_roots, false)?, "plain or opportunistic STARTTLS")
        };
        let credentials = mail.username.as_ref().map(|username| {
            let password = mail.password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default();
            Credentials::new(username.clone(), password)
        });
        let describe = format!("SMTP {server}:{} ({name})", mail.port);
        let connector = Connector { host: server, port: mail.port, security, credentials };
        let return_path = match &mail.bounce_address {
            Some(address) => Some(ReturnPath::new(address, settings.secret_key.expose().as_bytes())?),
            None => None,
        };
        let dkim = mail.dkim.as_ref().map(|dkim| Signer::new(dkim, from.email.domain())).transpose()?;
        let pool = Pool::new(connector, POOL_SIZE, SMTP_TIMEOUT, IDLE_TIMEOUT);
        Ok(Self::Smtp { pool, from, return_path, dkim, describe })
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Smtp { describe, .. } => describe.clone(),
            Self::DevMailbox { dir, .. } => format!("dev mailbox in {}", dir.display()),
        }
    }

    /// Sends one mail.
    ///
    /// # Errors
    /// When the mail can't be built or delivered: whose problem that is, and why.
    pub async fn send(&self, mail: &OutboxMail) -> Result<(), Undelivered> {
        match self {
            Self::Smtp { pool, from, return_path, dkim, .. } => {
                let mut message = build(mail, from, return_path.as_ref()).map_err(refused)?;
                if let Some(signer) = dkim {
                    // Each attempt anew, like the Date header it covers.
                    message =
                        signer.sign(message).await.map_err(|e| Undelivered::new(Fault::Temporary, format!("{e:#}")))?;
                }
                pool.send(message.envelope(), &message.formatted())
                    .await
                    .map_err(|e| Undelivered::new(e.fault(), e.to_string()))
            }
            Self::DevMailbox { dir, from, page } => {
                build(mail, from, None).map_err(refused)?;
                store_in_dev_mailbox(dir, page, mail)
                    .await
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

/// Every certificate in a PEM file (at least one).
fn read_certificates(path: &std::path::Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_file_iter(path)
        .context("could not open it")?
        .collect::<Result<Vec<_>, _>>()
        .context("could not read its certificates")?;
    if certificates.is_empty() {
        bail!("it holds no PEM certificate");
    }
    Ok(certificates)
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
