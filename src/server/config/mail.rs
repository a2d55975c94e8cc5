//! Mail: the SMTP server (named as in the seed, Flask-Mail, plus `MAIL_USE_TLS` for STARTTLS), the
//! outbox worker's retry policy, and how long sent mail is kept.

use super::{dkim::DkimSettings, env::Env, secret::Secret};
use anyhow::{Context, bail};
use std::{path::PathBuf, time::Duration};

#[derive(Debug, Clone)]
pub struct MailSettings {
    pub server: Option<String>,
    pub port: u16,
    pub use_ssl: bool,
    pub use_tls: bool,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub sender: String,
    /// PEM certificates trusted for the SMTP server's TLS besides the public roots (a private CA).
    pub ca_file: Option<PathBuf>,
    /// `MAIL_ALLOW_PLAINTEXT_AUTH`: log in without TLS (a relay on this machine or a trusted
    /// network). Without it, credentials need `MAIL_USE_SSL` or `MAIL_USE_TLS`.
    pub allow_plaintext_auth: bool,
    /// Attempts before a mail is given up (`MAIL_MAX_ATTEMPTS`, 20).
    pub max_attempts: i64,
    /// The longest wait between two attempts (`MAIL_BACKOFF_CAP_SECONDS`, 300).
    pub backoff_cap: Duration,
    /// How long a worker's claim on a mail lasts before another server may take it
    /// (`MAIL_LEASE_SECONDS`, 60); renewed while the mail is being sent.
    pub lease: Duration,
    /// How long sent mail stays in the outbox, for `madblog outbox list` (`OUTBOX_KEEP_DAYS`, 30);
    /// the housekeeping job deletes it after that. Mail given up on stays until it is retried.
    pub keep: Duration,
    /// How long an address stays suppressed after a bounce or a complaint (`MAIL_SUPPRESS_DAYS`,
    /// 90).
    pub suppress_for: Duration,
    /// `MAIL_BOUNCE_ADDRESS`: the address bounces go to, tagged per mail (see
    /// `email::return_path`). Without it, the envelope sender is `MAIL_SENDER`'s address.
    pub bounce_address: Option<String>,
    /// `MAIL_EVENTS_TOKEN`: enables `POST /hooks/mail-events` for this bearer token.
    pub events_token: Option<Secret>,
    /// `MAIL_DKIM_*`: every mail signed with this key, when set.
    pub dkim: Option<DkimSettings>,
}

impl MailSettings {
    /// # Errors
    /// A value that doesn't parse, or a login that could cross the network in clear text.
    pub fn read(env: &Env<'_>) -> anyhow::Result<Self> {
        let mail = Self {
            server: env.text("MAIL_SERVER"),
            port: match env.text("MAIL_PORT") {
                Some(p) => p.trim().parse().context("MAIL_PORT must be a port number")?,
                None => 25,
            },
            use_ssl: env.flag("MAIL_USE_SSL")?,
            use_tls: env.flag("MAIL_USE_TLS")?,
            username: env.text("MAIL_USERNAME"),
            password: env.text("MAIL_PASSWORD").map(Secret::new),
            sender: env.text("MAIL_SENDER").unwrap_or_else(|| "Madblog <no-reply@localhost>".into()),
            ca_file: env.text("MAIL_CA_FILE").map(PathBuf::from),
            allow_plaintext_auth: env.flag("MAIL_ALLOW_PLAINTEXT_AUTH")?,
            max_attempts: env.number("MAIL_MAX_ATTEMPTS", 20)? as i64,
            backoff_cap: env.seconds("MAIL_BACKOFF_CAP_SECONDS", 300)?,
            lease: env.seconds("MAIL_LEASE_SECONDS", 60)?,
            keep: env.days("OUTBOX_KEEP_DAYS", 30)?,
            suppress_for: env.days("MAIL_SUPPRESS_DAYS", 90)?,
            bounce_address: env.text("MAIL_BOUNCE_ADDRESS"),
            events_token: match env.text("MAIL_EVENTS_TOKEN") {
                Some(token) if token.trim().len() >= 16 => Some(Secret::new(token.trim())),
                Some(_) => bail!("MAIL_EVENTS_TOKEN must be at least 16 characters"),
                None => None,
            },
            dkim: DkimSettings::read(env)?,
        };
        // Without either, STARTTLS is only used when the server offers it, and a man in the middle
        // who strips the offer from the greeting is handed the password in clear text.
        let logs_in = mail.username.is_some() || mail.password.is_some();
        if logs_in && !mail.use_ssl && !mail.use_tls && !mail.allow_plaintext_auth {
            bail!(
                "MAIL_USERNAME or MAIL_PASSWORD is set without MAIL_USE_SSL or MAIL_USE_TLS: the password could \
                 cross the network in clear text. Set MAIL_USE_SSL=true (implicit TLS, port 465) or MAIL_USE_TLS=true \
                 (STARTTLS, required), or MAIL_ALLOW_PLAINTEXT_AUTH=true for a relay on this machine"
            );
        }
        Ok(mail)
    }
}
